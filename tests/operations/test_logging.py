"""JSON logs with a request id on every line and in ``X-Request-ID``; nothing secret in them
(docs/decisions/logs.md)."""

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


# --- gunicorn's access log, in the format docs/deployment.md documents -----------------------


def _documented_access_log() -> tuple[str, str]:
    """The ``--access-logformat`` and ``--logger-class`` of docs/deployment.md, section 2."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs/deployment.md").read_text()
    block = text[text.index("## 2. gunicorn") :]
    fmt = re.search(r"--access-logformat '([^']+)'", block).group(1)
    logger_class = re.search(r"--logger-class (\S+)", block).group(1)
    return fmt, logger_class


@pytest.mark.parametrize(
    "path",
    [
        '/a\n{"level":"INFO","message":"forged"}',  # what gunicorn logs for /a%0A%7B...
        "/brands/x\x00/jwks.json",
        '/a"b\\c\r\td\u2028',
    ],
)
def test_an_access_log_line_stays_one_json_line_whatever_the_path(tmp_path, path):
    # given gunicorn's logger configured as documented
    from datetime import timedelta
    from types import SimpleNamespace

    from django.utils.module_loading import import_string
    from gunicorn.config import Config

    fmt, logger_class = _documented_access_log()
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", fmt)
    logger = import_string(logger_class)(cfg)
    # when a request with that (percent-decoded) path is logged
    response = SimpleNamespace(
        status="404 Not Found", sent=10, headers=[("X-Request-ID", "abc123")]
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/x",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": path,
        "QUERY_STRING": "",
    }
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    # then the log holds one line, valid JSON, with the path intact
    lines = (tmp_path / "access.log").read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert (entry["path"], entry["status"], entry["request_id"]) == (path, 404, "abc123")
