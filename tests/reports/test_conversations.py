"""ROI: a platform's conversation export, joined to the portal's events, in the report.

The column names of each vendor's export are documented in reports/conversations.py, with the
vendors' pages: Genesys Cloud's conversation detail (conversationId, conversationStart,
conversationEnd, tHandle in ms; https://help.mypurecloud.com/articles/export-view-data/),
Salesforce's MessagingSession (Id, StartTime, EndTime, AcceptTime; handle time = EndTime -
AcceptTime as its object reference advises: https://developer.salesforce.com/docs/platform/
field-reference/references/field-reference/salesforce-field-reference-messagingsession.html)
and Zendesk Chat's incremental export (id, timestamp, end_timestamp, duration in seconds;
https://developer.zendesk.com/api-reference/live-chat/chat-api/incremental_export/).
"""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from messaging.models import TokenIssue
from reports.charts import duration_text
from reports.models import ImportedConversation
from sandbox.models import Conversation

pytestmark = pytest.mark.django_db
BEACON, TOKEN = "/api/v1/messaging/events", "/api/v1/messaging/token"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _import(tmp_path, brand, fmt, text, name="export.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command(
        "import_conversations", "--brand", brand.slug, "--format", fmt, str(path), stdout=out
    )
    return out.getvalue()


@pytest.fixture
def verified_jti(verified_client, messenger):
    """A token the portal signed through the token API, and its chat verified."""
    body = {"messenger": messenger.slug}
    verified_client.post(BEACON, {"kind": "chat_opened", **body}, content_type="application/json")
    assert verified_client.post(TOKEN, body, content_type="application/json").status_code == 200
    verified_client.post(
        BEACON, {"kind": "platform_verified", **body}, content_type="application/json"
    )
    return TokenIssue.objects.get().jti


def test_a_generic_export_is_joined_by_jti_and_by_sub_and_the_report_shows_the_difference(
    tmp_path, brand, customer, verified_jti, staff_client
):
    # given four conversations: one with the portal's jti, one whose sub the platform verified
    # a minute ago, two with neither (an unknown jti, no identity)
    now = timezone.now()
    start, end = _iso(now - timedelta(minutes=1)), _iso(now + timedelta(minutes=2))
    text = (
        "conversation_id,jti,sub,start,end,handle_seconds\n"
        f"c1,{verified_jti},,{start},{end},60\n"
        f"c2,,{customer.customer_id},{start},{end},100\n"
        f"c3,not-a-portal-jti,,{start},{end},200\n"
        f"c4,,,{start},{end},120\n"
    )
    # when it is imported
    out = _import(tmp_path, brand, "generic", text)
    # then two are verified, two not
    assert (
        out.strip() == f"Imported 4 conversations for {brand.slug} (2 verified, 2 not verified)."
    )
    assert dict(ImportedConversation.objects.values_list("conversation_id", "verified")) == {
        "c1": True,
        "c2": True,
        "c3": False,
        "c4": False,
    }
    # and the report compares their average handle time: 80 s vs 160 s, 50 % shorter
    data = json.loads(_report(brand=brand.slug))
    assert data["roi"] == [
        {
            "brand": brand.slug,
            "verified_conversations": 2,
            "verified_avg_handle_s": 80.0,
            "unverified_conversations": 2,
            "unverified_avg_handle_s": 160.0,
            "verified_shorter_by_pct": 50.0,
        }
    ]
    page = staff_client.get("/admin/reports/", {"period": "today"}).content.decode()
    roi = page[page.index('id="roi"') :]
    assert "<td>1 min 20 s</td>" in roi and "<td>2 min 40 s</td>" in roi
    assert "50 % shorter when verified" in roi
    # importing the same file again replaces the rows, it does not add to them
    _import(tmp_path, brand, "generic", text)
    assert ImportedConversation.objects.count() == 4


def _report(**options) -> str:
    out = io.StringIO()
    call_command("report", "--json", *[f"--{k}={v}" for k, v in options.items()], stdout=out)
    return out.getvalue()


def test_the_vendor_exports_map_their_own_columns(tmp_path, brand):
    genesys = (
        "conversationId,conversationStart,conversationEnd,tHandle\n"
        "g-1,2026-11-20T10:00:00.000Z,2026-11-20T10:05:00.000Z,185000\n"
    )
    salesforce = (
        "Id,StartTime,AcceptTime,EndTime\n"
        "0Mw000000000001,2026-11-20T10:00:00Z,2026-11-20T10:01:00Z,2026-11-20T10:04:30Z\n"
    )
    zendesk = (
        "id,timestamp,end_timestamp,duration,external_id\nz-1,1795168800,1795169100,95,cus_1\n"
    )
    _import(tmp_path, brand, "genesys", genesys, "g.csv")
    _import(tmp_path, brand, "salesforce", salesforce, "s.csv")
    _import(tmp_path, brand, "zendesk", zendesk, "z.csv")
    rows = {c.source: c for c in ImportedConversation.objects.all()}
    assert rows["genesys"].handle_seconds == 185  # tHandle is in milliseconds
    assert rows["salesforce"].handle_seconds == 210  # EndTime - AcceptTime
    assert rows["zendesk"].handle_seconds == 95 and rows["zendesk"].subject == "cus_1"
    assert rows["zendesk"].started_at == datetime.fromtimestamp(1795168800, tz=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "conversation_id,start,end\nok,2026-11-20T10:00:00Z,2026-11-20T10:01:00Z\n"
            "bad,yesterday,2026-11-20T10:01:00Z\n",
            "row 3, column 'start': 'yesterday' is not an ISO 8601 date-time.",
        ),
        (
            "conversation_id,start,handle_seconds\nok,2026-11-20T10:00:00Z,-5\n",
            "row 2, column 'handle_seconds': '-5' is not a duration.",
        ),
        (
            "conversation_id,start,end\nok,2026-11-20T10:00:00Z,2026-11-20T09:00:00Z\n",
            "row 2, column 'end': the end is before the start.",
        ),
        ("id,start,end\n1,2026-11-20T10:00:00Z,x\n", "row 1 (header): no conversation_id column"),
        (
            "conversation_id,start,end\na,2026-11-20T10:00:00Z,2026-11-20T10:01:00Z\n"
            "a,2026-11-20T10:00:00Z,2026-11-20T10:01:00Z\n",
            "row 3, column 'conversation_id': conversation 'a' appears twice.",
        ),
    ],
)
def test_a_bad_export_exits_2_naming_row_and_column_and_imports_nothing(
    tmp_path, brand, text, message
):
    with pytest.raises(CommandError) as exc:
        _import(tmp_path, brand, "generic", text)
    assert exc.value.returncode == 2
    assert message in str(exc.value) and "Nothing was imported." in str(exc.value)
    assert not ImportedConversation.objects.exists()


def test_an_unknown_brand_or_a_missing_file_exits_2(tmp_path, brand):
    with pytest.raises(CommandError, match="Unknown brand 'nobrand'") as exc:
        call_command("import_conversations", "--brand", "nobrand", "--format", "generic", "x")
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="Cannot read") as exc:
        call_command(
            "import_conversations",
            "--brand",
            brand.slug,
            "--format",
            "generic",
            str(tmp_path / "missing.csv"),
        )
    assert exc.value.returncode == 2


def test_the_sandboxs_conversations_export_as_generic_csv_and_import(
    tmp_path, brand, messenger, verified_jti, customer
):
    # given a conversation the sandbox verified with the portal's token, 4 minutes long
    now = timezone.now()
    Conversation.objects.create(
        secret_hash="x" * 64,
        messenger=messenger.slug,
        brand=brand.slug,
        platform="generic",
        subject=customer.customer_id,
        issuer="https://portal.example/acme",
        kid="k",
        alg="RS256",
        jti=verified_jti,
        token_expires_at=now + timedelta(minutes=5),
        received_at=now,
        verified_at=now,
        last_message_at=now + timedelta(minutes=4),
    )
    # when the sandbox exports and the portal imports
    path = tmp_path / "sandbox.csv"
    call_command(
        "sandbox_export_conversations", "--brand", brand.slug, str(path), stderr=io.StringIO()
    )
    header = path.read_text().splitlines()[0]
    assert header == "conversation_id,jti,sub,start,end,handle_seconds"
    call_command(
        "import_conversations",
        "--brand",
        brand.slug,
        "--format",
        "generic",
        str(path),
        stdout=io.StringIO(),
    )
    # then it is one verified conversation of 4 minutes
    imported = ImportedConversation.objects.get()
    assert (imported.verified, imported.handle_seconds, imported.jti) == (True, 240, verified_jti)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.85, "850 ms"),
        (1.6, "1.6 s"),
        (5, "5 s"),
        (42.4, "42 s"),
        (80, "1 min 20 s"),
        (120, "2 min"),
        (3900, "1 h 5 min"),
        (7200, "2 h"),
        (None, "\N{EN DASH}"),
    ],
)
def test_durations_read_as_people_say_them(seconds, text):
    assert duration_text(seconds) == text
