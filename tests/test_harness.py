"""What the test run changes for speed stays in the test run, and parallel workers stay apart
(docs/decisions/test-suite-speed.md)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher, make_password
from django.core.cache import cache

from tests.browser.conftest import screenshot
from tests.conftest import FAST_PASSWORD_HASHERS

ROOT = Path(__file__).resolve().parent.parent


def test_tests_hash_passwords_with_md5_and_the_portal_with_pbkdf2():
    # the test process
    assert settings.PASSWORD_HASHERS == FAST_PASSWORD_HASHERS
    assert identify_hasher(make_password("x")).algorithm == "md5"
    # the portal's own settings, as a server or a command loads them
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings as s; print(s.PASSWORD_HASHERS[0])",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def test_production_password_hasher_hashes_as_the_portal_does(production_password_hasher):
    assert identify_hasher(make_password("x")).algorithm == "pbkdf2_sha256"


def test_no_screenshot_is_written_unless_make_screenshots_asks(tmp_path, monkeypatch):
    class Page:
        def screenshot(self, path, **options):
            Path(path).write_bytes(b"png")

    monkeypatch.delenv("SCREENSHOTS_DIR", raising=False)
    assert screenshot(Page(), tmp_path / "a.png") is False
    assert not (tmp_path / "a.png").exists()
    monkeypatch.setenv("SCREENSHOTS_DIR", str(tmp_path))
    assert screenshot(Page(), tmp_path / "b.png", full_page=True) is True
    assert (tmp_path / "b.png").read_bytes() == b"png"


@pytest.mark.skipif(
    not os.environ.get("PYTEST_XDIST_WORKER") or not os.environ.get("REDIS_URL"),
    reason="needs pytest-xdist workers sharing Redis (make test with REDIS_URL)",
)
def test_a_worker_clears_its_own_redis_keys_only():
    worker = os.environ["PYTEST_XDIST_WORKER"]
    location = settings.CACHES["default"]["LOCATION"]
    other = redis.Redis.from_url(location)
    try:
        # given a key of this worker and one of another worker's prefix
        cache.set("probe", 1)
        other.set("test-gw-other:1:probe", b"kept")
        assert cache.make_key("probe").startswith(f"test-{worker}:")
        # when this worker clears the cache, as every test does
        cache.clear()
        # then its key is gone and the other worker's is not
        assert cache.get("probe") is None
        assert other.get("test-gw-other:1:probe") == b"kept"
    finally:
        other.delete("test-gw-other:1:probe")
        other.close()
