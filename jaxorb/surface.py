"""Fast path: closed-form 3x3 interface solve per kappa node and entrywise phi average.

The straightforward path (:mod:`jaxorb.interface`, :mod:`jaxorb.profiles`,
:mod:`jaxorb.reference`) stays the reference the tests compare against. This module computes the
same Fermi averages with three changes that make it cheap and device-agnostic:

1. **Schur complement, closed form.** The 6x6 system of PHYSICS.md §4 has the identity in its
   top-left block, so rho = U_m t - in, and eliminating rho leaves the 3x3 system

       S t = 2 i q_N in,    S = (i q_N I - alpha K) U_m + W,

   solved by the adjugate, T = 2 i q_N adj(S) / det(S). Every matrix entry is a separate array
   over the kappa nodes (struct of arrays), so the whole solve is a few hundred fused,
   elementwise flops per node: no LAPACK, no pivoting (S is nonsingular for kappa < k_F: a
   solution without incident wave would carry outgoing current only), and cheap reverse-mode
   derivatives.
2. **Rotation covariance** (PHYSICS.md §6): one solve at phi = 0 with the three basis incident
   states serves every azimuth and every incident state.
3. **Exact, entrywise phi average.** With R(phi) = exp(-i phi L_z), every phi-averaged bilinear
   form <(R^H in)^H X^H (R^H O R) Y (R^H in)>_phi keeps exactly the index combinations with
   m_m - m_n = m_a - m_b (19 of 81), so it is a short, unrolled sum of products; zero entries of
   constant O and rho_in are skipped at trace time.

The kappa rule (:func:`graded_rule`) splits [0, k_F] at the branch points like
:func:`jaxorb.quadrature.kappa_rule`, but integrates the last segment [s2, 1] in q_N =
sqrt(1 - kappa^2) with geometrically graded Gauss-Legendre panels toward q_N = 0 (kappa = k_F).
Interface states just outside the Fermi disk (kappa slightly above 1) put a pole of the
integrand at q_N = i epsilon, next to the end of the interval; for small epsilon (e.g. r ~ 3.45
at U = 0.5, alpha = 0) a plain Gauss rule converges only algebraically, the graded one
geometrically. The nodes move with U and r, so derivatives are those of the integral.

Shapes: functions take scalar U, r, alpha (vmap for grids) and return arrays over the kappa nodes
K (and a leading incident-state batch where ``rho_in`` has one). Units of PHYSICS.md §1.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import bands, quadrature
from .operators import LX, LY, LZ, M_QUANTUM, OPERATOR_NAMES, OPERATORS, const

SQ2 = float(np.sqrt(2.0))
#: diag(L_z^2) = (1, 0, 1): C = 1 + r L_z^2.
_L2 = (1.0, 0.0, 1.0)
#: M = kappa * MHAT and K = kappa * KHAT at phi = 0 (PHYSICS.md §2: A = kappa L_x).
MHAT = LX @ LZ + LZ @ LX
KHAT = -LY

#: Default graded rule: Gauss-Legendre nodes on each inner segment, number of geometric levels
#: toward kappa = k_F, nodes per level, and the ratio between successive levels.
INNER_NODES = 32
LEVELS = 4
LEVEL_NODES = 16
LEVEL_RATIO = 0.2


# ---------------------------------------------------------------------------------------------
# The kappa rule


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
def _graded_theta(levels: int, nodes: int, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre on (0, pi/2) with panels [0, t_L], [t_L, t_{L-1}], ...,
    [t_1, pi/2], t_j = (pi/2) ratio^j."""
    x, w = np.polynomial.legendre.leggauss(int(nodes))
    edges = [0.0] + [0.5 * np.pi * ratio**j for j in range(int(levels), 0, -1)] + [0.5 * np.pi]
    th, wt = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        th.append(lo + 0.5 * (hi - lo) * (x + 1.0))
        wt.append(0.5 * (hi - lo) * w)
    return np.concatenate(th), np.concatenate(wt)


def graded_rule(
    U,
    r,
    inner: int = INNER_NODES,
    levels: int = LEVELS,
    level_nodes: int = LEVEL_NODES,
    ratio: float = LEVEL_RATIO,
) -> Rule:
    """Kappa rule: two branch-split inner segments and a graded last segment.

    With s1 <= s2 the branch points k_t, k_r capped at k_F = 1, the segments [0, s1] and
    [s1, s2] use ``inner`` Gauss-Legendre nodes in theta with kappa = lo + (hi - lo)
    sin^2(theta), as :func:`jaxorb.quadrature.kappa_rule`. On [s2, 1] the integral is written in
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

    Returns:
        :class:`Rule` with K = 2 inner + (levels + 1) level_nodes nodes.
    """
    theta, wt = quadrature._gauss_theta(int(inner))
    s1, s2 = quadrature.breakpoints(U, r)
    lo = jnp.stack([jnp.zeros_like(s1), s1])[:, None]
    hi = jnp.stack([s1, s2])[:, None]
    k_in = lo + (hi - lo) * const(np.sin(theta) ** 2)
    # a segment collapsed onto k_F = 1 has zero weight: park its nodes inside the first segment
    # (also a node that rounds onto kappa = 1 in a segment narrower than ~1e-11 next to k_F)
    k_in = jnp.where((lo >= 1.0) | (k_in >= 1.0), 0.5 * s1, k_in)
    w_in = 2.0 * k_in * (hi - lo) * const(np.sin(2.0 * theta) * wt)
    k_in, w_in = k_in.reshape(-1), w_in.reshape(-1)
    qn_in = bands._safe_sqrt((1.0 - k_in) * (1.0 + k_in))
    # last segment, in q
    th, wg = _graded_theta(int(levels), int(level_nodes), float(ratio))
    q_max2 = (1.0 - s2) * (1.0 + s2)
    q_max = bands._safe_sqrt(q_max2)
    q = q_max * const(np.sin(th))
    w_out = q_max2 * const(np.sin(2.0 * th) * wg)
    k_out = bands._safe_sqrt((1.0 - q) * (1.0 + q))
    # collapsed last segment (s2 = 1, zero weight): park its nodes inside the first segment so
    # that no node sits on a singular kappa = 1
    collapsed = q_max2 <= 0.0
    park = 0.5 * s1
    k_out = jnp.where(collapsed, park, k_out)
    q = jnp.where(collapsed, bands._safe_sqrt((1.0 - park) * (1.0 + park)), q)
    return Rule(jnp.concatenate([k_in, k_out]), jnp.concatenate([qn_in, q]), jnp.concatenate([w_in, w_out]))


def rule_size(inner: int = INNER_NODES, levels: int = LEVELS, level_nodes: int = LEVEL_NODES) -> int:
    """Number of kappa nodes K of :func:`graded_rule`."""
    return 2 * int(inner) + (int(levels) + 1) * int(level_nodes)


def gauss_rule(U, r, n: int = quadrature.DEFAULT_NODES) -> Rule:
    """The package's plain rule (:func:`jaxorb.quadrature.kappa_rule`) as a :class:`Rule`."""
    kappa, weight = quadrature.kappa_rule(U, r, n)
    return Rule(kappa, bands._safe_sqrt((1.0 - kappa) * (1.0 + kappa)), weight)


# ---------------------------------------------------------------------------------------------
# Real arithmetic on complex arrays


def _is_real(x) -> bool:
    if isinstance(x, (bool, int, float)):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and not jnp.issubdtype(dtype, jnp.complexfloating)


def _is_zero(x) -> bool:
    """A structural zero: a Python number 0 (skipped at trace time). Kept as a Python zero by the
    helpers below, since an array of zeros would be multiplied through every later stage (XLA
    does not fold 0 * x for floats)."""
    return isinstance(x, (int, float)) and x == 0


def _rmul(z, x):
    """z x for a real x (array or number), in real arithmetic: a complex product with a real
    promoted to complex costs 6 flops instead of 2 (XLA does not simplify it; change 8 of
    docs/performance.md: eta forward 0.375 -> 0.285 s on 256^2)."""
    if isinstance(z, (int, float)):
        return 0.0 if _is_zero(z) else z * x
    if isinstance(x, (int, float)) and x in (1.0, -1.0):
        return z if x == 1.0 else -z
    return jax.lax.complex(jnp.real(z) * x, jnp.imag(z) * x)


def _muli(z):
    """i z without a multiplication."""
    if _is_zero(z):
        return 0.0
    return jax.lax.complex(-jnp.imag(z), jnp.real(z))


def _re_cm(a, b):
    """Re(conj(a) b) in real arithmetic."""
    if _is_zero(a) or _is_zero(b):
        return 0.0
    return jnp.real(a) * jnp.real(b) + jnp.imag(a) * jnp.imag(b)


def _cconst(c: complex, z):
    """c z for a constant c: real, imaginary or general."""
    c = complex(c)
    if c.imag == 0:
        return _rmul(z, c.real)
    if c.real == 0:
        return _rmul(_muli(z), c.imag)
    return z * c


def _recip(z):
    """1 / z with one real division; XLA's complex division is several times dearer. No
    overflow guard: the denominators here (q_t + k_t, 1 + beta^2, det S) are O(1e-10) at the
    smallest."""
    re, im = jnp.real(z), jnp.imag(z)
    d = 1.0 / (re * re + im * im)
    return jax.lax.complex(re * d, -im * d)


def _mul_any(z, o):
    """z o with o a Python constant, a real array or a complex array."""
    if isinstance(o, complex):
        return _cconst(o, z)
    if _is_real(o):
        return _rmul(z, o)
    return z * o


# ---------------------------------------------------------------------------------------------
# Complex arrays with the solver's products; struct-of-arrays 3x3 algebra


class Cz:
    """A complex array with the few products the solver needs (``conj_mul``, ``mul_i``).

    Products with Python constants are folded at trace time. Measured on the 2-core CPU: the same
    code on (re, im) pairs of float64 arrays was 3-6x slower than native complex128 here, forward
    and reverse (docs/performance.md).
    """

    __slots__ = ("z",)

    def __init__(self, z):
        self.z = z

    @property
    def re(self):
        return jnp.real(self.z)

    @property
    def im(self):
        return jnp.imag(self.z)

    @staticmethod
    def _v(o):
        return o.z if isinstance(o, Cz) else o

    def __add__(self, o):
        return Cz(self.z + Cz._v(o))

    __radd__ = __add__

    def __neg__(self):
        return Cz(-self.z)

    def __sub__(self, o):
        return Cz(self.z - Cz._v(o))

    def __rsub__(self, o):
        return Cz(Cz._v(o) - self.z)

    def __mul__(self, o):
        return Cz(self.z * o.z if isinstance(o, Cz) else _mul_any(self.z, o))

    __rmul__ = __mul__

    def __truediv__(self, o):
        if isinstance(o, Cz):
            return Cz(self.z * _recip(o.z))
        if _is_real(o):
            return Cz(_rmul(self.z, 1.0 / o))
        return Cz(self.z / o)

    def __rtruediv__(self, o):
        return Cz(_mul_any(_recip(self.z), Cz._v(o)))

    def conj(self):
        return Cz(jnp.conj(self.z))

    def mul_i(self):
        return Cz(_muli(self.z))

    def conj_mul(self, o):
        return Cz(jnp.conj(self.z) * Cz._v(o))

    def complex(self):
        return self.z


def _make(re, im) -> Cz:
    dtype = jnp.result_type(re, im)
    re, im = jnp.broadcast_arrays(jnp.asarray(re, dtype), jnp.asarray(im, dtype))
    return Cz(jax.lax.complex(re, im))


def _of(x) -> Cz:
    return x if isinstance(x, Cz) else Cz(x + 0j)


def _cmat(c: np.ndarray, x):
    """Constant 3x3 NumPy matrix times a nested 3x3 matrix ``x`` of :class:`Cz` or of complex
    arrays (zero entries skipped; real and imaginary constants in real arithmetic)."""
    out = []
    for i in range(3):
        row = []
        for j in range(len(x[0])):
            acc = 0.0
            for k in range(3):
                if c[i, k] != 0:
                    v = x[k][j]
                    acc = acc + (v * complex(c[i, k]) if isinstance(v, Cz) else _cconst(c[i, k], v))
            row.append(acc)
        out.append(tuple(row))
    return tuple(out)


class Solution(NamedTuple):
    """Interface solution at phi = 0 for the three basis incident states, per kappa node.

    Nested 3x3 tuples of :class:`Cz` over (K,) arrays; row = component or mode, column =
    incident basis state.

    Attributes:
        u: mode eigenvectors, columns (+, -, 0) (PHYSICS.md §3).
        q: (q_t, q_t, q_r) as :class:`Cz`.
        t: transmitted mode amplitudes T = 2 i q_N S^-1.
        q_n: (K,) left z-wavevector (real).
    """

    u: tuple
    q: tuple
    t: tuple
    q_n: jnp.ndarray


def _wavevector(k, kappa) -> Cz:
    """q = sqrt(k^2 - kappa^2) on the physical branch, from the real argument (PHYSICS.md §3)."""
    x = (k - kappa) * (k + kappa)
    # one square root for both branches, with a zero derivative at x = 0 like bands._safe_sqrt
    ax = jnp.abs(x)
    nz = ax > 0
    root = jnp.where(nz, jnp.sqrt(jnp.where(nz, ax, 1.0)), 0.0)
    return _make(jnp.where(x > 0, root, 0.0), jnp.where(x < 0, root, 0.0))


class Parts(NamedTuple):
    """The intermediates of :func:`solve` that the hand-written reverse pass
    (:mod:`jaxorb.adjoint`) reuses: nested 3x3 tuples of :class:`Cz` over (K,) arrays.

    Attributes:
        beta, nrm: kappa / (q_t + k_t) and 1 / (1 + beta^2), the helicity-mode entries (PHYSICS.md §3).
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
    sb = beta * nrm * SQ2
    b2n = b2 * nrm
    c0 = _of(kappa / (SQ2 * k_r) + 0.0 * q_r.re)
    return q_t, q_r, beta, nrm, sb, b2n, c0, inv


def _cofactors(entries, k_r, r, alpha, kappa, q_n):
    """(u, q, mu, ku, fac, cof, 1/det) of S = i (U q_N + (1 + r L2) U diag(q) + (r kappa / 2) MHAT U)
    - alpha kappa KHAT U: the mode vectors, wavevectors, MHAT u, KHAT u, the mode factors of S
    (:class:`Parts`), cofactors of S and 1/det S (products and one reciprocal)."""
    q_t, q_r, _, nrm, sb, b2n, c0, _ = entries
    u = ((nrm, b2n, -c0), (sb, -sb, q_r / k_r), (b2n, nrm, c0))
    q = (q_t, q_t, q_r)
    ku = _cmat(KHAT, u)
    mu = _cmat(MHAT, u)
    ak = alpha * kappa
    hrk = 0.5 * r * kappa
    # U q_N + (1 + r L2) U diag(q) = U o F with F_ij = q_N + q_j (1 + r L2_i): four distinct
    # factors (q_0 = q_1, L2 in {0, 1}), one complex product per entry
    fac = {(l2, b): q[b] * (1.0 + r * l2) + q_n for l2 in (0.0, 1.0) for b in (0, 2)}
    s = tuple(
        tuple((u[i][j] * fac[(_L2[i], 0 if j < 2 else 2)] + mu[i][j] * hrk).mul_i() - ku[i][j] * ak for j in range(3))
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
    # here, against 19% of the forward pass's flops (docs/performance.md, change 16)
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
            materialise them between the two evaluations instead; changes 12 and 16 of
            docs/performance.md). 1/det S is not shared: its own loop fusion would recompute S.
    """
    entries = _mode_entries(k_t, k_r, kappa)
    u, q, mu, ku, fac, cof, inv_det = _cofactors(entries, k_r, r, alpha, kappa, q_n)
    if fence is not None:
        entries = tuple(x + fence for x in entries)
        kappa, q_n = kappa + fence, q_n + fence
        u, q, mu, ku, fac, cof, inv_det = _cofactors(entries, k_r, r, alpha, kappa, q_n)
    scale = _make(0.0 * q_n, 2.0 * q_n) * inv_det
    t = tuple(tuple(cof[j][i] * scale for j in range(3)) for i in range(3))  # adj = cof^T
    _, _, beta, nrm, _, _, _, inv = entries
    return Parts(beta, nrm, inv, u, q, mu, ku, fac, t)


def solve(U, r, alpha, kappa, q_n) -> Solution:
    """Closed-form interface solve at phi = 0 (Schur complement + adjugate), per kappa node.

    S = (i q_N - alpha kappa KHAT) U + i (1 + r L_z^2) U diag(q) + (i/2) r kappa MHAT U, then
    T = 2 i q_N adj(S) / det(S) (PHYSICS.md §4 with rho eliminated).

    Args:
        U, r, alpha: scalars. kappa, q_n: (K,) nodes and sqrt(1 - kappa^2).

    Returns:
        :class:`Solution`.
    """
    k_t, k_r = bands.fermi_wavevectors(U, r)
    p = solve_parts(k_t, k_r, r, alpha, kappa, q_n)
    return Solution(p.u, p.q, p.t, q_n)


# ---------------------------------------------------------------------------------------------
# Entrywise phi average of bilinear forms


def _allowed():
    """(m, n, a, b) with m_m - m_n = m_a - m_b: the combinations surviving the phi average."""
    mu = M_QUANTUM
    return [
        (m, n, a, b)
        for m in range(3)
        for n in range(3)
        for a in range(3)
        for b in range(3)
        if mu[m] - mu[n] == mu[a] - mu[b]
    ]


_ALLOWED = _allowed()


def _const_rho(rho) -> bool:
    return isinstance(rho, np.ndarray) and rho.ndim == 2


def phi_form(op: np.ndarray, rho, x, y_rows) -> Cz:
    """Phi average of (R^H in)^H X^H (R^H O R) Y (R^H in), summed over the incident ensemble.

    = sum over (m, n, a, b) with m_m - m_n = m_a - m_b of O_mn rho_ba conj(X_ma) Y^(m)_nb, where
    rho = rho_in (rho_ba = in_b conj(in_a) for a pure state) and ``y_rows[m]`` is the Y used with
    row m of X (lets one form carry {O, C} = O C + C O, see :func:`right_current_terms`).

    Args:
        op: (3, 3) constant operator (NumPy).
        rho: (3, 3) NumPy constant (zeros skipped) or a (..., 3, 3) array (traced allowed).
        x: nested 3x3 of :class:`Cz` (K,); y_rows: 3-tuple of nested 3x3 of :class:`Cz`.

    Returns:
        :class:`Cz` of shape (K,) (constant rho) or (..., K).
    """
    const = _const_rho(rho)
    groups: dict = {}
    for m, n, a, b in _ALLOWED:
        if op[m, n] == 0 or (const and rho[b, a] == 0):
            continue
        c = complex(op[m, n]) * (complex(rho[b, a]) if const else 1.0)
        term = x[m][a].conj_mul(y_rows[m][n][b]) * c
        key = None if const else (a, b)
        groups[key] = term if key not in groups else groups[key] + term
    if not groups:
        zero = 0.0 * x[0][0].re
        return _make(zero, zero)
    if const:
        return groups[None]
    rho = jnp.asarray(rho)
    out = 0.0
    for (a, b), g in groups.items():
        out = _of(rho[..., b, a][..., None]) * g + out
    return out


def _mode_product(u, x0, x1, x2):
    """U x for one column x, with U = ((nrm, b2n, -c0), (sb, -sb, q_r/k_r), (b2n, nrm, c0))
    (:func:`solve_parts`): nrm + b2n = 1 and c0 real leave 3 complex products instead of 9."""
    half, d = (x0 + x1) * 0.5, x0 - x1
    k = (u[0][0] - u[0][1]) * 0.5 * d - x2 * u[2][2].re
    return half + k, u[1][0] * d + u[1][2] * x2, half - k


def _psi(sol: Solution, modes=(0, 1, 2)):
    """(Psi, D) restricted to ``modes``: psi(0) = U T v and -i psi'(0) = U diag(q) T v."""
    if tuple(modes) == (0, 1, 2):
        t, q = sol.t, sol.q
        cols = [_mode_product(sol.u, t[0][a], t[1][a], t[2][a]) for a in range(3)]
        dcols = [_mode_product(sol.u, q[0] * t[0][a], q[1] * t[1][a], q[2] * t[2][a]) for a in range(3)]
        return tuple(tuple(c[m] for c in cols) for m in range(3)), tuple(tuple(c[m] for c in dcols) for m in range(3))
    qt = [[sol.q[b] * sol.t[b][a] for a in range(3)] for b in range(3)]
    psi = tuple(tuple(sum((sol.u[m][b] * sol.t[b][a] for b in modes), 0.0) for a in range(3)) for m in range(3))
    dpsi = tuple(tuple(sum((sol.u[m][b] * qt[b][a] for b in modes), 0.0) for a in range(3)) for m in range(3))
    return psi, dpsi


def _current_rows(r, kappa, psi, dpsi):
    """Y^(m) of the current form: 2 D + r L2 D + r kappa MHAT Psi, plus r D on rows m with L2_m = 1.

    J = (1/2) Re[psi^H {O, C} (-i psi') + r psi^H O M psi] (PHYSICS.md §5, public units) with
    {O, C} = 2 O + r (O L2 + L2 O): the L2 O part moves onto X as r L2_m, i.e. onto Y^(m).
    """
    mp = _cmat(MHAT, psi)
    rk = r * kappa
    e = tuple(tuple(dpsi[n][b] * (2.0 + r * _L2[n]) + mp[n][b] * rk for b in range(3)) for n in range(3))
    e1 = tuple(tuple(e[n][b] + dpsi[n][b] * r for b in range(3)) for n in range(3))
    return (e1, e, e1)


def right_current_terms(sol: Solution, r, kappa, op, rho, x_modes=(0, 1, 2), y_modes=(0, 1, 2)) -> Cz:
    """Phi-averaged right-layer current of ``op`` at z = 0 from the mode pairs (x_modes, y_modes),
    before the real part and the factor 1/2; :class:`Cz` (K,) or (..., K)."""
    psi_x, _ = _psi(sol, x_modes)
    psi_y, dpsi_y = _psi(sol, y_modes)
    return phi_form(op, rho, psi_x, _current_rows(r, kappa, psi_y, dpsi_y))


def left_current(sol: Solution, op, rho):
    """Phi-averaged left-layer current q_N (in^H O in - rho^H O rho) per node, public units;
    real (K,) or (..., K)."""
    psi, _ = _psi(sol)
    refl = tuple(tuple(psi[m][a] - (1.0 if m == a else 0.0) for a in range(3)) for m in range(3))
    rr = phi_form(op, rho, refl, (refl, refl, refl)).re
    if _const_rho(rho):
        inc = float(np.real(np.trace(rho @ op)))
    else:
        inc = jnp.real(jnp.einsum("...mn,nm->...", jnp.asarray(rho), const(op)))[..., None]
    return sol.q_n * (inc - rr)


# ---------------------------------------------------------------------------------------------
# Derivatives: forward-mode Jacobian behind a custom JVP


def _pushforward(f, primals, tangents, nparams: int = 3):
    """(f(primals), J t) with the Jacobian columns of the perturbed parameters among the first
    ``nparams`` arguments ((U, r, alpha) by default) from forward-mode pushforwards (``jax.jvp``
    vmapped over basis tangents)."""
    params, extra = primals[:nparams], primals[nparams:]
    live = [i for i in range(nparams) if not isinstance(tangents[i], jax.custom_derivatives.SymbolicZero)]
    params = tuple(jnp.asarray(p) for p in params)
    if not live:
        y = f(*params, *extra)
        return y, jnp.zeros_like(y)
    # all perturbed directions in one vmapped pushforward: about as fast as separate ones
    # and 20% quicker to compile (docs/performance.md)
    eye = jnp.eye(len(live), dtype=jnp.result_type(*(params[i] for i in live)))

    def push(basis):
        tan = [jnp.zeros_like(p) for p in params]
        for k, i in enumerate(live):
            tan[i] = basis[k] + jnp.zeros_like(params[i])
        return jax.jvp(lambda *ps: f(*ps, *extra), params, tuple(tan))

    y, cols = jax.vmap(push, out_axes=(None, 0))(eye)
    return y, sum(cols[k] * tangents[i] for k, i in enumerate(live))


def forward_jacobian(f, nparams: int = 3):
    """Wrap f(U, r, alpha, *extra) -> array so that every derivative uses forward mode.

    The JVP rule computes the Jacobian columns of the perturbed parameters among (U, r, alpha)
    (the first ``nparams`` arguments: 4 adds a depth z)
    with forward-mode pushforwards (``jax.jvp`` vmapped over basis tangents) and returns J t.
    Reverse mode then only transposes that small product, so ``jax.grad`` costs about one
    forward-mode pass per perturbed parameter instead of differentiating the fused elementwise
    solver in reverse (measured 10-30x the forward pass on CPU: XLA recomputes shared
    intermediates in every backward fusion; docs/performance.md). Unperturbed parameters
    (symbolic-zero tangents) cost nothing. The derivative is exact: that of the integral, nodes
    included. ``extra`` arguments (e.g. a traced incident density matrix, passed explicitly
    rather than closed over) are treated as constants: their tangents are ignored.
    """
    g = jax.custom_jvp(f)
    g.defjvp(lambda primals, tangents: _pushforward(f, primals, tangents, nparams), symbolic_zeros=True)
    return g


# ---------------------------------------------------------------------------------------------
# Fermi-averaged quantities


def make_rule(U, r, nodes=None) -> Rule:
    """:func:`graded_rule` (``nodes`` None or a tuple (inner, levels, level_nodes)) or the plain
    rule with ``nodes`` per segment (an int)."""
    if nodes is None:
        return graded_rule(U, r)
    if isinstance(nodes, int):
        return gauss_rule(U, r, nodes)
    return graded_rule(U, r, *nodes)


def node_sum(values):
    """Sums over the last (kappa node) axis of several per-node real arrays, two at a time.

    Each pair is packed into one complex array (a + i b) and summed by a dot product with ones:
    one elementwise consumer per pair keeps the per-node graph in a single vectorised loop
    fusion, where separate sums would each recompute it (XLA CPU does not fuse sibling outputs)
    and a plain reduction would absorb it into a scalar, unvectorised kernel (measured 2x and
    3x slower, docs/performance.md).

    Args:
        values: list of real arrays (..., K) (traced; same shape).

    Returns:
        list of arrays (...,), the sums, in order.
    """
    out = []
    for i in range(0, len(values), 2):
        pair = values[i : i + 2]
        ones = jnp.ones(pair[0].shape[-1], dtype=pair[0].dtype)
        if len(pair) == 1:
            out.append(jnp.einsum("...k,k->...", pair[0], ones))
            continue
        z = jax.lax.complex(*jnp.broadcast_arrays(pair[0], pair[1]))
        s = jnp.einsum("...k,k->...", z, ones.astype(z.dtype))
        out += [jnp.real(s), jnp.imag(s)]
    return out


def _raw_currents(U, r, alpha, rho, right_ops, left_ops, nodes):
    """(len(right_ops) + len(left_ops),) Fermi-averaged currents at z = 0 of one incident
    state (or batch of them), no custom derivative: :func:`packed_currents`."""
    specs = tuple(("right", n, rho) for n in right_ops) + tuple(("left", n, rho) for n in left_ops)
    return packed_currents(U, r, alpha, specs, nodes)


def packed_currents(U, r, alpha, specs, nodes=None):
    """Fermi-averaged surface currents of several incident states from one solve, no custom
    derivative (differentiate through :func:`reduce_currents` instead).

    One solve serves every incident state (rotation covariance, PHYSICS.md §6), and the node
    sums are packed two per loop fusion (:func:`node_sum`), each fusion recomputing the cheap
    per-node solve. Packing right currents of all states first and left currents after makes
    the left-left pairs skip D and the current rows: 6 currents of two injections take three
    fusions instead of four (one pair and one single per injection; docs/performance.md,
    change 18).

    Args:
        U, r, alpha: scalars.
        specs: tuple of (side, op_name, rho) with side "right" or "left" and rho the incident
            density matrix: a (3, 3) NumPy constant (zeros skipped at trace time) or a
            (..., 3, 3) array.
        nodes: kappa rule, see :func:`make_rule`.

    Returns:
        (len(specs), ...) currents at z = 0 in the order of ``specs``, public units.
    """
    rule = make_rule(U, r, nodes)
    sol = solve(U, r, alpha, rule.kappa, rule.q_n)
    order = [i for i, sp in enumerate(specs) if sp[0] == "right"] + [
        i for i, sp in enumerate(specs) if sp[0] != "right"
    ]
    values = []
    for i in order:
        side, name, rho = specs[i]
        if side == "right":
            values.append(0.5 * rule.weight * right_current_terms(sol, r, rule.kappa, OPERATORS[name], rho).re)
        elif side == "left":
            values.append(rule.weight * left_current(sol, OPERATORS[name], rho))
        else:
            raise ValueError(f"side must be 'right' or 'left', got {side!r}")
    sums = node_sum(values)
    out = [None] * len(specs)
    for k, i in enumerate(order):
        out[i] = sums[k]
    return jnp.stack(out)


def reduce_currents(U, r, alpha, rho, right_ops, left_ops, nodes, combine, *extra):
    """combine(right, left, *extra) of the Fermi-averaged surface currents, differentiable.

    The quantities of the package (efficiencies, current ratios, memory loss) are small
    functions of a few currents; differentiating at this level lets ``jax.grad`` of a scalar
    quantity cost one hand-written reverse pass (:func:`jaxorb.adjoint.currents_vjp`, with the
    cotangents of all currents folded together) instead of one forward-mode pass per parameter.

    Derivatives (a ``custom_jvp``, so forward and reverse mode both work): with a constant
    ``rho`` and at most as many output values as perturbed parameters, the Jacobian rows come
    from the adjoint, one per output value; otherwise from forward-mode pushforwards
    (:func:`forward_jacobian`). Tangents of ``extra`` (and of a traced ``rho``) are ignored.

    Args:
        U, r, alpha: scalars.
        rho: incident density matrix, (3, 3) NumPy constant or (..., 3, 3) array.
        right_ops, left_ops: operator names (static).
        nodes: kappa rule, see :func:`make_rule`.
        combine: f(right: tuple, left: tuple, *extra) -> array (small; any shape).
        *extra: arrays passed to ``combine`` (e.g. dipole components).

    Returns:
        combine's value.
    """
    nr = len(right_ops)

    def split(cur):
        return tuple(cur[i] for i in range(nr)), tuple(cur[i] for i in range(nr, nr + len(left_ops)))

    if not _const_rho(rho):

        def value_rho(U, r, alpha, rho_arg, *ex):
            return combine(*split(_raw_currents(U, r, alpha, rho_arg, right_ops, left_ops, nodes)), *ex)

        return forward_jacobian(value_rho)(U, r, alpha, jnp.asarray(rho), *extra)

    def value(U, r, alpha, *ex):
        return combine(*split(_raw_currents(U, r, alpha, rho, right_ops, left_ops, nodes)), *ex)

    g = jax.custom_jvp(value)

    def rule(primals, tangents):
        from . import adjoint

        params, ex = tuple(jnp.asarray(p) for p in primals[:3]), primals[3:]
        live = [i for i in range(3) if not isinstance(tangents[i], jax.custom_derivatives.SymbolicZero)]
        y = value(*params, *ex)  # the same currents as in adjoint_rows: XLA computes them once
        if not live:
            return y, jnp.zeros_like(y)
        if y.size > len(live):
            return _pushforward(value, primals, tangents)

        with_u = 0 in live

        def adjoint_rows(U, r, alpha, *ex):
            """(y.size, 3) Jacobian of combine's value by the adjoint, one row per value (the U
            column is zero unless U is perturbed: it is never used then)."""
            cur = _raw_currents(U, r, alpha, rho, right_ops, left_ops, nodes)
            y, pull = jax.vjp(lambda c: combine(*split(c), *ex), cur)
            rows = []
            # rows unrolled, not vmapped: a batched cotangent would split the per-node graph into
            # a shared forward part and a batched backward part, which XLA then materialises
            for e in np.eye(y.size).reshape((y.size,) + y.shape):
                (ct,) = pull(jnp.asarray(e, dtype=y.dtype))
                rows.append(jnp.stack(adjoint.currents_vjp(U, r, alpha, rho, right_ops, left_ops, nodes, ct, with_u)))
            return jnp.stack(rows)

        # Second derivatives differentiate these rows: by forward-over-forward mode of the plain
        # currents (reverse mode through the adjoint's own graph compiled for minutes)
        adjoint_rows = jax.custom_jvp(adjoint_rows)

        def rows_jvp(primals, tangents):
            def forward_rows(U, r, alpha, *ex):
                # only the columns the first-order tangent uses (the others multiply zeros)
                cols = jax.jacfwd(lambda *p: value(*p, *ex).reshape(-1), argnums=tuple(live))(U, r, alpha)
                full = [jnp.zeros(y.size, dtype=y.dtype)] * 3
                for k, i in enumerate(live):
                    full[i] = cols[k]
                return jnp.stack(full, axis=-1)

            p, ex_ = primals[:3], primals[3:]
            _, d_rows = jax.jvp(lambda *q: forward_rows(*q, *ex_), p, tuple(tangents[:3]))
            return adjoint_rows(*primals), d_rows

        adjoint_rows.defjvp(rows_jvp)
        jac = adjoint_rows(*params, *ex)  # (y.size, 3)
        tan = sum(jac[:, i] * tangents[i] for i in live)
        return y, tan.reshape(y.shape)

    g.defjvp(rule, symbolic_zeros=True)
    return g(U, r, alpha, *extra)


def surface_currents(U, r, alpha, rho, right_ops=(), left_ops=(), nodes=None):
    """Fermi-averaged right- and left-layer currents at z = 0 (PHYSICS.md §5, §6), public units.

    Args:
        U, r, alpha: scalars.
        rho: incident density matrix, (3, 3) NumPy constant (fastest) or (..., 3, 3) array.
        right_ops, left_ops: operator names (static).
        nodes: kappa rule, see :func:`make_rule`.

    Returns:
        (right, left): tuples of arrays of shape () or (...,), one per name.
    """
    vals = reduce_currents(U, r, alpha, rho, right_ops, left_ops, nodes, lambda rt, lt: jnp.stack(rt + lt))
    return tuple(vals[: len(right_ops)]), tuple(vals[len(right_ops) :])


def _pair_coefficients(sol: Solution, r, kappa, op: np.ndarray, rho, kind: str):
    """Per-node coefficients (c_tt, c_rr, c_tr) of the exponential-sum form of a phi-averaged
    density (``kind="density"``) or right current (``"current"``), before the weights.

    A(z) = sum_k Re[c_tt e^{E_tt z} + c_rr e^{E_rr z} + c_tr e^{E_tr z}] (PHYSICS.md §6-§7, as
    :mod:`jaxorb.profiles`): the helicity modes (+, -) share q_t, so the mode pairs fall into
    t-t, r-r and t-r terms; the r-t pair is folded into c_tr as its complex conjugate.
    """
    t, rr = (0, 1), (2,)
    if kind == "current":

        def part(xm, ym):
            return 0.5 * right_current_terms(sol, r, kappa, op, rho, xm, ym).complex()

    elif kind == "density":

        def part(xm, ym):
            px, _ = _psi(sol, xm)
            py, _ = _psi(sol, ym)
            return phi_form(op, rho, px, (py, py, py)).complex()

    else:
        raise ValueError(f"kind must be 'density' or 'current', got {kind!r}")
    return part(t, t), part(rr, rr), part(t, rr) + jnp.conj(part(rr, t))


def _exponents(sol: Solution):
    """(E_tt, E_rr, E_tr) per node: -2 Im q_t and -2 Im q_r (real), i (q_r - conj q_t) (complex)."""
    q_t, q_r = sol.q[0].complex(), sol.q[2].complex()
    return -2.0 * q_t.imag, -2.0 * q_r.imag, 1j * (q_r - jnp.conj(q_t))


def _exponential_sums(U, r, alpha, rho, op_name, kind, factors, nodes):
    """Node sums of w Re[c_tt g_tt + c_rr g_rr + c_tr g_tr], one per factor triple g returned by
    ``factors(E_tt, E_rr, E_tr)``, all from one solve and one packed node sum."""
    rule = make_rule(U, r, nodes)
    sol = solve(U, r, alpha, rule.kappa, rule.q_n)
    coef = _pair_coefficients(sol, r, rule.kappa, OPERATORS[op_name], rho, kind)

    def re_mul(c, g):  # Re(c g), in real arithmetic when g is real
        return jnp.real(c) * g if _is_real(g) else jnp.real(c * g)

    per_node = [rule.weight * sum(re_mul(c, g) for c, g in zip(coef, gs)) for gs in factors(*_exponents(sol))]
    return node_sum(per_node)


def _with_forward_derivatives(core, U, r, alpha, depth, rho):
    """core(U, r, alpha, depth, rho) with derivatives in (U, r, alpha, depth) by forward mode; a
    NumPy rho is closed over (its zero entries are skipped at trace time), an array is passed."""
    if _const_rho(rho):
        return forward_jacobian(lambda U_, r_, a_, d_: core(U_, r_, a_, d_, rho), 4)(U, r, alpha, depth)
    return forward_jacobian(core, 4)(U, r, alpha, depth, jnp.asarray(rho))


def depth_average(U, r, alpha, z, rho, op_name: str, kind: str, nodes=None):
    """Fermi-averaged density, right current or torque density of one observable at depth z.

    The fast-path form of :func:`jaxorb.profiles.profile` for a single observable and depth:
    sum over kappa nodes of w Re[c_tt e^{E_tt z} + c_rr e^{E_rr z} + c_tr e^{E_tr z}] (times
    the exponent for the torque density tau = dJ/dz, PHYSICS.md §7), from the closed-form 3x3
    solve, one elementwise graph per node and one node sum: no LAPACK, no (K, 3) coefficient
    arrays between fusions. Derivatives with respect to (U, r, alpha, z) by forward mode
    (:func:`forward_jacobian`).

    Args:
        U, r, alpha: scalars. z: scalar depth in 1/k_F (traced allowed).
        rho: (3, 3) incident density matrix, NumPy constant (fastest) or array.
        op_name: observable name (static). kind: "density", "current" or "torque" (static).
        nodes: kappa rule, see :func:`make_rule` (an int: Gauss nodes per segment; depths z
            need :func:`jaxorb.profiles.nodes_for_depth` of z).

    Returns:
        Scalar (or (...,) for a batch of rho), public units (PHYSICS.md §1).
    """
    if kind not in ("density", "current", "torque"):
        raise ValueError(f"kind must be 'density', 'current' or 'torque', got {kind!r}")
    coef_kind = "density" if kind == "density" else "current"

    def core(U, r, alpha, z, rho):
        def factors(*e):
            g = tuple(jnp.exp(ei * z) for ei in e)
            return [tuple(gi * ei for gi, ei in zip(g, e)) if kind == "torque" else g]

        return _exponential_sums(U, r, alpha, rho, op_name, coef_kind, factors, nodes)[0]

    return _with_forward_derivatives(core, U, r, alpha, z, rho)


def current_change(U, r, alpha, depth, rho, op_name: str, nodes=None):
    """J(D) - J(0) of one Fermi-averaged right current, D = ``depth`` in 1/k_F or inf.

    The mean-torque coefficient of PHYSICS.md §7 (c = J(inf) - J(0), or c(D) = J(D) - J(0) =
    int_0^D tau dz), on the fast path as :func:`depth_average`: J(D) and J(0) are two sums of
    one packed node sum. J(inf) keeps the terms whose exponent is exactly zero, as
    :func:`jaxorb.profiles.at_infinity`. Derivatives with respect to (U, r, alpha, depth) by
    forward mode.

    Returns:
        Scalar (or (...,) for a batch of rho), hbar * hbar k_F / m.
    """

    def core(U, r, alpha, depth, rho):
        inf = jnp.isinf(depth)
        d = jnp.where(inf, 0.0, depth)

        def factors(*e):
            far = tuple(jnp.where(inf, (ei == 0).astype(ei.dtype), jnp.exp(ei * d)) for ei in e)
            return [far, (1.0, 1.0, 1.0)]

        j_far, j_0 = _exponential_sums(U, r, alpha, rho, op_name, "current", factors, nodes)
        return j_far - j_0

    return _with_forward_derivatives(core, U, r, alpha, depth, rho)


__all__ = [
    "INNER_NODES",
    "LEVELS",
    "LEVEL_NODES",
    "LEVEL_RATIO",
    "OPERATOR_NAMES",
    "Rule",
    "Solution",
    "current_change",
    "depth_average",
    "gauss_rule",
    "graded_rule",
    "left_current",
    "make_rule",
    "packed_currents",
    "phi_form",
    "reduce_currents",
    "right_current_terms",
    "rule_size",
    "solve",
    "surface_currents",
]
