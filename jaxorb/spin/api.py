"""Public functions of the spinful model: depth profiles and orbital-to-spin conversion.

Pure functions of (U, r, alpha, lam) with static node counts: inputs are validated on the host,
then a jitted core runs (docs/theory.md §12).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import batching
from ..operators import const
from ..params import validate_count, validate_depths
from . import expansion as ex
from . import fast as spin_fast
from . import quadrature
from .inputs import incident_density, injected_dipole, validate_params
from .operators import NAMES, check_names

DIPOLE_NAMES = ("Lx", "Ly", "Lz")
#: Extra nodes per segment per unit of depth: the integrand oscillates in kappa like
#: exp(i (q_B - q_B') z), so the nodes needed grow linearly with z.
NODES_PER_DEPTH = 0.25


def nodes_for_depth(z_max: float, base: int = quadrature.DEFAULT_NODES) -> int:
    """Kappa nodes per segment for depths up to ``z_max`` (1/k_F): base + ceil(z_max / 4)."""
    return int(base + np.ceil(NODES_PER_DEPTH * max(float(z_max), 0.0)))


class SpinProfile(NamedTuple):
    """Fermi-averaged depth profile of the spinful model (a pytree).

    Dict keys are observable names (default all eleven: Lx Ly Lz Lxy Lyz Lzx Lx2-y2 Lz2 Sx Sy Sz).

    Attributes:
        z: (nz,) depths in 1/k_F.
        density: name -> (nz,) <O>(z) in hbar.
        current: name -> (nz,) J_O(z) in hbar * hbar k_F / m (docs/theory.md §1, §5).
        torque: name -> (nz,) dJ_O/dz, the full torque density (docs/theory.md §7).
        torque_soc: name -> (nz,) its spin-orbit part Re psi^H i[lam L.sigma, O] psi / 2; the
            crystal-field part is ``torque - torque_soc`` (docs/theory.md §12).
        current_left: name -> () left-layer current at z = 0- (incident + reflected).
        current_inf: name -> () z -> infinity value of the current (non-oscillating part).
        density_inf: name -> () z -> infinity value of the density.
        nodes: kappa nodes per segment used.
    """

    z: jnp.ndarray
    density: dict
    current: dict
    torque: dict
    torque_soc: dict
    current_left: dict
    current_inf: dict
    density_inf: dict
    nodes: int


@functools.partial(jax.jit, static_argnames=("names", "n"))
def profile_arrays(U, r, alpha, lam, rho_in, z, names: tuple[str, ...] = NAMES, n: int = quadrature.DEFAULT_NODES):
    """Jitted core of :func:`spin_profile`.

    Args:
        U, r, alpha, lam: scalars. rho_in: (..., 6, 6) incident density matrices. z: (nz,).

    Returns:
        dict: density, current, torque, torque_soc (..., n_ops, nz); current_left, current_inf,
        density_inf (..., n_ops).
    """
    e = ex.expansion(U, r, alpha, lam, rho_in, names, n)
    return {
        "density": ex.evaluate(e.density, e.exponent, z),
        "current": ex.evaluate(e.current, e.exponent, z),
        "torque": ex.derivative(e.current, e.exponent, z),
        "torque_soc": ex.evaluate(e.torque_soc, e.exponent, z),
        "current_left": e.current_left,
        "current_inf": ex.at_infinity(e.current, e.exponent),
        "density_inf": ex.at_infinity(e.density, e.exponent),
    }


def spin_profile(U, r, alpha, lam, z, incident="x", *, observables=None, nodes: int | None = None) -> SpinProfile:
    """Fermi-disk averaged densities, currents and torques of the spinful model at depths ``z``.

    docs/theory.md §12: per kappa one 6x6 Schur solve at phi = 0 for all six basis incident states,
    the phi average exact by angular harmonics of J_z, depths as sums of exponentials.

    Args:
        U, r, alpha, lam: scalars (U < 1, r > -1, finite alpha and lam, lam != 1 - U).
        z: depths in 1/k_F, scalar or 1-D, z >= 0.
        incident: see :func:`jaxorb.spin.inputs.incident_density`.
        observables: names to compute (default all eleven).
        nodes: Gauss-Legendre nodes per kappa segment (default grows with max(z)).

    Returns:
        :class:`SpinProfile`.

    Raises:
        ValueError: invalid parameters, depths, injection, names or node count.
    """
    validate_params(U, r, alpha, lam)
    zc = validate_depths(z)
    rho = incident_density(incident)
    names = check_names(observables)
    if nodes is None:
        if zc is None:
            raise ValueError("nodes must be given when z is traced (it sets a static size)")
        nodes = nodes_for_depth(float(zc.max()))
    nodes = validate_count("nodes", nodes, 2)
    z_arr = zc if zc is not None else jnp.atleast_1d(z)
    out = profile_arrays(U, r, alpha, lam, const(rho), z_arr, names=names, n=nodes)
    named = {key: dict(zip(names, val)) for key, val in out.items()}
    return SpinProfile(z=z_arr, nodes=nodes, **named)


#: |J_{n.L}(0-)| below this (in hbar * hbar k_F / m) leaves the conversion undefined: the
#: injected dipole carries no left-layer current there (e.g. a spin-polarised p orbital at lam = 0).
LEFT_CURRENT_TOL = 1e-12
#: The same threshold for a float32 computation, whose rounding noise on a vanishing current is
#: about 1e-7 (hbar * hbar k_F / m).
LEFT_CURRENT_TOL_FLOAT32 = 1e-5


@functools.partial(jax.jit, static_argnames=("target", "n", "at_inf"))
def conversion_parts(U, r, alpha, lam, rho_in, ndip, depth, target: str, n: int, at_inf: bool):
    """(J_target(depth or inf), (n . J_L)(0-)): numerator and denominator of the conversion.

    Args:
        U, r, alpha, lam: scalars. rho_in: (6, 6). ndip: (3,) unit dipole direction.
        depth: scalar depth (ignored when ``at_inf``). target: observable name (static).
    """
    names = (target,) + DIPOLE_NAMES
    e = ex.expansion(U, r, alpha, lam, rho_in, names, n)
    left = jnp.dot(e.current_left[1:], ndip)
    coef = e.current[0]
    if at_inf:
        top = ex.at_infinity(coef, e.exponent)
    else:
        top = ex.evaluate(coef, e.exponent, jnp.reshape(depth, (1,)))[0]
    return top, left


@functools.partial(jax.jit, static_argnames=("target", "n", "at_inf"))
def conversion_core(U, r, alpha, lam, rho_in, ndip, depth, target: str, n: int, at_inf: bool):
    """J_target(depth or inf) / (n . J_L)(0-) for one incident density matrix (pure, jittable);
    arguments as :func:`conversion_parts`."""
    top, left = conversion_parts(U, r, alpha, lam, rho_in, ndip, depth, target, n, at_inf)
    return top / left


def refuse_vanishing_left_current(left) -> None:
    """Raise where the concrete denominator (n . J_L)(0-) vanishes (no-op under a trace).

    Raises:
        ValueError: |(n . J_L)(0-)| < :data:`LEFT_CURRENT_TOL` (:data:`LEFT_CURRENT_TOL_FLOAT32`
            for a float32 ``left``) at some point.
    """
    if isinstance(left, jax.core.Tracer):
        return
    arr = np.asarray(left)
    tol = LEFT_CURRENT_TOL_FLOAT32 if arr.dtype == np.float32 else LEFT_CURRENT_TOL
    small = np.abs(arr) < tol
    if np.any(small):
        where = "" if arr.ndim == 0 else f" (at flat index {int(np.flatnonzero(small)[0])} of the parameters)"
        raise ValueError(
            f"the injected dipole's left-layer current J_(n.L)(0-) = {float(arr[small].flat[0]):.3g} vanishes at these "
            f"parameters{where}, so the conversion ratio is undefined (a spin-polarised p orbital carries no orbital "
            "current at lam = 0); choose a dipole= axis that carries current, or use jaxorb.profile"
        )


def conversion(U, r, alpha, lam, incident="z", to: str = "Sz", at="inf", *, dipole=None, nodes: int | None = None):
    """Orbital-to-spin (or any) conversion J_to(at) / J_Lj(0-) (docs/theory.md §12).

    The denominator is the left-layer current at z = 0- of the injected dipole n.L (``"x"``,
    ``"y"``, ``"z"`` name it; else ``dipole`` or <L> of the injection); the numerator the current
    of ``to`` in the right layer at depth ``at`` (``"inf"`` for the non-oscillating far field).
    At infinity and at z = 0 both come from the closed-form fast path, elsewhere from the depth
    expansion (:func:`conversion_values`).

    Args:
        U, r, alpha, lam: scalars.
        incident: any injection accepted by :func:`jaxorb.spin.inputs.incident_density`.
        to: observable name, default ``"Sz"``.
        at: ``"inf"`` or a depth z >= 0 in 1/k_F.
        dipole: optional override of the injected dipole direction.
        nodes: mean kappa nodes per segment (default grows with the depth; 4 nodes times this in all).

    Returns:
        scalar array.

    Raises:
        ValueError: invalid parameters, injection, name, depth or node count, or an injected
            dipole without left-layer current at these parameters.
    """
    validate_params(U, r, alpha, lam)
    rho, ndip, target, depth, nodes, at_inf = conversion_args(incident, to, at, dipole, nodes)
    flat = tuple(jnp.reshape(jnp.asarray(x, dtype=float), (1,)) for x in (U, r, alpha, lam))
    return conversion_ratios(*flat, rho, ndip, depth, target, nodes, at_inf)[0]


def conversion_ratios(U, r, alpha, lam, rho, ndip, depth: float, target: str, n: int, at_inf: bool):
    """J_target / (n . J_L)(0-) over flat parameter arrays (P,) (:func:`conversion_values`),
    refusing concrete points whose denominator vanishes (:func:`refuse_vanishing_left_current`).
    P is padded to a bucket size (:mod:`jaxorb.batching`), so calls with similar numbers of points
    share compiled programs."""
    top, left = batching.call_padded(conversion_values, (U, r, alpha, lam), BATCH, rho, ndip, depth, target, n, at_inf)
    refuse_vanishing_left_current(left)
    return top / left


#: Parameter points per batch when the general path is mapped over flat parameter arrays.
BATCH = 32


def conversion_values(U, r, alpha, lam, rho, ndip, depth: float, target: str, n: int, at_inf: bool):
    """(numerator, denominator) of the conversion over flat parameter arrays (P,).

    In the far field and at the interface (``at_inf`` or ``depth == 0``) both come from the
    closed-form fast path (:func:`jaxorb.spin.fast.interface_rows`, as for the ``conv_*``
    quantities); at a depth inside the right layer from :func:`conversion_parts`, in batches.

    Args:
        U, r, alpha, lam: (P,) arrays. rho: host (6, 6) density matrix. ndip: host (3,) unit
            dipole. depth: host float. target, n, at_inf: as for :func:`conversion_parts`.
    """
    if at_inf or depth == 0.0:
        rows = (("inf" if at_inf else "right", target), *(("left", d) for d in DIPOLE_NAMES))

        def parts(*x):
            cur = spin_fast.interface_rows(*x, rho, rows, n)
            return cur[0], jnp.dot(cur[1:], const(ndip))

        return jax.vmap(parts)(U, r, alpha, lam)
    return _conversion_points(U, r, alpha, lam, const(rho), const(ndip), depth, target, n, at_inf)


@functools.partial(jax.jit, static_argnames=("target", "n", "at_inf"))
def _conversion_points(U, r, alpha, lam, rho, ndip, depth, target: str, n: int, at_inf: bool):
    """:func:`conversion_parts` over flat parameter arrays (P,), in batches."""

    def one(x):
        return conversion_parts(x[0], x[1], x[2], x[3], rho, ndip, depth, target, n, at_inf)

    return jax.lax.map(one, (U, r, alpha, lam), batch_size=BATCH)


def conversion_args(incident, to, at, dipole, nodes):
    """Host-side checks of :func:`conversion`'s arguments other than the parameters.

    Returns:
        (rho (6, 6), unit dipole (3,), target name, depth, nodes per segment, at_inf).

    Raises:
        ValueError: invalid injection, dipole, name, depth or node count.
    """
    rho = incident_density(incident)
    ndip = injected_dipole(incident, dipole)
    (target,) = check_names((to,))
    if isinstance(at, str):
        if at != "inf":
            raise ValueError(f"at must be 'inf' or a depth z >= 0 in 1/k_F; got {at!r}")
        at_inf, depth, zmax = True, 0.0, 0.0
    else:
        zc = validate_depths(at)
        if zc is None or zc.shape != (1,):
            raise ValueError(f"at must be 'inf' or one concrete depth z >= 0 in 1/k_F; got {at!r}")
        at_inf, depth, zmax = False, float(zc[0]), float(zc[0])
    if nodes is None:
        nodes = nodes_for_depth(zmax)
    nodes = validate_count("nodes", nodes, 2)
    return rho, ndip, target, depth, nodes, at_inf
