"""Right-layer bands at the Fermi energy: branch points, z-wavevectors and helicity eigenvectors.

Units of docs/theory.md §1 (hbar = 2m = k_F = E_F = 1). All functions are pure ``jnp`` code that
broadcasts over its arguments, so they vmap and differentiate.
"""

from __future__ import annotations

import jax.numpy as jnp

from .operators import SQRT2


def fermi_wavevectors(U, r):
    """Branch points of the right layer (docs/theory.md §3).

    Args:
        U: potential step, in E_F, U < 1.
        r: crystal field, in hbar^2/2m, r > -1.

    Returns:
        (k_t, k_r): on-shell |k| of the helicity +-1 bands, (1-U)/(1+r) = k_t^2, and of the
        helicity-0 band, 1 - U = k_r^2; in k_F.
    """
    k_r = jnp.sqrt(1.0 - U)
    k_t = k_r / jnp.sqrt(1.0 + r)
    return k_t, k_r


def safe_sqrt(x):
    """sqrt(x) for x >= 0 with a finite (zero) derivative at x = 0 (double-where idiom)."""
    positive = x > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1.0)), 0.0)


def z_wavevector(k, kappa):
    """q = sqrt(k^2 - kappa^2) on the physical branch (docs/theory.md §3).

    Built from the real argument, never from the sign of a complex zero: q >= 0 when the mode
    propagates (kappa < k), q = i sqrt(kappa^2 - k^2) when it is evanescent (decays for z > 0).
    (k - kappa)(k + kappa) keeps digits when kappa sits next to the branch point.

    Returns:
        complex array, broadcast shape of ``k`` and ``kappa``.
    """
    x = (k - kappa) * (k + kappa)
    re = safe_sqrt(x)
    im = safe_sqrt(-x)
    return re + 1j * im


def helicity_modes(kappa, q_t, q_r, k_t, k_r):
    """Eigenvectors of H_R at E_F in the frame phi = 0 (paper Eq. 4, docs/theory.md §3).

    With beta = kappa / (q_t + k_t) the helicity +-1 states are
    |+> = (1, sqrt2 beta, beta^2) / (1 + beta^2),  |-> = (beta^2, -sqrt2 beta, 1) / (1 + beta^2),
    which is Eq. 4 with a = q_t + k_t resp. a = -kappa^2/(q_t + k_t) divided through by a^2 or
    kappa^2: no cancellation at small kappa, and kappa = 0 gives the limits (1,0,0), (0,0,1)
    instead of 0/0. |0> = (-kappa, sqrt2 q_r, kappa) / (sqrt2 k_r). For evanescent q they are
    valid but not unit-normalised. Other azimuths follow from R(phi) = exp(-i phi L_z).

    Returns:
        complex array (..., 3, 3) whose columns are u_+, u_-, u_0.
    """
    kappa = jnp.asarray(kappa)
    beta = kappa / (q_t + k_t)
    b2 = beta * beta
    norm = 1.0 / (1.0 + b2)
    one = jnp.ones_like(b2)
    u_p = jnp.stack([one, SQRT2 * beta, b2], axis=-1) * norm[..., None]
    u_m = jnp.stack([b2, -SQRT2 * beta, one], axis=-1) * norm[..., None]
    kap = kappa + 0j * q_r
    u_0 = jnp.stack([-kap, SQRT2 * q_r, kap], axis=-1) / (SQRT2 * k_r)[..., None]
    return jnp.stack([u_p, u_m, u_0], axis=-1)


def mode_wavevectors(q_t, q_r):
    """z-wavevectors of the three right-layer modes (+, -, 0): (q_t, q_t, q_r), shape (..., 3)."""
    return jnp.stack([q_t, q_t, q_r], axis=-1)


def precession_wavelength(U, r):
    """Oscillation wavelength of the Fermi-averaged moments, 2 pi / |k_r - k_t|, in 1/k_F.

    The kappa average of exp(i (q_r - q_t) z) is dominated by its stationary point kappa = 0,
    where q_r - q_t = k_r - k_t (paper Fig. 2f). Infinite at r = 0 (no precession).
    """
    k_t, k_r = fermi_wavevectors(U, r)
    return 2.0 * jnp.pi / jnp.abs(k_r - k_t)
