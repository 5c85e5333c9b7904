"""Tokens signed inside the HSM, as a platform sees them: the token API answers as for any
key, the signature verifies against the published JWKS with an independent library
(jwcrypto, not the PyJWT that signs), and a token that cannot be reached fails closed.

JWS: RFC 7515 section 5.2 (validation); algorithms RFC 7518 sections 3.3 (RS256), 3.4
(ES256: R || S, 64 bytes) and 3.5 (PS256); JWKS RFC 7517 section 5.
"""

import json
import os
import threading

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse
from jwcrypto import jwk, jws, jwt
from jwt import encode as jwt_encode

from brands import keycache, services
from brands.keystores import pkcs11
from brands.models import SigningKey
from messaging.models import TokenIssue

pytestmark = pytest.mark.django_db
URL = reverse("messaging:token")


def _token(client, messenger):
    return client.post(
        URL, json.dumps({"messenger": messenger.slug}), content_type="application/json"
    )


def _verify_independently(client, brand, token: str, algorithm: str) -> dict:
    """What a platform does: fetch the brand's JWKS over HTTP, pick the key by kid, verify."""
    keyset = jwk.JWKSet.from_json(
        client.get(f"/brands/{brand.slug}/.well-known/jwks.json").content
    )
    parsed = jws.JWS()
    parsed.deserialize(token)
    kid = parsed.jose_header["kid"]
    parsed.verify(keyset.get_key(kid), alg=algorithm)
    return json.loads(parsed.payload)


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256"])
def test_a_token_signed_in_the_hsm_verifies_against_the_published_jwks(
    verified_client, hsm_brand, customer, algorithm
):
    key = services.signing_key_generate(brand=hsm_brand, algorithm=algorithm, activate=True)
    messenger = services.messenger_create(
        brand=hsm_brand, slug="acme-hsm", platform="generic", algorithm=algorithm
    )

    response = _token(verified_client, messenger)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kid"] == key.kid
    claims = _verify_independently(verified_client, hsm_brand, body["token"], algorithm)
    assert claims["sub"] == customer.customer_id and claims["aud"] == messenger.audience
    # and with jwcrypto's full JWT validation (signature, exp), as a second opinion
    keyset = jwk.JWKSet.from_json(
        verified_client.get(f"/brands/{hsm_brand.slug}/.well-known/jwks.json").content
    )
    jwt.JWT(jwt=body["token"], key=keyset, algs=[algorithm], expected_type="JWS")


def test_signing_keeps_one_login_and_one_session_per_process(
    verified_client, hsm_key, monkeypatch
):
    messenger = services.messenger_create(brand=hsm_key.brand, slug="acme-hsm")
    logins, finds = [], []
    token_init, find = pkcs11._Token.__init__, pkcs11._Session.private_key

    def counting_init(self, *args, **kwargs):
        logins.append(1)
        token_init(self, *args, **kwargs)

    def counting_find(self, handle):
        if handle not in self.keys:
            finds.append(handle)
        return find(self, handle)

    monkeypatch.setattr(pkcs11._Token, "__init__", counting_init)
    monkeypatch.setattr(pkcs11._Session, "private_key", counting_find)
    pkcs11.reset()
    keycache.clear()

    for _ in range(20):
        assert _token(verified_client, messenger).status_code == 200

    # one C_Login and one C_FindObjects for twenty signatures: sessions and objects are kept
    assert len(logins) == 1 and finds == [hsm_key.store_handle]


def test_a_wrong_pin_answers_503_keystore_unavailable_and_marks_nothing(
    verified_client, hsm_key, settings
):
    messenger = services.messenger_create(brand=hsm_key.brand, slug="acme-hsm")
    settings.PKCS11_PIN_SECRET = "11111111"
    pkcs11.reset()
    keycache.clear()

    response = _token(verified_client, messenger)

    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "keystore_unavailable" and "acme" in body["detail"]
    assert "11111111" not in response.content.decode()
    assert settings.PKCS11_TOKEN_LABEL not in response.content.decode()
    hsm_key.refresh_from_db()
    assert hsm_key.unusable_reason == "" and hsm_key.is_usable  # the store's fault, not the key's
    assert not TokenIssue.objects.exists()  # nothing signed, nothing audited


def test_a_token_that_goes_away_fails_closed_and_signing_resumes_when_it_is_back(
    verified_client, hsm_key, settings
):
    messenger = services.messenger_create(brand=hsm_key.brand, slug="acme-hsm")
    assert _token(verified_client, messenger).status_code == 200  # key cached, session open
    label = settings.PKCS11_TOKEN_LABEL

    settings.PKCS11_TOKEN_LABEL = "unplugged"  # the configured token is no longer there
    away = _token(verified_client, messenger)
    assert away.status_code == 503 and away.json()["error"] == "keystore_unavailable"
    # the customer learns whose service is down, nothing about the HSM (the log has that)
    assert "acme" in away.json()["detail"] and label not in away.content.decode()

    settings.PKCS11_TOKEN_LABEL = label
    back = _token(verified_client, messenger)
    assert back.status_code == 200
    assert SigningKey.objects.get(pk=hsm_key.pk).is_usable


def test_readyz_is_ready_with_a_reachable_hsm_key(client, hsm_key):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content


def test_readyz_names_the_brand_whose_hsm_cannot_be_reached(client, hsm_key, settings):
    assert client.get("/readyz").status_code == 200  # the key is loaded and cached
    settings.PKCS11_PIN_SECRET = "22222222"  # e.g. the PIN was changed in the HSM, not here
    pkcs11.reset()

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["signing_keys"]
    assert "acme" in body["checks"]["signing_keys"] and "HSM" in body["checks"]["signing_keys"]
    assert "22222222" not in response.content.decode()


def test_threads_of_one_process_sign_at_once_without_errors(hsm_key):
    # gunicorn's gthread workers sign from several threads; the module was initialised
    # without locking, so the store must serialise the calls itself (SoftHSM2 otherwise
    # answers CKR_GENERAL_ERROR to concurrent C_Sign calls)
    loaded = keycache.signing_key(brand=hsm_key.brand, algorithm="RS256")
    public = jwk.JWK(**hsm_key.jwk())
    failures, tokens = [], []

    def work():
        for n in range(25):
            try:
                tokens.append(
                    jwt_encode(
                        {"n": n}, loaded.key, algorithm="RS256", headers={"kid": loaded.kid}
                    )
                )
            except Exception as exc:  # collected: the assertion below names them
                failures.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == [] and len(tokens) == 150
    for token in tokens[::10]:
        jws.JWS().deserialize(token, key=public, alg="RS256")  # raises if a signature is bad


def test_a_forked_worker_logs_in_again_and_signs(hsm):
    # gunicorn forks its workers from a master that may have used the token (--preload, a
    # readiness check): the child must initialise the module and log in on its own
    key = pkcs11.generate(algorithm="ES256", key_size=None, label="fork test")
    key.sign(b"parent", ec.ECDSA(hashes.SHA256()))  # the parent is logged in, session open
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        os.close(read)
        try:
            signature = key.sign(b"worker", ec.ECDSA(hashes.SHA256()))
            key.public_key().verify(signature, b"worker", ec.ECDSA(hashes.SHA256()))
            os.write(write, b"ok")
        except BaseException as exc:  # reported to the parent, which asserts
            os.write(write, type(exc).__name__.encode())
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 200)
    os.waitpid(pid, 0)
    os.close(read)

    assert answer == b"ok"
    key.sign(b"parent again", ec.ECDSA(hashes.SHA256()))  # the parent's session still works
    pkcs11.destroy(handle=key.handle)
