"""Fermi-averaged depth profiles as sums of exponentials (PHYSICS.md §6, §7).

At one kappa the transmitted wave is a sum of three modes, so every phi-averaged density or
current is a sum over mode pairs of c_bb' exp(i (q_b' - conj q_b) z). The helicity +-1 modes
share q_t, which leaves three terms per node:

    tt: exponent -2 Im q_t          (constant in z when the t band propagates)
    rr: exponent -2 Im q_r          (constant in z when the r band propagates)
    tr: exponent i (q_r - conj q_t) (the t-r precession; its conjugate pair folded in: factor 2)

The disk average is then sum_k,type Re[w_k c exp(E z)]: a small matrix product over depths.
The torque density tau = dJ/dz multiplies each term by its exponent (PHYSICS.md §7), and the
z -> infinity value keeps exactly the terms whose exponent is zero (propagating pairs with equal
q; at r = 0 the t-r pairs too, since then q_t = q_r).
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import incident as _incident
from . import interface, observables, quadrature
from .operators import OPERATOR_NAMES, check_operator_name
from .params import Params, check_dtype, check_memory, check_params, precision, validate_count, validate_depths


class Expansion(NamedTuple):
    """Exponential-sum form of Fermi-averaged quantities.

    Attributes:
        exponent: (K, 3) complex exponents per kappa node, types (tt, rr, tr).
        density: (..., n_ops, K, 3) complex coefficients, quadrature weights folded in.
        current: (..., n_ops, K, 3) likewise for currents (public units).
        torque_a2: (..., n_ops, K, 3) likewise for the A^2-only torque (paper Eq. 11).
        current_left: (..., n_ops) Fermi-averaged left-layer current at z = 0.
    """

    exponent: jnp.ndarray
    density: jnp.ndarray
    current: jnp.ndarray
    torque_a2: jnp.ndarray
    current_left: jnp.ndarray


def _pair_types(c):
    """(..., 3, 3) mode-pair coefficients -> (..., 3) coefficients of the (tt, rr, tr) terms."""
    tt = c[..., 0, 0] + c[..., 0, 1] + c[..., 1, 0] + c[..., 1, 1]
    rr = c[..., 2, 2]
    tr = 2.0 * (c[..., 0, 2] + c[..., 1, 2])
    return jnp.stack([tt, rr, tr], axis=-1)


def density_matrix(incident) -> np.ndarray:
    """rho_in = |in><in| for a normalised incident state (host side); shape (3, 3)
    (:func:`jaxorb.incident.density_matrix`)."""
    return _incident.density_matrix(incident)


def expansion(
    U, r, alpha, rho_in, names: tuple[str, ...] = OPERATOR_NAMES, n: int = quadrature.DEFAULT_NODES, rule=None
) -> Expansion:
    """Exponential-sum coefficients of every observable in ``names`` (pure, jittable).

    One 6x6 solve per kappa node serves every azimuth and incident state (PHYSICS.md §6).

    Args:
        U, r, alpha: scalar parameters (PHYSICS.md §1 units).
        rho_in: (..., 3, 3) incident density matrices (|in><in| for pure states).
        names: observables (static).
        n: kappa nodes per segment (static).
        rule: optional (kappa, weight) arrays replacing the rule of ``n`` (e.g. the graded rule
            of :mod:`jaxorb.surface`, to compare the fast path with this one node by node).
    """
    kappa, weight = quadrature.kappa_rule(U, r, n) if rule is None else rule
    resp = interface.solve_response(U, r, alpha, kappa)
    tables = observables.OperatorTables(tuple(names))
    rho_bands = observables.incident_bands(rho_in)
    batch = rho_in.shape[:-2]
    amp = jnp.broadcast_to(resp.trans, batch + resp.trans.shape)
    refl = jnp.broadcast_to(resp.refl, batch + resp.refl.shape)
    u, q = resp.modes.u, resp.modes.q
    a = observables.mode_pair_weights(amp, rho_bands)
    dens = observables.density_pairs(a, u, tables)
    curr = observables.current_pairs(a, u, q, kappa, r, tables, dens)
    ta2 = observables.torque_a2_pairs(a, u, kappa, r, tables)
    w = weight[:, None]
    q_t, q_r = resp.modes.q[:, 0], resp.modes.q[:, 2]
    exponent = jnp.stack([-2.0 * q_t.imag + 0j, -2.0 * q_r.imag + 0j, 1j * (q_r - jnp.conj(q_t))], axis=-1)
    refl_term, inc_term = observables.left_coefficients(refl, tables, rho_bands, rho_in)
    left = jnp.sum(weight * resp.modes.q_n * (inc_term - refl_term), axis=-1)
    return Expansion(exponent, _pair_types(dens) * w, _pair_types(curr) * w, _pair_types(ta2) * w, left)


def evaluate(coef, exponent, z):
    """Re sum_k,type coef exp(exponent z) at each depth; coef (..., K, 3) -> (..., nz)."""
    phase = jnp.exp(exponent[..., None] * jnp.asarray(z))
    return jnp.einsum("...kt,ktz->...z", coef, phase).real


def derivative(coef, exponent, z):
    """d/dz of :func:`evaluate`: the torque density when ``coef`` is a current."""
    return evaluate(coef * exponent, exponent, z)


def at_infinity(coef, exponent):
    """z -> infinity limit: the terms with exponent exactly zero (non-oscillating, non-decaying)."""
    keep = exponent == 0
    return jnp.sum(jnp.where(keep, coef, 0.0), axis=(-2, -1)).real


def at_surface(coef):
    """Value at z = 0."""
    return jnp.sum(coef, axis=(-2, -1)).real


# ---------------------------------------------------------------------------------------------
# Public API

#: Nodes per segment needed at depth z: NODES_BASE + NODES_PER_DEPTH * z (see nodes_for_depth).
NODES_BASE = quadrature.DEFAULT_NODES
NODES_PER_DEPTH = 0.25


def nodes_for_depth(z_max, base: int = NODES_BASE) -> int:
    """Kappa nodes per segment for a profile up to depth ``z_max`` (1/k_F).

    The integrand oscillates in kappa like exp(i (q_t - q_r) z) and its evanescent part decays
    like exp(-2 |q| z) next to each branch point, so the nodes needed grow linearly with z:
    n = base + ceil(z_max / 4). Measured (U = 0.5, r from 0.05 to 10): converged to about 1e-11
    at z = 0, 1e-12 at z = 100 and 1e-9 at z = 200 (tests/test_quadrature.py). Convergence is
    slower when a branch point coincides with k_F (U = 0 or U = -r): then about 1e-7 at z = 0
    with the defaults, and more nodes are needed for 1e-10.

    Args:
        z_max: deepest depth, a finite real number >= 0 (1/k_F).
        base: nodes at z = 0, an integer >= 2.

    Raises:
        ValueError: a non-real, non-finite or negative depth, or a bad ``base``.
    """
    z = validate_depths(z_max, "z_max")
    if z is None:
        raise ValueError("z_max must be a concrete number (it sets a static node count), not a traced value")
    base = validate_count("base", base, 2)
    return int(base + math.ceil(NODES_PER_DEPTH * float(z.max())))


#: Working set of a profile per kappa node, and per kappa node and depth, in bytes (the
#: expansion's coefficients of eight observables, and the (K, 3, nz) complex phases with the
#: products over them); NumPy's Gauss-Legendre construction adds 24 n^2 bytes on the host.
PROFILE_BYTES_PER_NODE = 8192
PROFILE_BYTES_PER_NODE_DEPTH = 256


def profile_working_set(nodes: int, nz: int, points: int = 1) -> float:
    """Estimated bytes of :func:`profile` with ``nodes`` per segment, ``nz`` depths and ``points``
    parameter points."""
    k = 3 * int(nodes)
    return points * k * (PROFILE_BYTES_PER_NODE + PROFILE_BYTES_PER_NODE_DEPTH * nz) + 24 * int(nodes) ** 2


class Profile(NamedTuple):
    """Fermi-averaged depth profile for one incident state (a pytree).

    Dict keys are the observable names Lx Ly Lz Lxy Lyz Lzx Lx2-y2 Lz2.

    Attributes:
        z: (nz,) depths in 1/k_F.
        density: name -> (nz,) <O>(z) in hbar.
        current: name -> (nz,) J_O(z) in hbar * hbar k_F / m.
        torque: name -> (nz,) tau_O(z) = dJ_O/dz in hbar * hbar k_F^2 / m (the full torque
            density, PHYSICS.md §7).
        torque_a2: name -> (nz,) the A^2 term of the commutator alone, -(i r / 2)<[O, A^2]>,
            which is the paper's Eq. 11 for L_z; not equal to dJ/dz pointwise.
        current_left: name -> () left-layer current at z = 0 (incident + reflected).
        current_inf: name -> () z -> infinity value of the current (non-oscillating part).
        density_inf: name -> () z -> infinity value of the density.
        nodes: kappa nodes per segment used.
    """

    z: jnp.ndarray
    density: dict
    current: dict
    torque: dict
    torque_a2: dict
    current_left: dict
    current_inf: dict
    density_inf: dict
    nodes: int


@functools.partial(jax.jit, static_argnames=("names", "n"))
def profile_arrays(U, r, alpha, rho_in, z, names: tuple[str, ...] = OPERATOR_NAMES, n: int = quadrature.DEFAULT_NODES):
    """Jitted core of :func:`profile`: stacked arrays, observables along axis -2 (or -1).

    Args:
        U, r, alpha: scalars. rho_in: (..., 3, 3). z: (nz,).

    Returns:
        dict of arrays: density, current, torque, torque_a2 (..., n_ops, nz); current_left,
        current_inf, density_inf (..., n_ops).
    """
    ex = expansion(U, r, alpha, rho_in, names, n)
    return {
        "density": evaluate(ex.density, ex.exponent, z),
        "current": evaluate(ex.current, ex.exponent, z),
        "torque": derivative(ex.current, ex.exponent, z),
        "torque_a2": evaluate(ex.torque_a2, ex.exponent, z),
        "current_left": ex.current_left,
        "current_inf": at_infinity(ex.current, ex.exponent),
        "density_inf": at_infinity(ex.density, ex.exponent),
    }


def _run_in(dtype, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` computed in ``dtype`` ("float64" or "float32") whatever the
    process-wide JAX setting (:func:`jaxorb.params.precision`)."""
    with precision(dtype, *args):
        return fn(*args, **kwargs)


def profile(
    p: Params,
    z,
    incident="x",
    *,
    nodes: int | None = None,
    phi_points: int | None = None,
    observables: tuple[str, ...] | list[str] | None = None,
    dtype="float64",
) -> Profile:
    """Fermi-disk averaged densities, currents and torques at the depths ``z``.

    Implements docs/theory.md §5-§7: per kappa one interface solve (§4), the phi average done
    exactly by angular harmonics (equivalent to the equally spaced rule with >= 5 points, §6),
    and the depth dependence as a sum of exponentials.

    Args:
        p: :class:`Params` inside the valid domain (:data:`jaxorb.params.PARAM_RANGES`). Fields
            may be arrays: they are broadcast against each other and every field of the result
            gets their shape as leading dimensions (density[name] has shape (*shape, nz)).
        z: depths in 1/k_F, a number or a non-empty 1-D array, z >= 0.
        incident: the injected state: ``"x"``, ``"y"``, ``"z"`` (the dipole along that axis),
            ``"m=+1"``, ``"m=0"``, ``"m=-1"``, :func:`jaxorb.along` ``(n)`` or
            :func:`jaxorb.amplitudes` ``(c_plus, c_zero, c_minus)`` (:mod:`jaxorb.incident`).
        nodes: Gauss-Legendre nodes per kappa segment. Default :func:`nodes_for_depth` of
            max(z): 24 at z = 0, plus one per 4 units of z (the integrand oscillates in kappa
            like exp(i (q_t - q_r) z), so the nodes needed grow linearly).
        phi_points: None for the exact harmonic phi average; an integer >= 1 uses the
            straightforward equally spaced rule with one 6x6 solve per (kappa, phi) instead
            (:mod:`jaxorb.reference`; exact from 5 points, slower).
        observables: names to compute (default all eight: Lx Ly Lz Lxy Lyz Lzx Lx2-y2 Lz2).
        dtype: ``"float64"`` (default) or ``"float32"``, a string or a NumPy dtype; the result
            has exactly this precision whatever the process-wide JAX setting (README,
            "Precision", for the measured float32 error).

    Returns:
        :class:`Profile`.

    Raises:
        ValueError: invalid parameters, depths, incident state, node counts or dtype, or a
            profile that would not fit in memory (the message says how much it needs).
    """
    shape = check_params(p)
    dtype = check_dtype(dtype)
    zc = validate_depths(z)
    incident = _incident.state(incident)
    rho_in = density_matrix(incident)
    if observables is None:
        names = OPERATOR_NAMES
    else:
        if isinstance(observables, str):
            observables = (observables,)
        names = tuple(check_operator_name(name) for name in observables)
        if not names:
            raise ValueError("observables must name at least one of " + " ".join(OPERATOR_NAMES))
    if nodes is None:
        if zc is None:
            raise ValueError("nodes must be given when z is traced (it sets a static size)")
        nodes = nodes_for_depth(float(zc.max()))
    nodes = validate_count("nodes", nodes, 2)
    if phi_points is not None:
        phi_points = validate_count("phi_points", phi_points, 1)
    points = int(np.prod(shape)) if shape else 1
    nz = zc.size if zc is not None else int(np.size(z))
    check_memory(
        f"profile with {nodes} kappa nodes per segment, {nz} depths and {points} parameter points",
        profile_working_set(nodes, nz, points) * (phi_points or 1),
        "compute fewer depths or parameter points per call; the deepest depth sets the nodes "
        "(nodes_for_depth), so split far depths into separate calls or pass fewer nodes",
    )
    z_in = zc if zc is not None else z
    with precision(dtype, p, z) as dt:
        z_arr = jnp.asarray(z_in, dtype=jnp.result_type(float))
        if zc is None:
            z_arr = jnp.atleast_1d(z_arr)
        if phi_points is not None:
            from . import reference

            vec = _incident.incident_vector(incident)

            def one(U, r, alpha):
                return reference.profile_arrays(U, r, alpha, vec, z_arr, names=names, n=nodes, n_phi=phi_points)

        else:
            rho = jnp.asarray(rho_in, dtype=jnp.result_type(complex))

            def one(U, r, alpha):
                return profile_arrays(U, r, alpha, rho, z_arr, names=names, n=nodes)

        if shape:
            fdt = jnp.result_type(float)
            U, r, alpha = jnp.broadcast_arrays(*(jnp.asarray(x, dtype=fdt) for x in p))
            flat = jax.vmap(one)(U.ravel(), r.ravel(), alpha.ravel())
            out = {k: jnp.moveaxis(v.reshape(shape + v.shape[1:]), len(shape), 0) for k, v in flat.items()}
        else:
            out = one(p.U, p.r, p.alpha)
    for leaf in jax.tree_util.tree_leaves(out):
        if np.dtype(leaf.dtype).name != dt:
            raise RuntimeError(f"profile computed in {leaf.dtype} although {dt} was asked")  # pragma: no cover
    named = {key: dict(zip(names, val)) for key, val in out.items()}
    return Profile(z=z_arr, nodes=nodes, **named)
