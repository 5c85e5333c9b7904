"""``manage.py verify_token``: one JSON object; exit 0 valid, 1 invalid, 2 bad arguments."""

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sandbox.platform import PlatformUnavailable, UnknownMessenger, resolve_messenger
from tests.sandbox import helpers
from tests.sandbox.conftest import messenger_setup
from tests.sandbox.helpers import claims, mint


@pytest.fixture
def server(stub_portal):
    stub_portal.setup["acme-web"] = (
        200,
        messenger_setup(stub_portal, algorithms=("RS256", "ES256")),
    )
    return stub_portal


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


def _attack_tokens(rsa_key, ec_key, attacker_key):
    from cryptography.hazmat.primitives import serialization

    from sandbox.verifier.encoding import b64url_encode
    from tests.sandbox.helpers import DROP, sign_raw

    now = int(time.time())
    good = mint(rsa_key)
    head, body, sig = good.split(".")
    pem = rsa_key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    es_head, es_body, _ = mint(ec_key).split(".")
    dup = json.dumps(claims())[:-1] + ', "sub": "other"}'
    cases = {
        "alg none": (mint(rsa_key, alg="none").rsplit(".", 1)[0] + ".", "unsupported_algorithm"),
        "alg NoNe": (mint(rsa_key, alg="NoNe").rsplit(".", 1)[0] + ".", "unsupported_algorithm"),
        "HS256 with public key": (
            sign_raw({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}, claims(), pem, "HS256"),
            "unsupported_algorithm",
        ),
        "embedded jwk": (mint(attacker_key, jwk=attacker_key.public_jwk()), "bad_signature"),
        "jku": (mint(attacker_key, jku="https://evil.example/jwks"), "bad_signature"),
        "x5u": (mint(attacker_key, x5u="https://evil.example/cert"), "bad_signature"),
        "kid traversal": (mint(rsa_key, kid="../../etc/passwd"), "unknown_key"),
        "kid sql": (mint(rsa_key, kid="' OR 1=1 --"), "unknown_key"),
        "kid 10 KB": (mint(rsa_key, kid="k" * 10_240), "too_large"),
        "expired": (mint(rsa_key, claims(iat=now - 600, exp=now - 60)), "expired"),
        "nbf future": (mint(rsa_key, claims(nbf=now + 120)), "not_yet_valid"),
        "iat future": (mint(rsa_key, claims(iat=now + 120, exp=now + 400)), "issued_in_future"),
        "wrong aud": (mint(rsa_key, claims(aud="x")), "wrong_audience"),
        "wrong iss": (mint(rsa_key, claims(iss="https://x")), "wrong_issuer"),
        "wrong typ": (mint(rsa_key, typ="at+jwt"), "wrong_type"),
        "string exp": (mint(rsa_key, claims(exp=str(now + 300))), "invalid_claim"),
        "boolean iat": (mint(rsa_key, claims(iat=True)), "invalid_claim"),
        "duplicate claims": (
            sign_raw(
                {"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}, dup, rsa_key.private, "RS256"
            ),
            "malformed",
        ),
        "100 KB": (mint(rsa_key, claims(pad="x" * 100_000)), "too_large"),
        "JSON serialization": (
            json.dumps({"protected": head, "payload": body, "signature": sig}),
            "malformed",
        ),
        "five segments": (f"{head}.{body}.{sig}.{body}.{sig}", "malformed"),
        "crit": (mint(rsa_key, crit=["exp"]), "malformed"),
        "b64 false": (mint(rsa_key, b64=False, crit=["b64"]), "malformed"),
        "ES256 r=s=0": (f"{es_head}.{es_body}.{b64url_encode(bytes(64))}", "bad_signature"),
    }
    for name in ("exp", "iat", "sub", "jti", "iss", "aud"):
        cases[f"missing {name}"] = (mint(rsa_key, claims(**{name: DROP})), "missing_claim")
    return cases


def test_every_attack_case_of_the_issue_through_the_command(server, rsa_key, ec_key, attacker_key):
    wrong = {}
    for name, (token, reason) in _attack_tokens(rsa_key, ec_key, attacker_key).items():
        code, data = run(token, "--messenger", "acme-web")
        if (code, data.get("reason")) != (1, reason):
            wrong[name] = (code, data.get("reason"), reason)
    assert wrong == {}


def test_setup_failures_are_cached_briefly(server):
    with pytest.raises(UnknownMessenger):
        resolve_messenger("ghost")
    server.setup["ghost"] = (503, {"error": "x"})
    with pytest.raises(UnknownMessenger):  # still the cached answer
        resolve_messenger("ghost")
    assert server.count("/api/v1/messaging/messengers/ghost/setup") == 1
    server.setup["flaky"] = (503, {"error": "x"})
    for _ in range(3):
        with pytest.raises(PlatformUnavailable):
            resolve_messenger("flaky")
    assert server.count("/api/v1/messaging/messengers/flaky/setup") == 1


def test_a_token_of_another_messenger_is_reported_as_wrong_audience_first(server):
    # given a token another messenger's platform would take: HS256 (a shared-secret
    # messenger such as Zendesk) and that messenger's audience
    token = helpers.sign_raw(
        {"alg": "HS256", "kid": "app_zendesk", "typ": "JWT"},
        claims(aud="acme-zendesk-aud"),
        b"s" * 32,
        "HS256",
    )
    # when it is checked against the RS256 messenger acme-web
    code, data = run(token, "--messenger", "acme-web")
    # then the cause is named, both audiences with it, not the algorithm the verifier meets first
    assert code == 1
    assert data["reason"] == "wrong_audience"
    assert "'acme-zendesk-aud'" in data["detail"]
    assert repr(helpers.AUDIENCE) in data["detail"]
    assert "claims" not in data


def test_a_token_for_our_audience_still_gets_the_verifiers_reason(server):
    token = helpers.sign_raw(
        {"alg": "HS256", "kid": "app_zendesk", "typ": "JWT"}, claims(), b"s" * 32, "HS256"
    )
    code, data = run(token, "--messenger", "acme-web")
    assert code == 1
    assert data["reason"] == "unsupported_algorithm"
