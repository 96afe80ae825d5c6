"""Derivation time against network size, and the ``dynsys-gd derive`` command (CPU time).

Part 1 (``--cli``, also run by default first): ``dynsys-gd derive --widths 4 4 4 4 4`` in this
process (stdout captured), in CPU seconds (``time.process_time``), against two baselines run in
the same process: the bare exact gradient (``derive(net).gradient_polys`` of a fresh network), and
the previous command's cost model, ``sympy.factor`` of every gradient component, measured on the
small network (2, 2, 2, 2) where it finishes (the same command with and without ``--factor``).
Target: under 10 s of CPU time for (4, 4, 4, 4, 4) (it was over 10 minutes with factoring).

Part 2 times, for scalar networks of depth 2..20 and square matrix networks up to ~100 parameters:
the exact loss polynomial, gradient and Hessian polynomials (sparse, over Q), the compiled
batched numpy evaluator, and one exact det DG_eta at a rational point (python-flint).  Also the
ratio of the compiled symbolic Hessian to the closed-form numeric kernel on a batch of 256.

Run: ``python benchmarks/bench_derivation.py [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
from fractions import Fraction

import numpy as np

import dynsys_gd as dg
from dynsys_gd.numeric.kernels import numeric_model
from dynsys_gd.symbolic.codegen import compile_model
from dynsys_gd.symbolic.derivation import Derivation


def _time(fn):
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def _cli(argv: list[str]) -> tuple[float, int, int]:
    """CPU seconds, exit status and output size of one in-process ``dynsys-gd`` run."""
    from dynsys_gd.cli import main as cli_main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        t, rc = _time(lambda: cli_main(argv))
    return t, int(rc), len(buf.getvalue())


def bench_cli() -> None:
    from dynsys_gd.symbolic.derivation import derive

    w = ["4", "4", "4", "4", "4"]
    t_cli, rc, size = _cli(["derive", "--widths", *w])
    net = dg.LinearNetwork.from_covariances((4, 4, 4, 4, 4), Sxx=np.eye(4), Syx=np.eye(4))
    t_grad, _ = _time(lambda: derive(net).gradient_polys)
    t_h, rc_h, size_h = _cli(["derive", "--widths", *w, "--hessian", "--jacobian", "--lr", "0.1"])
    print("dynsys-gd derive, CPU seconds (time.process_time), one process")
    print(
        f"  --widths 4 4 4 4 4                      : {t_cli:7.2f} s  (exit {rc}, {size:,} chars)"
    )
    print(
        f"  ... --hessian --jacobian --lr 0.1       : {t_h:7.2f} s  (exit {rc_h}, {size_h:,} chars)"
    )
    print(
        f"  baseline: bare exact gradient, same net : {t_grad:7.2f} s  "
        f"(command / gradient = {t_cli / t_grad:.2f})"
    )
    small = ["derive", "--widths", "2", "2", "2", "2"]
    t_plain, _, _ = _cli(small)
    t_fact, _, _ = _cli([*small, "--factor"])
    print(
        f"  --widths 2 2 2 2 without / with --factor: {t_plain:7.2f} s / {t_fact:.2f} s  "
        f"(factoring costs {t_fact / t_plain:.1f}x here)"
    )
    print(f"  target < 10 s for (4, 4, 4, 4, 4): {'met' if t_cli < 10 else 'NOT met'}")


def bench(net: dg.LinearNetwork) -> dict[str, float]:
    d = Derivation(net)  # fresh, uncached
    row: dict[str, float] = {"P": net.n_params}
    row["loss"], _ = _time(lambda: d.loss_poly)
    row["grad"], _ = _time(lambda: d.gradient_polys)
    row["hess"], _ = _time(lambda: d.hessian_polys)
    net._cache.pop("codegen:numpy", None)  # type: ignore[attr-defined]
    net._cache["derivation"] = d  # type: ignore[attr-defined]
    row["compile"], fns = _time(lambda: compile_model(net))
    point = [Fraction(k % 5 + 1, 3) for k in range(net.n_params)]
    row["det@pt"], _ = _time(lambda: d.det_dg_at(point, Fraction(1, 10)))
    theta = np.random.default_rng(0).normal(size=(256, net.n_params))
    t_sym, H1 = _time(lambda: fns["hessian"](theta))
    k = numeric_model(net)
    t_num, H2 = _time(lambda: k.hessian(theta))
    assert np.allclose(H1, H2, rtol=1e-8, atol=1e-8)
    row["sym/num"] = t_sym / t_num
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--cli", action="store_true", help="only the derive command (part 1)")
    args = ap.parse_args()
    bench_cli()
    if args.cli:
        return
    depths = [2, 4, 8] if args.quick else [2, 4, 6, 8, 10, 12, 16, 20]
    widths = (
        [(2, 2, 2), (3, 3, 3)]
        if args.quick
        else [
            (2, 2, 2),
            (3, 3, 3),
            (4, 4, 4),
            (3, 3, 3, 3, 3),
            (5, 5, 5),
            (4, 4, 4, 4, 4),
            (5, 5, 5, 5),
            (7, 7, 7),
        ]
    )
    nets = [dg.LinearNetwork.scalar(n, target=2.0) for n in depths]
    rng = np.random.default_rng(1)
    for w in widths:
        nets.append(
            dg.LinearNetwork.from_covariances(
                w, Sxx=np.eye(w[0]), Syx=np.round(rng.normal(size=(w[-1], w[0])), 2)
            )
        )
    print(
        f"{'network':<28}{'P':>5}{'loss':>9}{'grad':>9}{'hess':>9}{'compile':>9}"
        f"{'det@pt':>9}{'sym/num':>9}   (CPU seconds; sym/num = compiled symbolic Hessian time /"
        " closed-form kernel time, batch 256)"
    )
    for net in nets:
        r = bench(net)
        label = f"scalar N={net.depth}" if net.is_scalar else f"widths {net.widths}"
        print(
            f"{label:<28}{int(r['P']):>5}{r['loss']:>9.3f}{r['grad']:>9.3f}{r['hess']:>9.3f}"
            f"{r['compile']:>9.3f}{r['det@pt']:>9.3f}{r['sym/num']:>9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
