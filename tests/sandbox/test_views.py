"""Sessions, messages, the chat window and the agent console."""

import time

import pytest
from django.test import Client

from sandbox.models import Conversation, Message, Rejection
from tests.sandbox import helpers
from tests.sandbox.helpers import claims, mint

SESSIONS = "/sandbox/api/sessions"


@pytest.fixture
def portal(stub_portal):
    return stub_portal


def open_session(client, token, **extra):
    body = {"messenger": "acme-web", "token": token, **extra}
    return client.post(SESSIONS, body, content_type="application/json")


@pytest.fixture
def conversation(db, client, portal, rsa_key):
    response = open_session(client, mint(rsa_key), clicked_at=int(time.time() * 1000) - 1500)
    assert response.status_code == 201, response.json()
    data = response.json()
    return Conversation.objects.get(pk=data["conversation"]), data["secret"]


# --- POST /sandbox/api/sessions -----------------------------------------------------
def test_certified_attributes_are_cut_to_what_the_conversation_stores(db, client, portal, rsa_key):
    long = {
        "firstName": "A" * 400,
        "accountTier": "t" * 100,
        "currency": "EURO-DOLLAR",
        "isVip": "yes",
    }
    response = open_session(client, mint(rsa_key, claims(**long)))
    assert response.status_code == 201, response.json()
    c = Conversation.objects.get(pk=response.json()["conversation"])
    field = Conversation._meta.get_field
    assert c.first_name == "A" * field("first_name").max_length
    assert c.account_tier == "t" * field("account_tier").max_length
    assert c.currency == "EURO-DOLLAR"[: field("currency").max_length]
    assert c.is_vip is None  # a VIP flag must be a JSON boolean
    assert response.json()["identity"]["firstName"] == c.first_name


def test_verified_session_creates_a_conversation(db, client, portal, rsa_key):
    clicked = int(time.time() * 1000) - 2000
    token = mint(rsa_key)
    response = open_session(
        client, token, clicked_at=clicked, page_attributes={"plan": "Gold?", "nested": {"x": 1}}
    )
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["status"] == "verified"
    assert data["identity"]["firstName"] == "Ada"
    assert data["identity"]["sub"] == "cust-7f3a"
    assert data["identity"]["kid"] == "rsa-1"
    assert len(data["secret"]) >= 40
    c = Conversation.objects.get(pk=data["conversation"])
    assert (c.first_name, c.last_name, c.account_tier, c.is_vip) == (
        "Ada",
        "Lovelace",
        "gold",
        True,
    )
    assert (c.account_balance, c.currency, c.subject) == ("1234.56", "EUR", "cust-7f3a")
    assert (c.brand, c.messenger, c.kid, c.alg, c.issuer) == (
        "acme",
        "acme-web",
        "rsa-1",
        "RS256",
        helpers.ISSUER,
    )
    assert 1900 <= c.gap_ms < 60_000
    assert c.received_at <= c.verified_at
    assert c.token_expires_at.timestamp() == pytest.approx(time.time() + 300, abs=5)
    assert c.page_attributes == {"plan": "Gold?"}
    assert c.secret_hash != data["secret"] and c.check_secret(data["secret"])
    assert token not in str(c.identity)


def test_clicked_at_as_iso_and_garbage(db, client, portal, rsa_key):
    iso = "2020-01-01T00:00:00Z"
    data = open_session(client, mint(rsa_key), clicked_at=iso).json()
    assert Conversation.objects.get(pk=data["conversation"]).clicked_at.year == 2020
    # another customer (the same one would join the open conversation)
    data = open_session(client, mint(rsa_key, claims(sub="cust-other")), clicked_at="soon").json()
    c = Conversation.objects.get(pk=data["conversation"])
    assert c.clicked_at is None and c.gap_ms is None


def test_rejected_token_is_401_and_recorded(db, client, portal, attacker_key):
    token = mint(attacker_key)
    response = open_session(client, token, clicked_at=1)
    assert response.status_code == 401
    data = response.json()
    assert data["error"] == "token_rejected"
    assert data["reason"] == "bad_signature"
    assert data["detail"]
    rejection = Rejection.objects.get()
    assert (rejection.reason, rejection.brand, rejection.messenger, rejection.kid) == (
        "bad_signature",
        "acme",
        "acme-web",
        "rsa-1",
    )
    assert rejection.client_address == "127.0.0.1"
    assert len(rejection.token_fingerprint) == 64
    assert token not in str(rejection.__dict__)
    assert Conversation.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"payload": claims(aud="other")}, "wrong_audience"),
        ({"payload": claims(exp=int(time.time()) - 100)}, "expired"),
        ({"alg": "none"}, "unsupported_algorithm"),
        ({"kid": "nope"}, "unknown_key"),
        ({"typ": "at+jwt"}, "wrong_type"),
    ],
)
def test_each_reason_reaches_the_client(db, client, portal, rsa_key, kwargs, reason):
    response = open_session(client, mint(rsa_key, **kwargs))
    assert (response.status_code, response.json()["reason"]) == (401, reason)
    assert Rejection.objects.get().reason == reason


def test_a_token_opens_one_conversation_only(db, client, portal, rsa_key):
    token = mint(rsa_key)
    assert open_session(client, token).status_code == 201
    response = open_session(client, token)
    assert (response.status_code, response.json()["reason"]) == (401, "replayed")


@pytest.mark.parametrize("token", [None, 5, "", "a.b.c", "x" * 10_000])
def test_garbage_tokens_are_rejections_not_errors(db, client, portal, token):
    response = open_session(client, token)
    assert response.status_code == 401
    assert response.json()["reason"] in {"malformed", "too_large"}


def test_unknown_messenger_is_404(db, client, portal, rsa_key):
    body = {"messenger": "nope", "token": mint(rsa_key)}
    response = client.post(SESSIONS, body, content_type="application/json")
    assert (response.status_code, response.json()["error"]) == (404, "unknown_messenger")


def test_bad_requests_are_400(db, client, portal):
    assert (
        client.post(SESSIONS, {"token": "x"}, content_type="application/json").status_code == 400
    )
    assert client.post(SESSIONS, "[1]", content_type="application/json").status_code == 400
    response = client.post(SESSIONS, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"error", "detail"}


def test_jwks_down_is_503_and_recorded(db, client, portal, rsa_key):
    portal.status = 500
    response = open_session(client, mint(rsa_key))
    assert (response.status_code, response.json()["reason"]) == (503, "jwks_unavailable")
    assert Rejection.objects.get().reason == "jwks_unavailable"


def test_portal_down_is_503(db, client, settings, rsa_key):
    settings.SANDBOX_PORTAL_URL = "http://127.0.0.1:9"
    response = open_session(client, mint(rsa_key))
    assert (response.status_code, response.json()["reason"]) == (503, "jwks_unavailable")


def test_sessions_endpoint_needs_no_csrf(db, portal, rsa_key):
    strict = Client(enforce_csrf_checks=True)
    assert open_session(strict, mint(rsa_key)).status_code == 201


# --- messages ---------------------------------------------------------------------------
def messages_url(c):
    return f"/sandbox/api/conversations/{c.pk}/messages"


def test_customer_and_agent_exchange_messages(conversation, client, staff_client):
    c, secret = conversation
    headers = {"X-Conversation-Secret": secret}
    response = client.post(
        messages_url(c),
        {"body": "Hello, my card is blocked"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201
    first = response.json()["id"]
    response = staff_client.post(
        messages_url(c), {"body": "Hi Ada, let me help"}, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["agent"] == "Sam Staff"
    data = client.get(messages_url(c), {"after": first}, headers=headers).json()
    assert [m["body"] for m in data["messages"]] == ["Hi Ada, let me help"]
    data = staff_client.get(messages_url(c)).json()
    assert [m["sender"] for m in data["messages"]] == ["customer", "agent"]


def test_messages_need_the_secret_or_a_verified_staff_session(
    conversation, client, password_only_client, verified_client, staff_user
):
    c, _secret = conversation
    assert client.get(messages_url(c)).status_code == 403
    assert client.get(messages_url(c), headers={"X-Conversation-Secret": "x"}).status_code == 403
    assert verified_client.get(messages_url(c)).status_code == 403  # a customer, not staff
    staff_no_otp = Client()
    staff_no_otp.force_login(staff_user)
    assert staff_no_otp.get(messages_url(c)).status_code == 403
    assert client.get("/sandbox/api/conversations/not-a-uuid/messages").status_code == 404


def test_agent_post_is_csrf_checked(conversation, staff_user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import login_verified

    c, _ = conversation
    device = TOTPDevice.objects.create(user=staff_user, name="t", confirmed=True)
    strict = login_verified(Client(enforce_csrf_checks=True), staff_user, device)
    response = strict.post(messages_url(c), {"body": "hi"}, content_type="application/json")
    assert response.status_code == 403


@pytest.mark.parametrize("body", ["", "   ", None, 5, "x" * 2001])
def test_message_body_is_validated(conversation, client, body):
    c, secret = conversation
    response = client.post(
        messages_url(c),
        {"body": body},
        content_type="application/json",
        headers={"X-Conversation-Secret": secret},
    )
    assert response.status_code == 400


# --- chat window --------------------------------------------------------------------------
def test_chat_window_is_frameable_same_origin_only(client):
    response = client.get("/sandbox/chat/", {"messenger": "acme-web"})
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp
    assert "script-src 'self'" in csp
    html = response.content.decode()
    assert 'data-messenger="acme-web"' in html
    assert '<script type="module" src="/static/sandbox/chat.js">' in html
    assert "<script>" not in html and "onclick" not in html


def test_chat_window_escapes_the_messenger(client):
    html = client.get("/sandbox/chat/", {"messenger": '"><script>x</script>'}).content.decode()
    assert "<script>x" not in html


def test_static_assets_exist():
    from django.contrib.staticfiles import finders

    for name in (
        "sandbox/chat.js",
        "sandbox/console.js",
        "sandbox/console.css",
        "sandbox/sandbox.css",
    ):
        assert finders.find(name), name


def test_other_pages_keep_the_deny_framing_policy(conversation, staff_client):
    response = staff_client.get("/sandbox/console/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


# --- agent console -------------------------------------------------------------------------
def test_console_requires_verified_staff(db, client, staff_user, verified_client):
    # unauthenticated: the portal's own login, coming back here
    response = client.get("/sandbox/console/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fsandbox%2Fconsole%2F"
    # password only: the second step, coming back here
    staff_no_otp = Client()
    staff_no_otp.force_login(staff_user)
    response = staff_no_otp.get("/sandbox/console/")
    assert response["Location"] == "/login/verify/?next=%2Fsandbox%2Fconsole%2F"
    # a verified customer: not for them
    assert verified_client.get("/sandbox/console/").status_code == 403


def test_console_queue_shows_verified_and_rejected(
    db, client, portal, rsa_key, attacker_key, staff_client
):
    open_session(
        client,
        mint(rsa_key),
        clicked_at=int(time.time() * 1000),
        page_attributes={"declaredName": "<script>alert(1)</script>", "vip": True},
    )
    open_session(client, mint(attacker_key))
    html = staff_client.get("/sandbox/console/").content.decode()
    assert "VERIFIED" in html and "REJECTED" in html
    assert "bad_signature" in html
    for text in ("Ada Lovelace", "gold", "VIP", "acme-web"):
        assert text in html
    # the certified attributes and the untrusted ones are on the conversation's own page
    c = Conversation.objects.get()
    html = staff_client.get(f"/sandbox/console/conversations/{c.pk}/").content.decode()
    for text in ("Ada Lovelace", "gold", "1234.56 EUR", "cust-7f3a", "rsa-1", helpers.ISSUER):
        assert text in html
    assert "(untrusted)" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_console_conversation_and_reply(conversation, staff_client):
    c, _ = conversation
    url = f"/sandbox/console/conversations/{c.pk}/"
    html = staff_client.get(url).content.decode()
    assert "VERIFIED" in html and "Ada Lovelace" in html and "Certified" in html
    response = staff_client.post(url, {"body": "How can I help?"})
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.sender, message.body, message.agent_name) == (
        "agent",
        "How can I help?",
        "Sam Staff",
    )
    assert "How can I help?" in staff_client.get(url).content.decode()
    staff_client.post(url, {"body": ""})
    assert Message.objects.count() == 1


def test_sessions_endpoint_is_throttled_per_address(db, client, portal):
    codes = [open_session(client, "a.b.c").status_code for _ in range(61)]
    assert codes[:60] == [401] * 60
    assert codes[60] == 429
    assert Rejection.objects.count() == 60


def test_admin_lists_are_read_only(db, conversation, staff_client):
    response = staff_client.get("/admin/sandbox/conversation/")
    assert response.status_code == 200
    assert staff_client.get("/admin/sandbox/rejection/").status_code == 200
    assert staff_client.get("/admin/sandbox/conversation/add/").status_code == 403
