"""The 6x6 interface system of PHYSICS.md §4 and its solution.

Unknowns x = (rho_+1, rho_0, rho_-1, t_+, t_-, t_0): reflected amplitudes on |m> and transmitted
amplitudes on the helicity modes. The system follows from psi_L(0) = psi_R(0) and
C psi_R'(0) + (i/2) r M psi_R(0) = psi_L'(0) + alpha K psi(0):

    [ I                  -U_m ] x = [ -in                    ]
    [ i q_N I - alpha K    W  ]     [ (i q_N I + alpha K) in ]

with W_b = (i q_b C + (i/2) r M) u_b. By rotation covariance (PHYSICS.md §6) one solve at
phi = 0 with the three basis incident states serves every azimuth and every incident state:
:func:`solve_response` returns that 3x3 -> 3+3 response. :func:`solve_direct` solves at a given
(kappa, phi) for one incident state without using the symmetry; tests use it as the reference.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from . import bands
from .operators import LX, LY, LZ, const

_LZ2 = np.diag(np.diag(LZ @ LZ).real)  # diag(1, 0, 1)


def local_operators(kx, ky, r):
    """A, M, K and C of PHYSICS.md §2 at transverse momentum (kx, ky).

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
    c = jnp.eye(3) + r * const(_LZ2)
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
    """The 6x6 matrix and the 6x3 map from incident state to right-hand side (PHYSICS.md §4).

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


class Response(NamedTuple):
    """Linear response of the interface at (kappa, phi = 0) to the three basis incident states.

    For an incident state v (in the phi = 0 frame) the reflected amplitudes are ``refl @ v`` and
    the transmitted mode amplitudes ``trans @ v``.

    Attributes:
        refl: (..., 3, 3) reflection matrix on |+1>, |0>, |-1>.
        trans: (..., 3, 3) transmission matrix onto modes (+, -, 0).
        modes: the :class:`Modes` at phi = 0.
    """

    refl: jnp.ndarray
    trans: jnp.ndarray
    modes: Modes


def solve_response(U, r, alpha, kappa) -> Response:
    """Solve the interface at (kappa, phi = 0) for all three basis incident states.

    One LU factorisation per kappa (PHYSICS.md §6, rotation covariance).
    """
    md = modes(U, r, kappa)
    a, b = boundary_system(U, r, alpha, kappa, 0.0, md.u, md.q, md.q_n)
    x = jnp.linalg.solve(a, b)
    return Response(x[..., :3, :], x[..., 3:, :], md)


def modes_at(U, r, kappa, phi) -> Modes:
    """Modes at azimuth phi using the phases of paper Eq. 4 (e = exp(i phi) factors)."""
    md = modes(U, r, kappa)
    e = jnp.exp(1j * jnp.asarray(phi))
    helical = jnp.stack([jnp.ones_like(e), e, e * e], axis=-1)  # diag(1, e, e^2)
    rot = jnp.stack([1 / e, jnp.ones_like(e), e], axis=-1)  # R(phi) = diag(1/e, 1, e)
    u = md.u
    u = jnp.stack([helical * u[..., 0], helical * u[..., 1], rot * u[..., 2]], axis=-1)
    return Modes(u, md.q, md.q_n)


def solve_direct(U, r, alpha, kappa, phi, incident):
    """Reference solve at one (kappa, phi) for one incident state, no symmetry used.

    Returns:
        (rho, t, modes): reflected amplitudes (..., 3) in the lab frame, transmitted mode
        amplitudes (..., 3), and the :class:`Modes` at this azimuth.
    """
    md = modes_at(U, r, kappa, phi)
    a, b = boundary_system(U, r, alpha, kappa, phi, md.u, md.q, md.q_n)
    rhs = b @ jnp.asarray(incident)
    x = jnp.linalg.solve(a, rhs[..., None])[..., 0]
    return x[..., :3], x[..., 3:], md
