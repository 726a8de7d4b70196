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

from . import bands

#: Gauss-Legendre nodes per kappa segment of the default rule.
DEFAULT_NODES = 32


@functools.lru_cache(maxsize=32)
def _gauss_theta(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.25 * np.pi * (x + 1.0), 0.25 * np.pi * w


def kappa_rule(U, r, lam, n: int = DEFAULT_NODES):
    """Nodes and weights in kappa for the disk average, four segments of ``n`` nodes.

    Args:
        U, r, lam: scalar parameters (traced values allowed).
        n: nodes per segment (static).

    Returns:
        (kappa, weight), each shape (4 n,): sum(weight * f(kappa)) = 2 int_0^1 kappa f dkappa,
        the disk average of a phi-independent f (docs/theory.md §6).
    """
    theta, wt = _gauss_theta(int(n))
    s = bands.breakpoints(U, r, lam)
    zero = jnp.zeros_like(s[..., 0])
    edges = jnp.stack([zero, s[..., 0], s[..., 1], s[..., 2], zero + 1.0], axis=-1)
    lo = edges[..., :-1, None]
    hi = edges[..., 1:, None]
    kappa = lo + (hi - lo) * jnp.asarray(np.sin(theta) ** 2)
    # an empty segment collapsed onto k_F = 1 has zero weight; its nodes would sit at q_N = 0,
    # where the boundary problem is singular, so they are parked at kappa = 1/2
    kappa = jnp.where(lo >= 1.0, 0.5, kappa)
    weight = 2.0 * kappa * (hi - lo) * jnp.asarray(np.sin(2.0 * theta) * wt)
    return kappa.reshape(kappa.shape[:-2] + (-1,)), weight.reshape(weight.shape[:-2] + (-1,))
