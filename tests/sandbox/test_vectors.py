"""Known-answer vectors: Wycheproof (JWS, JWK, ES256/RS256/Ed25519 primitives), RFC 7520.

Data in tests/vectors (copied with licences, see tests/vectors/README.md); deviations from the
files' expected results are listed, with reasons, in tests/vectors/DEVIATIONS.md and below.
"""

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key

from sandbox.verifier import (
    ALGORITHMS,
    KeySet,
    KeySetError,
    Profile,
    StaticKeys,
    Verifier,
    key_from_jwk,
)
from sandbox.verifier.encoding import b64url_encode
from sandbox.verifier.jws import ParsedJWS, check_signature
from sandbox.verifier.reasons import Rejected

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
WYCHEPROOF = VECTORS / "wycheproof" / "testvectors_v1"
COOKBOOK = VECTORS / "jose-cookbook"

# tcId -> (result we require, why). Mirrors tests/vectors/DEVIATIONS.md.
JWS_DEVIATIONS = {
    346: ("invalid", "RFC 7520 Fig. 20 signs PS384 with a key whose alg is PS256"),
    350: ("invalid", "same as 346 with key_ops"),
    347: ("invalid", "RFC 7520 Fig. 27: key alg 'ES521' is not a JOSE name"),
    351: ("invalid", "same as 347 with key_ops"),
    367: ("valid", "data bug: byte-identical to valid tcId 357 (padding lost)"),
    370: ("valid", "data bug: byte-identical to valid tcId 357 (padding lost)"),
    372: ("invalid", "'?' inside the header segment is not base64url"),
    373: ("invalid", "'?' inside the payload segment is not base64url"),
}
ALL_ALGORITHMS = Profile("wycheproof", tuple(ALGORITHMS))


def _load(name):
    return json.loads((WYCHEPROOF / name).read_text())


def _cases(name):
    data = _load(name)
    for group in data["testGroups"]:
        for test in group["tests"]:
            yield pytest.param(group, test, id=f"tc{test['tcId']}-{test['comment'][:40]}")


def _keyset_for(group, whole_set: bool) -> KeySet:
    if group.get("public"):
        doc = group["public"] if whole_set else {"keys": [group["public"]]}
        return KeySet.from_jwks(doc)
    # Only a symmetric "private" key: a vendor's configured shared secret.
    doc = group["private"] if whole_set else {"keys": [group["private"]]}
    return KeySet.from_jwks(doc, allow_symmetric=True)


def _jws_verdict(group, test, whole_set: bool):
    try:
        keyset = _keyset_for(group, whole_set)
    except KeySetError as exc:
        return False, f"key set refused: {exc}"
    verifier = Verifier(
        issuer="unused", audience="unused", keys=StaticKeys(keyset), profile=ALL_ALGORITHMS
    )
    jws = test["jws"] if isinstance(test["jws"], str) else json.dumps(test["jws"])
    result = verifier.verify_jws(jws)
    assert result.reason is None or result.reason in {
        "malformed",
        "too_large",
        "unsupported_algorithm",
        "unknown_key",
        "bad_signature",
    }
    return result.valid, result.reason


@pytest.mark.parametrize(("group", "test"), list(_cases("json_web_signature_test.json")))
def test_wycheproof_json_web_signature(group, test):
    expected, _why = JWS_DEVIATIONS.get(test["tcId"], (test["result"], ""))
    valid, reason = _jws_verdict(group, test, whole_set=False)
    assert valid == (expected == "valid"), reason


@pytest.mark.parametrize(("group", "test"), list(_cases("json_web_key_test.json")))
def test_wycheproof_json_web_key(group, test):
    valid, reason = _jws_verdict(group, test, whole_set=True)
    assert valid == (test["result"] == "valid"), reason


def test_wycheproof_deviations_are_few_and_documented():
    text = (VECTORS / "DEVIATIONS.md").read_text()
    for tc_id in JWS_DEVIATIONS:
        assert f"tcId {tc_id}" in text
    assert len(JWS_DEVIATIONS) <= 8


def _primitive_key(group, alg):
    jwk = group.get("publicKeyJwk") or group.get("keyJwk")
    if jwk is None:  # a few ECDSA groups publish DER only: same numbers, as a JWK
        numbers = load_der_public_key(bytes.fromhex(group["publicKeyDer"])).public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(numbers.x.to_bytes(32, "big")),
            "y": b64url_encode(numbers.y.to_bytes(32, "big")),
        }
    return key_from_jwk(jwk, default_alg=alg)


PRIMITIVES = [
    ("ecdsa_secp256r1_sha256_p1363_test.json", "ES256"),
    ("rsa_signature_2048_sha256_test.json", "RS256"),
    ("ed25519_test.json", "EdDSA"),
]


@pytest.mark.parametrize(("filename", "alg"), PRIMITIVES)
def test_wycheproof_primitive_file_completely(filename, alg):
    data = _load(filename)
    checked = 0
    failures = []
    for group in data["testGroups"]:
        key = _primitive_key(group, alg)
        for test in group["tests"]:
            parsed = ParsedJWS(
                header={"alg": alg},
                payload=b"",
                signature=bytes.fromhex(test["sig"]),
                signing_input=bytes.fromhex(test["msg"]),
            )
            try:
                check_signature(parsed, key)
                ok = True
            except Rejected:
                ok = False
            checked += 1
            if test["result"] == "acceptable":
                continue
            if ok != (test["result"] == "valid"):
                failures.append((test["tcId"], test["comment"], test["result"]))
    assert checked == data["numberOfTests"]
    assert failures == []


# --- RFC 7520 (jose-cookbook) -------------------------------------------------------
COOKBOOK_CASES = [
    ("jws/4_1.rsa_v15_signature.json", True, ""),
    ("jws/4_2.rsa-pss_signature.json", True, ""),
    ("jws/4_3.ecdsa_signature.json", True, ""),
    ("jws/4_4.hmac-sha2_integrity_protection.json", True, ""),
    ("curve25519/jws.json", True, ""),
]
PRIVATE = ("d", "p", "q", "dp", "dq", "qi")


def _cookbook(path):
    return json.loads((COOKBOOK / path).read_text())


@pytest.mark.parametrize(("path", "valid", "_why"), COOKBOOK_CASES)
def test_rfc7520_compact_examples_verify(path, valid, _why):
    case = _cookbook(path)
    jwk = {k: v for k, v in case["input"]["key"].items() if k not in PRIVATE}
    alg = case["input"]["alg"]
    symmetric = jwk.get("kty") == "oct"
    jwk.setdefault("alg", alg)
    keyset = KeySet.from_jwks({"keys": [jwk]}, allow_symmetric=symmetric, allow_kidless=True)
    verifier = Verifier(
        issuer="unused", audience="unused", keys=StaticKeys(keyset), profile=ALL_ALGORITHMS
    )
    result = verifier.verify_jws(case["output"]["compact"])
    assert result.valid is valid, result.detail
    assert result.payload.decode() == case["input"]["payload"]


def test_rfc7520_tampered_example_is_rejected():
    case = _cookbook("jws/4_1.rsa_v15_signature.json")
    jwk = {k: v for k, v in case["input"]["key"].items() if k not in PRIVATE}
    keyset = KeySet.from_jwks({"keys": [jwk]}, default_alg="RS256")
    verifier = Verifier(
        issuer="unused", audience="unused", keys=StaticKeys(keyset), profile=ALL_ALGORITHMS
    )
    header, payload, signature = case["output"]["compact"].split(".")
    tampered = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}"
    assert verifier.verify_jws(f"{tampered}.{signature}").reason in {
        "bad_signature",
        "malformed",
    }


@pytest.mark.parametrize(
    "path",
    ["jws/4_5.signature_with_detached_content.json", "rfc7797/hmac-sha2_b64_false.json"],
)
def test_rfc7520_detached_and_unencoded_payloads_are_refused(path):
    case = _cookbook(path)
    compact = case["output"].get("compact")
    if not compact:
        pytest.skip("no compact form")
    jwk = case["input"]["key"]
    keyset = KeySet.from_jwks({"keys": [jwk]}, allow_symmetric=True, allow_kidless=True)
    verifier = Verifier(
        issuer="unused", audience="unused", keys=StaticKeys(keyset), profile=ALL_ALGORITHMS
    )
    assert not verifier.verify_jws(compact).valid


def test_rfc7520_json_serializations_are_refused():
    case = _cookbook("jws/4_1.rsa_v15_signature.json")
    jwk = {k: v for k, v in case["input"]["key"].items() if k not in PRIVATE}
    keyset = KeySet.from_jwks({"keys": [jwk]}, default_alg="RS256")
    verifier = Verifier(
        issuer="unused", audience="unused", keys=StaticKeys(keyset), profile=ALL_ALGORITHMS
    )
    for form in ("json", "json_flat"):
        assert verifier.verify_jws(json.dumps(case["output"][form])).reason == "malformed"
