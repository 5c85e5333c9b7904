"""The sandbox is a stand-in vendor: it never imports the portal's apps (ARCHITECTURE.md)."""

import ast
from pathlib import Path

SANDBOX = Path(__file__).resolve().parents[2] / "sandbox"
FORBIDDEN = ("accounts", "brands", "messaging", "reports")


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield arg.value


def test_sandbox_never_imports_portal_apps():
    offenders = []
    files = list(SANDBOX.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for name in _imports(path):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(SANDBOX)}: {name}")
    assert offenders == []


def test_sandbox_sources_do_not_name_portal_models_or_the_signer():
    words = ("accounts.models", "brands.models", "messaging.", "apps.get_model", "SigningKey")
    for path in SANDBOX.rglob("*.py"):
        text = path.read_text()
        for word in words:
            assert word not in text, f"{path.relative_to(SANDBOX)} mentions {word}"
