"""Fast interface currents of the spinful model: mirror-split 3x3 solves, struct-of-arrays.

At phi = 0 every matrix of the boundary problem (C, M, K, the bulk Hamiltonian) commutes with the
mirror y -> -y, which acts on |m, s> as Y = exp(-i pi J_y) with eigenvalues -i and +i. In a basis of
Y eigenvectors the 6x6 Schur complement of docs/theory.md §12 splits into two 3x3 blocks, and each
band's helicity pair splits into one mode per block (u_+ -+ i u_-), so each kappa needs two 3x3
inverses (adjugate / determinant), all entries kept as separate (K,) arrays and every product
with a real or imaginary number done in real arithmetic.

The Fermi-averaged currents at z = 0+, z = 0- and z -> infinity are then sparse bilinear forms
sum A^(d)_ij P_ja rho^(-d)_ab conj(Q_ib) in the |m, s> basis (docs/theory.md §6 harmonics of J_z),
with every zero of the constant operator and injection tables skipped at trace time.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ..fast.complexmath import cconst, is_zero, muli, recip, rmul
from ..fast.currents import node_sum
from ..fast.derivatives import forward_jacobian
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


def _poly_tables():
    """P[blk][i][j] = coefficients (p = 0..3) of entry (i, j) of the rotation in block blk."""
    return [[[[_ROT[p][blk][i, j] for p in range(4)] for j in range(3)] for i in range(3)] for blk in range(2)]


_POLY = _poly_tables()


def _poly(coefs, powers):
    """sum_p coefs[p] beta^p for constant coefficients (zeros skipped, real/imaginary folded)."""
    out = 0.0
    for c, x in zip(coefs, powers):
        if not _nz(c):
            continue
        c = complex(c)
        if x is None:
            out = _sum(out, c.real if c.imag == 0 else c)
        else:
            out = _sum(out, cconst(c, x))
    return out


def _sum(a, b):
    """a + b with Python zeros skipped at trace time."""
    if is_zero(a):
        return b
    if is_zero(b):
        return a
    return a + b


def _scale(x, c):
    """x c with a Python zero x kept."""
    return 0.0 if is_zero(x) else x * c


def _cplx(re, im):
    return jax.lax.complex(re, im)


def _band_wavevectors(U, r, lam, kappa):
    """Per band: |k| (scalar) and q (K,), complex, on the branch of docs/theory.md §3. Coinciding
    bands are recognised by their |k|^2, snapped to equal in :func:`bands.band_squares`."""
    x = bands.band_squares(U, r, lam)
    # per-point values are materialised: fused into the per-node loops, XLA recomputed their
    # (and, in forward mode, their tangents') scalar chains at every node
    x = _fence(x)
    k2 = kappa * kappa
    ks, qs = [], []
    for b in range(3):
        xb = x[b]
        ks.append(_cplx(bands._safe_sqrt(xb), bands._safe_sqrt(-xb)))
        y = xb - k2
        qs.append(_cplx(bands._safe_sqrt(y), bands._safe_sqrt(-y)))
    return x, ks, qs


def block_solution(U, r, alpha, lam, kappa):
    """Per block of the mirror basis and per band: mode combinations w, amplitudes t.

    Args:
        U, r, alpha, lam: scalars. kappa: (K,) nodes.

    Returns:
        (w, tcol, q, q_n, x): w[block][i][band] and tcol[block][j][band] complex (K,) arrays (row i
        of each band's mode combination; amplitude of that combination for incident mirror-basis
        state j); q[band] (K,) complex; q_n (K,) real; x (3,) the band squares |k|^2. In the mirror basis the solution for
        incident state j of a block is psi_i(z) = sum_band w[i][band] exp(i q z) t[j][band].
    """
    x, ks, qs = _band_wavevectors(U, r, lam, kappa)
    c1, c0 = _fence(bands._half_states(U, r, lam, x[1:]))
    q_n = bands._safe_sqrt((1.0 - kappa) * (1.0 + kappa))
    iqn = _cplx(jnp.zeros_like(q_n), q_n)
    powers = []
    for b in range(3):
        beta = rmul(recip(ks[b] + qs[b]), kappa)
        beta2 = beta * beta
        powers.append([None, beta, beta2, beta2 * beta])
    iq = [muli(q) for q in qs]
    w, tcol = [], []
    for blk in range(2):
        wb = []
        for i in range(3):
            row = [_poly(_POLY[blk][i][0], powers[0])]
            for b in (1, 2):
                row.append(
                    _sum(
                        rmul(_poly(_POLY[blk][i][1], powers[b]), c1[b - 1]),
                        rmul(_poly(_POLY[blk][i][2], powers[b]), c0[b - 1]),
                    )
                )
            wb.append(row)
        lz2, mh, kh = _LZ2_B[blk], _M_B[blk], _K_B[blk]
        # (i, j) coefficient of the Schur row: constant part (alpha K, r M; real in kappa) and
        # the band-dependent i q (1 + r L_z^2) part
        s = [[0.0] * 3 for _ in range(3)]
        for i in range(3):
            for j in range(3):
                ck, cm = -complex(kh[i, j]), 0.5j * complex(mh[i, j])
                re = _sum(_sum(0.0, ck.real * alpha if _nz(ck.real) else 0.0), cm.real * r if _nz(cm.real) else 0.0)
                im = _sum(_sum(0.0, ck.imag * alpha if _nz(ck.imag) else 0.0), cm.imag * r if _nz(cm.imag) else 0.0)
                const = 0.0
                if not (is_zero(re) and is_zero(im)):
                    const = _cplx(
                        kappa * re if not is_zero(re) else jnp.zeros_like(kappa),
                        kappa * im if not is_zero(im) else jnp.zeros_like(kappa),
                    )
                if i == j:
                    const = _sum(const, iqn)
                # i q_b (delta_ij + r (L_z^2)_ij): a real scalar factor when L_z^2 is real here
                cl = complex(lz2[i, j])
                diag = (1.0 if i == j else 0.0) + (cl.real * r if _nz(cl.real) else 0.0)
                for b in range(3):
                    coef = const
                    if not is_zero(diag):
                        coef = _sum(coef, rmul(iq[b], diag))
                    if _nz(cl.imag):
                        coef = _sum(coef, cconst(1j * cl.imag, iq[b]) * r)
                    if not is_zero(coef) and not is_zero(wb[j][b]):
                        s[i][b] = _sum(s[i][b], coef * wb[j][b])
        adj, det = _adjugate3(s)
        f = muli(rmul(recip(det), 2.0 * q_n))
        tcol.append([[adj[b][j] * f for b in range(3)] for j in range(3)])
        w.append(wb)
    return w, tcol, qs, q_n, x


def _adjugate3(a):
    """Adjugate (transposed cofactors) and determinant of a 3x3 nested list of arrays."""
    c00 = a[1][1] * a[2][2] - a[1][2] * a[2][1]
    c01 = a[1][2] * a[2][0] - a[1][0] * a[2][2]
    c02 = a[1][0] * a[2][1] - a[1][1] * a[2][0]
    det = a[0][0] * c00 + a[0][1] * c01 + a[0][2] * c02
    adj = [
        [c00, a[0][2] * a[2][1] - a[0][1] * a[2][2], a[0][1] * a[1][2] - a[0][2] * a[1][1]],
        [c01, a[0][0] * a[2][2] - a[0][2] * a[2][0], a[0][2] * a[1][0] - a[0][0] * a[1][2]],
        [c02, a[0][1] * a[2][0] - a[0][0] * a[2][1], a[0][0] * a[1][1] - a[0][1] * a[1][0]],
    ]
    return adj, det


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


def _anti(a, b):
    return a @ b + b @ a


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


class _Forms:
    """Re sum_t c_t P_ja conj(Q_ib) for several tables over one pair of dicts (P, Q): each product
    P_ja conj(Q_ib) is formed once in real arithmetic and only the parts that a real or imaginary
    coefficient needs (docs/theory.md §5)."""

    def __init__(self, p, q):
        self.p, self.q = p, q
        self.cache = {}

    def _parts(self, ja, ib):
        key = (ja, ib)
        if key not in self.cache:
            pz, qz = self.p[ja], self.q[ib]
            self.cache[key] = (jnp.real(pz), jnp.imag(pz), jnp.real(qz), jnp.imag(qz))
        return self.cache[key]

    def re(self, table):
        acc = 0.0
        for (i, j, a, b), c in table.items():
            ja, ib = (j, a), (i, b)
            if ja not in self.p or ib not in self.q:
                continue
            pr, pi, qr, qi = self._parts(ja, ib)
            c = complex(c)
            # Re(c z), z = P conj(Q): Re z = pr qr + pi qi, Im z = pi qr - pr qi
            if _nz(c.real):
                acc = _sum(acc, c.real * (pr * qr + pi * qi))
            if _nz(c.imag):
                acc = _sum(acc, -c.imag * (pi * qr - pr * qi))
        return acc


def _entries(blocks_mat):
    """Block-diagonal mirror-basis matrix as a dict (row, col) -> array (6x6 indices)."""
    out = {}
    for blk in range(2):
        for k in range(3):
            for l_ in range(3):
                x = blocks_mat[blk][k][l_]
                if not is_zero(x):
                    out[(3 * blk + k, 3 * blk + l_)] = x
    return out


@jax.custom_jvp
def _fence(x):
    """An optimisation barrier on a pytree of arrays that also fences its tangents.

    Without a barrier XLA fused the whole solve into every bilinear form reading the
    wavefunctions (the value took 2x longer); a plain barrier fences only the values, and the
    forward-mode pushforward, with the tangents of the solve fused into every form, then took 3x
    longer to run and 4x longer to compile.
    """
    return jax.lax.optimization_barrier(x)


@_fence.defjvp
def _fence_jvp(primals, tangents):
    return jax.lax.optimization_barrier((primals[0], tangents[0]))


def _stays_coincident(ta, tb):
    """Whether a step with band-square tangents ta, tb keeps two coinciding bands coinciding: a
    split tangent at rounding level is no split (|lam| >~ 1e-9 resolves a real one)."""
    tol = 0.1 * float(np.sqrt(np.finfo(jnp.result_type(ta)).eps))
    return jnp.abs(ta - tb) <= tol * (jnp.abs(ta) + jnp.abs(tb))


@jax.custom_jvp
def _partner(x, eq, xa, xb):
    """x where bands a and b share their q (eq), else 0: band b's part in band a's far-field pairs.

    A pair of bands sharing q survives z -> inf only on the line of parameters where they
    coincide (lam = 0 for every r, r = 0 for every lam; docs/theory.md §12), so its derivative
    depends on the direction: a step that keeps their |k|^2 equal (zero tangent of xa - xb, to
    rounding) keeps the pair, one that splits them dephases it at once and the derivative is that
    of the split bands (the side limit; equal to the derivative where the far field is continuous
    across the line, e.g. J_Sz at lam = 0, r != 0). The far field sums Re F(x_a + x_b, x_a) +
    Re F(x_b + x_a, x_b) over the bilinear forms F, whose real parts are symmetric (Hermitian
    operators), so the pair's tangent is twice that through this partner entry: the tangent here
    is +t (kept) or -t (cancelling the tangent through the other factor).

    The rule is not linear in the tangent: it is only used inside the basis-direction
    pushforwards of :func:`jaxorb.fast.derivatives.forward_jacobian`, one parameter at a time.

    Args:
        x: (K,) complex. eq: (K,) bool. xa, xb: scalar band squares |k|^2 (k_F^2).
    """
    return jnp.where(eq, x, 0.0)


@_partner.defjvp
def _partner_jvp(primals, tangents):
    x, eq, _, _ = primals
    tx, _, ta, tb = tangents
    stays = _stays_coincident(ta, tb)
    return jnp.where(eq, x, 0.0), jnp.where(eq, jnp.where(stays, tx, -tx), jnp.zeros_like(tx))


def _far_value(req, r, c, forms):
    """Re(q_a) (2 F_O + r F_{O,Lz^2}) + c F_{O,M}, with c = r kappa / 2 (docs/theory.md §5)."""
    fo, fc, fm = forms
    return req * (2.0 * fo + r * fc) + c * fm


@jax.custom_jvp
def _far_term(w, live, kappa, kb, req, r, c, forms, own, eqs, xa, xp):
    """w * where(live, far-field integrand, 0) for band a: its pairs with itself and with the
    partners sharing its q, with one-sided derivatives.

    ``forms`` = (F_O, F_{O,Lz^2}, F_{O,M}) of band a with its partners' parts included (see
    :func:`_partner`), ``own`` the same without them (read only here, so dead code in a forward
    pass). Two things make the derivative depend on the direction, and the rule gives the one of
    the side a small positive step goes to:

    * a step that splits a partner from band a (nonzero tangent of their |k|^2 difference)
      dephases their pair at once, so the tangents of the factors Re(q_a), r and c multiply the
      own forms only (the tangent through the forms' entries is handled by :func:`_partner`);
      and so does the weights' tangent (moving nodes);
    * the integrand jumps where a band turns evanescent (the mixed term stays finite as
      q -> 0). At coinciding branch points the kappa rule has a zero-width segment whose nodes
      sit on them and whose weight has a tangent; inside it after the step band a propagates
      only if its branch point moves faster than the node, and then without its partner (one of
      the two is evanescent there), so the weight's tangent multiplies the own forms or nothing.

    Not linear in the tangent: only for the basis-direction pushforwards of
    :func:`jaxorb.fast.derivatives.forward_jacobian`, one parameter at a time.

    Args:
        w, kappa, req (Re q_a), c: (K,) real. r: scalar. forms, own: 3-tuples of (K,) real.
        live: (K,) bool, band a propagates. kb: band a's branch point, as the kappa rule places
        it. eqs: (2, K) bool, each other band shares q with a. xa: band a's |k|^2; xp: (2,) the
        other bands'.
    """
    return w * jnp.where(live, _far_value(req, r, c, forms), 0.0)


@_far_term.defjvp
def _far_term_jvp(primals, tangents):
    w, live, kappa, kb, req, r, c, forms, own, eqs, xa, xp = primals
    tw, _, tk, tkb, treq, tr, tc, tforms, _, _, txa, txp = tangents
    forms, own = jax.lax.optimization_barrier((forms, own))
    eps = float(np.finfo(jnp.result_type(w)).eps)
    keep = jnp.all(~eqs | _stays_coincident(txa, txp)[:, None], axis=0)
    fo, fc, fm = (jnp.where(keep, f, g) for f, g in zip(forms, own))
    tval = treq * (2.0 * fo + r * fc) + req * tr * fc + tc * fm + _far_value(req, r, c, tforms)
    at = jnp.abs(kappa - kb) <= 16.0 * eps * kb
    after = jnp.where(at, jnp.where(tkb > tk, _far_value(req, r, c, own), 0.0), _far_value(req, r, c, (fo, fc, fm)))
    out = w * jnp.where(live, _far_value(req, r, c, forms), 0.0)
    return out, jnp.where(live | at, tw * after, 0.0) + w * jnp.where(live, tval, 0.0)


#: The three places a current is evaluated: z = 0+ (right), z = 0- (left) and z -> infinity.
KINDS = ("right", "left", "inf")


def _per_node(U, r, alpha, lam, kappa, weight, names, rho_key, rows):
    """Per-node integrands of J(0+), J(0-) (before the weights) and J(inf) (weighted): one real
    (K,) array per entry of ``rows`` ((kind, index into names), static). Rows not asked for are
    not computed, nor the wavefunction parts only they read."""
    need = {kind for kind, _ in rows}
    w, tcol, q, q_n, xsq = block_solution(U, r, alpha, lam, kappa)
    tables = _tables(names, rho_key)
    nb = range(3)
    # each band's part of psi(0) (mirror basis, block diagonal), psi(0), -i psi'(0)
    part = [[[[w[blk][i][b] * tcol[blk][j][b] for b in nb] for j in nb] for i in nb] for blk in range(2)]
    psi = _entries([[[_sum(_sum(x[0], x[1]), x[2]) for x in row] for row in blk] for blk in part])
    dpsi = _entries([[[q[0] * x[0] + q[1] * x[1] + q[2] * x[2] for x in row] for row in blk] for blk in part])
    refl = {key: (val - 1.0 if key[0] == key[1] else val) for key, val in psi.items()}
    # pairs of propagating modes with equal q survive z -> infinity: each band pairs with the sum
    # of the parts of every band sharing its q (itself, and the 3/2 band at r = 0 or lam = 0);
    # the derivative of such a cross pair and of the far field at a branch point depend on the
    # direction (:func:`_partner`, :func:`_far_term`)
    kb = bands.branch_radii(xsq, directional=True)  # the branch points as the kappa rule has them
    eq = {}
    for a in nb:
        for b in nb:
            if a < b:
                # decided on the snapped band squares, not on q: q is computed per node, and two
                # fused loops may round the same expression differently
                eq[a, b] = eq[b, a] = jnp.broadcast_to(xsq[a] == xsq[b], jnp.shape(kappa))
    group, own = [], []
    for a in nb if "inf" in need else ():
        g = [
            [
                [_sum(x[a], _sum(*[_partner(x[b], eq[a, b], xsq[a], xsq[b]) for b in nb if b != a])) for x in row]
                for row in blk
            ]
            for blk in part
        ]
        group.append(_entries(g))
        own.append(_entries([[[x[a] for x in row] for row in blk] for blk in part]))
    # the fence keeps what it holds alive: only the parts the asked kinds read go in
    if "right" not in need:
        psi, dpsi = {}, {}
    if "left" not in need:
        refl = {}
    psi, dpsi, refl, group, own = _fence((psi, dpsi, refl, group, own))
    propagating = [jnp.imag(q[a]) == 0 for a in nb]
    f_right, f_psi, f_refl = _Forms(dpsi, psi), _Forms(psi, psi), _Forms(refl, refl)
    f_inf = [_Forms(g, o) for g, o in zip(group, own)]
    # a band's own pairs alone, read only by the derivative rule of _far_term
    f_own = [_Forms(o, o) for o in own]

    zero = jnp.zeros_like(kappa)
    half_rk = 0.5 * r * kappa

    def parts(form, to, tc, tm):
        return tuple(form.re(t) + zero for t in (to, tc, tm))

    def right(inc, to, tc, tm):
        # J = (1/2) Re[psi^H {O, C} (-i psi') + (r/2) psi^H {O, M} psi], C = 1 + r L_z^2, M = kappa MHAT
        kin = _sum(_scale(f_right.re(to), 2.0), _scale(f_right.re(tc), r))
        mix = f_psi.re(tm)
        val = _sum(kin, mix * (0.5 * r) * kappa if not is_zero(mix) else 0.0)
        return 0.5 * val + jnp.zeros_like(kappa)

    def left(inc, to, tc, tm):
        rf = f_refl.re(to)
        return q_n * (inc - rf) if not is_zero(rf) else q_n * inc

    def inf(inc, to, tc, tm):
        acc = 0.0
        for a in nb:
            others = [b for b in nb if b != a]
            term = _far_term(
                weight, propagating[a], kappa, kb[a], jnp.real(q[a]), r, half_rk, parts(f_inf[a], to, tc, tm),
                parts(f_own[a], to, tc, tm), jnp.stack([eq[a, b] for b in others]), xsq[a], xsq[jnp.array(others)],
            )  # fmt: skip
            acc = _sum(acc, term)
        return 0.5 * acc + jnp.zeros_like(kappa)

    integrand = {"right": right, "left": left, "inf": inf}
    return [integrand[kind](*tables[i]) for kind, i in rows]


def _raw(names, rho_key, n, rows):
    """f(U, r, alpha, lam) -> (len(rows),) currents, no custom derivative (its pushforwards
    follow the one-sided rules of the kappa rule, :func:`_partner` and :func:`_far_term`)."""

    def f(U, r, alpha, lam):
        kappa, weight = _fence(quadrature.kappa_rule(U, r, lam, n, directional=True))
        vals = _per_node(U, r, alpha, lam, kappa, weight, names, rho_key, rows)
        # J(inf) comes weighted (its derivative rule needs the weights)
        sums = node_sum([v if kind == "inf" else weight * v for (kind, _), v in zip(rows, vals)])
        return jnp.stack(sums)

    return f


def _core(names, rho_key, n, rows):
    """f(U, r, alpha, lam) -> (len(rows),) currents with forward-mode derivatives.

    Derivatives are forward-mode pushforwards of the same elementwise code (exact: those of the
    rule, moving nodes included); reverse mode through the unrolled solve compiled for minutes.
    The kappa rule, the per-point band values and the wavefunctions at z = 0 are fenced
    (:func:`_fence`) between the stages.
    """
    return forward_jacobian(_raw(names, rho_key, n, rows), nparams=4)


@functools.lru_cache(maxsize=64)
def _compiled(names, rho_key, n, rows):
    return jax.jit(_core(names, rho_key, n, rows))


def _rho_key(rho_in):
    rho = np.asarray(rho_in, dtype=complex)
    return (rho.shape, tuple(rho.ravel().tolist()))


def interface_currents(U, r, alpha, lam, rho_in, names, n: int = quadrature.DEFAULT_NODES):
    """Fermi-averaged currents J_O(0+), J_O(0-) and J_O(inf) of ``names`` (pure, jittable in U,
    r, alpha, lam; ``rho_in`` a host constant (6, 6), ``names`` and ``n`` static).

    Derivatives with respect to (U, r, alpha, lam) are forward-mode pushforwards of the same
    elementwise code (exact, node placement included): reverse mode through the unrolled solve
    would cost many forward passes and a long compile.

    Returns:
        dict ``right``, ``left``, ``inf``: arrays (len(names),), public units (docs/theory.md §1).
    """
    names = tuple(names)
    out = interface_rows(U, r, alpha, lam, rho_in, [(kind, nm) for kind in KINDS for nm in names], n)
    out = out.reshape(3, len(names))
    return {"right": out[0], "left": out[1], "inf": out[2]}


def interface_rows(U, r, alpha, lam, rho_in, rows, n: int = quadrature.DEFAULT_NODES):
    """The currents of :func:`interface_currents` named in ``rows``, and only those computed.

    Args:
        U, r, alpha, lam: scalars (traced values allowed; derivatives as for
            :func:`interface_currents`).
        rho_in: host constant (6, 6) incident density matrix.
        rows: static sequence of (kind, name), kind one of :data:`KINDS` (J at z = 0+, z = 0-,
            z -> infinity), name an observable of :data:`jaxorb.spin.operators.NAMES`; e.g.
            (("inf", "Sz"), ("left", "Lz")) for J_Sz(inf) and J_Lz(0-).
        n: mean kappa nodes per segment (static).

    Returns:
        (len(rows),) array, public units (docs/theory.md §1); equal to the matching entries of
        :func:`interface_currents` to rounding.
    """
    rows = tuple((str(kind), str(name)) for kind, name in rows)
    for kind, _ in rows:
        if kind not in KINDS:
            raise ValueError(f"rows: kind must be one of {KINDS}, got {kind!r}")
    names = tuple(dict.fromkeys(name for _, name in rows))
    index = tuple((kind, names.index(name)) for kind, name in rows)
    args = (jnp.asarray(v, dtype=float) for v in (U, r, alpha, lam))
    return _compiled(names, _rho_key(rho_in), int(n), index)(*args)
