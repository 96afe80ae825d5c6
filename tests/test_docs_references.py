"""Every documentation reference in the package, README, notebooks and proofs resolves.

The accepted form is a repository path ``docs/<page>.md``, optionally followed by ``#<anchor>``
where ``<anchor>`` is a label defined on that page with the MyST syntax ``(anchor)=`` (e.g.
``docs/math/claims.md#c5``). Other ``docs/...`` paths (figures) must name existing files.
References to working documents that are not part of the repository ("MATH.md", "DESIGN.md")
are rejected.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Files whose text is shown to users (docstrings, messages, help, pages).
SCANNED = sorted(
    {
        *ROOT.glob("dynsys_gd/**/*.py"),
        *ROOT.glob("dynsys_gd/**/*.pyi"),
        *ROOT.glob("notebooks/*.py"),
        *ROOT.glob("proofs/*.py"),
        *ROOT.glob("benchmarks/*.py"),
        *ROOT.glob("docs/**/*.md"),
        *(ROOT / name for name in ("README.md", "CONTRIBUTING.md", "CHANGELOG.md")),
    }
    - set(ROOT.glob("docs/_build/**/*"))
    - set(ROOT.glob("docs/notebooks/**/*"))
)

#: ``docs/`` followed by a path with a file extension, and an optional ``#anchor``.
DOCS_REF = re.compile(r"(?<![\w/.-])docs/((?:[\w.-]+/)*[\w.-]+\.[A-Za-z]+)(?:#([\w-]+))?")
#: A MyST label line ``(name)=``.
LABEL = re.compile(r"^\(([\w-]+)\)=\s*$", re.MULTILINE)
#: Working documents that are not shipped.
FORBIDDEN = re.compile(r"\b(?:MATH|DESIGN)\.md\b")


def _files() -> list[Path]:
    return [p for p in SCANNED if p.is_file()]


def _labels(page: Path) -> set[str]:
    return set(LABEL.findall(page.read_text(encoding="utf-8")))


def references(text: str) -> list[tuple[str, str | None]]:
    """All ``(path, anchor)`` pairs of docs references in ``text``."""
    return [(m.group(1), m.group(2)) for m in DOCS_REF.finditer(text)]


def unresolved(path: str, anchor: str | None, root: Path = ROOT) -> str | None:
    """Why the reference ``docs/<path>#<anchor>`` does not resolve (None when it does)."""
    target = root / "docs" / path
    if path.startswith("_build/"):  # written by the README's docs command, not part of the tree
        return None
    if not target.is_file():
        return f"docs/{path} does not exist"
    if anchor is not None:
        if target.suffix != ".md":
            return f"docs/{path}#{anchor}: anchors are only allowed on .md pages"
        if anchor not in _labels(target):
            return f"docs/{path} has no label ({anchor})="
    return None


def test_scanned_files_exist() -> None:
    """The scan covers the package and the README (guards against an empty glob)."""
    names = {p.relative_to(ROOT).as_posix() for p in _files()}
    assert "README.md" in names
    assert any(n.startswith("dynsys_gd/") for n in names)
    assert any(n.startswith("notebooks/") for n in names)


def test_reference_parser_and_resolver() -> None:
    """The checker finds references and rejects a missing page, a missing anchor and a bad
    anchor target (so the real test below could fail)."""
    text = "see docs/math/claims.md#c5, docs/math/nope.md and (docs/figures/x.png)."
    assert references(text) == [
        ("math/claims.md", "c5"),
        ("math/nope.md", None),
        ("figures/x.png", None),
    ]
    assert unresolved("math/claims.md", "c5") is None
    assert "does not exist" in (unresolved("math/nope.md", None) or "")
    assert "no label" in (unresolved("math/claims.md", "c99") or "")
    assert FORBIDDEN.search("as in MATH.md §6") is not None


@pytest.mark.parametrize("claim", [f"c{i}" for i in range(1, 10)])
def test_claims_page_has_an_anchor_per_claim(claim: str) -> None:
    """``docs/math/claims.md#c1`` ... ``#c9`` exist: the form references to claims use."""
    assert claim in _labels(ROOT / "docs" / "math" / "claims.md")


def test_every_docs_reference_resolves() -> None:
    """Every ``docs/...`` reference in user-facing text names an existing page (and label)."""
    bad = []
    for f in _files():
        text = f.read_text(encoding="utf-8")
        for path, anchor in references(text):
            why = unresolved(path, anchor)
            if why is not None:
                bad.append(f"{f.relative_to(ROOT)}: {why}")
    assert bad == [], "unresolved docs references:\n" + "\n".join(bad)


def test_no_reference_to_unshipped_working_documents() -> None:
    """No user-facing text cites MATH.md or DESIGN.md (they are not in the repository)."""
    bad = []
    for f in _files():
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if FORBIDDEN.search(line):
                bad.append(f"{f.relative_to(ROOT)}:{i}: {line.strip()[:100]}")
    assert bad == [], f"{len(bad)} references to unshipped documents:\n" + "\n".join(bad)


def test_getting_started_repeats_the_readme_commands() -> None:
    """The getting-started page shows the README's two opening commands verbatim."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"```bash\n(.*?)```", readme, flags=re.S)
    assert m is not None, "README has no bash block"
    commands = [line.strip() for line in m.group(1).splitlines() if line.strip()]
    page = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    lines = {line.strip() for line in page.splitlines()}
    missing = [c for c in commands if c not in lines]
    assert missing == [], f"docs/getting-started.md lacks README commands: {missing}"
