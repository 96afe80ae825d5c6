"""Hypothesis properties of the compiled MLP kernel (:mod:`dynsys_gd.numeric.engine.mlp_kernel`) and of
the engine's tanh (:mod:`dynsys_gd.numeric.engine.activations`).

* Both loop orders of the kernel, and :meth:`LaneModel.gradient_cols`, are *bit-identical* to the
  numpy twin :func:`mlp_columns` (compared bit pattern by bit pattern, so ``-0.0`` vs ``+0.0``
  counts as a difference), for random architectures, data and parameters (moderate values,
  ``1e3``-sized ones that saturate tanh, exact zeros and negative zeros that sit on ReLU's kink,
  and non-finite parameters as a diverging run produces them); and equal to the independent
  :meth:`MLP.gradient` up to a rounding bound.
* ``block_mlp`` over ``c`` steps is bit-identical to ``c`` numpy GD steps with the twin, including
  the recorded iterates and the gradient-norm statistics.
* ``tanh_array`` equals the compiled ``tanh_scalar`` bit for bit, is odd, bounded, close to
  ``numpy.tanh`` and monotone (see :func:`test_tanh_is_monotone_except_in_the_saturation_band`
  for the one place where it is not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from hypothesis import event, example, given, note, settings
from hypothesis import strategies as st

import dynsys_gd as dg
from dynsys_gd.numeric.engine import mlp_kernel
from dynsys_gd.numeric.engine.activations import tanh_array, tanh_scalar
from dynsys_gd.numeric.engine.lanes import KIND_MLP, lane_model
from dynsys_gd.numeric.engine.mlp_kernel import mlp_columns

ACTS = ("tanh", "relu", "identity")
EPS = np.finfo(np.float64).eps


# ------------------------------------------------------------------------------------ helpers
@dataclass
class Case:
    """An MLP, a stack of parameter columns ``cols[P, L]`` and a description for failures."""

    model: dg.MLP
    cols: np.ndarray
    desc: str


def build(
    widths: tuple[int, ...],
    activation: str,
    bias: bool,
    n: int,
    lanes: int,
    seed: int,
    pscale: float = 1.0,
    p_zero: float = 0.0,
    p_big: float = 0.0,
    int_data: bool = False,
    neg_zero: bool = False,
) -> Case:
    """A deterministic case: data ~ N(0, 1) (or small integers, which make exact cancellations
    and exact zeros likely), parameters ~ pscale * N(0, 1) with a share ``p_zero`` of exact
    zeros (``-0.0`` with ``neg_zero``) and a share ``p_big`` of ``+-1e3``-sized entries."""
    rng = np.random.default_rng(seed)
    if int_data:
        X = rng.integers(-2, 3, size=(n, widths[0])).astype(float)
        Y = rng.integers(-2, 3, size=(n, widths[-1])).astype(float)
    else:
        X = rng.normal(size=(n, widths[0]))
        Y = rng.normal(size=(n, widths[-1]))
    m = dg.MLP(widths, activation, X=X, Y=Y, bias=bias)
    th = pscale * rng.normal(size=(m.n_params, lanes))
    if int_data:
        th = np.round(th * 2.0) / 2.0  # halves: exact products and sums, often exactly 0
    big = rng.random(th.shape) < p_big
    th[big] = rng.choice([-1.0, 1.0], size=big.sum()) * rng.uniform(1e2, 1e3, size=big.sum())
    zero = rng.random(th.shape) < p_zero
    th[zero] = -0.0 if neg_zero else 0.0
    desc = (
        f"widths={widths} act={activation} bias={bias} n={n} L={lanes} seed={seed} "
        f"pscale={pscale} p_zero={p_zero} p_big={p_big} int={int_data} negzero={neg_zero}"
    )
    return Case(m, np.ascontiguousarray(th), desc)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    depth = draw(st.integers(1, 3))
    widths = [draw(st.integers(1, 7)) for _ in range(depth + 1)]
    if depth >= 2 and draw(st.integers(0, 7)) == 0:
        # now and then one wide hidden layer: the lanes-outermost order whatever the lanes
        widths[draw(st.integers(1, depth - 1))] = draw(st.sampled_from([64, 65, 70]))
    return build(
        tuple(widths),
        draw(st.sampled_from(ACTS)),
        draw(st.booleans()),
        draw(st.integers(1, 12)),
        draw(st.integers(1, 20)),
        draw(st.integers(0, 2**32 - 1)),
        pscale=draw(st.sampled_from([0.3, 1.0, 3.0, 30.0])),
        p_zero=draw(st.sampled_from([0.0, 0.0, 0.3, 0.9])),
        p_big=draw(st.sampled_from([0.0, 0.0, 0.1, 0.5])),
        int_data=draw(st.booleans()),
        neg_zero=draw(st.booleans()),
    )


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def assert_bits_equal(a: np.ndarray, b: np.ndarray, what: str) -> None:
    """Same shape and the same bit pattern everywhere (so ``-0.0 != +0.0``); NaNs only need to
    be NaN on both sides (their payload and sign are not specified by IEEE arithmetic)."""
    assert a.shape == b.shape, what
    na, nb = np.isnan(a), np.isnan(b)
    assert np.array_equal(na, nb), f"{what}: NaN at different places"
    diff = (bits(a) != bits(b)) & ~na
    if diff.any():
        i = tuple(np.argwhere(diff)[0])
        raise AssertionError(
            f"{what}: {int(diff.sum())} elements differ, first at {i}: {a[i]!r} vs {b[i]!r}"
        )


def uses_inner(lm, lanes: int) -> bool:
    return bool(mlp_kernel.lanes_innermost(lm.ip, lanes))


def kernel_orders(lm, cols: np.ndarray) -> dict[str, np.ndarray]:
    """The gradient by both loop orders called directly (outputs and work rows pre-filled with
    NaN, so an element the kernel forgets to write shows up), and by ``gradient_cols``."""
    P, L = cols.shape
    out = {}
    for fn in (mlp_kernel.grad_lanes_inner, mlp_kernel._grad_lanes_outer):
        g = np.full((P, L), np.nan)
        fn(lm.ip, lm.fp, cols, g, np.full((lm.nwork, L), np.nan))
        out[fn.__name__] = g
    out["gradient_cols"] = lm.gradient_cols(cols)
    return out


def forward_bounds(m: dg.MLP, th: np.ndarray):
    """Pre-activations of the hidden layers and running error scales (numpy, shape (B, n, d)).

    ``E_z`` bounds ``|z|`` and, times a modest multiple of eps, the rounding error of ``z``: the
    forward pass with every quantity replaced by its magnitude, ``E_z = E_a |W|^T + |b|``, where
    for tanh ``E_a = E_z + 1`` (tanh is 1-Lipschitz and its own error is a few ulp of a value
    of size <= 1) and for ReLU / identity ``E_a = E_z``.  The backward scale ``E_d`` follows
    ``delta_{i-1} = (delta_i W_i) * sigma'``: ``E_d |W_i|`` times ``1 + E_a`` for tanh (the
    error of ``sigma' = 1 - t^2`` is of the size of that of ``t``), times 1 otherwise (ReLU's
    0/1 derivative is exact away from the kink).  The gradient scale is ``E_d^T E_a`` (weights)
    and ``sum_k E_d`` (biases): a first-order bound ``|g| <= E_g`` and ``|err g| <= C eps E_g``
    with ``C`` about the length of the longest chain of additions (sum of the widths plus n).
    """
    layers = m.unflatten(th)
    B = th.shape[0]
    a = np.broadcast_to(m.X, (B, *m.X.shape))
    Ea = np.abs(a)
    zs, Ezs, Eas = [], [], [Ea]
    for i, (W, b) in enumerate(layers):
        z = np.einsum("bnq,bjq->bnj", a, W)
        Ez = np.einsum("bnq,bjq->bnj", Ea, np.abs(W))
        if b is not None:
            z = z + b[:, None, :]
            Ez = Ez + np.abs(b)[:, None, :]
        if i == m.depth - 1:
            Eout = Ez
            break
        zs.append(z)
        Ezs.append(Ez)
        if m.activation == "tanh":
            a, Ea = np.tanh(z), Ez + 1.0
        elif m.activation == "relu":
            a, Ea = z * (z > 0), Ez
        else:
            a, Ea = z, Ez
        Eas.append(Ea)
    Ed = (Eout + np.abs(m.Y)) / m.n_samples
    parts = [None] * m.depth
    for i in range(m.depth - 1, -1, -1):
        W, _ = layers[i]
        EgW = np.einsum("bnj,bnq->bjq", Ed, Eas[i]).reshape(B, -1)
        parts[i] = (EgW, Ed.sum(axis=1) if m.bias else None)
        if i > 0:
            Ed = np.einsum("bnj,bjq->bnq", Ed, np.abs(W))
            if m.activation == "tanh":
                Ed = Ed * (1.0 + Eas[i])
    Eg = np.concatenate(
        [np.concatenate([w, b], axis=1) if b is not None else w for w, b in parts], 1
    )
    return zs, Ezs, Eg


# ------------------------------------------------------------------------ 1. gradient kernel
@settings(deadline=None)
@given(case=cases())
@example(case=build((1, 1), "tanh", True, 1, 1, 0))  # depth 1, n = 1, one lane
@example(case=build((3, 1), "relu", True, 5, 2, 1, p_zero=0.5, neg_zero=True))
@example(case=build((2, 64, 1), "tanh", True, 3, 7, 2, p_big=0.3))  # width exactly 64
@example(case=build((3, 63, 2), "relu", True, 9, 9, 3, int_data=True, p_zero=0.3))  # 63: inner
@example(case=build((4, 7, 7, 3), "tanh", False, 12, 20, 4, pscale=30.0, p_big=0.5))
@example(case=build((2, 3, 1), "relu", True, 8, 12, 5, int_data=True, p_zero=0.9))
def test_kernel_loop_orders_are_the_twin_and_the_gradient(case: Case) -> None:
    """Both loop orders and ``gradient_cols`` are bit-identical to the numpy twin, and equal to
    the independent ``MLP.gradient`` up to rounding (the kink of ReLU excepted)."""
    note(case.desc)
    m, cols = case.model, case.cols
    lm = lane_model(m)
    assert lm is not None and lm.kind == KIND_MLP and lm.n_params == m.n_params
    event("gradient_cols: lanes innermost" if uses_inner(lm, cols.shape[1]) else "lanes outermost")
    twin = mlp_columns(lm.ip, lm.fp)(cols)
    assert np.isfinite(twin).all()  # finite data and parameters of these sizes do not overflow
    for name, g in kernel_orders(lm, cols).items():
        assert_bits_equal(g, twin, name)

    # Against MLP.gradient (BLAS products in another order, numpy's tanh): the difference is
    # rounding only.  The tolerance is the brief's 1e-12 * max|g| (~4500 eps: the chains of
    # additions are < 120 terms long, tanh is within a few ulp) plus 32 eps * E_g, E_g the
    # magnitude gradient of forward_bounds (>= |g| entrywise).  The second term is needed where
    # the first is wrong: with 1e3-sized weights the rounding error of a pre-activation is about
    # eps |W||a|, far above eps |z|, and where the gradient nearly cancels (integer data, exact
    # fits) max|g| ~ 0 while the rounding error is not.  Observed: err <= 4e-13 max|g| and
    # err <= 3 eps E_g over thousands of cases; a dropped or doubled term is ~|g| or ~E_g.
    th = np.ascontiguousarray(cols.T)
    ref = m.gradient(th).T
    zs, Ezs, Eg = forward_bounds(m, th)
    if m.activation == "relu":
        # a pre-activation whose sign rounding decides (|z| below its error scale) may fall on
        # different sides of ReLU's kink in the two computations: no reference there
        kink = any(
            ((np.abs(z) <= 1e-9 * Ez) & (Ez > 0)).any() for z, Ez in zip(zs, Ezs, strict=True)
        )
        if kink:
            event("relu: a pre-activation within rounding of the kink, reference skipped")
            return
    tol = 1e-12 * np.abs(ref).max() + 32 * EPS * Eg.T + 1e-300
    err = np.abs(twin - ref)
    assert (err <= tol).all(), (
        f"max err/tol {np.max(err / tol):.3g}, max err {err.max():.3g}, max|g| {np.abs(ref).max():.3g}"
    )


@st.composite
def nonfinite_cases(draw: st.DrawFn) -> Case:
    case = draw(cases())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    th = case.cols.copy()
    special = draw(
        st.lists(st.sampled_from([np.inf, -np.inf, np.nan, 1e300, -1e300, 1e155]), min_size=1)
    )
    k = draw(st.integers(1, max(1, th.size // 4)))
    idx = rng.choice(th.size, size=min(k, th.size), replace=False)
    th.flat[idx] = rng.choice(special, size=idx.size)
    return Case(case.model, th, case.desc + f" special={special} k={k}")


@settings(deadline=None)
@given(case=nonfinite_cases())
@example(
    case=Case(
        dg.MLP((2, 3, 1), "relu", X=[[1.0, 2.0]], Y=[[1.0]], bias=True),
        np.array([-np.inf, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0], dtype=float)[:, None],
        "relu of -inf",
    )
)
def test_kernel_propagates_nonfinite_parameters_like_the_twin(case: Case) -> None:
    """A diverging run hands the kernel inf, NaN and overflowing parameters: both orders still
    give the twin's result, NaN where it has NaN and the same bits elsewhere (an inf that turns
    into NaN in one evaluator only would desynchronise the engine and its reference)."""
    note(case.desc)
    lm = lane_model(case.model)
    with np.errstate(all="ignore"):  # inf - inf, 0 * inf, overflow: expected here
        twin = mlp_columns(lm.ip, lm.fp)(case.cols)
    event("twin has NaN" if np.isnan(twin).any() else "twin without NaN")
    for name, g in kernel_orders(lm, case.cols).items():
        assert_bits_equal(g, twin, name)


# ------------------------------------------------------------------------- 2. the lane block
def numpy_block(twin, th, lr, c: int, tail: int, H: int):
    """``c`` GD steps ``th - lr * g`` with the twin, and the block's statistics: for each of
    the last ``tail`` steps the norm ``sqrt(g_0^2 + g_1^2 + ...)`` (summed in parameter order),
    summed in step order (``gsum``) and maximised from 0 (``gmax``); the last ``H`` iterates."""
    th = th.copy()
    P, L = th.shape
    gsum, gmax = np.zeros(L), np.zeros(L)
    hist = np.zeros((H, P, L))
    g = np.zeros_like(th)
    for s in range(c):
        g = twin(th)
        if s >= c - tail:
            gn = np.sqrt(np.cumsum(g * g, axis=0)[-1])
            gsum = gsum + gn
            gmax = np.where(gn > gmax, gn, gmax)
        th = th - lr[None, :] * g
        if s >= c - H:
            hist[s - (c - H)] = th
    return th, g, hist, gsum, gmax


@st.composite
def block_cases(draw: st.DrawFn):
    case = draw(cases())
    c = draw(st.integers(1, 5))
    tail = draw(st.integers(0, c))
    H = draw(st.integers(0, c))
    L = case.cols.shape[1]
    big_lr = draw(st.booleans())  # large steps: overflow to inf / NaN within the block
    lr = np.array(draw(st.lists(st.floats(1e-3, 50.0 if big_lr else 2.0), min_size=L, max_size=L)))
    return case, c, tail, H, lr


@settings(deadline=None)
@given(args=block_cases())
@example(args=(build((1, 1), "tanh", True, 1, 1, 0), 1, 1, 1, np.array([0.5])))
@example(args=(build((2, 64, 2), "tanh", True, 5, 3, 6), 4, 2, 3, np.array([0.1, 1.0, 3.0])))
@example(args=(build((3, 4, 1), "relu", False, 2, 6, 7), 3, 0, 0, np.full(6, 0.3)))
@example(args=(build((3, 5, 4, 2), "tanh", True, 12, 16, 8), 5, 5, 5, np.linspace(0.1, 2, 16)))
def test_block_equals_numpy_gd_steps_with_the_twin(args) -> None:
    """``block_mlp`` (the engine's MLP block) == c numpy GD steps with the twin, bit for bit:
    iterates, last gradient, recorded iterates, ``gsum`` and ``gmax``."""
    case, c, tail, H, lr = args
    note(f"{case.desc} c={c} tail={tail} H={H} lr={lr}")
    m = case.model
    lm = lane_model(m)
    assert lm.block is mlp_kernel.block_mlp
    P, L = case.cols.shape
    event("block: lanes innermost" if uses_inner(lm, L) else "block: lanes outermost")
    th = case.cols.copy()
    g = np.full((P, L), np.nan)
    wk = np.full((lm.nwork, L), np.nan)
    hist = np.full((H, P, L), np.nan)
    gsum = np.full(L, np.nan)
    gmax = np.full(L, np.nan)
    mlp_kernel.block_mlp(lm.kind, lm.ip, lm.fp, th, g, wk, lr, hist, gsum, gmax, c, tail, H)
    with np.errstate(all="ignore"):  # large steps overflow
        ref = numpy_block(mlp_columns(lm.ip, lm.fp), case.cols, lr, c, tail, H)
    names = ("theta", "g", "hist", "gsum", "gmax")
    for name, got, want in zip(names, (th, g, hist, gsum, gmax), ref, strict=True):
        assert_bits_equal(got, want, name)
    if tail == 0:
        assert not gsum.any() and not gmax.any()


# ----------------------------------------------------------------------------------- 3. tanh
@numba.njit(error_model="numpy", fastmath=False)
def _tanh_compiled(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = tanh_scalar(x[i])
    return out


any_float = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
float_arrays = st.lists(
    st.one_of(any_float, st.floats(-25.0, 25.0), st.floats(-1e-6, 1e-6)), min_size=1, max_size=40
).map(lambda v: np.array(v, dtype=np.float64))


@settings(deadline=None)
@given(x=float_arrays)
@example(x=np.array([0.0, -0.0, 5e-324, -5e-324, 2.2e-308, np.inf, -np.inf, np.nan, -np.nan]))
@example(x=np.array([1e308, -1e308, 22.0, 44.0, 0.17328679513998632, 18.9, 19.0, 19.2]))
def test_tanh_array_is_the_compiled_tanh_and_odd_and_bounded(x: np.ndarray) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        t = tanh_array(x)
        neg = tanh_array(-x)
    s = _tanh_compiled(x)
    # the numpy evaluation and the compiled one: the same bits, NaN payloads included
    assert np.array_equal(bits(t), bits(s)), (x[bits(t) != bits(s)], t[bits(t) != bits(s)])
    # odd, bit for bit (also for -0.0 and NaN's sign)
    assert np.array_equal(bits(neg), bits(-t))
    # NaN exactly for NaN input, and then with the input's sign
    nan = np.isnan(x)
    assert np.array_equal(np.isnan(t), nan)
    assert np.array_equal(np.signbit(t), np.signbit(x))  # the sign of x, zeros included
    f = ~nan
    assert (np.abs(t[f]) <= 1.0).all()
    assert np.array_equal(t[np.isinf(x)], np.sign(x[np.isinf(x)]))  # +-inf -> +-1
    sub = np.abs(x) < np.finfo(np.float64).tiny
    assert np.array_equal(bits(t[sub]), bits(x[sub]))  # zeros and subnormals map to themselves
    # accuracy: <= 2.25 ulp for the engine, <= 1.2 for numpy's (module docstring)
    ref = np.tanh(x[f])
    assert (np.abs(t[f] - ref) <= 4 * np.spacing(np.abs(ref))).all()


@settings(deadline=None)
@given(x=float_arrays)
@example(x=np.array([18.0, 18.4, 19.6, 20.0, -0.5, -0.4999999, 0.1732867951, 0.17328679514]))
def test_tanh_is_monotone(x: np.ndarray) -> None:
    """Sorted samples give non-decreasing values: within one ulp always (the function is a few
    ulp from tanh, so neighbouring floats may swap), exactly for samples that are apart by more
    than 1e-9 relatively."""
    x = np.sort(x[~np.isnan(x)])
    if x.size < 2:
        return
    with np.errstate(over="ignore"):
        t = tanh_array(x)
    lo, hi = t[:-1], t[1:]
    assert (hi >= lo - np.spacing(np.abs(lo))).all()
    ax = np.abs(x)
    with np.errstate(invalid="ignore"):  # inf - inf between two infinities: not "apart"
        apart = (x[1:] - x[:-1]) > 1e-9 * np.maximum(ax[1:], ax[:-1])
    strict = apart
    assert (hi[strict] >= lo[strict]).all(), (x[:-1][strict & (hi < lo)], x[1:][strict & (hi < lo)])


def test_tanh_monotone_where_e_plus_2_rounds() -> None:
    """For 18.7 < |x| < 19.24, E = e^{2|x|} - 1 is above 2^54 and ``E + 2`` rounds up or down by
    the last bit of E; there the engine uses 1 - 2/(E + 2), which is monotone (it once used
    E/(E + 2), which gave tanh(18.9) = 1 and tanh(18.95) = 1 - 2^-53)."""
    x = np.array([18.0, 18.5, 18.9, 18.95, 19.0, 19.05, 19.1, 19.5, 20.0])
    t = tanh_array(x)
    assert (np.diff(t) >= 0).all(), t - 1.0
