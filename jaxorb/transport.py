"""Interface quantities: conversion efficiencies, orbital memory loss and mean torque
(docs/theory.md §7-§8, paper Eqs. 9 and 11).

Every public function validates on the host, then calls a jitted core. Parameter fields may be
arrays: they are broadcast against each other and the core is vmapped over the points. The
functions are differentiable in U, r and alpha (the kappa nodes move with the branch points, so
the derivative is that of the integral, not of a fixed-grid sum).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from . import fast, profiles
from .operators import DIPOLES, LX, LY, LZ, OPERATOR_NAMES, QUADRUPOLES, incident_vector
from .params import Params, check_real, validate_count, validate_params

# ---------------------------------------------------------------------------------------------
# Host-side helpers


def injected_dipole(incident, dipole=None) -> np.ndarray:
    """Unit 3-vector n of the injected dipole n . L, whose currents define eta, delta and c.

    For ``"x"``, ``"y"``, ``"z"`` it is that axis. For a general state it is the direction of
    <in|L|in> unless ``dipole`` (a 3-vector or ``"x"``/``"y"``/``"z"``) is given.
    """
    if dipole is None and isinstance(incident, str):
        dipole = incident.lower().removeprefix("l")
    if dipole is None:
        vec = incident_vector(incident)
        n = np.array([np.vdot(vec, op @ vec).real for op in (LX, LY, LZ)])
        if np.linalg.norm(n) < 1e-12:
            raise ValueError(
                "the incident state carries no orbital dipole <L>; pass dipole='x', 'y', 'z' or a "
                "3-vector to say whose current normalises the result"
            )
    elif isinstance(dipole, str):
        axes = {"x": 0, "y": 1, "z": 2}
        if dipole not in axes:
            raise ValueError(f"dipole must be 'x', 'y', 'z' or a real 3-vector; got {dipole!r}")
        n = np.eye(3)[axes[dipole]]
    else:
        n = np.asarray(dipole, dtype=float)
        if n.shape != (3,) or not np.all(np.isfinite(n)) or np.linalg.norm(n) == 0:
            raise ValueError(f"dipole must be a nonzero, finite real 3-vector; got {dipole!r}")
    return n / np.linalg.norm(n)


def _check_quadrupole(name: str) -> int:
    if name not in QUADRUPOLES:
        raise ValueError(f"quadrupole must be one of {', '.join(QUADRUPOLES)}; got {name!r}")
    return OPERATOR_NAMES.index(name)


#: Points per batch when a core is mapped over many parameter points (bounds the working set).
BATCH = 256


@functools.partial(jax.jit, static_argnames=("core", "static"))
def _run_core(core, static, U, r, alpha, *arrays):
    """``core(U, r, alpha, *arrays, *static)`` over flat parameter arrays, in batches."""
    return jax.lax.map(lambda x: core(x[0], x[1], x[2], *arrays, *static), (U, r, alpha), batch_size=BATCH)


def _broadcast_call(core, p: Params, arrays=(), static=()):
    """Call ``core(U, r, alpha, *arrays, *static)`` on broadcast parameter arrays, jitted once per
    shape (new values never recompile); the result has the broadcast shape."""
    U, r, alpha = jnp.broadcast_arrays(*(jnp.asarray(x, dtype=jnp.result_type(float)) for x in p))
    flat = _run_core(core, tuple(static), U.ravel(), r.ravel(), alpha.ravel(), *arrays)
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


def _prepare(p, incident, nodes, dipole=None):
    validate_params(p)
    rho_in = jnp.asarray(profiles.density_matrix(incident))
    ndip = jnp.asarray(injected_dipole(incident, dipole), dtype=jnp.result_type(float))
    return rho_in, ndip, None if nodes is None else validate_count("nodes", nodes, 2)


def efficiency(p: Params, incident="x", quadrupole: str = "Lyz", *, dipole=None, nodes: int | None = None):
    """Interfacial conversion efficiency eta_Q^j = Q_R(0) / J_L(0) (docs/theory.md §8).

    Q_R(0): Fermi-averaged current of quadrupole Q in the right layer at z = 0; J_L(0): that of
    the injected dipole n . L in the left layer (incident + reflected). Dimensionless; invariant
    under the normalisation of the incident state.

    Args:
        p: :class:`Params`; fields may be arrays (broadcast, result has their shape).
        incident: ``"x"``, ``"y"``, ``"z"`` or a 3-vector.
        quadrupole: one of Lxy Lyz Lzx Lx2-y2 Lz2.
        dipole: the injected dipole's axis for a general incident vector (default: <L>).
        nodes: None (default) for the graded kappa rule :func:`jaxorb.quadrature.graded_rule` (converged to
            1e-12 on typical parameters, docs/performance.md), or an int: that many nodes per
            branch-split segment (24: 1e-7 to 1e-6 on typical parameters).

    Returns:
        eta, shape of the broadcast parameters.
    """
    iq = _check_quadrupole(quadrupole)
    rho_in, ndip, n = _prepare(p, incident, nodes, dipole)
    return _broadcast_call(_efficiency_core, p, (rho_in, ndip), (iq, n))


def current_ratio(p: Params, incident="z", *, dipole=None, nodes: int | None = None):
    """J_L(0) / J_R(0) of the injected dipole: the left side of paper Eq. 9 (``nodes`` as for
    :func:`efficiency`)."""
    rho_in, ndip, n = _prepare(p, incident, nodes, dipole)
    return _broadcast_call(_ratio_core, p, (rho_in, ndip), (n,))


def memory_loss(p: Params, incident="z", transparency=2.0, *, dipole=None, nodes: int | None = None):
    """Orbital memory loss delta from J_L(0)/J_R(0) = cosh(delta) + p delta sinh(delta) (Eq. 9).

    Args:
        p: :class:`Params` (arrays broadcast).
        incident: injected state.
        transparency: p = rho_R l_R / AR_I > 0 (the paper's typical value is 2).

    Returns:
        delta >= 0. Where J_L(0)/J_R(0) < 1 no real delta exists (the interface would have to
        add dipole current) and the result is NaN, never clipped; :func:`current_ratio` gives
        the ratio itself (e.g. |L_x> at U = r = 0.5, alpha = 0: 0.991).
    """
    tr = check_real("transparency", transparency, "transparency > 0 (p = rho_R l_R / AR_I)")
    if tr is not None and np.any(tr <= 0):
        raise ValueError(f"transparency must satisfy transparency > 0 (p = rho_R l_R / AR_I); got {transparency!r}")
    ratio = current_ratio(p, incident, dipole=dipole, nodes=nodes)
    return solve_memory_loss(ratio, jnp.asarray(transparency, dtype=jnp.result_type(float)))


def mean_torque(p: Params, incident="z", thickness=None, *, dipole=None, nodes: int | None = None):
    """Mean-torque coefficient c of the injected dipole (docs/theory.md §7).

    c = J(inf) - J(0), the paper's definition (tau_bar = c hbar^2 / (k_F D m)), or with
    ``thickness=D`` the finite-layer form c(D) = J(D) - J(0) = int_0^D tau dz. The two differ
    because z -> inf and r -> 0 do not commute: c(D) -> 0 as r -> 0, c(inf) does not.

    Args:
        p: :class:`Params` (arrays broadcast).
        incident: injected state.
        thickness: None for z -> infinity, or D >= 0 in 1/k_F.
        nodes: kappa nodes per segment; default: the graded rule :func:`jaxorb.quadrature.graded_rule` for
            D = inf (only non-oscillating terms remain), :func:`jaxorb.nodes_for_depth` of D
            per segment for a finite D.

    Returns:
        c in hbar * hbar k_F / m (dimensionless in the units of docs/theory.md §1).
    """
    if thickness is None:
        d = np.inf
    else:
        arr = check_real("thickness", thickness, "thickness D >= 0 in 1/k_F")
        if arr is not None and (arr.ndim != 0 or arr < 0):
            raise ValueError(f"thickness must be a scalar D >= 0 in 1/k_F; got {thickness!r}")
        d = float(arr) if arr is not None else thickness
    if nodes is None and np.isfinite(d):
        nodes = profiles.nodes_for_depth(d)
    rho_in, ndip, n = _prepare(p, incident, nodes, dipole)
    return _broadcast_call(_mean_torque_core, p, (rho_in, ndip, jnp.asarray(d, dtype=jnp.result_type(float))), (n,))
