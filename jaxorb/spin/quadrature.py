"""Fermi-disk rule in kappa for the spinful model (docs/theory.md §6, §12).

[0, 1] is split at the up to three branch points sqrt(|k|^2) of the bands (they move with U, r
and lam, and so do the nodes: the rule is differentiable, node placement included). Each of the
four pieces uses Gauss-Legendre in theta with kappa = a + (b - a) sin^2(theta), which clusters the
nodes at both ends and removes the square-root branch points.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from ..operators import const
from . import bands

#: Gauss-Legendre nodes per kappa segment of the default rule. Measured against 192 nodes for
#: J_Sz(inf)/J_Lz(0-) and J_Sz(0)/J_Lz(0-) (|L_z> injection) on U in {-100, -10, -1, 0, 0.5, 0.9,
#: 0.99}, r in {-0.99, 0, 0.5, 2, 5, 10, 30, 100}, alpha in {-10, 0, 0.7, 10},
#: lam in {+-0.1, +-0.5, +-1, +-2}: converged to 5e-11 for lam < 0, 1.4e-10 for r <= 2 and 6e-8
#: for r <= 10; for lam > 0 and large r the rule converges slowly (5e-6 at r = 30 and 5e-5 at
#: r = 100, lam = 2; 32 nodes gave 1.5e-3 there).
DEFAULT_NODES = 64


@functools.lru_cache(maxsize=32)
def _gauss_theta(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.25 * np.pi * (x + 1.0), 0.25 * np.pi * w


def kappa_rule(U, r, lam, n: int = DEFAULT_NODES, directional: bool = False):
    """Nodes and weights in kappa for the disk average, four segments of ``n`` nodes.

    Args:
        U, r, lam: scalar parameters (traced values allowed).
        n: nodes per segment (static).
        directional: static; how coinciding branch points are differentiated
            (:func:`jaxorb.spin.bands.breakpoints`).

    Returns:
        (kappa, weight), each shape (4 n,): sum(weight * f(kappa)) = 2 int_0^1 kappa f dkappa,
        the disk average of a phi-independent f (docs/theory.md §6).
    """
    theta, wt = _gauss_theta(int(n))
    s = bands.breakpoints(U, r, lam, directional)
    zero = jnp.zeros_like(s[..., 0])
    edges = jnp.stack([zero, s[..., 0], s[..., 1], s[..., 2], zero + 1.0], axis=-1)
    lo = edges[..., :-1, None]
    hi = edges[..., 1:, None]
    kappa = lo + (hi - lo) * const(np.sin(theta) ** 2)
    # an empty segment collapsed onto k_F = 1 has zero weight; its nodes would sit at q_N = 0,
    # where the boundary problem is singular, so they are parked at kappa = 1/2
    kappa = jnp.where(lo >= 1.0, 0.5, kappa)
    weight = 2.0 * kappa * (hi - lo) * const(np.sin(2.0 * theta) * wt)
    # and no derivative either: a segment opening below k_F has nodes next to kappa = 1, where
    # every current carries the vanishing flux factor q_N, not at the parked 1/2
    weight = jnp.where(lo >= 1.0, 0.0, weight)
    return kappa.reshape(kappa.shape[:-2] + (-1,)), weight.reshape(weight.shape[:-2] + (-1,))
