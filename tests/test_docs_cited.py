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


# An issue number means nothing to a reader without the tracker: code, tests and docs say what
# and why instead (docs/decisions/ holds the decisions, one record per topic).
ISSUE_CITATION = re.compile(r"\bissues?[ -]?#?\d+\b|\(#\d+\)", re.IGNORECASE)
CITING_FOLDERS = (*SOURCES, "docs", "scripts", "templates", "static", ".ci")
CITING_FILES = ("README.md", "Makefile", "pyproject.toml", "manage.py", "requirements.txt")


def _texts():
    for folder in CITING_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            skipped = {"vectors", "vendor", "node_modules", "images"}
            suffixes = {".py", ".js", ".html", ".md", ".css", ".lua", ".toml", ""}
            if path.is_file() and path.suffix in suffixes and not skipped & set(path.parts):
                yield path
    for name in CITING_FILES:
        yield ROOT / name


def test_no_issue_numbers_in_code_tests_or_docs():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _texts()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ISSUE_CITATION.search(line)
    ]
    assert found == []


def test_the_issue_citation_check_sees_the_usual_spellings():
    n = 12  # written apart, so this file passes its own check
    for cited in (f"(issue {n})", f"Issue {n}'s targets", f"fixed in (#{n})", f"issue-{n}"):
        assert ISSUE_CITATION.search(cited), cited
    for plain in ("an issue with the cache", "issued 3 tokens", "tissue 4"):
        assert not ISSUE_CITATION.search(plain), plain
