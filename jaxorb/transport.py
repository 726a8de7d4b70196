"""Interface quantities: conversion efficiencies, orbital memory loss and mean torque
(docs/theory.md §7-§8, paper Eqs. 9 and 11).

Every public function validates on the host, then calls a jitted core. Parameter fields may be
arrays: they are broadcast against each other and the core is vmapped over the points. The
functions are differentiable in U, r and alpha (the kappa nodes move with the branch points, so
the derivative is that of the integral, not of a fixed-grid sum).
"""

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from . import batching, fast, profiles, quadrature
from . import incident as _incident
from .operators import DIPOLES, OPERATOR_NAMES, QUADRUPOLES, const
from .params import (
    Params,
    check_dtype,
    check_memory,
    check_params,
    check_transparency,
    fmt,
    precision,
    validate_count,
)

# ---------------------------------------------------------------------------------------------
# Host-side helpers


def injected_dipole(incident, dipole=None) -> np.ndarray:
    """Unit 3-vector n of the injected dipole n . L, whose currents define eta, delta and c.

    For a named dipole state (``"x"``, ``"y"``, ``"z"``) or :func:`jaxorb.along` ``(n)`` it is
    that direction. For a general state it is the direction of <in|L|in> unless ``dipole`` (a
    real 3-vector (nx, ny, nz) or ``"x"``/``"y"``/``"z"``) is given.
    """
    if dipole is None:
        if isinstance(incident, str) and incident.strip().lower().removeprefix("l") in ("x", "y", "z"):
            return _incident.direction(incident)
        n = _incident.dipole_moment(incident)
        if np.linalg.norm(n) < 1e-12:
            raise ValueError(
                f"the incident state {_label(incident)} carries no orbital dipole (<L> = 0: a quadrupole "
                "injection such as 'px', 'py', 'pz'), and eta, the current ratio and the memory loss are "
                "normalised by the current of the injected dipole, the mean torque is its current's change; "
                "use jaxorb.profile for the densities, currents and torques of this state, or pass "
                "dipole='x', 'y', 'z' or a real 3-vector (nx, ny, nz) to name the dipole"
            )
        return n / np.linalg.norm(n)
    return _incident.direction(dipole, "dipole")


def _show_axis(n: np.ndarray) -> str:
    return "(" + ", ".join(f"{x:.3g}" for x in n) + ")"


def _label(incident) -> str:
    """How an incident state was given, for messages."""
    if isinstance(incident, _incident.State):
        return incident.label
    return repr(incident) if isinstance(incident, str) else "given"


def _check_quadrupole(name: str) -> int:
    # the rule of the quantity names (jaxorb.quantities.canonical): the L may be left out
    full = "L" + name if isinstance(name, str) and not name.startswith("L") else name
    if full not in QUADRUPOLES:
        raise ValueError(f"quadrupole must be one of {', '.join(QUADRUPOLES)} (the L may be left out); got {name!r}")
    return OPERATOR_NAMES.index(full)


#: Points per batch when a core is mapped over many parameter points (bounds the working set).
BATCH = 256


@functools.partial(jax.jit, static_argnames=("core", "static"))
def _run_core(core, static, U, r, alpha, *arrays):
    """``core(U, r, alpha, *arrays, *static)`` over flat parameter arrays, in batches."""
    return jax.lax.map(lambda x: core(x[0], x[1], x[2], *arrays, *static), (U, r, alpha), batch_size=BATCH)


def _broadcast_call(core, p: Params, arrays=(), static=()):
    """Call ``core(U, r, alpha, *arrays, *static)`` on broadcast parameter arrays, jitted once per
    bucket of the number of points (:mod:`jaxorb.batching`; new values never recompile); the
    result has the broadcast shape."""
    U, r, alpha = jnp.broadcast_arrays(*(jnp.asarray(x, dtype=jnp.result_type(float)) for x in p))
    flat = batching.call_padded(
        functools.partial(_run_core, core, tuple(static)), (U.ravel(), r.ravel(), alpha.ravel()), BATCH, *arrays
    )
    return jax.tree_util.tree_map(lambda x: x.reshape(U.shape + x.shape[1:]), flat)


# ---------------------------------------------------------------------------------------------
# Jitted cores: scalar parameters in, arrays of the eight observables out


def _dipoles(ndip):
    """(name, weight) of the dipoles in n . L; zero weights of a constant n are dropped."""
    if isinstance(ndip, np.ndarray):
        return [(d, float(c)) for d, c in zip(DIPOLES, ndip) if c != 0]
    return [(d, ndip[i]) for i, d in enumerate(DIPOLES)]


def _nodes(n):
    """Kappa rule of the fast path: None = graded default; an int = that many nodes per segment;
    a tuple (inner, levels, level_nodes) = a graded rule of that size."""
    return n if n is None or isinstance(n, tuple) else int(n)


# Fast cores (jaxorb.fast): pure, jittable, scalar parameters; rho_in and ndip may be NumPy
# constants (zeros skipped at trace time) or arrays.


def _efficiency_core(U, r, alpha, rho_in, ndip, iq, n=None):
    dips = _dipoles(ndip)
    coef = jnp.stack([jnp.asarray(c) for _, c in dips])

    def eta(right, left, coef):
        return right[0] / sum(coef[i] * j for i, j in enumerate(left))

    return fast.reduce_currents(
        U, r, alpha, rho_in, (OPERATOR_NAMES[iq],), tuple(d for d, _ in dips), _nodes(n), eta, coef
    )


def _ratio_core(U, r, alpha, rho_in, ndip, n=None):
    dips = _dipoles(ndip)
    names = tuple(d for d, _ in dips)
    coef = jnp.stack([jnp.asarray(c) for _, c in dips])

    def ratio(right, left, coef):
        jl = sum(coef[i] * j for i, j in enumerate(left))
        jr = sum(coef[i] * j for i, j in enumerate(right))
        return jl / jr

    return fast.reduce_currents(U, r, alpha, rho_in, names, names, _nodes(n), ratio, coef)


def _mean_torque_core(U, r, alpha, rho_in, ndip, thickness, n=None):
    total = 0.0
    for name, c in _dipoles(ndip):
        total = total + c * fast.current_change(U, r, alpha, thickness, rho_in, name, _nodes(n))
    return total


# ---------------------------------------------------------------------------------------------
# Memory loss: cosh(delta) + p delta sinh(delta) = ratio, differentiable by the implicit function
# theorem


def _memory_equation(delta, p):
    return jnp.cosh(delta) + p * delta * jnp.sinh(delta)


#: Ratios within this of 1 are rounding of an exact 1 (|L_z>, alpha = 0) and give delta = 0
#: (float64; float32 uses 100 ulp, 1.2e-5).
RATIO_ROUNDING = 1e-12


@jax.custom_jvp
def solve_memory_loss(ratio, p):
    """delta >= 0 with cosh(delta) + p delta sinh(delta) = ratio (paper Eq. 9); NaN if ratio < 1 - 1e-12;
    ratios within 1e-12 of 1 (rounding of an exact 1) give delta = 0.

    g(delta) = cosh + p delta sinh is increasing and convex on delta >= 0 with g(0) = 1, and
    g >= cosh, so Newton from delta_0 = acosh(ratio) (an upper bound) decreases monotonically to
    the root. The derivative comes from the implicit function theorem,
    d delta = (d ratio - dg/dp dp) / g'(delta): no iteration is differentiated. At delta = 0
    (ratio = 1, where delta(ratio) has a square-root kink) the tangent is set to 0.
    """
    return _memory_root(ratio, p)


@jax.jit
def _memory_root(ratio, p):
    """Newton iteration of :func:`solve_memory_loss` (jitted once: called eagerly, a fresh
    ``fori_loop`` body would compile again on every call)."""
    # |L_z> at alpha = 0 has ratio exactly 1; rounding puts it a few ulp either side, which must
    # read as delta = 0 (not "no real root", nor the sqrt-amplified 1e-8 of a ratio 1 + 1e-16).
    # in float32 the rounding of an exact 1 is ~1e-7: widen the band to 100 ulp of the dtype
    tol = max(RATIO_ROUNDING, 100.0 * float(jnp.finfo(jnp.result_type(ratio)).eps))
    valid = ratio >= 1.0 - tol
    x = jnp.where(valid & (ratio > 1.0 + tol), ratio, 1.0)
    d0 = jnp.arccosh(x)

    def step(_, d):
        g = _memory_equation(d, p) - x
        dg = (1.0 + p) * jnp.sinh(d) + p * d * jnp.cosh(d)
        safe = dg > 0
        return jnp.where(safe, d - g / jnp.where(safe, dg, 1.0), d)

    d = jax.lax.fori_loop(0, 60, step, d0)
    return jnp.where(valid, jnp.maximum(d, 0.0), jnp.nan)


@solve_memory_loss.defjvp
def _solve_memory_loss_jvp(primals, tangents):
    ratio, p = primals
    dratio, dp = tangents
    d = solve_memory_loss(ratio, p)
    dg = (1.0 + p) * jnp.sinh(d) + p * d * jnp.cosh(d)
    dgdp = d * jnp.sinh(d)
    ok = dg > 0
    # Implicit function theorem: d(delta) = (d ratio - dg/dp dp) / g'(delta). The NaN of a
    # missing delta is folded into the linear coefficients (not added after them), so the
    # reverse-mode transpose carries it too: grad and jacfwd both give NaN below ratio 1.
    missing = jnp.isnan(d)
    inv = jnp.where(missing, jnp.nan, jnp.where(ok, 1.0 / jnp.where(ok, dg, 1.0), 0.0))
    coef_p = jnp.where(missing, jnp.nan, -dgdp * inv)
    return d, inv * dratio + coef_p * dp


# ---------------------------------------------------------------------------------------------
# Public API
#
# Each function checks every input on the host (params.check_params & co.: ValueErrors naming the
# parameter, before any compilation), estimates its working set, then calls a jitted core in the
# asked precision (params.precision).

#: Working set of the interface cores per kappa node and parameter point in flight, bytes (XLA's
#: memory analysis of the compiled value cores gives 120-200; rounded up for derivatives).
BYTES_PER_NODE = 512
#: Host bytes per squared Gauss-Legendre node count: NumPy's leggauss diagonalises an n x n
#: companion matrix (8 n^2 bytes, about three copies).
LEGGAUSS_BYTES = 24


def _kappa_nodes(n) -> int:
    """Kappa nodes K of the rule ``n`` (None: graded default; int: the larger of the plain rule's
    three segments and the depth rule that finite thicknesses use)."""
    if n is None:
        return quadrature.rule_size()
    if isinstance(n, tuple):
        return quadrature.rule_size(*n)
    return max(3 * int(n), quadrature.rule_size(*quadrature.depth_sizes(n)))


def working_set(n, points: int, per_node: float = BYTES_PER_NODE) -> float:
    """Estimated bytes of one call: the points in flight times the kappa nodes, plus the host's
    Gauss-Legendre construction of a plain rule with ``n`` nodes per segment."""
    host = 0 if n is None or isinstance(n, tuple) else LEGGAUSS_BYTES * int(n) ** 2
    return min(max(points, 1), BATCH) * _kappa_nodes(n) * per_node + host


def _check_size(what: str, n, points: int, advice: str) -> None:
    check_memory(what, working_set(n, points), advice)


def _prepare(p, incident, nodes, dipole=None, ratio: bool = True):
    """Host-side checks shared by the interface functions: (shape, rho_in, n_dipole, nodes).

    ``ratio``: the result is normalised by the dipole's current, so a ``dipole`` whose current
    vanishes by symmetry for this state (0/0) is refused."""
    shape = check_params(p)
    state = _incident.state(incident)
    rho_in = _incident.density_matrix(state)
    ndip = injected_dipole(incident if isinstance(incident, str) else state, dipole)
    if ratio and dipole is not None and _incident.dipole_current_vanishes(rho_in, ndip):
        raise ValueError(
            f"the current of the dipole n.L, n = {_show_axis(ndip)}, vanishes for the incident state "
            f"{_label(incident if isinstance(incident, str) else state)} by the symmetry of the interface "
            "(rotations about z, mirror planes containing z; docs/theory.md §12), so this ratio would be 0/0; "
            "pass a dipole axis whose current does not vanish, or use jaxorb.profile for the currents themselves"
        )
    return shape, rho_in, ndip, None if nodes is None else validate_count("nodes", nodes, 2)


def _same_precision(out, dtype: str):
    """The result in exactly the asked precision (never silently lower)."""
    for leaf in jax.tree_util.tree_leaves(out):
        if np.dtype(leaf.dtype).name != dtype:
            raise RuntimeError(f"computed in {leaf.dtype} although {dtype} was asked")  # pragma: no cover
    return out


def _interface_call(what, core, p, shape, host_arrays, static, n, dtype):
    points = int(np.prod(shape)) if shape else 1
    _check_size(what, n, points, "pass fewer nodes, or fewer parameter points per call (split the arrays)")
    with precision(dtype, p) as dt:
        arrays = tuple(const(a) if isinstance(a, np.ndarray) else a for a in host_arrays)
        out = _broadcast_call(core, p, arrays, static)
    return _same_precision(out, dt)


def efficiency(
    p: Params, incident="x", quadrupole: str = "Lyz", *, dipole=None, nodes: int | None = None, dtype="float64"
):
    """Interfacial conversion efficiency eta_Q^j = Q_R(0) / J_L(0) (docs/theory.md §8).

    Q_R(0): Fermi-averaged current of quadrupole Q in the right layer at z = 0; J_L(0): that of
    the injected dipole n . L in the left layer (incident + reflected). Dimensionless; invariant
    under the normalisation of the incident state.

    Args:
        p: :class:`Params` inside the valid domain (:data:`jaxorb.params.PARAM_RANGES`); fields
            may be arrays (broadcast against each other, result has their shape).
        incident: the injected state: ``"x"``, ``"y"``, ``"z"`` (the dipole along that axis),
            ``"m=+1"``, ``"m=0"``, ``"m=-1"``, ``"px"``, ``"py"``, ``"pz"`` (real p orbitals, <L> = 0),
            :func:`jaxorb.along` ``(n)`` or :func:`jaxorb.amplitudes` ``(c_plus, c_zero, c_minus)``
            (:mod:`jaxorb.incident`).
        quadrupole: one of Lxy Lyz Lzx Lx2-y2 Lz2; as in the quantity names the L may be left
            out (``"yz"`` is ``"Lyz"``).
        dipole: the injected dipole's axis for a general incident state (default: <L>; a state
            with <L> = 0, such as ``"px"``, ``"py"``, ``"pz"``, is refused without it, and an axis
            whose current vanishes by symmetry for the state, 0/0, is refused; docs/theory.md §12).
        nodes: None (default) for the graded kappa rule :func:`jaxorb.quadrature.graded_rule`, or an int:
            that many nodes per branch-split segment (24: 1e-7 to 1e-6 on typical parameters).
        dtype: ``"float64"`` (default) or ``"float32"`` (a string or a NumPy dtype); the result
            has exactly this precision whatever the process-wide JAX setting.

    Returns:
        eta, shape of the broadcast parameters.

    Raises:
        ValueError: a parameter outside the domain, a bad incident state, dipole, quadrupole,
            node count or dtype, or a call that would not fit in memory.
    """
    iq = _check_quadrupole(quadrupole)
    shape, rho_in, ndip, n = _prepare(p, incident, nodes, dipole)
    dt = check_dtype(dtype)
    return _interface_call("efficiency", _efficiency_core, p, shape, (rho_in, ndip), (iq, n), n, dt)


def current_ratio(p: Params, incident="z", *, dipole=None, nodes: int | None = None, dtype="float64"):
    """J_L(0) / J_R(0) of the injected dipole: the left side of paper Eq. 9 (arguments as for
    :func:`efficiency`)."""
    shape, rho_in, ndip, n = _prepare(p, incident, nodes, dipole)
    dt = check_dtype(dtype)
    return _interface_call("current_ratio", _ratio_core, p, shape, (rho_in, ndip), (n,), n, dt)


def memory_loss(p: Params, incident="z", transparency=2.0, *, dipole=None, nodes: int | None = None, dtype="float64"):
    """Orbital memory loss delta from J_L(0)/J_R(0) = cosh(delta) + p delta sinh(delta) (Eq. 9).

    Args:
        p: :class:`Params` (arrays broadcast).
        incident: injected state (as for :func:`efficiency`).
        transparency: p = rho_R l_R / AR_I > 0 (the paper's typical value is 2); a number or an
            array broadcast against the parameters.
        dipole, nodes, dtype: as for :func:`efficiency`.

    Returns:
        delta >= 0. Where J_L(0)/J_R(0) < 1 no real delta exists (the interface would have to
        add dipole current) and the result is NaN, never clipped; :func:`current_ratio` gives
        the ratio itself (e.g. |L_x> at U = r = 0.5, alpha = 0: 0.991).
    """
    tr = check_transparency(transparency)
    shape, rho_in, ndip, n = _prepare(p, incident, nodes, dipole)
    if tr is not None:
        try:
            np.broadcast_shapes(shape, tr.shape)
        except ValueError:
            raise ValueError(
                f"transparency must broadcast against the parameters; got shape {tr.shape} against {shape}"
            ) from None
    dt = check_dtype(dtype)
    ratio = _interface_call("memory_loss", _ratio_core, p, shape, (rho_in, ndip), (n,), n, dt)
    with precision(dt, p, transparency):
        ratio, pt = jnp.broadcast_arrays(ratio, jnp.asarray(transparency, dtype=jnp.result_type(float)))
        return _same_precision(solve_memory_loss(ratio, pt), dt)


@functools.partial(jax.jit, static_argnames=("core", "static"))
def _run_depth_core(core, static, U, r, alpha, depth, *arrays):
    """``core(U, r, alpha, *arrays, depth, *static)`` over flat parameter and depth arrays."""
    return jax.lax.map(lambda x: core(x[0], x[1], x[2], *arrays, x[3], *static), (U, r, alpha, depth), batch_size=BATCH)


def _check_thickness(value) -> np.ndarray | None:
    """thickness_kF: real, >= 0, finite or +inf; float64 array (None if traced)."""
    allowed = "thickness_kF >= 0 in 1/k_F, or inf for D -> infinity"
    if isinstance(value, jax.core.Tracer):
        return None
    arr = np.asarray(value) if not isinstance(value, str) else None
    if arr is None or arr.dtype == object or arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"thickness_kF must be a real number or array; allowed: {allowed}; got {value!r}")
    if np.iscomplexobj(arr) or np.any(np.isnan(arr)) or np.any(arr < 0):
        bad = arr[np.iscomplex(arr) | np.isnan(arr) | (arr.real < 0)].reshape(-1)[0] if arr.size else arr
        raise ValueError(f"thickness_kF must satisfy {allowed}; got thickness_kF = {fmt(bad)}")
    return arr.astype(np.float64)


def mean_torque(
    p: Params,
    incident="z",
    thickness_kF=None,
    *,
    dipole=None,
    nodes: int | None = None,
    dtype="float64",
    thickness=None,
):
    """Mean-torque coefficient c of the injected dipole (docs/theory.md §7).

    c = J(inf) - J(0), the paper's definition (tau_bar = c hbar^2 / (k_F D m)), or with
    ``thickness_kF=D`` the finite-layer form c(D) = J(D) - J(0) = int_0^D tau dz. The two differ
    because z -> inf and r -> 0 do not commute: c(D) -> 0 as r -> 0, c(inf) does not.

    Args:
        p: :class:`Params` (arrays broadcast).
        incident: injected state (as for :func:`efficiency`).
        thickness_kF: None (or inf) for z -> infinity, or the layer thickness D >= 0 in units of
            1/k_F (not metres: D = 10 nm at k_F = 1e10 / m is ``thickness_kF=100``); a number or
            an array, broadcast against the parameters.
        dipole, dtype: as for :func:`efficiency`.
        nodes: kappa nodes per segment; default: the graded rule :func:`jaxorb.quadrature.graded_rule` for
            D = inf (only non-oscillating terms remain), :func:`jaxorb.nodes_for_depth` of the
            largest finite D per segment otherwise.
        thickness: former name of ``thickness_kF`` (same unit), kept for a transition; warns.

    Returns:
        c in hbar * hbar k_F / m (dimensionless in the units of docs/theory.md §1), shape of the
        parameters broadcast with ``thickness_kF``.
    """
    if thickness is not None:
        if thickness_kF is not None:
            raise ValueError("pass thickness_kF (in 1/k_F) only; thickness is its former name")
        warnings.warn(
            "mean_torque(thickness=...) is deprecated: pass thickness_kF (the same value, in 1/k_F)",
            FutureWarning,
            stacklevel=2,
        )
        thickness_kF = thickness
    shape, rho_in, ndip, n = _prepare(p, incident, nodes, dipole, ratio=False)
    dt = check_dtype(dtype)
    if thickness_kF is None:
        thickness_kF = np.inf
    d = _check_thickness(thickness_kF)
    if d is not None:
        try:
            out_shape = np.broadcast_shapes(shape, d.shape)
        except ValueError:
            raise ValueError(
                f"thickness_kF must broadcast against the parameters; got shape {d.shape} against {shape}"
            ) from None
        finite = d[np.isfinite(d)]
        if nodes is None and finite.size:
            deepest = float(finite.max())
            n_needed = profiles.nodes_for_depth(deepest)
            _check_size(
                f"mean_torque at thickness_kF = {deepest:g}",
                n_needed,
                int(np.prod(out_shape)) if out_shape else 1,
                f"it needs {n_needed} kappa nodes per segment (the integrand oscillates in kappa ~ exp(i dq D)); "
                "pass a smaller thickness_kF, or thickness_kF=None for the D -> infinity coefficient",
            )
            n = n_needed
    elif nodes is None:
        raise ValueError("nodes must be given when thickness_kF is traced (it sets a static size)")
    else:
        out_shape = shape
    points = int(np.prod(out_shape)) if out_shape else 1
    _check_size("mean_torque", n, points, "pass fewer nodes, or fewer points per call")
    with precision(dt, p, thickness_kF) as dt:
        rho, nd = const(rho_in), const(ndip)
        fdt = jnp.result_type(float)
        U, r, alpha, D = jnp.broadcast_arrays(*(jnp.asarray(x, dtype=fdt) for x in (*p, thickness_kF)))
        points = (U.ravel(), r.ravel(), alpha.ravel(), D.ravel())
        flat = batching.call_padded(functools.partial(_run_depth_core, _mean_torque_core, (n,)), points, BATCH, rho, nd)
        out = flat.reshape(U.shape)
    return _same_precision(out, dt)
