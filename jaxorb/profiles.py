"""Fermi-averaged depth profiles as sums of exponentials (docs/theory.md §6, §7).

At one kappa the transmitted wave is a sum of three modes, so every phi-averaged density or
current is a sum over mode pairs of c_bb' exp(i (q_b' - conj q_b) z). The helicity +-1 modes
share q_t, which leaves three terms per node:

    tt: exponent -2 Im q_t          (constant in z when the t band propagates)
    rr: exponent -2 Im q_r          (constant in z when the r band propagates)
    tr: exponent i (q_r - conj q_t) (the t-r precession; its conjugate pair folded in: factor 2)

The disk average is then sum_k,type Re[w_k c exp(E z)]: a small matrix product over depths.
The coefficients come from the closed-form solve of the interface quantities
(:mod:`jaxorb.fast.depth`) on the graded kappa rule sized for depth
(:func:`jaxorb.quadrature.depth_rule`), so profiles are converged next to interface resonances
as the interface quantities are. The torque density tau = dJ/dz multiplies each term by its
exponent (docs/theory.md §7), and the z -> infinity value keeps exactly the terms whose exponent
is zero (propagating pairs with equal q; at r = 0 the t-r pairs too, since then q_t = q_r).
"""

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import incident as _incident
from . import quadrature, reference
from .fast import depth
from .operators import OPERATOR_NAMES, check_operator_name
from .params import Params, check_dtype, check_memory, check_params, precision, validate_count, validate_depths


def density_matrix(incident) -> np.ndarray:
    """rho_in = |in><in| for a normalised incident state (host side); shape (3, 3)
    (:func:`jaxorb.incident.density_matrix`)."""
    return _incident.density_matrix(incident)


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
    k = quadrature.rule_size(*quadrature.depth_sizes(nodes))
    return points * k * (PROFILE_BYTES_PER_NODE + PROFILE_BYTES_PER_NODE_DEPTH * nz) + 24 * int(nodes) ** 2


class Profile(NamedTuple):
    """Fermi-averaged depth profile for one incident state (a pytree).

    Dict keys are the observable names Lx Ly Lz Lxy Lyz Lzx Lx2-y2 Lz2. With array-valued
    :class:`Params` every value gets the parameters' broadcast shape as leading dimensions
    (density[name] of shape (*shape, nz), current_left[name] of shape shape).

    Attributes:
        z: (nz,) depths in 1/k_F.
        density: name -> (nz,) <O>(z) in hbar.
        current: name -> (nz,) J_O(z) in hbar * hbar k_F / m.
        torque: name -> (nz,) tau_O(z) = dJ_O/dz in hbar * hbar k_F^2 / m (the full torque
            density, docs/theory.md §7).
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

    The closed-form solve of the interface quantities on :func:`jaxorb.quadrature.depth_rule`
    with ``n`` nodes per segment (the default graded rule at n = 24).

    Args:
        U, r, alpha: scalars. rho_in: (..., 3, 3). z: (nz,).

    Returns:
        dict of arrays: density, current, torque, torque_a2 (..., n_ops, nz); current_left,
        current_inf, density_inf (..., n_ops).
    """
    ex = depth.expansion(U, r, alpha, rho_in, tuple(names), int(n))
    return {
        "density": depth.evaluate(ex.density, ex.exponent, z),
        "current": depth.evaluate(ex.current, ex.exponent, z),
        "torque": depth.derivative(ex.current, ex.exponent, z),
        "torque_a2": depth.evaluate(ex.torque_a2, ex.exponent, z),
        "current_left": ex.current_left,
        "current_inf": depth.at_infinity(ex.current, ex.exponent),
        "density_inf": depth.at_infinity(ex.density, ex.exponent),
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
):  # no return annotation: a Profile, or a jaxorb.spin.SpinProfile when lam is given (see Returns)
    """Fermi-disk averaged densities, currents and torques at the depths ``z``.

    Implements docs/theory.md §5-§7: per kappa one closed-form interface solve (§4, the solve of
    the interface quantities), the phi average done exactly by angular harmonics (equivalent to
    the equally spaced rule with >= 5 points, §6), and the depth dependence as a sum of
    exponentials.

    With ``p.lam`` given this is the spinful model of docs/theory.md §12 (spin-orbit term
    lam L.sigma in the right layer, injection with unpolarised spin unless a spinful state is
    given): it returns a :class:`jaxorb.spin.SpinProfile`, whose observables add ``Sx``, ``Sy``,
    ``Sz`` (in hbar) to the eight orbital ones and whose ``torque_soc`` is the spin-orbit part of
    the torque density (``torque_a2`` is not computed there); ``phi_points`` and ``float32`` are
    not taken, and ``incident`` also accepts spin-polarised names (``"z,up"``, ``"pz,-x"``), a
    spinful 6-vector or a 3x3 / 6x6 density matrix (:func:`jaxorb.spin.inputs.incident_density`).
    With ``lam`` None (the default) nothing changes: the spinless :class:`Profile`.

    Args:
        p: :class:`Params` inside the valid domain (:data:`jaxorb.params.PARAM_RANGES`). Fields
            may be arrays: they are broadcast against each other and every field of the result
            gets their shape as leading dimensions (density[name] has shape (*shape, nz)).
        z: depths in 1/k_F, a number or a non-empty 1-D array, z >= 0.
        incident: the injected state: ``"x"``, ``"y"``, ``"z"`` (the dipole along that axis),
            ``"m=+1"``, ``"m=0"``, ``"m=-1"``, ``"px"``, ``"py"``, ``"pz"`` (real p orbitals: the
            quadrupole injection, <L> = 0), :func:`jaxorb.along` ``(n)`` or
            :func:`jaxorb.amplitudes` ``(c_plus, c_zero, c_minus)`` (:mod:`jaxorb.incident`).
        nodes: size of the kappa rule, in nodes per segment (:func:`jaxorb.quadrature.depth_rule`).
            Default :func:`nodes_for_depth` of max(z): 24 at z = 0 (the graded rule of the
            interface quantities, converged to ~1e-10 also next to interface resonances), plus
            one per 4 units of z (the integrand oscillates in kappa like exp(i (q_t - q_r) z), so
            the nodes needed grow linearly).
        phi_points: None for the exact harmonic phi average; an integer >= 1 uses the
            straightforward equally spaced rule with one 6x6 solve per (kappa, phi) instead
            (:mod:`jaxorb.reference`, on the same kappa nodes; exact from 5 points, slower).
        observables: names to compute (default all eight: Lx Ly Lz Lxy Lyz Lzx Lx2-y2 Lz2; with
            lam given all eleven, Sx Sy Sz included).
        dtype: ``"float64"`` (default) or ``"float32"``, a string or a NumPy dtype; the result
            has exactly this precision whatever the process-wide JAX setting (README,
            "Precision", for the measured float32 error).

    Returns:
        :class:`Profile` (lam None) or :class:`jaxorb.spin.SpinProfile` (lam given).

    Raises:
        ValueError: invalid parameters, depths, incident state, node counts or dtype, or a
            profile that would not fit in memory (the message says how much it needs).
    """
    if isinstance(p, Params) and p.lam is not None:
        from .spin import public

        return public.profile(p, z, incident, nodes=nodes, phi_points=phi_points, observables=observables, dtype=dtype)
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
        f"profile with {nodes} kappa nodes per segment, {nz} depth(s) and {points} parameter point(s)",
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
            vec = _incident.incident_vector(incident)

            def one(U, r, alpha):
                rule = tuple(quadrature.depth_rule(U, r, nodes))[::2]
                return reference.fermi_averages(U, r, alpha, vec, z_arr, names=names, n_phi=phi_points, rule=rule)

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
