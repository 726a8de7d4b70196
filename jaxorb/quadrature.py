"""Fermi-disk quadrature (docs/theory.md §6).

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
from typing import NamedTuple

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


# ---------------------------------------------------------------------------------------------
# The graded rule of the interface quantities

#: Default graded rule: Gauss-Legendre nodes on each inner segment, number of geometric levels
#: toward kappa = k_F, nodes per level, and the ratio between successive levels.
INNER_NODES = 32
LEVELS = 4
LEVEL_NODES = 16
LEVEL_RATIO = 0.2


class Rule(NamedTuple):
    """Kappa nodes of the disk average.

    Attributes:
        kappa: (K,) nodes in k_F.
        q_n: (K,) left-layer z-wavevector sqrt(1 - kappa^2) at each node (exact, from the rule).
        weight: (K,) weights with Jacobian, measure 2 kappa dkappa and the 1/pi of the disk
            average: sum(weight * f) = 2 int_0^1 kappa f dkappa.
    """

    kappa: jnp.ndarray
    q_n: jnp.ndarray
    weight: jnp.ndarray


@functools.lru_cache(maxsize=32)
def _graded_theta(levels: int, nodes: int, ratio: float, outer: int) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre on (0, pi/2) with panels [0, t_L], [t_L, t_{L-1}], ...,
    [t_1, pi/2], t_j = (pi/2) ratio^j: ``nodes`` nodes on each panel but the last, ``outer`` there."""
    x, w = np.polynomial.legendre.leggauss(int(nodes))
    xo, wo = np.polynomial.legendre.leggauss(int(outer))
    edges = [0.0] + [0.5 * np.pi * ratio**j for j in range(int(levels), 0, -1)] + [0.5 * np.pi]
    th, wt = [], []
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        xk, wk = (xo, wo) if k == len(edges) - 2 else (x, w)
        th.append(lo + 0.5 * (hi - lo) * (xk + 1.0))
        wt.append(0.5 * (hi - lo) * wk)
    return np.concatenate(th), np.concatenate(wt)


def graded_rule(
    U,
    r,
    inner: int = INNER_NODES,
    levels: int = LEVELS,
    level_nodes: int = LEVEL_NODES,
    ratio: float = LEVEL_RATIO,
    outer: int | None = None,
) -> Rule:
    """Kappa rule: two branch-split inner segments and a graded last segment.

    With s1 <= s2 the branch points k_t, k_r capped at k_F = 1, the segments [0, s1] and
    [s1, s2] use ``inner`` Gauss-Legendre nodes in theta with kappa = lo + (hi - lo)
    sin^2(theta), as :func:`kappa_rule`. On [s2, 1] the integral is written in
    q = q_N: 2 kappa dkappa = -2 q dq, q = q_max sin(theta) with q_max = sqrt(1 - s2^2) (the
    sine removes the branch point at kappa = s2), and theta is split into ``levels + 1`` panels
    graded geometrically toward theta = 0 (kappa = k_F) with ``level_nodes`` nodes each: an
    interface state just outside the Fermi disk is a pole at q = i epsilon, which the grading
    resolves. Measured against a refined rule (docs/performance.md): 1e-12 on the benchmark
    grid (U = 0.5, r in [0.05, 10], alpha in [0, 3]), 2e-11 next to the interface-state kink
    (r ~ 3.45, alpha ~ 0), 3e-9 over a broad domain, 1e-8 to 1e-7 where a branch point sits
    just beyond k_F (U ~ 0, U ~ -r).

    Args:
        U, r: scalar parameters (traced values allowed; nodes and weights are differentiable).
        inner, levels, level_nodes: static node counts; ratio: static grading ratio in (0, 1).
        outer: static node count of the outermost panel [t_1, pi/2] (default ``level_nodes``),
            the one that sees the oscillation in depth (:func:`depth_rule`).

    Returns:
        :class:`Rule` with K = 2 inner + levels level_nodes + outer nodes.
    """
    theta, wt = _gauss_theta(int(inner))
    s1, s2 = breakpoints(U, r)
    lo = jnp.stack([jnp.zeros_like(s1), s1])[:, None]
    hi = jnp.stack([s1, s2])[:, None]
    k_in = lo + (hi - lo) * const(np.sin(theta) ** 2)
    # a segment collapsed onto k_F = 1 has zero weight: park its nodes inside the first segment
    # (also a node that rounds onto kappa = 1 in a segment narrower than ~1e-11 next to k_F)
    k_in = jnp.where((lo >= 1.0) | (k_in >= 1.0), 0.5 * s1, k_in)
    w_in = 2.0 * k_in * (hi - lo) * const(np.sin(2.0 * theta) * wt)
    k_in, w_in = k_in.reshape(-1), w_in.reshape(-1)
    qn_in = bands.safe_sqrt((1.0 - k_in) * (1.0 + k_in))
    # last segment, in q
    outer = level_nodes if outer is None else outer
    th, wg = _graded_theta(int(levels), int(level_nodes), float(ratio), int(outer))
    q_max2 = (1.0 - s2) * (1.0 + s2)
    q_max = bands.safe_sqrt(q_max2)
    q = q_max * const(np.sin(th))
    w_out = q_max2 * const(np.sin(2.0 * th) * wg)
    k_out = bands.safe_sqrt((1.0 - q) * (1.0 + q))
    # collapsed last segment (s2 = 1, zero weight): park its nodes inside the first segment so
    # that no node sits on a singular kappa = 1
    collapsed = q_max2 <= 0.0
    park = 0.5 * s1
    k_out = jnp.where(collapsed, park, k_out)
    q = jnp.where(collapsed, bands.safe_sqrt((1.0 - park) * (1.0 + park)), q)
    return Rule(jnp.concatenate([k_in, k_out]), jnp.concatenate([qn_in, q]), jnp.concatenate([w_in, w_out]))


def rule_size(
    inner: int = INNER_NODES, levels: int = LEVELS, level_nodes: int = LEVEL_NODES, outer: int | None = None
) -> int:
    """Number of kappa nodes K of :func:`graded_rule`."""
    outer = level_nodes if outer is None else outer
    return 2 * int(inner) + int(levels) * int(level_nodes) + int(outer)


def depth_sizes(n: int) -> tuple[int, int, int, int]:
    """(inner, levels, level_nodes, outer) of :func:`depth_rule` for ``n`` nodes per segment."""
    return (
        int(n) + INNER_NODES - DEFAULT_NODES,
        LEVELS,
        LEVEL_NODES,
        max(LEVEL_NODES, int(n) + LEVEL_NODES - DEFAULT_NODES),
    )


def depth_rule(U, r, n: int = DEFAULT_NODES) -> Rule:
    """The graded rule sized for depth: ``n`` counts nodes per segment like :func:`kappa_rule`.

    At depth z the integrand oscillates in kappa like exp(i (q_t - q_r) z), so the node count
    grows with z (``n`` from :func:`jaxorb.profiles.nodes_for_depth`). The two inner segments
    get n + 8 nodes and the outermost panel of the graded segment n - 8 (at least 16); the graded
    panels toward kappa = k_F keep their size (the phase varies little over them). At
    n = :data:`DEFAULT_NODES` this is the default :func:`graded_rule` of the interface
    quantities, so depth quantities at z = 0 equal them, converged next to the interface states
    just outside the Fermi disk as well.
    """
    inner, levels, level_nodes, outer = depth_sizes(n)
    return graded_rule(U, r, inner, levels, level_nodes, outer=outer)


def gauss_rule(U, r, n: int = DEFAULT_NODES) -> Rule:
    """The package's plain rule (:func:`kappa_rule`) as a :class:`Rule`."""
    kappa, weight = kappa_rule(U, r, n)
    return Rule(kappa, bands.safe_sqrt((1.0 - kappa) * (1.0 + kappa)), weight)


def make_rule(U, r, nodes=None, depth: bool = False) -> Rule:
    """The kappa rule a ``nodes`` argument names.

    Args:
        U, r: scalar parameters (traced allowed).
        nodes: None for the default :func:`graded_rule`; a tuple (inner, levels, level_nodes)
            for a graded rule of that size; an int for ``nodes`` per segment: the plain
            :func:`gauss_rule` of the interface quantities, or :func:`depth_rule` for a
            quantity at depth (``depth=True``).
        depth: static; selects :func:`depth_rule` for an int ``nodes``.
    """
    if nodes is None:
        return graded_rule(U, r)
    if isinstance(nodes, int):
        return depth_rule(U, r, nodes) if depth else gauss_rule(U, r, nodes)
    return graded_rule(U, r, *nodes)
