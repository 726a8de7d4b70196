"""The spinful interface problem at (kappa, phi = 0) (docs/theory.md §4, §12).

The boundary conditions of docs/theory.md §4 hold with every orbital block (x) I2 (the spin-orbit
term has no derivative and does not enter them). Eliminating the reflected amplitudes
rho = U_m t - in leaves the 6x6 Schur system

    S t = 2 i q_N in,   S = (i q_N - alpha K) U_m + W,   W_b = (i q_b C + (i/2) r M) u_b,

solved here for the six basis incident states at once. By rotation covariance with
R(phi) = exp(-i phi J_z), J_z = L_z + S_z, this one solve serves every azimuth and injection.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ..operators import const
from . import bands
from ._shared import LX, LY, LZ
from .operators import orbital

#: At phi = 0: M = kappa {L_x, L_z}, K = -kappa L_y, C = 1 + r L_z^2 (all (x) I2).
MHAT = orbital(LX @ LZ + LZ @ LX)
KHAT = orbital(-LY)
LZ2 = orbital(LZ @ LZ)


class Response(NamedTuple):
    """Interface response at (kappa, phi = 0) to the six basis incident states.

    Attributes:
        trans: (..., 6, 6) transmitted mode amplitudes, t = trans @ in.
        refl: (..., 6, 6) reflected amplitudes on |m, s>, rho = refl @ in.
        modes: the :class:`jaxorb.spin.bands.Modes`.
    """

    trans: jnp.ndarray
    refl: jnp.ndarray
    modes: bands.Modes


def schur_matrix(r, alpha, kappa, md: bands.Modes):
    """S = (i q_N - alpha K) U_m + (i q_b C + (i/2) r M) U_m, shape (..., 6, 6)."""
    kap = jnp.asarray(kappa)[..., None, None]
    r_ = jnp.asarray(r)[..., None, None]
    al = jnp.asarray(alpha)[..., None, None]
    u = md.u
    cu = u + r_ * (const(LZ2) @ u)
    mu = kap * (const(MHAT) @ u)
    ku = kap * (const(KHAT) @ u)
    iqn = 1j * md.q_n[..., None, None]
    return iqn * u - al * ku + 1j * cu * md.q[..., None, :] + 0.5j * r_ * mu


def solve(U, r, alpha, lam, kappa) -> Response:
    """Solve the interface at each kappa (batched LU), all six incident basis states.

    Args:
        U, r, alpha, lam: scalars. kappa: (K,) nodes in (0, 1).

    Returns:
        :class:`Response` with arrays of shape (K, 6, 6).
    """
    md = bands.modes(U, r, lam, kappa)
    s = schur_matrix(r, alpha, kappa, md)
    rhs = 2j * md.q_n[..., None, None] * jnp.eye(6)
    trans = jnp.linalg.solve(s, rhs)
    refl = md.u @ trans - np.eye(6)
    return Response(trans, refl, md)
