"""Two app servers share what must be shared: a key rotated or revoked by an operator (a
management command against the shared database and Redis) signs / stops signing on both
servers within 1 s; the token throttles and the one-time (backup) codes are shared.

What is checked is what a customer, a platform or an operator observes over HTTP. The
deployment is ``deployment.py``'s; every loop is bounded; every address is loopback.
"""

import re
import time

import requests

from tests.faults.deployment import (
    FAULT_TESTS,
    PASSWORD,
    TOKEN_API,
    jwt_header,
    published_kids,
)

pytestmark = FAULT_TESTS


def test_a_key_rotated_through_one_server_signs_on_the_other_within_a_second(deployment):
    deployment.assert_two_servers()
    deployment.redis.forget_throttles()
    # given both servers sign with the brand's RS256 key
    status_a, body_a, _ = deployment.token(deployment.a, 0)
    status_b, body_b, _ = deployment.token(deployment.b, 1)
    assert (status_a, status_b) == (200, 200)
    old_kid = body_a["kid"]
    assert body_b["kid"] == old_kid
    # when an operator generates and activates a new key
    new_kid = deployment.manage(
        "generate_signing_key", "bench", "--size", "2048", "--activate", "--force"
    ).strip()
    activated = time.monotonic()
    # then the other server signs with it within 1 s
    status, body, _ = deployment.token(deployment.b, 2)
    assert status == 200
    assert body["kid"] == new_kid != old_kid
    assert jwt_header(body["token"])["kid"] == new_kid
    assert time.monotonic() - activated < 1.0
    assert new_kid in published_kids(deployment.a)


def test_a_key_revoked_through_one_server_stops_signing_on_the_other_within_a_second(
    deployment,
):
    deployment.assert_two_servers()
    deployment.redis.forget_throttles()
    # given server A signs with the active RS256 key
    status, body, _ = deployment.token(deployment.a, 3)
    assert status == 200
    kid = body["kid"]
    # when an operator revokes it
    # "--": a kid is base64url and may start with "-"
    deployment.manage("revoke_signing_key", "--reason", "fault test", "--", kid)
    revoked = time.monotonic()
    # then server B refuses to sign (no active RS256 key left) and unpublishes it at once
    status, body, _ = deployment.token(deployment.b, 4)
    assert status == 503
    assert body["error"] == "no_signing_key"
    assert kid not in published_kids(deployment.b)
    assert time.monotonic() - revoked < 1.0
    # (a fresh key for the tests that follow)
    deployment.manage("generate_signing_key", "bench", "--size", "2048", "--activate", "--force")


def test_the_token_throttle_is_shared_by_the_two_servers(deployment):
    deployment.assert_two_servers()
    deployment.redis.forget_throttles()
    # given a customer allowed 5 tokens a minute (tests/faults/fault_settings.py)
    answers = [deployment.token(app, 5)[0] for app in (deployment.a, deployment.b) * 3]
    # then the sixth request, on either server, is refused
    assert answers == [200, 200, 200, 200, 200, 429]
    status, body, _ = deployment.token(deployment.a, 5)
    assert status == 429
    assert body["error"] == "throttled"


def _login(app, code: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(app.url("/login/"), timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    step = browser.post(
        app.url("/login/"),
        data={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        timeout=10,
    )
    assert step.url.endswith("/login/verify/"), (step.status_code, step.text[-800:])
    page = browser.get(app.url("/login/verify/"), timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    browser.last = browser.post(
        app.url("/login/verify/"),
        data={"code": code, "csrfmiddlewaretoken": csrf},
        timeout=10,
    )
    return browser


def _token_answer(app, browser: requests.Session) -> tuple[int, str]:
    csrf = browser.cookies.get("csrftoken", "")
    response = browser.post(
        app.url(TOKEN_API),
        json={"messenger": "bench-es"},
        headers={"X-CSRFToken": csrf, "X-Forwarded-For": "10.200.0.1"},
        timeout=10,
    )
    return response.status_code, response.json().get("error", "")


def test_a_backup_code_used_on_one_server_is_refused_by_the_other(deployment):
    deployment.assert_two_servers()
    deployment.redis.forget_throttles()
    # given alice logged in on server A with password and a backup code
    on_a = _login(deployment.a, deployment.backup_code)
    assert _token_answer(deployment.a, on_a) == (200, ""), on_a.last.text[-1500:]
    # when the same code is tried on server B
    on_b = _login(deployment.b, deployment.backup_code)
    # then B did not accept it: that session has no second factor
    assert _token_answer(deployment.b, on_b) == (403, "mfa_required")
