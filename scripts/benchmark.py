"""Measure the hot paths: token issuance (service and API) and JWKS serving.

Run with ``make benchmark`` (SQLite) or with DATABASE_URL/REDIS_URL set. It builds a throwaway
database through Django's test runner utilities, so it never touches your data, prints a
Markdown table and appends the figures to docs/benchmarks/history.jsonl (``BENCH_WRITE_DOCS=0``
skips).
"""

import json
import os
import statistics
import time

import bench_history
import bench_setup  # noqa: F401  (project path, throwaway settings, django.setup())
from django.db import connection
from django.test import Client
from django.test.utils import override_settings, setup_test_environment
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

N = int(os.environ.get("BENCH_N", "500"))


def _timed(fn, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _row(name: str, samples: list[float]) -> dict:
    """One operation's figures, as a history line (``bench_history``)."""
    samples = sorted(samples)
    return {
        "scenario": name,
        "n": len(samples),
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "max_ms": round(max(samples), 2),
    }


def bench_world():
    """One brand with an RS256-3072 key, a generic messenger, a customer and a Django test
    client whose session passed password and TOTP: what every token benchmark starts from.
    Call inside a throwaway test database."""
    from accounts.models import AccountTier
    from accounts.services import customer_create
    from brands import services as brand_services
    from brands.models import Brand

    AccountTier.objects.create(code="gold", name="Gold", rank=20, is_default=True)
    brand = Brand.objects.create(slug="bench", name="Bench Bank")
    brand_services.signing_key_generate(
        brand=brand, algorithm="RS256", key_size=3072, activate=True
    )
    messenger = brand_services.messenger_create(brand=brand, slug="bench-web", platform="generic")
    customer = customer_create(
        username="bench",
        email="b@example.com",
        first_name="B",
        last_name="Ench",
        brand_slugs=["bench"],
        password="a-long-bench-password-1",
    )
    device = TOTPDevice.objects.create(user=customer.user, name="t", confirmed=True)
    client = Client()
    client.force_login(customer.user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return customer, messenger, client


@override_settings(
    MESSAGING_TOKEN_RATE_PER_CUSTOMER="1000000/min", MESSAGING_TOKEN_RATE_PER_ADDRESS="1000000/min"
)
def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from messaging.services import token_issue

        customer, messenger, client = bench_world()
        token_issue(customer=customer, messenger=messenger)  # warm the key cache
        rows = [
            _row(
                "token_issue service (RS256-3072)",
                _timed(lambda: token_issue(customer=customer, messenger=messenger), N),
            ),
            _row(
                "POST /api/v1/messaging/token",
                _timed(
                    lambda: client.post(
                        "/api/v1/messaging/token",
                        json.dumps({"messenger": "bench-web"}),
                        content_type="application/json",
                    ),
                    N,
                ),
            ),
            _row(
                "GET /brands/bench/.well-known/jwks.json",
                _timed(lambda: client.get("/brands/bench/.well-known/jwks.json"), N),
            ),
            _row(
                "GET /.well-known/jwks.json (304)",
                _timed(
                    lambda: client.get(
                        "/.well-known/jwks.json",
                        HTTP_IF_NONE_MATCH=client.get("/.well-known/jwks.json")["ETag"],
                    ),
                    N,
                ),
            ),
        ]
        print(f"database: {connection.vendor}; N={N}\n")
        print("| operation | n | median ms | p95 ms | max ms |")
        print("|---|---|---|---|---|")
        for row in rows:
            print(
                f"| {row['scenario']} | {row['n']} | {row['median_ms']:.2f} | {row['p95_ms']:.2f} "
                f"| {row['max_ms']:.2f} |"
            )
        if bench_history.enabled():
            context = {"date": bench_history.run_date(), "command": "make benchmark"}
            bench_history.append([{**context, "database": connection.vendor, **r} for r in rows])
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
