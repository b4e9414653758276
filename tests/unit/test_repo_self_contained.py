"""The repository stands on its own: no reference to notes kept outside it, and every relative
link and ``docs/<page>.md#anchor`` reference in it resolves to a file and heading that exist."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".git", ".venv", ".local", "target", "dbt_packages", "__pycache__"}

# Notes that lived beside the repository; built from pieces so this file does not match itself.
_NOTES = ("contracts", "references", "design", "stack-notes")
FORBIDDEN = (
    "../" + "shared",
    "/work/" + "shared",
    *(f"{name.upper()}.md" for name in _NOTES),
    f"{_NOTES[0].upper()} §",
)

LINKED_PAGES = ("README.md", "docs/*.md", "docs/runbooks/*.md")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
# `docs/contracts.md#4-fleet-assignment`, `docs/domain.md#roads`, `docs/contracts.md §4`
DOC_ANCHOR = re.compile(r"docs/([\w/-]+\.md)#([\w-]+)")
DOC_SECTION = re.compile(r"docs/([\w/-]+\.md) §(\d+)")


def tracked_files() -> list[Path]:
    """Files under version control (``git ls-files``); every file below the root without git."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
        ).stdout
        files = [ROOT / name for name in out.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        files = [
            p
            for p in ROOT.rglob("*")
            if p.is_file() and not SKIPPED_DIRS & set(p.relative_to(ROOT).parts)
        ]
    return [p for p in files if p.is_file()]


def text_of(path: Path) -> str | None:
    """The file's text, or None for a binary (NUL byte or not UTF-8) file."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def text_files() -> list[tuple[Path, str]]:
    return [(p, t) for p in tracked_files() if (t := text_of(p)) is not None]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    """Every anchor of a Markdown page (repeated headings get -1, -2, … as on GitHub)."""
    seen: dict[str, int] = {}
    out = set()
    for line in FENCE.sub("", page.read_text()).splitlines():
        match = re.match(r"#{1,6}\s+(.+?)\s*#*\s*$", line)
        if not match:
            continue
        base = slug(match.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return frozenset(out)


def numbered_sections(page: Path) -> frozenset[str]:
    """Section numbers of a page's ``## N. Title`` headings."""
    return frozenset(re.findall(r"^#{2,6}\s+(\d+)\.", page.read_text(), re.M))


def linked_pages() -> list[Path]:
    return sorted({p for pattern in LINKED_PAGES for p in ROOT.glob(pattern) if p.is_file()})


def where(path: Path, text: str, offset: int) -> str:
    return f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, offset) + 1}"


def test_the_scan_sees_the_repository():
    files = {p.relative_to(ROOT).as_posix() for p, _ in text_files()}
    assert {"README.md", "pyproject.toml", "docs/contracts.md", "docs/domain.md"} <= files
    assert len(files) > 100
    assert {"README.md", "docs/contracts.md", "docs/runbooks/optimize_fleet.md"} <= {
        p.relative_to(ROOT).as_posix() for p in linked_pages()
    }


def test_no_reference_to_notes_outside_the_repository():
    found = []
    for path, text in text_files():
        for number, line in enumerate(text.splitlines(), start=1):
            hits = [f for f in FORBIDDEN if f in line]
            if hits:
                rel = path.relative_to(ROOT)
                found.append(f"{rel}:{number}: {', '.join(hits)}: {line.strip()[:120]}")
    assert not found, "references to files outside the repository:\n" + "\n".join(found)


def test_relative_markdown_links_resolve():
    broken = []
    for page in linked_pages():
        text = INLINE_CODE.sub(lambda m: " " * len(m.group()), page.read_text())
        text = FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
        for match in LINK.finditer(text):
            target = match.group(1)
            if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("/"):
                continue  # URL (http:, mailto:, …) or a path on the Airflow web server
            file_part, _, anchor = target.partition("#")
            dest = (page.parent / file_part).resolve() if file_part else page
            if not dest.exists():
                broken.append(f"{where(page, text, match.start())}: {target}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{where(page, text, match.start())}: {target}: no such heading")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_docs_section_references_resolve():
    broken = []
    for path, text in text_files():
        for match in DOC_ANCHOR.finditer(text):
            page = ROOT / "docs" / match.group(1)
            if not page.is_file():
                broken.append(f"{where(path, text, match.start())}: {match.group()}: no such file")
            elif match.group(2) not in anchors(page):
                broken.append(f"{where(path, text, match.start())}: {match.group()}: no heading")
        for match in DOC_SECTION.finditer(text):
            page = ROOT / "docs" / match.group(1)
            if not page.is_file() or match.group(2) not in numbered_sections(page):
                broken.append(f"{where(path, text, match.start())}: {match.group()}: no section")
    assert not broken, "references to missing doc sections:\n" + "\n".join(broken)


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("## 4. Fleet assignment", "4-fleet-assignment"),
        ("## Cost and CO2", "cost-and-co2"),
        ("## 7. Warehouse schemas and marts", "7-warehouse-schemas-and-marts"),
        ("### Plan `JSON`", "plan-json"),
    ],
)
def test_slug_follows_github(heading, anchor):
    assert slug(heading.lstrip("# ")) == anchor
