"""The straightforward path: one 6x6 solve per (kappa, phi) and incident state, wavefunctions
evaluated at every depth, no symmetry and no exponential sums.

Slow by design; it is the reference the fast path (:mod:`jaxorb.profiles`) is tested against,
and what ``profile(..., phi_points=N)`` runs. Same units and outputs as
:func:`jaxorb.profiles.profile_arrays`.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from . import interface, observables, quadrature
from .operators import OPERATOR_NAMES, OPERATORS, const


def wavefunctions(t, md, z):
    """psi_R, psi_R', psi_R'' at depths z; t (..., 3), md modes at (kappa, phi); out (..., nz, 3)."""
    ph = jnp.exp(1j * md.q[..., None, :] * jnp.asarray(z)[:, None]) * t[..., None, :]
    iq = 1j * md.q[..., None, :]
    psi = jnp.einsum("...ib,...zb->...zi", md.u, ph)
    dpsi = jnp.einsum("...ib,...zb->...zi", md.u, ph * iq)
    ddpsi = jnp.einsum("...ib,...zb->...zi", md.u, ph * iq * iq)
    return psi, dpsi, ddpsi


def current_derivative(psi, dpsi, ddpsi, op, c, m, r):
    """d/dz of :func:`jaxorb.observables.current_right`, from psi, psi', psi''."""
    oc = op @ c + c @ op
    om = op @ m + m @ op
    kin = jnp.einsum("...i,...ij,...j->...", jnp.conj(dpsi), oc, -1j * dpsi) + jnp.einsum(
        "...i,...ij,...j->...", jnp.conj(psi), oc, -1j * ddpsi
    )
    cf = 2.0 * jnp.einsum("...i,...ij,...j->...", jnp.conj(dpsi), om, psi).real
    return 0.5 * (kin.real + 0.5 * r * cf)


def point_quantities(U, r, alpha, kappa, phi, incident, z, names=OPERATOR_NAMES):
    """All observables at one (kappa, phi) for one incident state.

    Returns:
        dict with density, current, torque, torque_a2: (n_ops, nz); current_left, current_inf,
        density_inf: (n_ops,).
    """
    rho, t, md = interface.solve_direct(U, r, alpha, kappa, phi, incident)
    _, m, _, c = interface.local_operators(kappa * jnp.cos(phi), kappa * jnp.sin(phi), r)
    psi, dpsi, ddpsi = wavefunctions(t, md, z)
    q = md.q
    # pairs (b, b') whose exponent i(q_b' - conj q_b) vanishes survive z -> infinity
    keep = (1j * (q[None, :] - jnp.conj(q)[:, None])) == 0
    mode_psi = md.u * t[None, :]  # column b: t_b u_b
    a, _, _, _ = interface.local_operators(kappa * jnp.cos(phi), kappa * jnp.sin(phi), r)
    out = {k: [] for k in ("density", "current", "torque", "torque_a2", "current_left", "current_inf", "density_inf")}
    for name in names:
        op = const(OPERATORS[name])
        out["density"].append(observables.density(psi, op))
        out["current"].append(observables.current_right(psi, dpsi, op, c[None], m[None], r))
        out["torque"].append(current_derivative(psi, dpsi, ddpsi, op, c[None], m[None], r))
        a2 = a @ a
        out["torque_a2"].append(0.5 * (-1j * r * jnp.einsum("zi,ij,zj->z", jnp.conj(psi), op @ a2 - a2 @ op, psi)).real)
        out["current_left"].append(observables.current_left(incident, rho, md.q_n, op))
        oc = op @ c + c @ op
        om = op @ m + m @ op
        pair_o = jnp.conj(mode_psi).T @ op @ mode_psi
        raw = jnp.conj(mode_psi).T @ oc @ mode_psi * q[None, :] + 0.5 * r * jnp.conj(mode_psi).T @ om @ mode_psi
        pair_j = 0.25 * (raw + jnp.conj(raw).T)
        out["current_inf"].append(jnp.sum(jnp.where(keep, pair_j, 0.0)).real)
        out["density_inf"].append(jnp.sum(jnp.where(keep, pair_o, 0.0)).real)
    return {k: jnp.stack(v) for k, v in out.items()}


@functools.partial(jax.jit, static_argnames=("names", "n", "n_phi"))
def profile_arrays(
    U,
    r,
    alpha,
    incident,
    z,
    names=OPERATOR_NAMES,
    n: int = quadrature.DEFAULT_NODES,
    n_phi: int = quadrature.DEFAULT_PHI,
):
    """Fermi average of :func:`point_quantities` with the branch-split kappa rule and the
    equally spaced phi rule (PHYSICS.md §6)."""
    kappa, wk = quadrature.kappa_rule(U, r, n)
    phi, wp = quadrature.phi_rule(n_phi)
    f = jax.vmap(
        jax.vmap(point_quantities, (None,) * 4 + (0, None, None, None)), (None,) * 3 + (0, None, None, None, None)
    )
    vals = f(U, r, alpha, kappa, const(phi), jnp.asarray(incident), jnp.asarray(z), tuple(names))
    w = wk[:, None] * const(wp)[None, :]
    return {k: jnp.tensordot(w, v, axes=([0, 1], [0, 1])) for k, v in vals.items()}
