"""``manage.py verify_token``: one JSON object; exit 0 valid, 1 invalid, 2 bad arguments."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sandbox.platform import PlatformUnavailable, UnknownMessenger, resolve_messenger
from tests.sandbox import helpers
from tests.sandbox.helpers import claims, mint
from tests.sandbox.jwks_server import JWKSServer


@pytest.fixture
def server(jwks, settings):
    with JWKSServer() as srv:
        srv.document = jwks
        srv.setup["acme-web"] = (
            200,
            {
                "messenger": "acme-web",
                "brand": "acme",
                "platform": "generic",
                "issuer": helpers.ISSUER,
                "audience": helpers.AUDIENCE,
                "jwks_uri": srv.url,
                "algorithms": ["RS256", "ES256"],
                "token_type": "JWT",
                "token_lifetime": 300,
            },
        )
        settings.SANDBOX_PORTAL_URL = srv.base
        yield srv


def run(*args):
    out = io.StringIO()
    code = 0
    try:
        call_command("verify_token", *args, stdout=out)
    except SystemExit as exc:
        code = exc.code
    text = out.getvalue().strip()
    assert text.count("\n") == 0
    return code, json.loads(text)


def manual(server):
    return ["--jwks-url", server.url, "--audience", helpers.AUDIENCE, "--issuer", helpers.ISSUER]


def test_valid_token_prints_claims(server, rsa_key):
    code, data = run(mint(rsa_key), *manual(server))
    assert code == 0
    assert data["valid"] is True
    assert data["claims"]["sub"] == "cust-7f3a"
    assert data["kid"] == "rsa-1"
    assert "reason" not in data


def test_invalid_token_prints_reason(server, attacker_key):
    code, data = run(mint(attacker_key), *manual(server))
    assert code == 1
    assert data == {**data, "valid": False, "reason": "bad_signature"}
    assert "claims" not in data


def test_messenger_resolves_public_setup(server, rsa_key, ec_key, ed_key):
    code, data = run(mint(rsa_key), "--messenger", "acme-web")
    assert (code, data["valid"]) == (0, True)
    assert run(mint(ec_key), "--messenger", "acme-web")[0] == 0
    # the messenger narrows the profile: EdDSA is not among its algorithms
    code, data = run(mint(ed_key), "--messenger", "acme-web")
    assert (code, data["reason"]) == (1, "unsupported_algorithm")
    # the setup is cached briefly: one request for three verifications
    assert server.count("/api/v1/messaging/messengers/acme-web/setup") == 1


@pytest.mark.parametrize(
    ("token_kwargs", "reason"),
    [
        ({"payload": claims(aud="other")}, "wrong_audience"),
        ({"payload": claims(iss="https://evil.example")}, "wrong_issuer"),
        ({"typ": "at+jwt"}, "wrong_type"),
        ({"kid": "../../etc/passwd"}, "unknown_key"),
        ({"alg": "NoNe"}, "unsupported_algorithm"),
    ],
)
def test_attack_reasons_through_the_command(server, rsa_key, token_kwargs, reason):
    code, data = run(mint(rsa_key, **token_kwargs), "--messenger", "acme-web")
    assert (code, data["reason"]) == (1, reason)


def test_typ_and_leeway_options(server, rsa_key):
    import time

    now = int(time.time())
    token = mint(rsa_key, claims(iat=now - 400, exp=now - 100), typ="at+jwt")
    code, data = run(token, *manual(server), "--typ", "at+jwt", "--leeway", "120")
    assert code == 0, data
    code, data = run(token, *manual(server), "--typ", "at+jwt")
    assert data["reason"] == "expired"


@pytest.mark.parametrize(
    "args",
    [
        ["tok"],
        ["tok", "--jwks-url", "https://x/jwks"],
        ["tok", "--messenger", "acme-web", "--audience", "a"],
        ["tok", "--jwks-url", "http://portal.example/jwks", "--audience", "a", "--issuer", "i"],
        ["tok", "--jwks-url", "ftp://x/jwks", "--audience", "a", "--issuer", "i"],
        ["tok", "--messenger", "acme-web", "--leeway", "301"],
        ["tok", "--messenger", "acme-web", "--leeway", "-1"],
        ["tok", "--messenger", "no-such-messenger"],
        ["tok", "--messenger", "../etc"],
        ["tok", "--messenger", "acme-web", "--profile", "nope"],
    ],
)
def test_bad_arguments_exit_2(server, settings, args):
    settings.DEBUG = False
    out = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("verify_token", *args, stdout=out)
    assert info.value.returncode == 2
    if args[1:]:  # argparse itself answers a missing option with usage text
        assert json.loads(out.getvalue())["error"] == "bad_arguments"


def test_portal_down_is_jwks_unavailable(settings, rsa_key):
    settings.SANDBOX_PORTAL_URL = "http://127.0.0.1:9"  # discard port: connection refused
    code, data = run(mint(rsa_key), "--messenger", "acme-web")
    assert (code, data["reason"]) == (1, "jwks_unavailable")


def test_resolve_messenger_errors(server):
    server.setup["broken"] = (200, {"messenger": "broken", "brand": "acme"})
    server.setup["other"] = (200, {**server.setup["acme-web"][1]})
    server.setup["down"] = (503, {"error": "x"})
    with pytest.raises(UnknownMessenger):
        resolve_messenger("missing")
    for slug in ("broken", "other", "down"):
        with pytest.raises(PlatformUnavailable):
            resolve_messenger(slug)
    config = resolve_messenger("acme-web")
    assert config.algorithms == ("RS256", "ES256")
    assert config.brand == "acme"


def test_real_process_exit_codes(tmp_path):
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    proc = subprocess.run(
        [sys.executable, str(manage), "verify_token", "a.b.c"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
