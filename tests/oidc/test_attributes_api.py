"""The certified-attributes API (server to server, HTTP Basic as an OIDC client, RFC 7617):
failures are throttled per client and address, never lock the real client out, and are
counted as a fraud signal in the reports."""

import io
import json

import pytest
from django.core.management import call_command

from tests.oidc.relying_party import ATTACKER_ADDRESS, http

pytestmark = pytest.mark.django_db


def _attributes(rp, subject: str, secret: str, remote_addr: str | None = None):
    return http(remote_addr or rp.remote_addr).get(
        f"{rp.issuer.rsplit('/brands/', 1)[0]}/api/v1/brands/acme/customers/{subject}/attributes",
        auth=(rp.client_id, secret),
    )


def _signals() -> dict:
    out = io.StringIO()
    call_command("report", "--brand", "acme", "--json", stdout=out)
    return {s["kind"]: s["count"] for s in json.loads(out.getvalue())["fraud_signals"]}


@pytest.mark.parametrize("flood_from", [ATTACKER_ADDRESS, None], ids=["elsewhere", "same-address"])
def test_a_flood_of_wrong_secrets_is_throttled_counted_and_never_locks_the_client_out(
    settings, rp, customer, flood_from
):
    settings.MESSAGING_OIDC_FAILURE_RATE = "5/min"
    # when 40 wrong secrets arrive for the brand's client
    answers = [_attributes(rp, customer.customer_id, f"guess-{n}", flood_from) for n in range(40)]
    # then they are refused 401 within the budget, then 429 with the API's error shape
    codes = [a.status_code for a in answers]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    assert answers[-1].json()["error"] == "throttled" and answers[-1].headers["Retry-After"]
    assert "sub" not in answers[-1].text
    # and the reports count the failures as a fraud signal
    assert _signals()["attributes_auth_failed"] == 5
    # and the real client, from the flood's address too, is answered at once
    right = _attributes(rp, customer.customer_id, rp.client_secret, flood_from)
    assert right.status_code == 200 and right.json()["sub"] == customer.customer_id
