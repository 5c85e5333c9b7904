"""Start-up refuses to run without its secrets when DEBUG is off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Variables of the test process that must not leak into a "production" start-up.
NOT_INHERITED = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "SANDBOX_ENABLED", "REDIS_URL"}
REQUIRED = {
    "SECRET_KEY": "k3J9-vQ2x_Lw8ZrT5nB1yH6cF0dM4pA7sE9uG2iK8oR3tW6zX1qV5bN0mC4jY7hD",
    "ALLOWED_HOSTS": "portal.example.com",
    "PUBLIC_BASE_URL": "https://portal.example.com",
    "KEY_ENCRYPTION_KEYS": "p6Rz0lRW2hB1bqbWzX0Vv6wXr3Xw8CkN3Wcq5sQe3mE=",
}

# A production start-up also names its shared cache (checked, never connected to here).
SHARED_CACHE = {"REDIS_URL": "redis://127.0.0.1:6379/15"}


def _check(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in REQUIRED and k not in NOT_INHERITED}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_start_up_refuses_a_missing_secret_when_debug_is_off(missing):
    env = {k: v for k, v in REQUIRED.items() if k != missing}
    result = _check({**env, "DEBUG": "false"})
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_start_up_with_every_secret_succeeds():
    result = _check({**REQUIRED, **SHARED_CACHE, "DEBUG": "false"})
    assert result.returncode == 0, result.stderr


def test_a_production_server_refuses_a_process_local_cache():
    clean = {k: v for k, v in os.environ.items() if k not in REQUIRED and k not in NOT_INHERITED}
    env = {**clean, **REQUIRED, "DEBUG": "false"}
    # check --deploy reports it
    deploy = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert deploy.returncode != 0
    assert "brands.E020" in deploy.stderr and "REDIS_URL" in deploy.stderr
    # and the WSGI application (what gunicorn loads) refuses to start
    wsgi = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert wsgi.returncode != 0 and "brands.E020" in wsgi.stderr
    # with a shared cache it starts
    shared = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env={**env, **SHARED_CACHE},
        capture_output=True,
        text=True,
        check=False,
    )
    assert shared.returncode == 0, shared.stderr


def test_debug_derives_development_values_with_a_one_line_notice():
    result = _check({"DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "Development mode (DEBUG=true): development values for SECRET_KEY, ALLOWED_HOSTS, "
        "PUBLIC_BASE_URL, KEY_ENCRYPTION_KEYS; never run production like this."
    ]
    assert "WARNING" not in result.stderr + result.stdout


def test_check_deploy_is_clean_with_production_settings():
    clean = {k: v for k, v in os.environ.items() if k not in REQUIRED and k not in NOT_INHERITED}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **REQUIRED, **SHARED_CACHE, "DEBUG": "false"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_openapi_schema_documents_the_token_api(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/v1/messaging/token" in schema and "TokenIssueOutput" in schema
    assert "/sandbox/" not in schema


def test_the_sandbox_is_not_served_in_production_unless_enabled():
    script = (
        "from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/sandbox/console/')\n    print('served')\n"
        "except Resolver404:\n    print('absent')\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in REQUIRED and k not in NOT_INHERITED}
    base = {**clean, **REQUIRED, "DEBUG": "false"}

    def run(extra):
        return subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
            cwd=ROOT,
            env={**base, **extra},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    assert run({}) == "absent"
    assert run({"SANDBOX_ENABLED": "true"}) == "served"


def test_logs_are_json_in_production_and_readable_text_in_development():
    script = (
        "import logging\nlogging.getLogger('brands.services').warning('key rotated kid=abc')\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in REQUIRED and k not in NOT_INHERITED}

    def logged(extra):
        return (
            subprocess.run(
                [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
                cwd=ROOT,
                env={**clean, **extra, "LOG_FORMAT": extra.get("LOG_FORMAT", "")},
                capture_output=True,
                text=True,
                check=True,
            )
            .stderr.strip()
            .splitlines()[-1]
        )

    production = logged({**REQUIRED, **SHARED_CACHE, "DEBUG": "false"})
    assert production.startswith("{") and '"message": "key rotated kid=abc"' in production
    development = logged({"DEBUG": "true"})
    assert development.endswith("WARNING brands.services [-] key rotated kid=abc")
    assert logged({"DEBUG": "true", "LOG_FORMAT": "json"}).startswith("{")
