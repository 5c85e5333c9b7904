"""The sandbox is a stand-in vendor: it never names the portal's models or signer
(docs/architecture.md). That it imports none of the portal's apps is an import-linter contract
(pyproject.toml, ``lint-imports`` in .ci/run)."""

from pathlib import Path

SANDBOX = Path(__file__).resolve().parents[2] / "sandbox"


def test_sandbox_sources_do_not_name_portal_models_or_the_signer():
    words = ("accounts.models", "brands.models", "messaging.", "apps.get_model", "SigningKey")
    for path in SANDBOX.rglob("*.py"):
        text = path.read_text()
        for word in words:
            assert word not in text, f"{path.relative_to(SANDBOX)} mentions {word}"
