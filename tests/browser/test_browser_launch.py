"""The tests' Chromium leaves out only what no test uses (docs/decisions/test-suite-speed.md):
Playwright's own switches survive ours, and a new context opens no address-bar popup."""

import pytest

from tests.browser.conftest import ARGS, CHROMIUM, UNUSED_FEATURES, _switch_values

pytestmark = pytest.mark.browser


def test_playwrights_disabled_features_survive_ours(browser):
    plain = browser.browser_type.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        playwrights = _switch_values(plain, "--disable-features")
    finally:
        plain.close()
    ours = _switch_values(browser, "--disable-features")
    assert playwrights  # Playwright does disable some (storage partitioning, paint holding)
    assert set(playwrights) <= set(ours)
    assert set(UNUSED_FEATURES) <= set(ours)


def test_a_new_context_opens_no_browser_ui_pages(browser):
    context = browser.new_context()
    context.new_page().goto("data:text/html,<title>plain</title>")
    targets = browser.new_browser_cdp_session().send("Target.getTargets")["targetInfos"]
    context.close()
    assert [t["url"] for t in targets if t["type"] == "page"] == [
        "data:text/html,<title>plain</title>"
    ]
    assert [t["url"] for t in targets if t["type"] == "browser_ui"] == []
