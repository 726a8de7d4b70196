"""Fast interface currents of the spinful model: mirror-split 3x3 solves, struct-of-arrays.

At phi = 0 every matrix of the boundary problem (C, M, K, the bulk Hamiltonian) commutes with the
mirror y -> -y, which acts on |m, s> as Y = exp(-i pi J_y) with eigenvalues -i and +i. In a basis of
Y eigenvectors the 6x6 Schur complement of docs/theory.md §12 splits into two 3x3 blocks, and each
band's helicity pair splits into one mode per block (u_+ -+ i u_-), so each kappa needs two 3x3
inverses (adjugate / determinant), all entries kept as separate (K,) arrays.

The Fermi-averaged currents at z = 0+, z = 0- and z -> infinity are then sparse bilinear forms
sum A^(d)_ij P_ja rho^(-d)_ab conj(Q_ib) in the |m, s> basis (docs/theory.md §6 harmonics of J_z),
with every zero of the constant operator and injection tables skipped at trace time.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from . import bands, quadrature
from .expansion import _MASK
from .interface import KHAT, LZ2, MHAT
from .operators import ALL_MATRICES

_S2 = np.sqrt(2.0)


def _ket(m: int, s: int) -> np.ndarray:
    v = np.zeros(6, dtype=complex)
    v[2 * (1 - m) + s] = 1.0
    return v


#: Columns: Y = -i eigenvectors (|1 up> + i|-1 dn>, |1 dn> - i|-1 up>, |0 up> - i|0 dn>)/sqrt2,
#: then the Y = +i ones with the opposite signs. Mode combinations in the same order: the helicity
#: 3/2 band, then the helicity 1/2 bands, whose k || z states are (1, 0, 0) and (0, c1, c0) here.
BASIS = np.stack(
    [
        (_ket(1, 0) + 1j * _ket(-1, 1)) / _S2,
        (_ket(1, 1) - 1j * _ket(-1, 0)) / _S2,
        (_ket(0, 0) - 1j * _ket(0, 1)) / _S2,
        (_ket(1, 0) - 1j * _ket(-1, 1)) / _S2,
        (_ket(1, 1) + 1j * _ket(-1, 0)) / _S2,
        (_ket(0, 0) + 1j * _ket(0, 1)) / _S2,
    ],
    axis=1,
)


def _blocks(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = BASIS.conj().T @ mat @ BASIS
    assert np.abs(x[:3, 3:]).max() < 1e-14 and np.abs(x[3:, :3]).max() < 1e-14
    return x[:3, :3], x[3:, 3:]


def _rotation_coefficients() -> list[np.ndarray]:
    """d^1(beta) (x) d^1/2(beta) = sum_p beta^p D_p (unnormalised, docs/theory.md §12), p = 0..3."""
    a = [np.eye(3), np.array([[0, -_S2, 0], [_S2, 0, -_S2], [0, _S2, 0]]), np.array([[0, 0, 1], [0, -1, 0], [1, 0, 0]])]
    b = [np.eye(2), np.array([[0, -1], [1, 0]])]
    out = [np.zeros((6, 6), dtype=complex) for _ in range(4)]
    for p, ap in enumerate(a):
        for s, bs in enumerate(b):
            out[p + s] = out[p + s] + np.kron(ap, bs)
    return out


_ROT = [_blocks(d) for d in _rotation_coefficients()]  # [p][block] -> 3x3
_LZ2_B = _blocks(LZ2)
_M_B = _blocks(MHAT)
_K_B = _blocks(KHAT)


def _nz(x) -> bool:
    return abs(x) > 1e-15


def _cval(c: complex) -> complex | float:
    c = complex(c)
    return c.real if c.imag == 0 else c


def _lin(terms):
    """sum of coefficient * array over nonzero coefficients (None when all are zero)."""
    out = None
    for c, x in terms:
        if x is None or not _nz(c):
            continue
        t = x if c == 1 else _cval(c) * x
        out = t if out is None else out + t
    return out


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _mul(a, b):
    return None if a is None or b is None else a * b


def _poly_tables():
    """P[blk][i][j] = coefficients (p = 0..3) of entry (i, j) of the rotation in block blk."""
    return [[[[_ROT[p][blk][i, j] for p in range(4)] for j in range(3)] for i in range(3)] for blk in range(2)]


_POLY = _poly_tables()


def _poly(coefs, powers):
    return _lin([(c, x) for c, x in zip(coefs, powers)])


def block_solution(U, r, alpha, lam, kappa):
    """Per block of the mirror basis: mode combinations w, amplitudes t, band wavevectors q.

    Args:
        U, r, alpha, lam: scalars. kappa: (K,) nodes.

    Returns:
        (w, tcol, q, q_n): w[block][i] and tcol[block][j] are (K, 3) arrays over the three bands
        (row i of the mode combinations; amplitudes of each band's combination for incident
        mirror-basis state j); q (K, 3); q_n (K,). In the mirror basis the solution for incident
        state j of a block is psi_i(z) = sum_band w[block][i] exp(i q z) tcol[block][j].
    """
    x = bands.band_squares(U, r, lam)
    k = bands.branch_sqrt(x)
    kap = kappa[:, None]
    q = bands.branch_sqrt(x - kap * kap)
    beta = kap / (k + q)
    powers = [1.0, beta, beta * beta, beta * beta * beta]
    c1, c0 = bands._half_states(U, r, lam, x[1:])
    zero = jnp.zeros((1,), dtype=c1.dtype)
    zstate = [jnp.array([1.0, 0.0, 0.0]), jnp.concatenate([zero, c1]), jnp.concatenate([zero, c0])]
    q_n = bands._safe_sqrt((1.0 - kappa) * (1.0 + kappa))
    iqn = (1j * q_n)[:, None]
    iq = 1j * q
    w, tcol = [], []
    for blk in range(2):
        wb = [_lin([(1.0, _mul(_poly(_POLY[blk][i][j], powers), zstate[j])) for j in range(3)]) for i in range(3)]
        lz2, mh, kh = _LZ2_B[blk], _M_B[blk], _K_B[blk]
        s = []
        for i in range(3):
            acc = None
            for j in range(3):
                coef = iqn + iq if i == j else None
                if _nz(lz2[i, j]):
                    coef = _add(coef, _cval(lz2[i, j]) * r * iq)
                if _nz(kh[i, j]):
                    coef = _add(coef, -_cval(kh[i, j]) * alpha * kap)
                if _nz(mh[i, j]):
                    coef = _add(coef, 0.5j * _cval(mh[i, j]) * r * kap)
                acc = _add(acc, _mul(coef, wb[j]))
            s.append(acc)
        inv = _inverse3([[s[i][:, b] for b in range(3)] for i in range(3)])
        tcol.append([2.0 * iqn * jnp.stack([inv[b][j] for b in range(3)], axis=-1) for j in range(3)])
        w.append(wb)
    return w, tcol, q, q_n


def _inverse3(a):
    """Adjugate / determinant of a 3x3 nested list of arrays."""
    c00 = a[1][1] * a[2][2] - a[1][2] * a[2][1]
    c01 = a[1][2] * a[2][0] - a[1][0] * a[2][2]
    c02 = a[1][0] * a[2][1] - a[1][1] * a[2][0]
    det = a[0][0] * c00 + a[0][1] * c01 + a[0][2] * c02
    inv_det = 1.0 / det
    adj = [
        [c00, a[0][2] * a[2][1] - a[0][1] * a[2][2], a[0][1] * a[1][2] - a[0][2] * a[1][1]],
        [c01, a[0][0] * a[2][2] - a[0][2] * a[2][0], a[0][2] * a[1][0] - a[0][0] * a[1][2]],
        [c02, a[0][1] * a[2][0] - a[0][0] * a[2][1], a[0][0] * a[1][1] - a[0][1] * a[1][0]],
    ]
    return [[adj[i][j] * inv_det for j in range(3)] for i in range(3)]


def _harmonic_table(op: np.ndarray, rho: np.ndarray, extra=None):
    """Nonzero (i, j, a, b) -> sum_d A^(d)_ij rho^(-d)_ab with A^(d) = extra(O^(d)) (or O^(d))."""
    table = {}
    for d in range(7):
        od = op * _MASK[d]
        a_d = od if extra is None else extra(od)
        rd = rho * _MASK[6 - d]
        for i, j in zip(*np.nonzero(np.abs(a_d) > 1e-15)):
            for a, b in zip(*np.nonzero(np.abs(rd) > 1e-15)):
                key = (int(i), int(j), int(a), int(b))
                table[key] = table.get(key, 0.0) + a_d[i, j] * rd[a, b]
    return {k: v for k, v in table.items() if abs(v) > 1e-15}


def _form(table, p, q_):
    """sum table[i, j, a, b] P_ja conj(Q_ib), complex (K,) array."""
    acc = None
    for (i, j, a, b), c in table.items():
        pj, qi = p.get((j, a)), q_.get((i, b))
        if pj is None or qi is None:
            continue
        acc = _add(acc, _cval(c) * (pj * jnp.conj(qi)))
    return acc


def _anti(a, b):
    return a @ b + b @ a


def _needed(tables):
    rows, cols = set(), set()
    for tab in tables:
        for i, j, a, b in tab:
            rows.update((i, j))
            cols.update((a, b))
    return sorted(rows), sorted(cols)


def _mirror_table(table):
    """A lab-basis table (i, j, a, b) -> c re-expressed in the mirror basis, keeping only entries
    with (j, a) and (i, b) inside one block (the solution is block diagonal there)."""
    dense = np.zeros((6, 6, 6, 6), dtype=complex)
    for key, c in table.items():
        dense[key] = c
    v = BASIS
    te = np.einsum("ijab,jk,al,im,bn->mkln", dense, v, v.conj(), v.conj(), v)
    out = {}
    for m, k, l_, n in zip(*np.nonzero(np.abs(te) > 1e-14)):
        if k // 3 == l_ // 3 and m // 3 == n // 3:
            out[(int(m), int(k), int(l_), int(n))] = te[m, k, l_, n]
    return out


def _entries(blocks_mat):
    """Block-diagonal mirror-basis matrix as a dict (row, col) -> array (6x6 indices)."""
    out = {}
    for blk in range(2):
        for k in range(3):
            for l_ in range(3):
                x = blocks_mat[blk][k][l_]
                if x is not None:
                    out[(3 * blk + k, 3 * blk + l_)] = x
    return out


@functools.lru_cache(maxsize=64)
def _tables(names, rho_key):
    rho = np.asarray(rho_key[1], dtype=complex).reshape(6, 6)
    out = []
    for nm in names:
        o = ALL_MATRICES[nm]
        out.append(
            (
                float(np.trace(o @ rho).real),
                _mirror_table(_harmonic_table(o, rho)),
                _mirror_table(_harmonic_table(o, rho, lambda x: _anti(x, LZ2))),
                _mirror_table(_harmonic_table(o, rho, lambda x: _anti(x, MHAT))),
            )
        )
    return out


@functools.partial(jax.jit, static_argnames=("names", "rho_key", "n"))
def _currents(U, r, alpha, lam, names, rho_key, n):
    kappa, weight = quadrature.kappa_rule(U, r, lam, n)
    w, tcol, q, q_n = block_solution(U, r, alpha, lam, kappa)
    tables = _tables(names, rho_key)
    nb = range(3)
    # each band's part of psi(0) (band axis last), psi(0), -i psi'(0); mirror basis, block diagonal
    part = [[[w[blk][i] * tcol[blk][j] for j in nb] for i in nb] for blk in range(2)]
    psi = _entries([[[x.sum(-1) for x in row] for row in blk] for blk in part])
    dpsi = _entries([[[(q * x).sum(-1) for x in row] for row in blk] for blk in part])
    part_e = _entries(part)
    refl = {key: (val - 1.0 if key[0] == key[1] else val) for key, val in psi.items()}
    # pairs of propagating modes with equal q survive z -> infinity: each band pairs with the sum
    # of the parts of every band sharing its q (itself, and the 3/2 band at r = 0 or lam = 0)
    same = (q[:, :, None] == q[:, None, :]).astype(q.dtype)
    group = {key: jnp.einsum("kab,kb->ka", same, val) for key, val in part_e.items()}
    kap = kappa[:, None]

    def cur(to, tc, tm, pq, pp, kap_, scale_q=None):
        # J = (1/2) Re[psi^H {O, C} (-i psi') + (r/2) psi^H {O, M} psi], C = 1 + r L_z^2, M = kappa MHAT
        oc, oc2, mm = _form(to, pq, pp), _form(tc, pq, pp), _form(tm, pq if scale_q is not None else pp, pp)
        val = _lin([(2.0, oc), (1.0, _mul(r, oc2))])
        if scale_q is not None and val is not None:
            val = val * scale_q
        val = _add(val, _mul(0.5 * r * kap_, mm))
        return 0.5 * jnp.real(val) if val is not None else 0.0

    right, left, inf = [], [], []
    for inc, to, tc, tm in tables:
        right.append(jnp.sum(weight * cur(to, tc, tm, dpsi, psi, kappa)))
        rf = _form(to, refl, refl)
        left.append(jnp.sum(weight * q_n * (inc - (jnp.real(rf) if rf is not None else 0.0))))
        val = cur(to, tc, tm, group, part_e, kap, scale_q=q.real)
        inf.append(jnp.sum(weight[:, None] * jnp.where(q.imag == 0, val, 0.0)))
    return {"right": jnp.stack(right), "left": jnp.stack(left), "inf": jnp.stack(inf)}


def interface_currents(U, r, alpha, lam, rho_in, names, n: int = quadrature.DEFAULT_NODES):
    """Fermi-averaged currents J_O(0+), J_O(0-) and J_O(inf) of ``names`` (pure, jittable in U,
    r, alpha, lam; ``rho_in`` a host constant (6, 6), ``names`` and ``n`` static).

    Returns:
        dict ``right``, ``left``, ``inf``: arrays (len(names),), public units (docs/theory.md §1).
    """
    rho = np.asarray(rho_in, dtype=complex)
    key = (rho.shape, tuple(rho.ravel().tolist()))
    return _currents(U, r, alpha, lam, tuple(names), key, int(n))
