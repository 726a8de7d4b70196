"""Exact phi averages of the bilinear forms of the densities and currents (docs/theory.md §5, §6).

With R(phi) = exp(-i phi L_z), every phi-averaged bilinear form
<(R^H in)^H X^H (R^H O R) Y (R^H in)>_phi keeps exactly the index combinations with
m_m - m_n = m_a - m_b (19 of 81), so it is a short, unrolled sum of products; zero entries of a
constant O and rho_in are skipped at trace time.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ..operators import L2, M_QUANTUM, MHAT, const
from .complexmath import Cz, as_cz, cmat, make_cz
from .schur import Solution

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


ALLOWED = _allowed()


def const_rho(rho) -> bool:
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
    fixed = const_rho(rho)
    groups: dict = {}
    for m, n, a, b in ALLOWED:
        if op[m, n] == 0 or (fixed and rho[b, a] == 0):
            continue
        c = complex(op[m, n]) * (complex(rho[b, a]) if fixed else 1.0)
        term = x[m][a].conj_mul(y_rows[m][n][b]) * c
        key = None if fixed else (a, b)
        groups[key] = term if key not in groups else groups[key] + term
    if not groups:
        zero = 0.0 * x[0][0].re
        return make_cz(zero, zero)
    if fixed:
        return groups[None]
    rho = jnp.asarray(rho)
    out = 0.0
    for (a, b), g in groups.items():
        out = as_cz(rho[..., b, a][..., None]) * g + out
    return out


def _mode_product(u, x0, x1, x2):
    """U x for one column x, with U = ((nrm, b2n, -c0), (sb, -sb, q_r/k_r), (b2n, nrm, c0))
    (:func:`solve_parts`): nrm + b2n = 1 and c0 real leave 3 complex products instead of 9."""
    half, d = (x0 + x1) * 0.5, x0 - x1
    k = (u[0][0] - u[0][1]) * 0.5 * d - x2 * u[2][2].re
    return half + k, u[1][0] * d + u[1][2] * x2, half - k


def wavefunctions(sol: Solution, modes=(0, 1, 2)):
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


def current_rows(r, kappa, psi, dpsi):
    """Y^(m) of the current form: 2 D + r L2 D + r kappa MHAT Psi, plus r D on rows m with L2_m = 1.

    J = (1/2) Re[psi^H {O, C} (-i psi') + r psi^H O M psi] (docs/theory.md §5, public units) with
    {O, C} = 2 O + r (O L2 + L2 O): the L2 O part moves onto X as r L2_m, i.e. onto Y^(m).
    """
    mp = cmat(MHAT, psi)
    rk = r * kappa
    e = tuple(tuple(dpsi[n][b] * (2.0 + r * L2[n]) + mp[n][b] * rk for b in range(3)) for n in range(3))
    e1 = tuple(tuple(e[n][b] + dpsi[n][b] * r for b in range(3)) for n in range(3))
    return (e1, e, e1)


def right_current_terms(sol: Solution, r, kappa, op, rho, x_modes=(0, 1, 2), y_modes=(0, 1, 2)) -> Cz:
    """Phi-averaged right-layer current of ``op`` at z = 0 from the mode pairs (x_modes, y_modes),
    before the real part and the factor 1/2; :class:`Cz` (K,) or (..., K)."""
    psi_x, _ = wavefunctions(sol, x_modes)
    psi_y, dpsi_y = wavefunctions(sol, y_modes)
    return phi_form(op, rho, psi_x, current_rows(r, kappa, psi_y, dpsi_y))


def left_current(sol: Solution, op, rho):
    """Phi-averaged left-layer current q_N (in^H O in - rho^H O rho) per node, public units;
    real (K,) or (..., K)."""
    psi, _ = wavefunctions(sol)
    refl = tuple(tuple(psi[m][a] - (1.0 if m == a else 0.0) for a in range(3)) for m in range(3))
    rr = phi_form(op, rho, refl, (refl, refl, refl)).re
    if const_rho(rho):
        inc = float(np.real(np.trace(rho @ op)))
    else:
        inc = jnp.real(jnp.einsum("...mn,nm->...", jnp.asarray(rho), const(op)))[..., None]
    return sol.q_n * (inc - rr)
