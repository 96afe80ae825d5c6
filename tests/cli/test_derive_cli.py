"""``dynsys-gd derive``: compact by default, --hessian / --jacobian / --latex / --factor / --full,
refusals up front (issues 16, 17)."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from dynsys_gd.cli import main


def _run(argv, capsys):
    rc = main(["derive", *argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_small_network_prints_everything_and_matches_sympy(capsys):
    rc, out, _ = _run(["--depth", "2", "--target", "2", "--lr", "0.5", "--json"], capsys)
    assert rc == 0
    d = json.loads(out)
    w1, w2 = sp.symbols("w1 w2", real=True)
    loss = (w1 * w2 - 2) ** 2 / 2
    assert sp.expand(sp.sympify(d["loss"]["text"], locals={"w1": w1, "w2": w2}) - loss) == 0
    g0 = sp.sympify(d["gradient"][0]["text"], locals={"w1": w1, "w2": w2})
    assert sp.expand(g0 - sp.diff(loss, w1)) == 0
    m0 = sp.sympify(d["gd_map"][0]["text"], locals={"w1": w1, "w2": w2})
    assert sp.expand(m0 - (w1 - sp.Rational(1, 2) * sp.diff(loss, w1))) == 0
    assert d["det_DG"] is not None and all(e["complete"] for e in d["gradient"])


def test_hessian_and_jacobian(capsys):
    rc, out, _ = _run(["--depth", "2", "--hessian", "--jacobian", "--lr", "0.25"], capsys)
    assert rc == 0
    # H of 1/2 (w1 w2 - 1)^2: [[w2^2, 2 w1 w2 - 1], [., w1^2]]
    assert "H[w1, w1] = w2**2" in out and "H[w1, w2] = 2*w1*w2 - 1" in out
    assert "DG_eta[w1, w1] = 1 - w2**2/4" in out or "DG_eta[w1, w1] = -w2**2/4 + 1" in out
    rc, out, _ = _run(["--depth", "2", "--jacobian"], capsys)
    assert "DG_eta[w1, w2] = 0 - eta*(2*w1*w2 - 1)" in out


def test_latex_and_factor(capsys):
    rc, out, _ = _run(["--depth", "2", "--latex", "--factor"], capsys)
    assert rc == 0
    assert r"\frac{\left(w_{1} w_{2} - 1\right)^{2}}{2}" in out


def test_big_network_is_compact(capsys):
    rc, out, _ = _run(["--widths", "3", "3", "3", "3"], capsys)
    assert rc == 0
    assert "more terms)" in out and "[433 terms, degree 6]" in out
    assert len(out) < 20_000


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--depth", "2", "--lr", "nan"], r"lr must be a finite float > 0; got nan"),
        (["--depth", "2", "--lr", "-1"], r"lr must be a finite float > 0; got -1.0"),
        (["--depth", "50", "--factor"], r"--factor is refused for P = 50 > 12 parameters"),
        (["--widths", "4", "4", "4", "4", "4", "--full"], r"--full would print an estimated"),
        (
            ["--widths", "9", "9", "9", "9", "9"],
            r"widths=\(9, 9, 9, 9, 9\) needs about .* of memory for the symbolic gradient",
        ),
        (["--depth", "2", "--max-terms", "0"], r"max_terms must be an int >= 1; got 0"),
    ],
)
def test_refused_up_front_with_one_line(argv, match, capsys):
    rc, out, err = _run(argv, capsys)
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    import re

    assert re.search(match, err), err


def test_depth_fifty_does_not_hang(capsys):
    rc, out, _ = _run(["--depth", "50"], capsys)
    assert rc == 0 and "dL/dw50" not in out and "more components" in out


def test_long_monomials_are_abbreviated(capsys):
    rc, out, _ = _run(["--depth", "20"], capsys)
    assert rc == 0
    assert "L(theta) = [3 terms, degree 40] 1/2*w1**2*w2**2*w3**2*...*w19**2*w20**2" in out
    assert "[20 factors] - w1*w2*w3*...*w19*w20 [20 factors] + 1/2" in out
    rc, full, _ = _run(["--depth", "20", "--full"], capsys)
    assert "..." not in full.split("\n")[1] and "w20**2" in full
