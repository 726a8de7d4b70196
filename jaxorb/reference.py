"""The reference: one 6x6 boundary solve per (kappa, phi) and incident state, no symmetry used,
plain quadrature (docs/theory.md §4-§7).

Slow and straightforward by design. The fast path (:mod:`jaxorb.fast`) is tested against it, and
``profile(..., phi_points=N)`` runs it. Unknowns x = (rho_+1, rho_0, rho_-1, t_+, t_-, t_0):
reflected amplitudes on |m> and transmitted amplitudes on the helicity modes. The system follows
from psi_L(0) = psi_R(0) and C psi_R'(0) + (i/2) r M psi_R(0) = psi_L'(0) + alpha K psi(0):

    [ I                  -U_m ] x = [ -in                    ]
    [ i q_N I - alpha K    W  ]     [ (i q_N I + alpha K) in ]

with W_b = (i q_b C + (i/2) r M) u_b, all at the azimuth phi itself. Densities, currents and
torques are then evaluated pointwise from the wavefunction at every depth and averaged with the
branch-split Gauss rule in kappa and the equally spaced rule in phi. Same units and outputs as
:func:`jaxorb.profiles.profile_arrays`.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from . import bands, quadrature
from .operators import L2, LX, LY, LZ, OPERATOR_NAMES, OPERATORS, const


def local_operators(kx, ky, r):
    """A, M, K and C of docs/theory.md §2 at transverse momentum (kx, ky).

    A = kx L_x + ky L_y, M = {A, L_z}, K = L_x ky - L_y kx, C = 1 + r L_z^2.

    Returns:
        four complex arrays of shape (..., 3, 3).
    """
    kx = jnp.asarray(kx)[..., None, None]
    ky = jnp.asarray(ky)[..., None, None]
    r = jnp.asarray(r)[..., None, None]
    lx, ly, lz = const(LX), const(LY), const(LZ)
    a = kx * lx + ky * ly
    m = a @ lz + lz @ a
    k = lx * ky - ly * kx
    c = jnp.eye(3) + r * const(jnp.diag(jnp.asarray(L2)))
    return a, m, k, c + 0j


class Modes(NamedTuple):
    """Right-layer modes at one transverse momentum (frame phi = 0 unless stated).

    Attributes:
        u: (..., 3, 3) eigenvectors as columns (+, -, 0).
        q: (..., 3) complex z-wavevectors (q_t, q_t, q_r).
        q_n: (...,) left-layer z-wavevector sqrt(1 - kappa^2), real.
    """

    u: jnp.ndarray
    q: jnp.ndarray
    q_n: jnp.ndarray


def modes(U, r, kappa) -> Modes:
    """Modes of both layers at (kappa, phi = 0)."""
    k_t, k_r = bands.fermi_wavevectors(U, r)
    q_t = bands.z_wavevector(k_t, kappa)
    q_r = bands.z_wavevector(k_r, kappa)
    u = bands.helicity_modes(kappa, q_t, q_r, k_t, k_r)
    q_n = bands.z_wavevector(1.0, kappa).real
    return Modes(u, bands.mode_wavevectors(q_t, q_r), q_n)


def boundary_system(U, r, alpha, kappa, phi, u, q, q_n):
    """The 6x6 matrix and the 6x3 map from incident state to right-hand side (docs/theory.md §4).

    Args:
        U, r, alpha: parameters (scalars or broadcastable).
        kappa, phi: transverse momentum, magnitude in k_F and azimuth in rad.
        u: (..., 3, 3) mode eigenvectors at this (kappa, phi), columns (+, -, 0).
        q: (..., 3) their z-wavevectors; q_n: left-layer z-wavevector.

    Returns:
        (a, b): a of shape (..., 6, 6); b of shape (..., 6, 3) so that rhs = b @ in.
    """
    kx = kappa * jnp.cos(phi)
    ky = kappa * jnp.sin(phi)
    _, m, k, c = local_operators(kx, ky, r)
    alpha = jnp.asarray(alpha)[..., None, None]
    r_ = jnp.asarray(r)[..., None, None]
    iqn = (1j * q_n)[..., None, None] * jnp.eye(3)
    # W_b = (i q_b C + (i/2) r M) u_b, assembled column by column
    w = 1j * (c @ u) * q[..., None, :] + 0.5j * r_ * (m @ u)
    eye = jnp.broadcast_to(jnp.eye(3, dtype=u.dtype), u.shape)
    top = jnp.concatenate([eye, -u], axis=-1)
    bottom = jnp.concatenate([iqn - alpha * k, w], axis=-1)
    a = jnp.concatenate([top, bottom], axis=-2)
    b = jnp.concatenate([-eye, iqn + alpha * k], axis=-2)
    return a, b


def modes_at(U, r, kappa, phi) -> Modes:
    """Modes at azimuth phi using the phases of paper Eq. 4 (e = exp(i phi) factors)."""
    md = modes(U, r, kappa)
    e = jnp.exp(1j * jnp.asarray(phi))
    helical = jnp.stack([jnp.ones_like(e), e, e * e], axis=-1)  # diag(1, e, e^2)
    rot = jnp.stack([1 / e, jnp.ones_like(e), e], axis=-1)  # R(phi) = diag(1/e, 1, e)
    u = md.u
    u = jnp.stack([helical * u[..., 0], helical * u[..., 1], rot * u[..., 2]], axis=-1)
    return Modes(u, md.q, md.q_n)


def solve(U, r, alpha, kappa, phi, incident):
    """The 6x6 boundary solve at one (kappa, phi) for one incident state, no symmetry used.

    Returns:
        (rho, t, modes): reflected amplitudes (..., 3) in the lab frame, transmitted mode
        amplitudes (..., 3), and the :class:`Modes` at this azimuth.
    """
    md = modes_at(U, r, kappa, phi)
    a, b = boundary_system(U, r, alpha, kappa, phi, md.u, md.q, md.q_n)
    rhs = b @ jnp.asarray(incident)
    x = jnp.linalg.solve(a, rhs[..., None])[..., 0]
    return x[..., :3], x[..., 3:], md


def amplitudes(U, r, alpha, kappa, phi, incident_vector):
    """Reflection and transmission amplitudes at one (kappa, phi) for one incident state.

    Args:
        U, r, alpha: scalar parameters (docs/theory.md §1 units).
        kappa, phi: transverse momentum magnitude in k_F (0 <= kappa < 1) and azimuth in rad.
        incident_vector: (3,) complex amplitudes of the incident state on |+1>, |0>, |-1>.

    Returns:
        (rho, t): reflected amplitudes (3,) on |+1>, |0>, |-1> (lab frame) and transmitted
        amplitudes (3,) on the right-layer modes (+, -, 0) at this azimuth (:func:`modes_at`).
    """
    rho, t, _ = solve(U, r, alpha, kappa, phi, incident_vector)
    return rho, t


# ---------------------------------------------------------------------------------------------
# Pointwise observables


def density(psi, op):
    """psi^H O psi, real; psi shape (..., 3), op (3, 3). Units hbar."""
    return jnp.einsum("...i,ij,...j->...", jnp.conj(psi), op, psi).real


def current_right(psi, dpsi, op, c, m, r):
    """Current of O in the right layer, public units (docs/theory.md §5).

    J_O = (1/2) { Re[psi^H {O, C} (-i psi')] + (r/2) psi^H {O, M} psi }.

    Args:
        psi, dpsi: (..., 3) wavefunction and its z-derivative.
        op: (3, 3) observable. c, m: (..., 3, 3) C and M at this (kappa, phi). r: crystal field.
    """
    oc = op @ c + c @ op
    om = op @ m + m @ op
    kin = jnp.einsum("...i,...ij,...j->...", jnp.conj(psi), oc, -1j * dpsi).real
    cf = jnp.einsum("...i,...ij,...j->...", jnp.conj(psi), om, psi).real
    return 0.5 * (kin + 0.5 * r * cf)


def current_left(incident, rho, q_n, op):
    """Current of O in the left layer at z = 0, public units: q_N (in^H O in - rho^H O rho)."""
    return q_n * (density(incident, op) - density(rho, op))


def torque_lz_commutator(psi, dpsi, a, m, r):
    """Full torque density of L_z from the commutator (docs/theory.md §7), public units.

    tau = (1/2) { -i r psi^H [L_z, A^2] psi + r Im(psi^H G psi') },  G = -i [L_z, M].
    The first term alone is the paper's Eq. 11 (:func:`torque_lz_a2`).
    """
    lz = const(LZ)
    g = -1j * (lz @ m - m @ lz)
    kz_part = r * jnp.einsum("...i,...ij,...j->...", jnp.conj(psi), g, dpsi).imag
    return torque_lz_a2(psi, a, r) + 0.5 * kz_part


def torque_lz_a2(psi, a, r):
    """The paper's Eq. 11 torque density for L_z, the A^2 term only, public units.

    tau_A2 = (1/2) (-i r) psi^H [L_z, A^2] psi. Not equal to dJ/dz pointwise (docs/theory.md §7).
    """
    a2 = a @ a
    lz = const(LZ)
    comm = lz @ a2 - a2 @ lz
    return 0.5 * (-1j * r * jnp.einsum("...i,...ij,...j->...", jnp.conj(psi), comm, psi)).real


def wavefunctions(t, md, z):
    """psi_R, psi_R', psi_R'' at depths z; t (..., 3), md modes at (kappa, phi); out (..., nz, 3)."""
    ph = jnp.exp(1j * md.q[..., None, :] * jnp.asarray(z)[:, None]) * t[..., None, :]
    iq = 1j * md.q[..., None, :]
    psi = jnp.einsum("...ib,...zb->...zi", md.u, ph)
    dpsi = jnp.einsum("...ib,...zb->...zi", md.u, ph * iq)
    ddpsi = jnp.einsum("...ib,...zb->...zi", md.u, ph * iq * iq)
    return psi, dpsi, ddpsi


def current_derivative(psi, dpsi, ddpsi, op, c, m, r):
    """d/dz of :func:`current_right`, from psi, psi', psi''."""
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
    rho, t, md = solve(U, r, alpha, kappa, phi, incident)
    _, m, _, c = local_operators(kappa * jnp.cos(phi), kappa * jnp.sin(phi), r)
    psi, dpsi, ddpsi = wavefunctions(t, md, z)
    q = md.q
    # pairs (b, b') whose exponent i(q_b' - conj q_b) vanishes survive z -> infinity
    keep = (1j * (q[None, :] - jnp.conj(q)[:, None])) == 0
    mode_psi = md.u * t[None, :]  # column b: t_b u_b
    a, _, _, _ = local_operators(kappa * jnp.cos(phi), kappa * jnp.sin(phi), r)
    out = {k: [] for k in ("density", "current", "torque", "torque_a2", "current_left", "current_inf", "density_inf")}
    for name in names:
        op = const(OPERATORS[name])
        out["density"].append(density(psi, op))
        out["current"].append(current_right(psi, dpsi, op, c[None], m[None], r))
        out["torque"].append(current_derivative(psi, dpsi, ddpsi, op, c[None], m[None], r))
        a2 = a @ a
        out["torque_a2"].append(0.5 * (-1j * r * jnp.einsum("zi,ij,zj->z", jnp.conj(psi), op @ a2 - a2 @ op, psi)).real)
        out["current_left"].append(current_left(incident, rho, md.q_n, op))
        oc = op @ c + c @ op
        om = op @ m + m @ op
        pair_o = jnp.conj(mode_psi).T @ op @ mode_psi
        raw = jnp.conj(mode_psi).T @ oc @ mode_psi * q[None, :] + 0.5 * r * jnp.conj(mode_psi).T @ om @ mode_psi
        pair_j = 0.25 * (raw + jnp.conj(raw).T)
        out["current_inf"].append(jnp.sum(jnp.where(keep, pair_j, 0.0)).real)
        out["density_inf"].append(jnp.sum(jnp.where(keep, pair_o, 0.0)).real)
    return {k: jnp.stack(v) for k, v in out.items()}


@functools.partial(jax.jit, static_argnames=("names", "n", "n_phi"))
def fermi_averages(
    U,
    r,
    alpha,
    incident,
    z,
    names=OPERATOR_NAMES,
    n: int = quadrature.DEFAULT_NODES,
    n_phi: int = quadrature.DEFAULT_PHI,
    rule=None,
):
    """Fermi average of :func:`point_quantities` with the branch-split kappa rule and the
    equally spaced phi rule (docs/theory.md §6).

    Args:
        U, r, alpha: scalars. incident: (3,) incident vector. z: (nz,) depths.
        names: observables (static). n: Gauss nodes per kappa segment (static). n_phi: phi
            points (static; exact from 5).
        rule: optional (kappa, weight) arrays replacing the rule of ``n``, e.g. a
            :func:`jaxorb.quadrature.make_rule` rule to compare the fast path node by node.
    """
    kappa, wk = quadrature.kappa_rule(U, r, n) if rule is None else rule
    phi, wp = quadrature.phi_rule(n_phi)
    f = jax.vmap(
        jax.vmap(point_quantities, (None,) * 4 + (0, None, None, None)), (None,) * 3 + (0, None, None, None, None)
    )
    vals = f(U, r, alpha, kappa, const(phi), jnp.asarray(incident), jnp.asarray(z), tuple(names))
    w = wk[:, None] * const(wp)[None, :]
    return {k: jnp.tensordot(w, v, axes=([0, 1], [0, 1])) for k, v in vals.items()}
