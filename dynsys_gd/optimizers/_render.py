"""Rendering an :class:`~dynsys_gd.optimizers.base.UpdateRule` into code: the numpy reference
step (whole arrays, runs on the last axis) and the statements of the compiled lane kernels.

Both renderings perform the same IEEE operations in the same order on every element, so the
reference path and the compiled kernels agree bit for bit.  The code is produced here from the
package's own rules and compiled from memory; nothing is read from disk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

# the optimiser and its rule are typed Any here: base.py renders through this module, and a
# type-only import back would make a cycle
Optimizer = Any
UpdateRule = Any

__all__ = [
    "lane_statements",
    "numpy_point",
    "numpy_step",
    "point_expression",
    "pre_temporaries",
]

_TOKEN = re.compile(r"\{(T|B0|B1|G|E|Q|S0|S1|p:[A-Za-z_][A-Za-z_0-9]*)\}")


def _sub(expr: str, table: dict[str, str]) -> str:
    out = _TOKEN.sub(lambda m: table[m.group(1)] if m.group(1) in table else _pre(m, table), expr)
    return out


def _pre(m: re.Match[str], table: dict[str, str]) -> str:
    name = m.group(1)
    if name.startswith("p:"):
        return table["p:"].format(name=name[2:])
    raise KeyError(f"placeholder {{{name}}} not available here")


def _target(t: str, table: dict[str, str]) -> str:
    return table[t] if t in ("T", "B0", "B1", "S0", "S1") else t


# -- numpy --------------------------------------------------------------------------------------
_NUMPY_CACHE: dict[tuple[str, int], Callable[..., Any]] = {}


def numpy_step(opt: Optimizer, P: int) -> Callable[..., Any]:
    """``step(grad, st, e) -> st'`` on columns: ``st`` of shape ``(S, n)``, ``e`` of shape
    ``(n,)``, ``grad`` mapping ``(P, n)`` gradient points to ``(P, n)`` gradients."""
    rule = opt.rule()
    key = (f"{rule.key()}:{opt.n_buffers}:{opt.n_scalars}", P)
    fn = _NUMPY_CACHE.get(key)
    if fn is None:
        fn = _build_numpy(rule, P, opt.n_buffers)
        _NUMPY_CACHE[key] = fn
    op = np.ascontiguousarray(opt.constants(P), dtype=np.float64)
    q = rule.q_offset

    def step(grad: Any, st: Any, e: Any) -> Any:
        return fn(grad, np.array(st, dtype=np.float64), np.asarray(e, dtype=np.float64), op, q)

    return step


def numpy_point(opt: Optimizer, P: int) -> Callable[[Any], Any]:
    """``point(st) -> y``: the gradient point of columns ``st`` of shape ``(S, n)``."""
    rule = opt.rule()
    op = np.ascontiguousarray(opt.constants(P), dtype=np.float64)
    table = {"T": "st[0:P]", "B0": "st[P:2 * P]", "B1": "st[2 * P:3 * P]"}
    src = f"def point(st, op):\n    P = {P}\n    return {_sub(rule.point, table)}\n"
    ns: dict[str, Any] = {}
    exec(compile(src, "<dynsys_gd optimizer point>", "exec"), ns)
    fn = ns["point"]
    return lambda st: fn(st, op)


def _build_numpy(rule: UpdateRule, P: int, nb: int) -> Callable[..., Any]:
    SB = P * (1 + nb)
    table = {
        "T": "st[0:P]",
        "B0": "st[P:2 * P]",
        "B1": "st[2 * P:3 * P]",
        "G": "g",
        "E": "e",
        "Q": "qv",
        "S0": f"st[{SB}]",
        "S1": f"st[{SB + 1}]",
        "p:": "{name}",
    }
    lines = ["def step(grad, st, e, op, q):", f"    P = {P}"]
    lines.append("    qv = op[q:q + P][:, None]")
    lines.append(f"    g = grad({_sub(rule.point, table)})")
    for t, ex in rule.pre:
        lines.append(f"    {_target(t, table)} = {_sub(ex, table)}")
    for t, ex in rule.coord:
        lines.append(f"    {_target(t, table)} = {_sub(ex, table)}")
    lines.append("    return st")
    src = "\n".join(lines).replace("sqrt(", "np.sqrt(")
    ns: dict[str, Any] = {"np": np}
    exec(compile(src, "<dynsys_gd optimizer step>", "exec"), ns)
    return ns["step"]  # type: ignore[no-any-return]


# -- compiled lane kernels ------------------------------------------------------------------------
def _lane_table(P: int, nb: int, form: str, i: str) -> dict[str, str]:
    """Placeholders for coordinate ``i`` (a literal or a loop variable) in one of the kernel
    forms: ``straight`` (unrolled, the lane's state in locals ``t<i>``, ``u<i>``, ``w<i>``,
    ``s0``, ``s1`` and the gradient in ``g<i>``), ``loop`` (gradient in ``g[i, l]``), ``run``
    (one run's state in ``xb``, gradient in ``gb``)."""
    SB = P * (1 + nb)

    def off(k: int) -> str:
        if i.isdigit():
            return str(k * P + int(i))
        return f"{k * P} + {i}" if k else i

    if form == "straight":  # the lane's state in registers: loaded before, stored after
        return {
            "T": f"t{i}",
            "B0": f"u{i}",
            "B1": f"w{i}",
            "G": f"g{i}",
            "E": "e",
            "Q": f"op[q + {i}]",
            "S0": "s0",
            "S1": "s1",
            "p:": "{name}",
        }
    if form == "run":
        return {
            "T": f"xb[{off(0)}]",
            "B0": f"xb[{off(1)}]",
            "B1": f"xb[{off(2)}]",
            "G": f"gb[{i}]",
            "E": "e",
            "Q": f"op[q + {i}]",
            "S0": f"xb[{SB}]",
            "S1": f"xb[{SB + 1}]",
            "p:": "{name}",
        }
    return {
        "T": f"th[{off(0)}, l]",
        "B0": f"th[{off(1)}, l]",
        "B1": f"th[{off(2)}, l]",
        "G": f"g{i}" if form == "straight" else f"g[{i}, l]",
        "E": "e" if form == "straight" else "lr[l]",
        "Q": f"op[q + {i}]",
        "S0": f"th[{SB}, l]",
        "S1": f"th[{SB + 1}, l]",
        "p:": "{name}" if form == "straight" else "pre_{name}[l]",
    }


def point_expression(rule: UpdateRule, P: int, nb: int, form: str, i: str) -> str:
    """The gradient point's coordinate ``i`` in a kernel form."""
    return _sub(rule.point, _lane_table(P, nb, form, i)).replace("sqrt(", "math.sqrt(")


def lane_statements(
    rule: UpdateRule, P: int, nb: int, form: str, i: str
) -> tuple[list[str], list[str]]:
    """(per-run statements, per-coordinate statements for coordinate ``i``) in a kernel form;
    in the ``loop`` form per-run temporaries are arrays ``pre_<name>[l]``."""
    tab = _lane_table(P, nb, form, i)
    pre = [f"{_target(t, tab)} = {_sub(ex, tab)}" for t, ex in rule.pre]
    if form == "loop":  # per-run temporaries are arrays over the lanes
        pre = [_loop_pre_target(s, rule) for s in pre]
    coord = [f"{_target(t, tab)} = {_sub(ex, tab)}" for t, ex in rule.coord]
    return [_math(s) for s in pre], [_math(s) for s in coord]


def _math(stmt: str) -> str:
    return stmt.replace("sqrt(", "math.sqrt(")


def _loop_pre_target(stmt: str, rule: UpdateRule) -> str:
    lhs, rhs = stmt.split(" = ", 1)
    temps = {t for t, _ in rule.pre if t not in ("S0", "S1")}
    if lhs in temps:
        lhs = f"pre_{lhs}[l]"
    return f"{lhs} = {rhs}"


def pre_temporaries(rule: UpdateRule) -> list[str]:
    """Names of the per-run temporaries of a rule."""
    return [t for t, _ in rule.pre if t not in ("S0", "S1")]
