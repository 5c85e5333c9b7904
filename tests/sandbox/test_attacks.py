"""Attack and claim cases (docs/decisions/sandbox-verifier.md), each asserting its reason code."""

import json
import time

import pytest

from sandbox.verifier import REASON_CODES, KeySet, Profile, StaticKeys, Verifier
from sandbox.verifier.encoding import b64url_encode
from tests.sandbox import helpers
from tests.sandbox.helpers import DROP, claims, mint, sign_raw


def test_valid_token_verifies_with_claims(verifier, rsa_key):
    result = verifier.verify(mint(rsa_key))
    assert result.valid, result.detail
    assert result.reason is None
    assert result.claims["sub"] == "cust-7f3a"
    assert result.kid == "rsa-1"
    assert result.header["alg"] == "RS256"


@pytest.mark.parametrize("key_name", ["rsa_key", "ec_key", "ed_key"])
def test_each_generic_algorithm_verifies(request, verifier, key_name):
    assert verifier.verify(mint(request.getfixturevalue(key_name))).valid


def test_ps256_key_verifies(make_verifier):
    ps = helpers.new_rsa(kid="ps-1", alg="PS256")
    v = make_verifier(keys=StaticKeys(KeySet.from_jwks({"keys": [ps.public_jwk()]})))
    assert v.verify(mint(ps)).valid


def _unsigned(header: dict) -> str:
    head = b64url_encode(json.dumps(header).encode())
    return f"{head}.{b64url_encode(json.dumps(claims()).encode())}."


@pytest.mark.parametrize("alg", ["none", "NoNe", "NONE"])
def test_alg_none_is_unsupported(verifier, alg):
    assert verifier.verify(_unsigned({"alg": alg, "kid": "rsa-1", "typ": "JWT"})).reason == (
        "unsupported_algorithm"
    )


def test_alg_none_with_signature_is_unsupported(verifier, rsa_key):
    token = mint(rsa_key)
    header = b64url_encode(b'{"alg":"none","kid":"rsa-1","typ":"JWT"}')
    forged = ".".join([header, *token.split(".")[1:]])
    assert verifier.verify(forged).reason == "unsupported_algorithm"


@pytest.mark.parametrize("alg", ["rs256", "Rs256", "ES256K", "HS256"])
def test_algorithm_allow_list_is_case_sensitive(verifier, rsa_key, alg):
    token = sign_raw({"alg": alg, "kid": "rsa-1", "typ": "JWT"}, claims(), b"x" * 32, "HS256")
    assert verifier.verify(token).reason == "unsupported_algorithm"


def _public_pem(signer) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return signer.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_hs256_with_public_key_as_secret(verifier, make_verifier, rsa_key, jwks):
    token = sign_raw(
        {"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}, claims(), _public_pem(rsa_key), "HS256"
    )
    # generic profile: HS256 is not allowed at all
    assert verifier.verify(token).reason == "unsupported_algorithm"
    # even a profile allowing HS256 refuses: the key is bound to RS256
    both = Profile("both", ("RS256", "HS256"))
    assert make_verifier(profile=both).verify(token).reason == "unsupported_algorithm"


def test_algorithm_must_match_the_keys_alg(verifier, rsa_key):
    token = sign_raw(
        {"alg": "PS256", "kid": "rsa-1", "typ": "JWT"}, claims(), rsa_key.private, "PS256"
    )
    assert verifier.verify(token).reason == "unsupported_algorithm"


def test_embedded_jwk_is_ignored(verifier, attacker_key):
    token = mint(attacker_key, jwk=attacker_key.public_jwk())
    assert verifier.verify(token).reason == "bad_signature"
    other = helpers.new_ec(kid="attacker")
    assert verifier.verify(mint(other, jwk=other.public_jwk())).reason == "unknown_key"


@pytest.mark.parametrize("member", ["jku", "x5u"])
def test_jku_and_x5u_are_ignored(verifier, attacker_key, member, monkeypatch):
    calls = []
    monkeypatch.setattr("sandbox.fetch.http_get", lambda *a, **k: calls.append(a))
    token = mint(attacker_key, **{member: "https://attacker.example/jwks.json"})
    assert verifier.verify(token).reason == "bad_signature"
    assert calls == []


def test_x5c_is_ignored(verifier, attacker_key):
    assert verifier.verify(mint(attacker_key, x5c=["MIIB"])).reason == "bad_signature"


@pytest.mark.parametrize(
    "kid",
    ["../../etc/passwd", "' OR '1'='1", "1; DROP TABLE keys;--", "", "\u0000", "rsa-1 "],
)
def test_hostile_kid_is_just_unknown(verifier, rsa_key, kid):
    assert verifier.verify(mint(rsa_key, kid=kid)).reason == "unknown_key"


def test_10kb_kid(verifier, make_verifier, rsa_key):
    token = mint(rsa_key, kid="k" * 10_000)
    assert verifier.verify(token).reason == "too_large"  # 8 KB cap comes first
    assert make_verifier(max_token_bytes=64_000).verify(token).reason == "unknown_key"


def test_kid_must_be_a_string(verifier, rsa_key):
    assert verifier.verify(mint(rsa_key, kid=7)).reason == "malformed"


def test_missing_kid_is_unknown_key(verifier, rsa_key):
    assert verifier.verify(mint(rsa_key, kid=DROP)).reason == "unknown_key"


def test_expired(verifier, rsa_key):
    now = int(time.time())
    assert verifier.verify(mint(rsa_key, claims(iat=now - 400, exp=now - 31))).reason == (
        "expired"
    )
    # inside the 30 s leeway
    assert verifier.verify(mint(rsa_key, claims(iat=now - 300, exp=now - 20))).valid


def test_not_yet_valid_beyond_leeway(verifier, rsa_key):
    now = int(time.time())
    assert verifier.verify(mint(rsa_key, claims(nbf=now + 120))).reason == "not_yet_valid"
    assert verifier.verify(mint(rsa_key, claims(nbf=now + 10))).valid


def test_issued_in_future_beyond_leeway(verifier, rsa_key):
    now = int(time.time())
    token = mint(rsa_key, claims(iat=now + 120, exp=now + 400))
    assert verifier.verify(token).reason == "issued_in_future"
    assert verifier.verify(mint(rsa_key, claims(iat=now + 10))).valid


def test_leeway_is_configurable_and_capped(make_verifier, rsa_key):
    now = int(time.time())
    token = mint(rsa_key, claims(iat=now - 400, exp=now - 100))
    assert make_verifier(leeway=0).verify(token).reason == "expired"
    assert make_verifier(leeway=120).verify(token).valid
    with pytest.raises(ValueError):
        make_verifier(leeway=301)
    with pytest.raises(ValueError):
        make_verifier(leeway=-1)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "someone-else"}, "wrong_audience"),
        ({"aud": ["a", "b"]}, "wrong_audience"),
        ({"iss": "https://evil.example/brands/acme"}, "wrong_issuer"),
        ({"iss": helpers.ISSUER + "/"}, "wrong_issuer"),
        ({"aud": 5}, "invalid_claim"),
        ({"aud": []}, "invalid_claim"),
        ({"iss": ["x"]}, "invalid_claim"),
        ({"sub": ""}, "invalid_claim"),
        ({"sub": 42}, "invalid_claim"),
        ({"jti": ""}, "invalid_claim"),
        ({"jti": "j" * 300}, "invalid_claim"),
    ],
)
def test_issuer_audience_and_identifiers(verifier, rsa_key, overrides, reason):
    assert verifier.verify(mint(rsa_key, claims(**overrides))).reason == reason


def test_audience_list_containing_ours(verifier, rsa_key):
    assert verifier.verify(mint(rsa_key, claims(aud=["other", helpers.AUDIENCE]))).valid


def test_strict_single_audience_profile(make_verifier, rsa_key):
    strict = Profile("strict", ("RS256",), audience_mode="single")
    v = make_verifier(profile=strict)
    assert v.verify(mint(rsa_key, claims(aud=[helpers.AUDIENCE]))).valid
    assert v.verify(mint(rsa_key, claims(aud=["x", helpers.AUDIENCE]))).reason == (
        "wrong_audience"
    )


@pytest.mark.parametrize(
    ("typ", "reason"),
    [("at+jwt", "wrong_type"), ("jwt", "wrong_type"), (DROP, "wrong_type"), (5, "malformed")],
)
def test_typ_must_be_exact(verifier, rsa_key, typ, reason):
    assert verifier.verify(mint(rsa_key, typ=typ)).reason == reason


def test_typ_override(make_verifier, rsa_key):
    assert make_verifier(typ="at+jwt").verify(mint(rsa_key, typ="at+jwt")).valid


@pytest.mark.parametrize("name", ["exp", "iat", "sub", "jti", "iss", "aud"])
def test_each_required_claim_missing(verifier, rsa_key, name):
    result = verifier.verify(mint(rsa_key, claims(**{name: DROP})))
    assert result.reason == "missing_claim"
    assert name in result.detail


@pytest.mark.parametrize("name", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("value", ["1999999999", True, False, None, [1], {"t": 1}])
def test_numeric_dates_must_be_numbers(verifier, rsa_key, name, value):
    assert verifier.verify(mint(rsa_key, claims(**{name: value}))).reason == "invalid_claim"


def test_float_numeric_dates_are_accepted(verifier, rsa_key):
    now = time.time()
    assert verifier.verify(mint(rsa_key, claims(iat=now, exp=now + 300.5))).valid


def test_lifetime_above_profile_maximum(verifier, rsa_key):
    now = int(time.time())
    token = mint(rsa_key, claims(iat=now, exp=now + 7200))
    assert verifier.verify(token).reason == "invalid_claim"


def test_duplicate_claims_are_malformed(verifier, rsa_key):
    payload = json.dumps(claims())[:-1] + ', "sub": "someone-else"}'
    token = sign_raw(
        {"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}, payload, rsa_key.private, "RS256"
    )
    assert verifier.verify(token).reason == "malformed"


def test_duplicate_header_names_are_malformed(verifier, rsa_key):
    header = '{"alg":"RS256","kid":"rsa-1","typ":"JWT","kid":"other"}'
    token = sign_raw(header, claims(), rsa_key.private, "RS256")
    assert verifier.verify(token).reason == "malformed"


@pytest.mark.parametrize("payload", ["not json", "[1,2]", '"text"', '{"exp": NaN}', b"\xff\xfe"])
def test_claims_must_be_a_json_object(verifier, rsa_key, payload):
    token = sign_raw(
        {"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}, payload, rsa_key.private, "RS256"
    )
    assert verifier.verify(token).reason == "malformed"


def test_100kb_token_is_too_large(verifier, rsa_key):
    token = mint(rsa_key, claims(padding="x" * 100_000))
    assert verifier.verify(token).reason == "too_large"


def test_json_serialization_is_malformed(verifier, rsa_key):
    header, payload, signature = mint(rsa_key).split(".")
    flat = json.dumps({"protected": header, "payload": payload, "signature": signature})
    assert verifier.verify(flat).reason == "malformed"


def test_five_segment_jwe_is_malformed(verifier):
    jwe = ".".join(
        [
            "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ",
            "OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZ",
            "48V1_ALb6US04U3b",
            "5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji",
            "XFBoMYUZodetZdvTiFvSkQ",
        ]
    )
    assert verifier.verify(jwe).reason == "malformed"


@pytest.mark.parametrize("crit", [["exp"], [], ["b64"], "x"])
def test_crit_is_refused(verifier, rsa_key, crit):
    assert verifier.verify(mint(rsa_key, crit=crit)).reason == "malformed"


def test_b64_false_is_refused(verifier, rsa_key):
    assert verifier.verify(mint(rsa_key, b64=False, crit=["b64"])).reason == "malformed"
    assert verifier.verify(mint(rsa_key, b64=False)).reason == "malformed"


def test_es256_r_and_s_zero(verifier, ec_key):
    header, payload, _ = mint(ec_key).split(".")
    zero = b64url_encode(b"\x00" * 64)
    assert verifier.verify(f"{header}.{payload}.{zero}").reason == "bad_signature"


def test_es256_wrong_signature_length(verifier, ec_key):
    header, payload, signature = mint(ec_key).split(".")
    from sandbox.verifier.encoding import b64url_decode

    longer = b64url_encode(b"\x00" + b64url_decode(signature))
    assert verifier.verify(f"{header}.{payload}.{longer}").reason == "bad_signature"


def test_signature_from_another_key(verifier, attacker_key):
    assert verifier.verify(mint(attacker_key)).reason == "bad_signature"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t + "=",
        lambda t: " " + t,
        lambda t: t + "\n",
        lambda t: t.replace(".", " .", 1),
        lambda t: t + ".",
        lambda t: t.rsplit(".", 1)[0],
        lambda t: t.rsplit(".", 1)[0] + ".",
        lambda t: "." + t.split(".", 1)[1],
        lambda t: t.replace("-", "+").replace("_", "/") + "+/",
    ],
)
def test_strict_compact_format(verifier, rsa_key, mutate):
    assert verifier.verify(mutate(mint(rsa_key))).reason == "malformed"


@pytest.mark.parametrize("token", [None, 42, ["a.b.c"], {"t": 1}, "", "é.é.é"])
def test_non_tokens_are_malformed(verifier, token):
    assert verifier.verify(token).reason == "malformed"


def test_bytes_token_is_accepted(verifier, rsa_key):
    assert verifier.verify(mint(rsa_key).encode()).valid


def test_replay_of_one_time_token(make_verifier, rsa_key):
    v = make_verifier(one_time=True)
    token = mint(rsa_key)
    assert v.verify(token).valid
    assert v.verify(token).reason == "replayed"
    # a new jti is fine
    assert v.verify(mint(rsa_key)).valid
    # a multi-use verifier does not consume anything
    assert make_verifier().verify(token).valid


def test_no_exception_escapes_from_a_broken_key_provider(make_verifier, rsa_key):
    class Broken:
        def get_key(self, kid):
            raise TypeError("boom")

    result = make_verifier(keys=Broken()).verify(mint(rsa_key))
    assert result.valid is False
    assert result.reason in REASON_CODES


def test_wrong_key_object_type_is_a_bad_signature(make_verifier, rsa_key, ec_key):
    from sandbox.verifier.keys import VerificationKey

    class Confused:
        def get_key(self, kid):
            return VerificationKey("rsa-1", "RS256", "RSA", ec_key.private.public_key())

    assert make_verifier(keys=Confused()).verify(mint(rsa_key)).reason == "bad_signature"


def test_symmetric_keys_in_a_jwks_are_ignored(make_verifier):
    secret = b"s" * 32
    jwk = {"kty": "oct", "kid": "hs", "alg": "HS256", "k": b64url_encode(secret)}
    hs = Profile("hs", ("HS256",))
    v = make_verifier(profile=hs, keys=StaticKeys(KeySet.from_jwks({"keys": [jwk]})))
    token = sign_raw({"alg": "HS256", "kid": "hs", "typ": "JWT"}, claims(), secret, "HS256")
    assert v.verify(token).reason == "unknown_key"
    configured = StaticKeys(KeySet.from_jwks({"keys": [jwk]}, allow_symmetric=True))
    assert make_verifier(profile=hs, keys=configured).verify(token).valid


@pytest.mark.parametrize(
    "extra",
    [
        {"use": "enc"},
        {"key_ops": ["encrypt"]},
        {"key_ops": "verify"},
        {"alg": "RSA-OAEP"},
        {"d": "AQAB"},
    ],
)
def test_unusable_keys_are_ignored(make_verifier, rsa_key, extra):
    jwk = {**rsa_key.public_jwk(), **extra}
    v = make_verifier(keys=StaticKeys(KeySet.from_jwks({"keys": [jwk]})))
    assert v.verify(mint(rsa_key)).reason == "unknown_key"


def test_key_with_verify_in_key_ops_is_used(make_verifier, rsa_key):
    jwk = {**rsa_key.public_jwk(), "key_ops": ["verify"]}
    jwk.pop("use")
    v = make_verifier(keys=StaticKeys(KeySet.from_jwks({"keys": [jwk]})))
    assert v.verify(mint(rsa_key)).valid


def test_key_without_alg_takes_the_profiles_only_algorithm(make_verifier, rsa_key):
    jwk = rsa_key.public_jwk()
    jwk.pop("alg")
    only = Profile("only-rs256", ("RS256",))
    keys = StaticKeys(KeySet.from_jwks({"keys": [jwk]}, default_alg="RS256"))
    assert make_verifier(profile=only, keys=keys).verify(mint(rsa_key)).valid
    # with several algorithms allowed, an RSA key without alg is unusable
    keys = StaticKeys(KeySet.from_jwks({"keys": [jwk]}))
    assert make_verifier(keys=keys).verify(mint(rsa_key)).reason == "unknown_key"


def test_weak_rsa_key_is_ignored(make_verifier):
    weak = helpers.new_rsa(kid="weak", bits=1024)
    v = make_verifier(keys=StaticKeys(KeySet.from_jwks({"keys": [weak.public_jwk()]})))
    assert v.verify(mint(weak)).reason == "unknown_key"


def test_every_reason_code_is_known():
    assert set(REASON_CODES) == {
        "malformed",
        "too_large",
        "unsupported_algorithm",
        "unknown_key",
        "bad_signature",
        "wrong_type",
        "expired",
        "not_yet_valid",
        "issued_in_future",
        "wrong_issuer",
        "wrong_audience",
        "missing_claim",
        "invalid_claim",
        "replayed",
        "jwks_unavailable",
    }


def test_bad_configuration_raises_before_any_token(jwks):
    keys = StaticKeys(KeySet.from_jwks(jwks))
    with pytest.raises(ValueError):
        Verifier(issuer="", audience="a", keys=keys)
    with pytest.raises(ValueError):
        Verifier(issuer="i", audience="a", keys=keys, algorithms=["HS256"])
    with pytest.raises(KeyError):
        Verifier(issuer="i", audience="a", keys=keys, profile="no-such-platform")


@pytest.mark.parametrize(
    "payload",
    ["[" * 3000 + "]" * 3000, '{"a":' * 2000 + "1" + "}" * 2000],
)
def test_deeply_nested_json_is_malformed(make_verifier, rsa_key, payload):
    token = sign_raw(
        {"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}, payload, rsa_key.private, "RS256"
    )
    assert make_verifier(max_token_bytes=64_000).verify(token).reason == "malformed"


@pytest.mark.parametrize("exp", ["1e400", "-1", str(10**30), "1e11"])
def test_out_of_range_numeric_dates(verifier, rsa_key, exp):
    payload = json.dumps(claims())[:-1] + f', "nbf": {exp}}}'
    token = sign_raw(
        {"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}, payload, rsa_key.private, "RS256"
    )
    assert verifier.verify(token).reason in {"invalid_claim", "not_yet_valid"}


def test_utf8_bom_in_claims_is_malformed(verifier, rsa_key):
    payload = b"\xef\xbb\xbf" + json.dumps(claims()).encode()
    token = sign_raw(
        {"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}, payload, rsa_key.private, "RS256"
    )
    assert verifier.verify(token).reason == "malformed"


def test_one_time_profile_needs_jti_even_when_not_required(make_verifier, rsa_key):
    one_time = Profile("ot", ("RS256",), required_claims=("iss", "aud"), one_time=True)
    token = mint(rsa_key, claims(jti=DROP))
    assert make_verifier(profile=one_time).verify(token).reason == "missing_claim"


def test_default_leeway_comes_from_settings(make_verifier, rsa_key, settings):
    now = int(time.time())
    token = mint(rsa_key, claims(iat=now - 400, exp=now - 100))
    assert make_verifier().verify(token).reason == "expired"
    settings.SANDBOX_LEEWAY = 120
    assert make_verifier().verify(token).valid
