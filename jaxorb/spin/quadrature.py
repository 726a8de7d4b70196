"""Fermi-disk rule in kappa for the spinful model (docs/theory.md §6, §12).

[0, 1] is split at the up to three branch points sqrt(|k|^2) of the bands (they move with U, r
and lam, and so do the nodes: the rule is differentiable, node placement included). Each of the
four pieces uses Gauss-Legendre in theta with kappa = a + (b - a) sin^2(theta), which clusters the
nodes at both ends and removes the square-root branch points. The pieces get nodes by rank of
their length (:func:`segment_nodes`): the longest piece holds the slowest-converging part of the
integrand where the crystal field is strong (a broad peak, docs/theory.md §12).
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from ..operators import const
from . import bands

#: Mean Gauss-Legendre nodes per kappa segment of the default rule (4 * DEFAULT_NODES in all).
#: Measured against 256 per segment for J_Sz(inf)/J_Lz(0-) and J_Sz(0+)/J_Lz(0-) (|L_z>
#: injection) on about 2700 random points, U in {-10, -1, 0, 0.5, 0.9}, r in [0.01, 30]
#: (log-uniform), |alpha| <= 3, |lam| <= 2: at most 1.1e-10 (99% of the points below 7e-15);
#: with 32, 2.3e-9 for 99% of the points and 2.9e-6 at worst (r = 29, lam = 1.3).
DEFAULT_NODES = 64


def segment_nodes(n: int) -> tuple[int, int, int, int]:
    """Nodes of the four segments, longest first: (n + 2m, n, n - m, n - m) with m = n // 4.

    4 n in all. Against n on every segment, on 64 x 64 (r, lam) points at U = 0.5,
    alpha = 0.3, r in [0.05, 10], lam in [-0.2, 0.4] with n = 24, the largest error of
    J_Sz(inf)/J_Lz(0-) and J_Sz(0+)/J_Lz(0-) falls from 3.2e-7 to 2.0e-8; on the broad domain of
    :data:`DEFAULT_NODES` with n = 64, from 9.8e-8 to 1.1e-10 (docs/performance.md).
    """
    n = int(n)
    m = n // 4
    return (n + 2 * m, n, n - m, n - m)


@functools.lru_cache(maxsize=32)
def _gauss_theta(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.25 * np.pi * (x + 1.0), 0.25 * np.pi * w


def kappa_rule(U, r, lam, n: int = DEFAULT_NODES, directional: bool = False):
    """Nodes and weights in kappa for the disk average: four segments, 4 ``n`` nodes.

    The segments, split at the branch points, get :func:`segment_nodes` of ``n`` nodes by rank
    of their length (ties in segment order); the nodes come segment by segment in that rank
    order, not in kappa order.

    Args:
        U, r, lam: scalar parameters (traced values allowed).
        n: mean nodes per segment (static).
        directional: static; how coinciding branch points are differentiated
            (:func:`jaxorb.spin.bands.breakpoints`).

    Returns:
        (kappa, weight), each shape (4 n,): sum(weight * f(kappa)) = 2 int_0^1 kappa f dkappa,
        the disk average of a phi-independent f (docs/theory.md §6).
    """
    s = bands.breakpoints(U, r, lam, directional)
    zero = jnp.zeros_like(s[..., 0])
    edges = jnp.stack([zero, s[..., 0], s[..., 1], s[..., 2], zero + 1.0], axis=-1)
    lo_all, hi_all = edges[..., :-1], edges[..., 1:]
    length = hi_all - lo_all
    # rank of each segment by length (ties in segment order), as elementwise selections: the
    # rank is a static choice of node count, with no derivative of its own
    rank = [
        sum(
            ((length[..., i] > length[..., j]) | ((length[..., i] == length[..., j]) & (i < j))).astype(int)
            for i in range(4)
            if i != j
        )
        for j in range(4)
    ]
    kappas, weights = [], []
    for k, count in enumerate(segment_nodes(n)):
        theta, wt = _gauss_theta(count)
        lo = sum(jnp.where(rank[j] == k, lo_all[..., j], 0.0) for j in range(4))[..., None]
        hi = sum(jnp.where(rank[j] == k, hi_all[..., j], 0.0) for j in range(4))[..., None]
        kappa = lo + (hi - lo) * const(np.sin(theta) ** 2)
        # an empty segment collapsed onto k_F = 1 has zero weight; its nodes would sit at q_N = 0,
        # where the boundary problem is singular, so they are parked at kappa = 1/2
        kappa = jnp.where(lo >= 1.0, 0.5, kappa)
        weight = 2.0 * kappa * (hi - lo) * const(np.sin(2.0 * theta) * wt)
        # and no derivative either: a segment opening below k_F has nodes next to kappa = 1, where
        # every current carries the vanishing flux factor q_N, not at the parked 1/2
        weight = jnp.where(lo >= 1.0, 0.0, weight)
        kappas.append(kappa)
        weights.append(weight)
    return jnp.concatenate(kappas, axis=-1), jnp.concatenate(weights, axis=-1)
