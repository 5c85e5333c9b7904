"""Every document the code cites is in the repository (docstrings once cited files that only
existed beside the checkout)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("accounts", "brands", "config", "messaging", "platforms", "reports", "sandbox", "tests")
CITED = re.compile(r"(?<![\w/.-])((?:docs/)?[\w./-]*[A-Za-z]\.md)\b")


def _citations():
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*")):
            skipped = {"vectors", "vendor"}  # third-party files cite their own documents
            if path.suffix in {".py", ".js", ".html"} and not skipped & set(path.parts):
                for name in CITED.findall(path.read_text(encoding="utf-8")):
                    yield path.relative_to(ROOT), name


def _exists(name: str) -> bool:
    if name.startswith("/"):
        return True  # the tail of a path written with a placeholder (platforms/{name}/guide.md)
    if "/" not in name:  # a file named by itself (each platform's guide.md)
        return (
            any(path.name == name for path in (ROOT / "platforms").rglob("*.md"))
            or (ROOT / name).exists()
            or (ROOT / "tests" / "vectors" / name).exists()
        )
    return (ROOT / name).exists() or (ROOT / "tests" / "vectors" / name).exists()


def test_every_cited_document_is_in_the_repository():
    missing = sorted({f"{source}: {name}" for source, name in _citations() if not _exists(name)})
    assert missing == []
