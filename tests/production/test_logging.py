"""JSON logs with a request id on every line and in ``X-Request-ID``; nothing secret in them
(issue 12, point 5)."""

import io
import json
import logging

import pytest

from config.logs import JsonFormatter
from config.request_id import RequestIdFilter

TOKEN_API = "/api/v1/messaging/token"


@pytest.fixture
def log_lines():
    """Everything logged (root and django loggers, DEBUG and up) as parsed JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(), logging.getLogger("django")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)
    stream.seek(0)


def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_well_formed_request_id_from_the_proxy_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.42_x")
    assert response["X-Request-ID"] == "lb-7f3a.42_x"


def test_a_malformed_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='evil"\n{"level":"INFO"}')
    assert response["X-Request-ID"] != 'evil"\n{"level":"INFO"}'
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_every_line_of_a_token_request_is_json_with_its_request_id_and_nothing_secret(
    verified_client, messenger, signing_key, log_lines
):
    # when a customer gets a token
    response = verified_client.post(
        TOKEN_API, {"messenger": messenger.slug}, content_type="application/json"
    )
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    lines = log_lines()
    # then the request logged something, every line JSON with the request's id
    assert lines
    assert {line["request_id"] for line in lines} == {request_id}
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    issued = [line for line in lines if line["message"].startswith("token issued")]
    assert issued and response.json()["kid"] in issued[0]["message"]
    # and no secret appears anywhere in them
    text = json.dumps(lines)
    token = response.json()["token"]
    for secret in (
        token,
        token.split(".")[2],
        verified_client.cookies["sessionid"].value,
        signing_key.private_key_ciphertext[:40],
    ):
        assert secret not in text


@pytest.mark.django_db
def test_a_failing_request_logs_its_request_id(client, log_lines):
    response = client.post(TOKEN_API, {"messenger": "x"}, content_type="application/json")
    assert response.status_code == 401
    assert {line["request_id"] for line in log_lines()} == {response["X-Request-ID"]}
