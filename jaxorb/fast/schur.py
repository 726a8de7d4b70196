"""Closed-form 3x3 interface solve per kappa node (docs/theory.md §4).

The 6x6 boundary system has the identity in its top-left block, so the reflected amplitudes are
rho = U_m t - in, and eliminating them leaves the 3x3 system

    S t = 2 i q_N in,    S = (i q_N I - alpha K) U_m + W,

solved by the adjugate, T = 2 i q_N adj(S) / det(S). Every matrix entry is a separate array over
the kappa nodes, so the solve is a few hundred fused elementwise flops per node: no LAPACK, no
pivoting (S is nonsingular for kappa < k_F: a solution without incident wave would carry
outgoing current only), and cheap reverse-mode derivatives. One solve at phi = 0 with the three
basis incident states serves every azimuth and incident state (rotation covariance,
docs/theory.md §6).
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from .. import bands
from ..operators import KHAT, L2, MHAT, SQRT2
from .complexmath import Cz, as_cz, cmat, make_cz


class Solution(NamedTuple):
    """Interface solution at phi = 0 for the three basis incident states, per kappa node.

    Nested 3x3 tuples of :class:`Cz` over (K,) arrays; row = component or mode, column =
    incident basis state.

    Attributes:
        u: mode eigenvectors, columns (+, -, 0) (docs/theory.md §3).
        q: (q_t, q_t, q_r) as :class:`Cz`.
        t: transmitted mode amplitudes T = 2 i q_N S^-1.
        q_n: (K,) left z-wavevector (real).
    """

    u: tuple
    q: tuple
    t: tuple
    q_n: jnp.ndarray


def _wavevector(k, kappa) -> Cz:
    """q = sqrt(k^2 - kappa^2) on the physical branch, from the real argument (docs/theory.md §3)."""
    x = (k - kappa) * (k + kappa)
    # one square root for both branches, with a zero derivative at x = 0 like bands.safe_sqrt
    ax = jnp.abs(x)
    nz = ax > 0
    root = jnp.where(nz, jnp.sqrt(jnp.where(nz, ax, 1.0)), 0.0)
    return make_cz(jnp.where(x > 0, root, 0.0), jnp.where(x < 0, root, 0.0))


class Parts(NamedTuple):
    """The intermediates of :func:`solve` that the hand-written reverse pass
    (:mod:`jaxorb.fast.adjoint`) reuses: nested 3x3 tuples of :class:`Cz` over (K,) arrays.

    Attributes:
        beta, nrm: kappa / (q_t + k_t) and 1 / (1 + beta^2), the helicity-mode entries (docs/theory.md §3).
        inv: 1 / (q_t + k_t).
        u, q: mode eigenvectors (columns +, -, 0) and wavevectors (q_t, q_t, q_r).
        mu, ku: MHAT u and KHAT u.
        fac: {(L2_i, j): q_N + q_j (1 + r L2_i)} for j = 0 (q_t) and 2 (q_r): S's mode factors.
        t: transmitted amplitudes T = 2 i q_N S^-1.
    """

    beta: Cz
    nrm: Cz
    inv: Cz
    u: tuple
    q: tuple
    mu: tuple
    ku: tuple
    fac: dict
    t: tuple


def _mode_entries(k_t, k_r, kappa):
    """Wavevectors and helicity-mode entries: the square roots and divisions of the solve."""
    q_t = _wavevector(k_t, kappa)
    q_r = _wavevector(k_r, kappa)
    inv = 1.0 / (q_t + k_t)
    beta = inv * kappa
    b2 = beta * beta
    nrm = 1.0 / (b2 + 1.0)
    sb = beta * nrm * SQRT2
    b2n = b2 * nrm
    c0 = as_cz(kappa / (SQRT2 * k_r) + 0.0 * q_r.re)
    return q_t, q_r, beta, nrm, sb, b2n, c0, inv


def _cofactors(entries, k_r, r, alpha, kappa, q_n):
    """(u, q, mu, ku, fac, cof, 1/det) of S = i (U q_N + (1 + r L2) U diag(q) + (r kappa / 2) MHAT U)
    - alpha kappa KHAT U: the mode vectors, wavevectors, MHAT u, KHAT u, the mode factors of S
    (:class:`Parts`), cofactors of S and 1/det S (products and one reciprocal)."""
    q_t, q_r, _, nrm, sb, b2n, c0, _ = entries
    u = ((nrm, b2n, -c0), (sb, -sb, q_r / k_r), (b2n, nrm, c0))
    q = (q_t, q_t, q_r)
    ku = cmat(KHAT, u)
    mu = cmat(MHAT, u)
    ak = alpha * kappa
    hrk = 0.5 * r * kappa
    # U q_N + (1 + r L2) U diag(q) = U o F with F_ij = q_N + q_j (1 + r L2_i): four distinct
    # factors (q_0 = q_1, L2 in {0, 1}), one complex product per entry
    fac = {(l2, b): q[b] * (1.0 + r * l2) + q_n for l2 in (0.0, 1.0) for b in (0, 2)}
    s = tuple(
        tuple((u[i][j] * fac[(L2[i], 0 if j < 2 else 2)] + mu[i][j] * hrk).mul_i() - ku[i][j] * ak for j in range(3))
        for i in range(3)
    )
    cof = [[None] * 3 for _ in range(3)]
    for i in range(3):
        for j in range(3):
            i1, i2 = (k for k in range(3) if k != i)
            j1, j2 = (k for k in range(3) if k != j)
            c = s[i1][j1] * s[i2][j2] - s[i1][j2] * s[i2][j1]
            cof[i][j] = -c if (i + j) % 2 else c
    # det by its own products (rule of Sarrus), not from the first row of cofactors: a second
    # consumer of those cofactors (det -> 1/det -> every T entry) makes XLA CPU refuse to
    # duplicate them ("operand can not be duplicated") and materialise them in loop fusions of
    # their own, each recomputing the S entries it reads: 12 complex products instead of 3
    # here, against 19% of the forward pass's flops (docs/performance.md)
    det = (
        s[0][0] * s[1][1] * s[2][2]
        + s[0][1] * s[1][2] * s[2][0]
        + s[0][2] * s[1][0] * s[2][1]
        - s[0][2] * s[1][1] * s[2][0]
        - s[0][0] * s[1][2] * s[2][1]
        - s[0][1] * s[1][0] * s[2][2]
    )
    inv_det = 1.0 / det
    return u, q, mu, ku, fac, cof, inv_det


def solve_parts(k_t, k_r, r, alpha, kappa, q_n, fence=None) -> Parts:
    """:func:`solve` from the Fermi wavevectors, returning :class:`Parts`.

    Args:
        fence: None, or an opaque zero (a traced 0 XLA cannot fold) for a second evaluation in
            the same graph as a first, unfenced one: the wavevectors and mode entries (square
            roots and divisions) are then shared with it, and S, its cofactors and 1/det S are
            recomputed from those values plus the fence. XLA materialises the square roots and
            divisions in their own loop fusions anyway (it does not duplicate them into
            consumers), so sharing them saves both their arithmetic and a second set of arrays,
            while the products stay fused into each consumer (merged as well, XLA would
            materialise them between the two evaluations instead; docs/performance.md). 1/det S is not shared: its own loop fusion would recompute S.
    """
    entries = _mode_entries(k_t, k_r, kappa)
    u, q, mu, ku, fac, cof, inv_det = _cofactors(entries, k_r, r, alpha, kappa, q_n)
    if fence is not None:
        entries = tuple(x + fence for x in entries)
        kappa, q_n = kappa + fence, q_n + fence
        u, q, mu, ku, fac, cof, inv_det = _cofactors(entries, k_r, r, alpha, kappa, q_n)
    scale = make_cz(0.0 * q_n, 2.0 * q_n) * inv_det
    t = tuple(tuple(cof[j][i] * scale for j in range(3)) for i in range(3))  # adj = cof^T
    _, _, beta, nrm, _, _, _, inv = entries
    return Parts(beta, nrm, inv, u, q, mu, ku, fac, t)


def solve(U, r, alpha, kappa, q_n) -> Solution:
    """Closed-form interface solve at phi = 0 (Schur complement + adjugate), per kappa node.

    S = (i q_N - alpha kappa KHAT) U + i (1 + r L_z^2) U diag(q) + (i/2) r kappa MHAT U, then
    T = 2 i q_N adj(S) / det(S) (docs/theory.md §4 with rho eliminated).

    Args:
        U, r, alpha: scalars. kappa, q_n: (K,) nodes and sqrt(1 - kappa^2).

    Returns:
        :class:`Solution`.
    """
    k_t, k_r = bands.fermi_wavevectors(U, r)
    p = solve_parts(k_t, k_r, r, alpha, kappa, q_n)
    return Solution(p.u, p.q, p.t, q_n)
