"""The reports' speed targets: report pages and ``report --json`` under 1 s over 10 million events,
and event recording that does not slow the token endpoint measurably.

Two modes; each prints a Markdown table and appends its figures to
docs/benchmarks/history.jsonl (``BENCH_WRITE_DOCS=0`` skips):

``python scripts/benchmark_reports.py reports``
    Against the database of DATABASE_URL as it is (fill it first with
    ``manage.py seed_demo && manage.py generate_events --count 10000000``). Reads only, apart
    from one staff user it creates to render the pages. Times every period (today, 7 days,
    30 days, a custom 400 days = everything) for all brands, one brand and one messenger:
    the figures, the rendered report page, its CSV export, the drill-down page of one signal
    (replayed tokens) and ``report --json``. Periods over 31 days read whole past days from
    the daily rollups: run ``manage.py rollup_events`` first (the script times it). Each is run
    ``BENCH_RUNS`` times (default 5); the table shows the first (cold) run, the median and the
    max of the rest.

``python scripts/benchmark_reports.py token``
    On a throwaway test database: ``POST /api/v1/messaging/token`` with the event INSERT and
    with it replaced by a no-op, interleaved in rounds of 50 so drift hits both alike
    (``BENCH_N`` requests each, default 1000).
"""

import io
import json
import os
import statistics
import sys
import time
from datetime import timedelta

import bench_history
import bench_setup  # noqa: F401  (project path, throwaway settings, django.setup())
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import override_settings, setup_test_environment
from django.utils import timezone

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
N = int(os.environ.get("BENCH_N", "1000"))


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def reports() -> None:
    from accounts.models import User
    from brands.models import Messenger
    from messaging.models import AuthEvent
    from reports import views
    from reports.forms import period_bounds
    from reports.selectors import Scope, report_figures

    total = AuthEvent.objects.count()
    messenger = Messenger.objects.select_related("brand").order_by("pk").first()
    brand = messenger.brand
    staff, _ = User.objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    staff.is_verified = lambda: True
    factory = RequestFactory()

    def page(query: str, csv: bool = False, view=views.report_view, **extra):
        params = {**dict(q.split("=") for q in query.split("&")), **extra}
        if csv:
            params["format"] = "csv"
        request = factory.get("/admin/reports/", params)
        request.user = staff
        request.session = {}
        response = view(request)
        assert response.status_code == 200, response.status_code

    def command(args: list[str]):
        out = io.StringIO()
        call_command("report", *args, "--json", stdout=out)
        json.loads(out.getvalue())

    now = timezone.now()
    periods = {
        "today": (*period_bounds("today", now=now), "period=today"),
        "7 days": (*period_bounds("7d", now=now), "period=7d"),
        "30 days": (*period_bounds("30d", now=now), "period=30d"),
        "custom 400 days": (
            now - timedelta(days=400),
            now,
            f"period=custom&since={(now - timedelta(days=400)).date()}&until={now.date()}",
        ),
    }
    filters = {
        "all brands": ({}, "", []),
        f"brand {brand.slug}": ({"brand": brand}, f"&brand={brand.slug}", ["--brand", brand.slug]),
        f"messenger {messenger.slug}": (
            {"messenger": messenger},
            f"&messenger={messenger.slug}",
            ["--messenger", messenger.slug],
        ),
    }
    out = io.StringIO()
    rollup_ms = _ms(lambda: call_command("rollup_events", "--no-progress", stdout=out))
    print(f"database: {connection.vendor}; events: {total:,}; runs: {RUNS}")
    print(f"rollup_events: {out.getvalue().strip()} in {rollup_ms / 1000:.1f} s\n")
    context = {"date": bench_history.run_date(), "command": "scripts/benchmark_reports.py reports"}
    records = []
    print("| what | period | filter | events in scope | cold ms | median ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for period, (since, until, query) in periods.items():
        for name, (scope_kw, page_q, cmd) in filters.items():
            scope = Scope(since=since, until=until, **scope_kw)
            in_scope = scope.events().count()
            args = [*cmd, "--since", since.isoformat(), "--until", until.isoformat()]
            for what, fn in (
                ("figures", lambda scope=scope: report_figures(scope)),
                ("page", lambda q=query + page_q: page(q)),
                ("CSV", lambda q=query + page_q: page(q, csv=True)),
                (
                    "events page",
                    lambda q=query + page_q: page(
                        q, view=views.events_view, kind="platform_rejected", reason="replayed"
                    ),
                ),
                ("report --json", lambda a=args: command(a)),
            ):
                samples = [_ms(fn) for _ in range(RUNS)]
                warm = samples[1:] or samples
                print(
                    f"| {what} | {period} | {name} | {in_scope:,} | {samples[0]:.0f} "
                    f"| {statistics.median(warm):.0f} | {max(warm):.0f} |"
                )
                records.append(
                    {**context, "scenario": what, "period": period, "filter": name,
                     "events_in_scope": in_scope, "cold_ms": round(samples[0]),
                     "median_ms": round(statistics.median(warm)), "max_ms": round(max(warm))}
                )  # fmt: skip
            sys.stdout.flush()
    if bench_history.enabled():
        bench_history.append(records)


@override_settings(
    MESSAGING_TOKEN_RATE_PER_CUSTOMER="1000000/min", MESSAGING_TOKEN_RATE_PER_ADDRESS="1000000/min"
)
def token() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from benchmark import bench_world

        from messaging import events
        from messaging.models import AuthEvent

        _, _, client = bench_world()

        def post():
            response = client.post(
                "/api/v1/messaging/token",
                json.dumps({"messenger": "bench-web"}),
                content_type="application/json",
            )
            assert response.status_code == 200

        real = events.event_record
        with_event, without_event = [], []
        for _ in range(20):  # warm-up
            post()
        for _ in range(max(1, N // 50)):
            events.event_record = real
            with_event += [_ms(post) for _ in range(50)]
            events.event_record = lambda **kw: None
            without_event += [_ms(post) for _ in range(50)]
        events.event_record = real
        recorded = AuthEvent.objects.filter(kind="token_issued").count()

        context = {
            "date": bench_history.run_date(),
            "command": "scripts/benchmark_reports.py token",
        }
        records = []

        def row(name, samples):
            s = sorted(samples)
            median, p95, mean = statistics.median(s), s[int(len(s) * 0.95) - 1], statistics.mean(s)
            records.append(
                {**context, "scenario": name, "n": len(s), "median_ms": round(median, 2),
                 "p95_ms": round(p95, 2), "mean_ms": round(mean, 2)}
            )  # fmt: skip
            return f"| {name} | {len(s)} | {median:.2f} | {p95:.2f} | {mean:.2f} |"

        print(f"database: {connection.vendor}; token_issued events recorded: {recorded}\n")
        print("| POST /api/v1/messaging/token | n | median ms | p95 ms | mean ms |")
        print("|---|---|---|---|---|")
        print(row("with the event INSERT", with_event))
        print(row("event recording replaced by a no-op", without_event))
        if bench_history.enabled():
            bench_history.append(records)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    {"reports": reports, "token": token}[sys.argv[1] if len(sys.argv) > 1 else "reports"]()
