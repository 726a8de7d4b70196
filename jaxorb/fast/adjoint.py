"""Hand-written reverse pass of the fast path: gradients of Fermi-averaged surface currents.

:func:`currents_vjp` returns ct . d(currents)/d(U, r, alpha) for the right- and left-layer
currents of :func:`jaxorb.fast.currents.surface_currents` (constant incident density matrix). It
shares the wavevectors and mode entries (the solve's square roots and divisions) with the primal
pass, recomputes S, 1/det S and the per-node products from them and follows the solver
backwards once: ~2.5 forward passes in flops (the whole gradient ~3.5 in flops and in time on
the 2-core CPU; docs/performance.md).
JAX's own reverse mode of the fused elementwise solver was 10-39x the forward pass on CPU (XLA
recomputes shared forward intermediates in every backward fusion), forward mode ~2.5x per
parameter. Stages:

1. the phi-averaged bilinear forms P = sum c conj(X) Y (:func:`jaxorb.fast.forms.phi_form`) give
   g_X = sum g_P c Y and g_Y = sum g_P conj(c) X, with the cotangents of all requested
   operators folded into the constant coefficients c first (one pass for any number of them);
2. Psi = U T and D = U diag(q) T are matrix products;
3. T = 2 i q_N S^-1 gives g_S = -S^-H g_T T^H = -(Psi^H g_Psi + D^H g_D) T^H / conj(2 i q_N),
   with S^-H written through T, so neither S^-1 nor g_T is formed;
4. S, the mode vectors U and the wavevectors q are short explicit formulas of (kappa, q_N,
   k_t, k_r, r, alpha) per node;
5. the kappa rule and the Fermi wavevectors (a few flops per node) enter through their
   forward-mode derivatives (``jax.jvp``) inside the same per-node graph.

The per-node contributions end in one complex array summed by a dot product, which XLA CPU keeps
as a single vectorised loop fusion (see the comments in the code for what did not).

Convention: for a real loss L and a complex intermediate z, the cotangent g_z is defined by
dL = Re sum conj(g_z) dz (g = dL/dRe z + i dL/dIm z); for a real x, g_x = dL/dx. Products:
z = a b gives g_a += g_z conj(b); z = c conj(a) b gives g_a += conj(g_z) c b, g_b += g_z conj(c) a.

Shapes: scalar U, r, alpha (vmap for grids); node arrays (K,). Tested against ``jax.jvp`` of the
forward pass (tests/test_fast_adjoint.py).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import bands
from ..operators import KHAT, L2, MHAT, OPERATORS, SQRT2
from ..quadrature import make_rule
from .complexmath import Cz, cmat, is_zero, muli, re_cm, recip, rmul
from .forms import ALLOWED, current_rows, wavefunctions
from .schur import Solution, solve_parts

_MHAT_H = MHAT.conj().T
_KHAT_H = KHAT.conj().T


def _z(x):
    """Unwrap a :class:`jaxorb.fast.complexmath.Cz` (or pass an array through)."""
    return x.z if isinstance(x, Cz) else x


def _zm(x):
    return [[_z(x[i][j]) for j in range(len(x[0]))] for i in range(len(x))]


def _mul_conj(g, x):
    """g conj(x), with a structural zero g kept as a Python zero (:func:`jaxorb.fast.complexmath.is_zero`)."""
    return 0.0 if is_zero(g) else g * jnp.conj(x)


def _add(a, b):
    return [[a[i][j] + b[i][j] for j in range(3)] for i in range(3)]


def _form_coefficients(ops, rho, ct):
    """{(m, n, a, b): (Re c, Im c)} with c = sum_o ct_o O_o,mn rho_ba over the combinations the
    phi average keeps; a part that is zero for every operator is None (skipped at trace time)."""
    coef: dict = {}
    for o, name in enumerate(ops):
        op = OPERATORS[name]
        for m, n, a, b in ALLOWED:
            if op[m, n] == 0 or rho[b, a] == 0:
                continue
            c = complex(op[m, n] * rho[b, a])
            re, im = coef.get((m, n, a, b), (None, None))
            if c.real != 0:
                re = ct[o] * c.real if re is None else re + ct[o] * c.real
            if c.imag != 0:
                im = ct[o] * c.imag if im is None else im + ct[o] * c.imag
            coef[(m, n, a, b)] = (re, im)
    return coef


def _coef_mul(c, z, conj: bool = False):
    """c z (or conj(c) z) for c = (Re c, Im c) from :func:`_form_coefficients`."""
    re, im = c
    out = 0.0 if re is None else rmul(z, re)
    if im is not None:
        out = out + rmul(muli(z), -im if conj else im)
    return out


def _form_adjoint(coef, x, y_rows):
    """Cotangents of sum_terms coef conj(x[m][a]) y_rows[m][n][b] for a unit real cotangent.

    Returns:
        (g_x, g_y): g_x a 3x3 list, g_y a 3-list (one per row m of x) of 3x3 lists; zeros as 0.0.
    """
    g_x = [[0.0] * 3 for _ in range(3)]
    g_y = [[[0.0] * 3 for _ in range(3)] for _ in range(3)]
    for (m, n, a, b), c in coef.items():
        g_x[m][a] = g_x[m][a] + _coef_mul(c, y_rows[m][n][b])
        g_y[m][n][b] = g_y[m][n][b] + _coef_mul(c, x[m][a], conj=True)
    return g_x, g_y


def _combos(g):
    """(g00 + g21, g01 + g20, g22 - g02, g10 - g11, g12) of a nested 3x3 list: the cotangents
    of U's entries nrm, b2n, c0 (real part), sb and U_12 (U in :func:`currents_vjp`, stage 5)."""
    return (g[0][0] + g[2][1], g[0][1] + g[2][0], g[2][2] - g[0][2], g[1][0] - g[1][1], g[1][2])


def _scale(g, f):
    """A nested 3x3 list times a real f."""
    return [[rmul(g[i][j], f) for j in range(3)] for i in range(3)]


def currents_vjp(U, r, alpha, rho: np.ndarray, right_ops, left_ops, nodes, ct, with_u: bool = True):
    """Gradient of sum_o ct_o J_o with respect to (U, r, alpha), by the hand-written adjoint.

    J = (right currents of ``right_ops``, then left currents of ``left_ops``) at z = 0, as
    :func:`jaxorb.fast.currents.surface_currents` returns them (docs/theory.md §5, §6). The derivative is
    that of the quadrature, kappa nodes and weights included.

    Args:
        U, r, alpha: scalars.
        rho: (3, 3) constant incident density matrix (NumPy).
        right_ops, left_ops: operator names (static).
        nodes: kappa rule, see :func:`jaxorb.quadrature.make_rule`.
        ct: (len(right_ops) + len(left_ops),) real cotangent.

    Returns:
        (g_U, g_r, g_alpha), scalars.
    """
    nr = len(right_ops)
    ct_r, ct_l = ct[:nr], ct[nr:]
    # An opaque zero (XLA does not fold 0 * x) fences the forward values recomputed here from
    # those of the primal pass, whose sums ct depends on: merged (CSE), XLA materialises them
    # between the passes instead of fusing each cone, and the gradient of eta_yz^x cost 1.5
    # forward passes more (HLO count, docs/performance.md). The fence sits after the wavevectors
    # and mode entries of the solve (solve_parts), which both passes share.
    opaque_zero = 0.0 * jnp.sum(ct)

    def upstream(U, r):
        k_t, k_r = bands.fermi_wavevectors(U, r)
        return make_rule(U, r, nodes), k_t, k_r

    # d(rule, k_t, k_r)/dU and /dr by forward mode: per-node values that stay in the same
    # elementwise graph as the adjoint (a jax.vjp here would add a second consumer of every
    # per-node cotangent, and XLA would recompute the whole graph for each)
    (rule, k_t, k_r), d_u = jax.jvp(upstream, (U, r), (jnp.ones_like(U), jnp.zeros_like(r)))
    _, d_r = jax.jvp(upstream, (U, r), (jnp.zeros_like(U), jnp.ones_like(r)))
    kappa, q_n, w = rule.kappa, rule.q_n, rule.weight
    p = solve_parts(k_t, k_r, r, alpha, kappa, q_n, fence=opaque_zero)
    sol = Solution(p.u, p.q, p.t, q_n)
    psi_c, dpsi_c = wavefunctions(sol)
    rows_c = current_rows(r, kappa, psi_c, dpsi_c)
    u, q, t = _zm(p.u), [_z(x) for x in p.q], _zm(p.t)
    psi, dpsi = _zm(psi_c), _zm(dpsi_c)
    rows = [_zm(y) for y in rows_c]
    mp = cmat(MHAT, psi)  # as in current_rows (XLA merges the two)
    mu, ku = _zm(p.mu), _zm(p.ku)
    beta, nrm = _z(p.beta), _z(p.nrm)

    zero = jnp.zeros_like(kappa)
    g_w, g_qn, g_kappa, g_r = zero, zero, zero, zero
    g_psi = [[0.0] * 3 for _ in range(3)]
    g_dpsi = [[0.0] * 3 for _ in range(3)]

    # (1) right currents: J_o = 1/2 sum w Re P_o
    if nr:
        gx, gy = _form_adjoint(_form_coefficients(right_ops, rho, ct_r), psi, rows)
        # sum_o ct_o P_o = sum conj(X) g_X: the integrands come with the form's adjoint
        g_w = g_w + 0.5 * sum(re_cm(psi[m][a], gx[m][a]) for m in range(3) for a in range(3))
        half_w = 0.5 * w
        g_psi = _add(g_psi, _scale(gx, half_w))
        # rows (e1, e, e1): e = D (2 + r L2) + r kappa MHAT Psi, e1 = e + r D
        g_e1 = _scale(_add(gy[0], gy[2]), half_w)
        g_e = _add(_scale(gy[1], half_w), g_e1)  # total cotangent of e
        g_dpsi = _add(
            g_dpsi, [[rmul(g_e[n][b], 2.0 + r * L2[n]) + rmul(g_e1[n][b], r) for b in range(3)] for n in range(3)]
        )
        acc_r, acc_k = 0.0, 0.0
        for n in range(3):
            for b in range(3):
                acc_r = acc_r + re_cm(g_e1[n][b], dpsi[n][b])
                acc_k = acc_k + re_cm(g_e[n][b], mp[n][b])
                if L2[n]:
                    acc_r = acc_r + re_cm(g_e[n][b], dpsi[n][b])
        g_r = g_r + acc_r + acc_k * kappa
        g_kappa = g_kappa + acc_k * r
        g_psi = _add(g_psi, cmat(_MHAT_H, _scale(g_e, r * kappa)))

    # (1') left currents: J_o = sum w q_N (tr(rho O_o) - Re RR_o), RR_o = form(refl, refl)
    if left_ops:
        refl = [[psi[m][a] - (1.0 if m == a else 0.0) for a in range(3)] for m in range(3)]
        gx, gy = _form_adjoint(_form_coefficients(left_ops, rho, ct_l), refl, (refl,) * 3)
        inc = sum(ct_l[o] * float(np.real(np.trace(rho @ OPERATORS[name]))) for o, name in enumerate(left_ops))
        left = inc - sum(re_cm(refl[m][a], gx[m][a]) for m in range(3) for a in range(3))
        g_w = g_w + q_n * left
        g_qn = g_qn + w * left
        g_refl = _add(gx, _add(gy[0], _add(gy[1], gy[2])))
        g_psi = _add(g_psi, _scale(g_refl, -w * q_n))

    # (2)+(3) Psi = U T, D = U Q T (Q = diag(q)) and T = c S^-1 with c = 2 i q_N. With
    # A = T^H g_T = Psi^H g_Psi + D^H g_D: g_S = -S^-H g_T T^H = -A T^H / conj(c) and
    # g_c = sum g_T conj(S^-1) = tr(A) / conj(c), so neither g_T nor S^-1 is formed.
    ic = 0.5 / q_n  # 1 / conj(c) = i ic
    # Y = g_Psi T^H and X = g_D T^H serve both g_U = Y + X conj(Q) and
    # A T^H = Psi^H Y + D^H X, so A itself is never formed (only Re tr A for g_c)
    # (entries of g_D that the phi average's selection rules leave out are structural zeros,
    # e.g. g_D[0][2] and g_D[2][0] for Lyz)
    y_mat = [[sum(_mul_conj(g_psi[m][a], t[b][a]) for a in range(3)) for b in range(3)] for m in range(3)]
    x_mat = [[sum(_mul_conj(g_dpsi[m][a], t[b][a]) for a in range(3)) for b in range(3)] for m in range(3)]
    g_s = [
        [
            -muli(
                rmul(sum(jnp.conj(psi[m][i]) * y_mat[m][j] + jnp.conj(dpsi[m][i]) * x_mat[m][j] for m in range(3)), ic)
            )
            for j in range(3)
        ]
        for i in range(3)
    ]
    tr_a = sum(re_cm(psi[m][i], g_psi[m][i]) + re_cm(dpsi[m][i], g_dpsi[m][i]) for m in range(3) for i in range(3))
    g_qn = g_qn + 2.0 * ic * tr_a
    # stage 5 reads g_U only through five combinations (nrm, b2n, c0, sb and U_12 each sit in
    # one or two places of U), so each contribution to g_U is reduced to them before its
    # products; q_0 = q_1 = q_t and L2 = (1, 0, 1) let the two entries of a pair share a factor
    cq_t, cq_r = jnp.conj(q[0]), jnp.conj(q[2])
    k_u = [y + x * c for y, x, c in zip(_combos(y_mat), _combos(x_mat), (cq_t, cq_t, cq_r, cq_t, cq_r))]
    g_q = [sum(jnp.conj(u[m][b]) * x_mat[m][b] for m in range(3)) for b in range(3)]

    # (4) S = i (U q_N + (1 + r L2) U diag(q) + (r kappa / 2) MHAT U) - alpha kappa KHAT U
    g_x = [[-muli(g_s[i][j]) for j in range(3)] for i in range(3)]
    # with v_j = sum_{i: L2_i = 0} g_X,ij conj(U_ij) and w_j = sum_{i: L2_i = 1} (same): g_q gets
    # v + (1 + r) w, g_qN gets Re sum conj(v + w) and g_r gets Re sum conj(w) q
    acc_qn, acc_rq, acc_m, acc_k = 0.0, 0.0, 0.0, 0.0
    g_q = list(g_q)
    for j in range(3):
        v = g_x[1][j] * jnp.conj(u[1][j])
        w = g_x[0][j] * jnp.conj(u[0][j]) + g_x[2][j] * jnp.conj(u[2][j])
        g_q[j] = g_q[j] + v + rmul(w, 1.0 + r)
        acc_qn = acc_qn + jnp.real(v + w)
        acc_rq = acc_rq + re_cm(w, q[j])
        for i in range(3):
            acc_m = acc_m + re_cm(g_x[i][j], mu[i][j])
            acc_k = acc_k + re_cm(g_s[i][j], ku[i][j])
    g_qn = g_qn + acc_qn
    g_r = g_r + acc_rq + 0.5 * kappa * acc_m
    g_kappa = g_kappa + 0.5 * r * acc_m - alpha * acc_k
    # g_U += g_X o conj(q_N + q_j (1 + r L2_i)) + (r kappa / 2) MHAT^H g_X - alpha kappa KHAT^H g_S
    f_t1, f_r1, f_t0, f_r0 = (jnp.conj(_z(p.fac[key])) for key in ((1.0, 0), (1.0, 2), (0.0, 0), (0.0, 2)))
    k_u = [k + g * f for k, g, f in zip(k_u, _combos(g_x), (f_t1, f_t1, f_r1, f_t0, f_r0))]
    hm, hk = 0.5 * r * kappa, -alpha * kappa
    k_u = [
        k + rmul(m, hm) + rmul(s_, hk)
        for k, m, s_ in zip(k_u, _combos(cmat(_MHAT_H, g_x)), _combos(cmat(_KHAT_H, g_s)))
    ]

    # (5) U = ((nrm, b2n, -c0), (sb, -sb, q_r/k_r), (b2n, nrm, c0)), beta = kappa / (q_t + k_t)
    q_t, q_r = q[0], q[2]
    g_nrm, g_b2n, g_c0, g_sb, g_u12 = k_u
    g_c0 = jnp.real(g_c0)
    g_qr = g_q[2] + rmul(g_u12, 1.0 / k_r)
    g_kr = -re_cm(g_u12, q_r) / k_r**2
    g_kappa = g_kappa + g_c0 / (SQRT2 * k_r)
    g_kr = g_kr - g_c0 * kappa / (SQRT2 * k_r**2)
    b2 = beta * beta
    g_beta = rmul(g_sb * jnp.conj(nrm), SQRT2)
    g_nrm = g_nrm + rmul(g_sb * jnp.conj(beta), SQRT2) + g_b2n * jnp.conj(b2)
    g_b2 = g_b2n * jnp.conj(nrm) - g_nrm * jnp.conj(nrm * nrm)
    g_beta = g_beta + rmul(g_b2 * jnp.conj(beta), 2.0)
    inv = _z(p.inv)  # 1 / (q_t + k_t), shared with the primal pass
    g_kappa = g_kappa + re_cm(g_beta, inv)
    g_kt = -re_cm(g_beta, beta * inv)  # the q_t + k_t denominator: k_t's share
    g_qt = g_q[0] + g_q[1] - g_beta * jnp.conj(beta * inv)

    # wavevectors q = sqrt(k^2 - kappa^2): dq/d(k^2 - kappa^2) = 1 / (2 q) on both branches
    def through_q(g, qq, k):
        nz = qq != 0
        gx = jnp.where(nz, re_cm(g, recip(jnp.where(nz, 2.0 * qq, 1.0))), 0.0)
        return gx * 2.0 * k, -gx * 2.0 * kappa

    dk, dkap = through_q(g_qt, q_t, k_t)
    g_kt, g_kappa = g_kt + dk, g_kappa + dkap
    dk, dkap = through_q(g_qr, q_r, k_r)
    g_kr, g_kappa = g_kr + dk, g_kappa + dkap

    def chain(d):
        rule_d, kt_d, kr_d = d
        return g_kappa * rule_d.kappa + g_qn * rule_d.q_n + g_w * rule_d.weight + g_kt * kt_d + g_kr * kr_d

    # Pack the per-node contributions into one complex array and sum it with a dot product: a
    # single elementwise consumer keeps the whole per-node graph in one vectorised loop fusion
    # (separate outputs would each recompute it; a reduction would absorb it into a scalar
    # kernel, 3x slower on this CPU).
    h_ra = jax.lax.complex(chain(d_r) + g_r, -kappa * acc_k)
    ones = jnp.ones(kappa.shape[-1], dtype=h_ra.dtype)
    s_ra = jnp.einsum("...k,k->...", h_ra, ones)
    if not with_u:
        return jnp.zeros_like(jnp.real(s_ra)), jnp.real(s_ra), jnp.imag(s_ra)
    s_u = jnp.einsum("...k,k->...", chain(d_u), ones.real)
    return s_u, jnp.real(s_ra), jnp.imag(s_ra)


__all__ = ["currents_vjp"]
