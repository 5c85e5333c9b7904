"""The staff report pages (behind the OTP admin), their CSV export, and the Prometheus text.

Pages are wrapped by ``admin.site.admin_view``: staff with a verified second factor only
(``OTPAdminSite``); anyone else goes to the admin login, i.e. the portal's two steps. Staff
also need the permission ``reports.view_report`` (the events and their CSV name customers,
client addresses and token ids): without it, 403.
"""

from __future__ import annotations

import csv
import hmac
from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from messaging.models import AuthEvent
from reports import charts, conf, selectors
from reports.forms import ReportForm


def _form(request) -> ReportForm:
    data = request.GET.copy()
    data.setdefault("period", "7d")
    return ReportForm(data)


def _csv_response(filename: str, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    for row in rows:
        writer.writerow(row)
    return response


def _figure_rows(figures: selectors.Figures):
    data = figures.as_dict()
    yield ["section", "name", "value", "first_seen", "last_seen"]
    for name in ("brand", "messenger", "since", "until"):
        yield ["scope", name, data[name] or "", "", ""]
    for name in (
        "attempts",
        "verified",
        "success_rate",
        "tokens_issued",
        "auth_codes_issued",
        "attribute_lookups",
        "throttled",
        "unverified_fallbacks",
        "gap_samples",
        "gap_target_ms",
        "gap_breaches",
    ):
        yield ["figure", name, data[name], "", ""]
    for name, value in data["gap_ms"].items():
        yield ["gap_ms", name, value, "", ""]
    for reason, count in data["not_verified"].items():
        yield ["not_verified", reason, count, "", ""]
    for reason, count in data["rejected"].items():
        yield ["rejected", reason, count, "", ""]
    for signal in data["fraud_signals"]:
        yield [
            "fraud_signal",
            signal["kind"],
            signal["count"],
            signal["first_seen"] or "",
            signal["last_seen"] or "",
        ]
    for row in data["roi"]:
        for name in (
            "verified_conversations",
            "verified_avg_handle_s",
            "unverified_conversations",
            "unverified_avg_handle_s",
            "verified_shorter_by_pct",
        ):
            value = row[name]
            yield ["roi", f"{row['brand']}.{name}", "" if value is None else value, "", ""]


@never_cache
@require_GET
def report_view(request):
    form = _form(request)
    context = {**admin.site.each_context(request), "form": form, "title": "Authentication report"}
    if not form.is_valid():
        return render(request, "reports/report.html", context, status=400)
    figures = selectors.report_figures(form.scope())
    if request.GET.get("format") == "csv":
        return _csv_response("auth-report.csv", _figure_rows(figures))
    hourly = figures.scope.until - figures.scope.since <= timedelta(days=2)
    gap_buckets = figures.gap_buckets
    target_label = next(
        (
            label
            for label, _ in gap_buckets
            if label.startswith(f"{selectors.gap_target_ms() / 1000:g}-")
        ),
        None,
    )
    context.update(
        figures=figures,
        data=figures.as_dict(),
        outcome_rows=[
            (code, label, n, _share_text(n, figures.attempts))
            for code, label, n in [
                ("verified", "Verified", figures.verified),
                *figures.not_verified_rows,
            ]
        ],
        gap_cells=[
            (charts.duration_text(ms / 1000), ms, ms > selectors.gap_target_ms())
            for ms in figures.gap_ms.values()
        ],
        gap_target_text=charts.duration_text(selectors.gap_target_ms() / 1000),
        roi_rows=[
            (
                row,
                charts.duration_text(row.verified_avg_s),
                charts.duration_text(row.unverified_avg_s),
                _difference_text(row.difference_pct),
            )
            for row in figures.roi
        ],
        query=request.GET.urlencode(),
        series_svg=charts.series_chart(
            figures.series, title="Attempts, verified and rejected", hourly=hourly
        ),
        rejected_svg=charts.bar_chart(
            sorted(figures.rejected.items(), key=lambda r: -r[1]),
            title="Rejections by reason",
            color=charts.COLORS["rejected"],
        ),
        gap_svg=charts.bar_chart(
            gap_buckets, title="Click-to-verified time", mark_over=target_label
        ),
    )
    return render(request, "reports/report.html", context)


def _share_text(n: int, total: int) -> str:
    """A share as a percentage that never reads 0 % for something that happened."""
    if not total:
        return "\u2013"
    share = n / total * 100
    if 0 < share < 0.1:
        return "< 0.1\u00a0%"
    return f"{share:.0f}\u00a0%" if share >= 10 or share == 0 else f"{share:.1f}\u00a0%"


def _difference_text(pct: float | None) -> str:
    if pct is None:
        return "\u2013 (needs both verified and unverified conversations)"
    return f"{abs(pct):g} % {'shorter' if pct >= 0 else 'longer'} when verified"


@never_cache
@require_GET
def events_view(request):
    """The events behind one figure (``kind`` and ``reason``), newest first."""
    form = _form(request)
    kind = request.GET.get("kind", "")
    reason = request.GET.get("reason", "")[:40]
    context = {**admin.site.each_context(request), "form": form, "title": "Authentication events"}
    if kind and kind not in AuthEvent.Kind.values:
        form.is_valid()
        form.add_error(None, f"Unknown event kind {kind!r}.")
    if not form.is_valid():
        return render(request, "reports/events.html", context, status=400)
    events = selectors.events_list(form.scope(), kind=kind, reason=reason)
    if request.GET.get("format") == "csv":
        header = [
            "occurred_at",
            "kind",
            "reason",
            "brand",
            "messenger",
            "customer",
            "session",
            "jti",
            "gap_ms",
            "client_address",
        ]
        rows = [header] + [
            [
                e.occurred_at.isoformat(),
                e.kind,
                e.reason,
                e.brand.slug if e.brand else "",
                e.messenger.slug if e.messenger else "",
                e.customer.customer_id if e.customer else "",
                e.session_hash[:12],
                e.jti,
                "" if e.gap_ms is None else e.gap_ms,
                e.client_address or "",
            ]
            for e in events
        ]
        return _csv_response("auth-events.csv", rows)
    context.update(events=events, kind=kind, reason=reason, query=request.GET.urlencode())
    return render(request, "reports/events.html", context)


REPORT_PERMISSION = "reports.view_report"


def _with_report_permission(view):
    def checked(request, *args, **kwargs):
        if not request.user.has_perm(REPORT_PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return admin.site.admin_view(checked)


report = _with_report_permission(report_view)
events = _with_report_permission(events_view)


@never_cache
@require_GET
def metrics(request):
    """Prometheus text format: the last hour's events, for scrapers with the bearer token.

    ``REPORTS_METRICS_TOKEN`` (environment, ``config.env``) unset: the endpoint does not exist
    (404). A wrong or missing token: 401 with no figures.
    """
    expected = conf.get("METRICS_TOKEN")
    if not expected:
        raise Http404
    header = request.headers.get("Authorization", "")
    given = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    live = selectors.live_counters(window=timedelta(hours=1), now=timezone.now())
    lines = [
        "# HELP portal_auth_events_last_hour Authentication events of the last hour.",
        "# TYPE portal_auth_events_last_hour gauge",
    ]
    totals: dict[tuple[str, str], int] = {}
    rejections: dict[tuple[str, str], int] = {}
    for row in live["rows"]:
        key = (row["brand__slug"] or "", row["kind"])
        totals[key] = totals.get(key, 0) + row["n"]
        if row["kind"] == AuthEvent.Kind.PLATFORM_REJECTED:
            rejections[(key[0], row["reason"])] = row["n"]
    for (brand, kind), n in sorted(totals.items()):
        lines.append(f'portal_auth_events_last_hour{{brand="{_label(brand)}",kind="{kind}"}} {n}')
    lines += [
        "# HELP portal_auth_rejections_last_hour Platform rejections of the last hour by reason.",
        "# TYPE portal_auth_rejections_last_hour gauge",
    ]
    for (brand, reason), n in sorted(rejections.items()):
        lines.append(
            f'portal_auth_rejections_last_hour{{brand="{_label(brand)}",'
            f'reason="{_label(reason)}"}} {n}'
        )
    lines += [
        "# HELP portal_chat_attempts_last_hour Chat attempts clicked in the last hour by how "
        "they ended (verified, or the reason they did not).",
        "# TYPE portal_chat_attempts_last_hour gauge",
    ]
    for (brand, outcome), n in sorted(live["outcomes"].items()):
        lines.append(
            f'portal_chat_attempts_last_hour{{brand="{_label(brand)}",'
            f'outcome="{_label(outcome)}"}} {n}'
        )
    lines += [
        "# HELP portal_click_to_verified_ms Click-to-verified time, last hour (nearest rank).",
        "# TYPE portal_click_to_verified_ms gauge",
    ]
    for name, quantile in (("p50", "0.5"), ("p95", "0.95"), ("p99", "0.99")):
        lines.append(
            f'portal_click_to_verified_ms{{quantile="{quantile}"}} {live["gap_ms"][name]}'
        )
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; version=0.0.4")
    response["Cache-Control"] = "no-store"
    return response


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
