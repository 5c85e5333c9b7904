"""Operator commands: what they print, and exit code 2 with nothing saved on bad input."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from brands.models import Brand, Messenger, SigningKey
from tests.keys import private_pem

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def fails(*args) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return caught.value


def test_create_brand_prints_the_issuer():
    out = run("create_brand", "initech", "--name", "Initech")
    assert "initech" in out and "http://testserver/brands/initech" in out
    assert Brand.objects.get(slug="initech").name == "Initech"


def test_create_brand_with_an_issuer():
    run("create_brand", "hooli", "--name", "Hooli", "--issuer", "https://id.hooli.example")
    assert Brand.objects.get(slug="hooli").issuer_url == "https://id.hooli.example"


@pytest.mark.parametrize(
    "args",
    [
        ("create_brand", "acme", "--name", "Again"),  # duplicate
        ("create_brand", "bad slug!", "--name", "X"),
        ("create_brand", "ok", "--name", ""),
        ("create_brand", "ok2", "--name", "X", "--issuer", "not a url"),
    ],
)
def test_create_brand_bad_input_exits_2(brand, args):
    count = Brand.objects.count()
    assert fails(*args).returncode == 2
    assert Brand.objects.count() == count


def test_generate_signing_key_prints_the_kid(brand):
    kid = run("generate_signing_key", "acme", "--size", "2048").strip()
    key = SigningKey.objects.get(kid=kid)
    assert (key.state, key.algorithm) == ("pending", "RS256")


def test_generate_signing_key_with_activate(brand):
    kid = run("generate_signing_key", "acme", "--alg", "ES256", "--activate").strip()
    assert SigningKey.objects.get(kid=kid).state == "active"


def test_generate_with_activate_in_a_rotation_needs_force(brand):
    run("generate_signing_key", "acme", "--activate")
    error = fails("generate_signing_key", "acme", "--activate")
    assert error.returncode == 2 and "not_prepublished" in str(error)
    assert SigningKey.objects.count() == 1  # the refused key was not saved
    kid = run("generate_signing_key", "acme", "--activate", "--force").strip()
    assert SigningKey.objects.get(kid=kid).state == "active"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("generate_signing_key", "nobody"), "no brand"),
        (("generate_signing_key", "acme", "--size", "1024"), "weak_key"),
        (("generate_signing_key", "acme", "--alg", "ES256", "--size", "2048"), "RSA only"),
    ],
)
def test_generate_signing_key_bad_input_exits_2(brand, args, message):
    error = fails(*args)
    assert error.returncode == 2 and message in str(error)
    assert not SigningKey.objects.exists()


def test_create_messenger_with_defaults(brand):
    out = run("create_messenger", "acme", "web", "--platform", "generic")
    messenger = Messenger.objects.get(slug="web")
    assert messenger.audience == "http://testserver/brands/acme/messengers/web"
    assert messenger.token_ttl.total_seconds() == 300
    assert messenger.audience in out


def test_create_messenger_with_options(brand):
    run(
        "create_messenger",
        "acme",
        "app",
        "--platform",
        "generic",
        "--audience",
        "urn:acme:app",
        "--ttl",
        "600",
        "--attributes",
        "tier,vip",
        "--origins",
        "https://chat.example.com",
        "--vendor-settings",
        '{"region": "eu"}',
        "--label",
        "Private banking",
    )
    messenger = Messenger.objects.get(slug="app")
    assert messenger.label == "Private banking"
    assert messenger.audience == "urn:acme:app"
    assert messenger.attributes == ["tier", "vip"]
    assert messenger.allowed_origins == ["https://chat.example.com"]
    assert messenger.vendor_settings == {"region": "eu"}


@pytest.mark.parametrize(
    "extra",
    [
        ("--ttl", "30"),
        ("--ttl", "7200"),
        ("--attributes", "tier,password"),
        ("--origins", "http://chat.example.com"),
        ("--origins", "https://chat.example.com/path"),
        ("--vendor-settings", "[1, 2]"),
        ("--vendor-settings", "{not json"),
        ("--vendor-settings", '{"api_key": "x"}'),
        ("--audience", "taken"),
        ("--label", "x" * 61),
    ],
)
def test_create_messenger_bad_input_exits_2(brand, extra):
    run("create_messenger", "acme", "first", "--platform", "generic", "--audience", "taken")
    error = fails("create_messenger", "acme", "second", "--platform", "generic", *extra)
    assert error.returncode == 2
    assert list(Messenger.objects.values_list("slug", flat=True)) == ["first"]


def test_create_messenger_duplicate_slug_and_unknown_brand_exit_2(brand, keyless_brand):
    run("create_messenger", "acme", "web", "--platform", "generic")
    assert fails("create_messenger", "globex", "web", "--platform", "generic").returncode == 2
    assert fails("create_messenger", "nobody", "x", "--platform", "generic").returncode == 2
    assert Messenger.objects.count() == 1


def test_a_real_command_line_exits_2_on_an_unknown_brand(tmp_path):
    """The exit code operators' scripts see (argparse and CommandError both give 2)."""
    root = Path(__file__).resolve().parents[2]
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "localhost",
        "PUBLIC_BASE_URL": "http://localhost",
        "KEY_ENCRYPTION_KEYS": "p6Rz0lRW2hB1bqbWzX0Vv6wXr3Xw8CkN3Wcq5sQe3mE=",
        "SQLITE_PATH": str(tmp_path / "empty.sqlite3"),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "manage.py", "generate_signing_key", "nobody"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "There is no brand 'nobody'" in result.stderr
    bad_alg = subprocess.run(
        [sys.executable, "manage.py", "generate_signing_key", "nobody", "--alg", "none"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad_alg.returncode == 2


def test_import_signing_key_from_a_file(brand, rsa_pool, tmp_path, monkeypatch):
    path = tmp_path / "key.pem"
    path.write_text(private_pem(rsa_pool[7], b"pw"))
    monkeypatch.setenv("KEY_PASSWORD", "pw")
    kid = run("import_signing_key", "acme", str(path), "--password-env", "KEY_PASSWORD").strip()
    assert SigningKey.objects.get(kid=kid).origin == "imported"


def _weak_pem() -> bytes:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return private_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)).encode()


def _encrypted_ec_pem() -> bytes:
    from cryptography.hazmat.primitives.asymmetric import ec

    return private_pem(ec.generate_private_key(ec.SECP256R1()), b"pw").encode()


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (b"garbage", (), "invalid_key"),
        (_weak_pem(), (), "weak_key"),
        (_encrypted_ec_pem(), ("--alg", "ES256"), "encrypted_key"),
        (_encrypted_ec_pem(), ("--password-env", "HOME"), "encrypted_key"),  # wrong password
        (None, (), "Cannot read"),
        (b"x", ("--password-env", "NOPE_NOT_SET"), "is not set"),
    ],
    # named, not by their keys: generated at collection, they differ in each xdist worker
    ids=["garbage", "weak", "encrypted", "wrong-password", "missing-file", "unset-password-env"],
)
def test_import_signing_key_bad_input_exits_2(brand, tmp_path, content, extra, message):
    path = tmp_path / "key.pem"
    if content is not None:
        path.write_bytes(content)
    error = fails("import_signing_key", "acme", str(path), *extra)
    assert error.returncode == 2 and message in str(error)
    assert not SigningKey.objects.exists()
