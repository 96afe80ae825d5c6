"""The architecture contract: layers import downward only, the runtime knows nothing about GD,
no module imports itself back through a cycle, and the public face carries real types."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    """The contracts in pyproject.toml ([tool.importlinter]) hold, function-level imports
    included."""
    pytest.importorskip("importlinter")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "broken" in proc.stdout and "0 broken" in proc.stdout


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


@pytest.mark.parametrize("type_checking", [False, True], ids=["run-time", "type-checking"])
def test_no_import_cycles_between_modules(type_checking: bool) -> None:
    """No module of the package imports itself back, directly or through others (imports inside
    functions count), neither at run time nor as a type checker sees it (imports under
    ``if TYPE_CHECKING:`` included).  Package ``__init__`` modules that only re-export are left
    out."""
    grimp = pytest.importorskip("grimp")
    g = grimp.build_graph("dynsys_gd", exclude_type_checking_imports=not type_checking)
    packages = {m for m in g.modules if (ROOT / m.replace(".", "/") / "__init__.py").exists()}
    graph = {
        m: {d for d in g.find_modules_directly_imported_by(m) if d not in packages}
        for m in g.modules
        if m not in packages
    }
    assert _strongly_connected(graph) == []


def test_cycle_finder_finds_a_cycle() -> None:
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]


def test_public_face_carries_real_types(tmp_path: Path) -> None:
    """A type checker sees the signatures through ``import dynsys_gd``: a wrong argument type
    fails mypy, the right one passes."""
    pytest.importorskip("mypy")
    good = tmp_path / "good.py"
    good.write_text(
        textwrap.dedent("""
        import dynsys_gd as dg
        net = dg.LinearNetwork.scalar(3, 2.0)
        eta: float = dg.critical_lr(net)
        batch = dg.run_gd(net, [[1.0, 1.0, 2.0]], 0.9 * eta)
        n: int = batch.counts()["converged"]
    """)
    )
    bad = tmp_path / "bad.py"
    bad.write_text(
        textwrap.dedent("""
        import dynsys_gd as dg
        eta: str = dg.critical_lr(dg.LinearNetwork.scalar(3, 2.0))
        dg.LinearNetwork.scalar("x", 7)
        dg.run_gd("not a model", [[1.0, 2.0]], 0.1)
    """)
    )
    cmd = [
        sys.executable,
        "-m",
        "mypy",
        "--no-incremental",
        "--follow-imports=silent",
        "--ignore-missing-imports",
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    ok = subprocess.run([*cmd, str(good)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert ok.returncode == 0, ok.stdout
    ko = subprocess.run([*cmd, str(bad)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert ko.returncode == 1, ko.stdout
    assert "Incompatible types in assignment" in ko.stdout
    assert 'Argument 1 to "scalar" of "LinearNetwork" has incompatible type "str"' in ko.stdout
    assert 'Argument 1 to "run_gd" has incompatible type "str"' in ko.stdout
