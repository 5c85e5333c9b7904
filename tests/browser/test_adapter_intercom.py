"""The Intercom adapter in Chromium against a stand-in of the Messenger's command API.

Production settings (the sandbox is not served): the Chat button installs the snippet's
``window.Intercom`` queue, boots with ``intercom_user_jwt`` (HS256, the workspace's Messenger
security secret), loads the widget script and shows the Messenger; fresh tokens travel with
``Intercom("update", {intercom_user_jwt})``; the portal's Log out calls ``shutdown``.
"""

import time

import pytest
import time_machine

from brands import services as brand_services
from tests.browser.vendors import (
    STANDINS,
    csp_directives,
    open_chat,
    standin_page,
    verify_hs256,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

APP_ID = "abc12345"
SCRIPT = f"https://widget.intercom.io/widget/{APP_ID}"
SECRET = "intercom-messenger-secret-0123456789-abcdef"


@pytest.fixture
def intercom(brand):
    messenger = brand_services.messenger_create(
        brand=brand,
        slug="acme-intercom",
        platform="intercom",
        algorithm="HS256",
        attributes=["names", "email"],
        vendor_settings={"app_id": APP_ID, "region": "eu"},
    )
    return brand_services.messenger_secret_set(messenger=messenger, secret=SECRET)


def _page(customer_page):
    return standin_page(customer_page, SCRIPT, "intercom")


def test_boot_carries_a_fresh_jwt_that_verifies_with_the_workspace_secret(
    customer_page, production, intercom, customer
):
    page, recorder = _page(customer_page)
    response = page.goto("/")
    page.wait_for_load_state("networkidle")
    assert recorder.calls == []
    assert "/sandbox/" not in page.content()

    open_chat(page, "open")

    (boot,) = recorder.named("boot")
    assert boot["app_id"] == APP_ID
    assert boot["api_base"] == "https://api-iam.eu.intercom.io"
    claims = verify_hs256(boot["intercom_user_jwt"], SECRET)
    assert claims["user_id"] == customer.customer_id
    assert recorder.named("show") == [None]
    csp = csp_directives(response)
    assert "https://widget.intercom.io" in csp["script-src"]
    assert "https://api-iam.eu.intercom.io" in csp["connect-src"]


def test_while_the_messenger_is_open_an_hour_later_it_gets_a_new_jwt(
    customer_page, production, intercom
):
    page, recorder = _page(customer_page)
    page.clock.install()
    page.goto("/")
    open_chat(page, "open")
    first = recorder.named("boot")[0]["intercom_user_jwt"]
    with time_machine.travel(time.time() + 61 * 60, tick=True):
        page.clock.fast_forward("01:01:00")
        (update,) = recorder.wait_for(page, "update", 1)
        renewed = verify_hs256(update["intercom_user_jwt"], SECRET)
    assert update["intercom_user_jwt"] != first
    assert renewed["exp"] >= verify_hs256(first, SECRET)["exp"] + 60 * 60


def test_a_hidden_messenger_still_gets_a_fresh_token_before_the_current_one_expires(
    customer_page, production, intercom
):
    """Intercom: "Set token expiration times that match your app's session length" and
    provide fresh tokens periodically (developers.intercom.com/installing-intercom/web/
    identity-verification): a hidden Messenger must not lose the customer's identity."""
    page, recorder = _page(customer_page)
    page.clock.install()
    page.goto("/")
    open_chat(page, "open")
    (boot,) = recorder.named("boot")
    first = verify_hs256(boot["intercom_user_jwt"], SECRET)
    assert first["exp"] - first["iat"] == 3600  # the session (8 h), capped at 1 hour
    page.evaluate("window.__standin.hide()")
    with time_machine.travel(time.time() + 61 * 60, tick=True):
        page.clock.fast_forward("01:01:00")
        (update,) = recorder.wait_for(page, "update", 1)
        later = verify_hs256(update["intercom_user_jwt"], SECRET)
    assert later["exp"] > first["exp"]
    assert len(recorder.named("boot")) == 1


def test_logging_out_of_the_portal_shuts_intercom_down(customer_page, production, intercom):
    page, recorder = _page(customer_page)
    page.goto("/")
    open_chat(page, "open")
    page.click("text=Log out")
    page.wait_for_url("**/logged-out/")
    assert recorder.named("shutdown") == [None]


# --- the stand-in against Intercom's own client package --------------------------------------

NPM_SDK = STANDINS / "npm" / "intercom-messenger-js-sdk"
MODULES = ("constants", "instance-manager", "index")


def _official_sdk() -> str:
    """@intercom/messenger-js-sdk's CommonJS dist files as one page script (window.IntercomSDK)."""
    sources = {name: (NPM_SDK / f"{name}.js").read_text() for name in MODULES}
    modules = ",".join(
        f'"./{name}": function (exports, require, module) {{\n{source}\n}}'
        for name, source in sources.items()
    )
    return (
        "(function () { const sources = {" + modules + "}; const cache = {};"
        " function require(name) { if (cache[name]) return cache[name].exports;"
        " const module = { exports: {} }; cache[name] = module;"
        " sources[name].call(module.exports, module.exports, require, module);"
        " return module.exports; }"
        " window.IntercomSDK = require('./index'); })();"
    )


def test_the_stand_in_answers_intercoms_own_client_package(customer_page, production, intercom):
    """The npm SDK's loader and command functions drive the stand-in exactly as the adapter
    does: the same queue, the same boot/update/show/shutdown calls."""
    page, recorder = _page(customer_page)
    page.add_init_script(_official_sdk())
    page.goto("/")
    page.evaluate(
        """(appId) => {
            IntercomSDK.Intercom({ app_id: appId, region: "eu" });   // installs the loader
            IntercomSDK.update({ intercom_user_jwt: "a.b.c" });      // queued until it loads
        }""",
        APP_ID,
    )
    (boot,) = recorder.wait_for(page, "boot", 1)  # the widget boots from intercomSettings
    assert boot["app_id"] == APP_ID
    assert boot["api_base"] == "https://api-iam.eu.intercom.io"
    assert recorder.wait_for(page, "update", 1) == [{"intercom_user_jwt": "a.b.c"}]
    page.evaluate("IntercomSDK.show(); IntercomSDK.shutdown();")
    assert recorder.named("show") == [None] and recorder.named("shutdown") == [None]
    # the script the official loader inserted is the one the adapter loads
    assert page.evaluate("document.getElementById('_intercom_npm_loader').src") == SCRIPT
