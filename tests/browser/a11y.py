"""Accessibility checks in Chromium with axe-core (vendored, pinned: tests/browser/vendor/).

axe-core 4.11.0, from the npm registry (``npm pack axe-core@4.11.0``), MPL-2.0: the licence
is beside it in ``vendor/axe-core.LICENSE``. It is evaluated in the page under test, never
served by the portal.
"""

from pathlib import Path

AXE_SOURCE = Path(__file__).with_name("vendor") / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA: the bar docs/decisions/brand-look.md sets.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page, *, exclude=()):
    """Run axe-core on ``page`` and return its violations as ``(rule id, impact, targets)``."""
    # Evaluated through the DevTools protocol, so the portal's strict CSP stays as it is;
    # once per document (a resized page keeps it).
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async ([tags, exclude]) => {
            const context = exclude.length ? {exclude: exclude.map((s) => [s])} : document;
            const r = await axe.run(context, {runOnly: {type: "tag", values: tags}});
            return r.violations.map(
                (v) => [v.id, v.impact, v.nodes.map((n) => n.target.join(" "))]
            );
        }""",
        [AXE_TAGS, list(exclude)],
    )
    return [tuple(v) for v in result]


def assert_accessible(page, *, exclude=()):
    violations = axe_violations(page, exclude=exclude)
    assert violations == [], f"axe-core found WCAG 2.2 AA violations on {page.url}: {violations}"
