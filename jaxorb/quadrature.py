"""Fermi-disk quadrature (PHYSICS.md §6).

<O> = (1/pi) int_0^{2 pi} dphi int_0^1 kappa dkappa O(kappa, phi): the disk average, so a constant
averages to itself. In kappa, [0, 1] is split at the branch points k_t, k_r (they move with U and
r, and so do the nodes: the quadrature is differentiable in U and r, including its node
placement). Each piece uses Gauss-Legendre in theta with kappa = a + (b - a) sin^2(theta),
theta in (0, pi/2), which clusters nodes at both ends and removes the square-root branch points.
In phi the integrand is a trigonometric polynomial of degree <= 4: the equally spaced rule with
n_phi >= 5 points is exact.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from . import bands
from .operators import const

#: Default Gauss-Legendre nodes per kappa segment: reaches 1e-10 for every z = 0 quantity.
DEFAULT_NODES = 24
#: Default number of phi points of the reference rule (exact from 5).
DEFAULT_PHI = 8


@functools.lru_cache(maxsize=64)
def _gauss_theta(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    theta = 0.25 * np.pi * (x + 1.0)
    return theta, 0.25 * np.pi * w


def breakpoints(U, r):
    """Segment edges 0 <= s1 <= s2 <= 1: the branch points k_t, k_r sorted and capped at k_F = 1.

    A branch point at or beyond k_F is not a split point; its segment then has zero length and
    zero weight.
    """
    k_t, k_r = bands.fermi_wavevectors(U, r)
    s1 = jnp.minimum(jnp.minimum(k_t, k_r), 1.0)
    s2 = jnp.minimum(jnp.maximum(k_t, k_r), 1.0)
    return s1, s2


def kappa_rule(U, r, n: int = DEFAULT_NODES):
    """Nodes and weights in kappa for the disk average, 3 segments of ``n`` nodes.

    Args:
        U, r: scalar parameters (traced values allowed).
        n: nodes per segment (static).

    Returns:
        (kappa, weight), each shape (3 n,). The weights include the Jacobian, the measure
        2 kappa dkappa and the 1/pi of the disk average (with the phi mean taken separately),
        so sum(weight * f(kappa)) = 2 int_0^1 kappa f dkappa.
    """
    theta, wt = _gauss_theta(int(n))
    s1, s2 = breakpoints(U, r)
    lo = jnp.stack([jnp.zeros_like(s1), s1, s2])[:, None]
    hi = jnp.stack([s1, s2, jnp.ones_like(s2)])[:, None]
    sin2 = const(np.sin(theta) ** 2)
    kappa = lo + (hi - lo) * sin2
    # A segment collapsed onto k_F = 1 has zero weight, but at kappa = 1 with a branch point there
    # too (e.g. U = r = 0) the 6x6 system is singular and 0 * NaN would poison the sum: park its
    # nodes inside the first segment instead.
    # (also a node that rounds onto kappa = 1 in a segment narrower than ~1e-11 next to k_F)
    kappa = jnp.where((lo >= 1.0) | (kappa >= 1.0), 0.5 * s1, kappa)
    jac = (hi - lo) * const(np.sin(2.0 * theta) * wt)
    weight = 2.0 * kappa * jac
    return kappa.reshape(-1), weight.reshape(-1)


def phi_rule(n_phi: int = DEFAULT_PHI) -> tuple[np.ndarray, np.ndarray]:
    """Equally spaced azimuths and weights (mean over phi), exact for degree < n_phi."""
    phi = 2.0 * np.pi * np.arange(n_phi) / n_phi
    return phi, np.full(n_phi, 1.0 / n_phi)
