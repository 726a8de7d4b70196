"""Fermi-averaged quantities at depth z as sums of exponentials (docs/theory.md §6, §7).

At one kappa the transmitted wave is a sum of three modes, and the helicity modes (+, -) share
q_t, so every phi-averaged density or current is, per node, a sum of three terms
c exp(E z): t-t (E = -2 Im q_t), r-r (E = -2 Im q_r) and t-r (E = i (q_r - conj q_t), its
conjugate pair folded in). The torque density tau = dJ/dz multiplies each term by its exponent,
and z -> infinity keeps the terms whose exponent is exactly zero.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ..operators import L2, LX, MHAT, OPERATORS, angular_bands, anticommutator, const
from ..quadrature import make_rule
from .complexmath import is_real
from .currents import node_sum
from .derivatives import forward_jacobian
from .forms import const_rho, current_rows, phi_form, wavefunctions
from .schur import Solution, solve

#: The mode groups of the exponential sums: the helicity modes (+, -) share q_t.
_GROUPS = {"t": (0, 1), "r": (2,)}


def mode_fields(sol: Solution, r, kappa, currents: bool = True) -> dict:
    """Per mode group ("t": modes +, -; "r": mode 0) the fields psi(0), -i psi'(0) and the rows
    of the current form (:func:`jaxorb.fast.forms.current_rows`, None unless ``currents``)."""
    out = {}
    for key, modes in _GROUPS.items():
        psi, dpsi = wavefunctions(sol, modes)
        out[key] = (psi, dpsi, current_rows(r, kappa, psi, dpsi) if currents else None)
    return out


def pair_coefficients(fields: dict, r, kappa, op: np.ndarray, rho, kind: str):
    """Per-node coefficients (c_tt, c_rr, c_tr) of the exponential-sum form of one phi-averaged
    quantity, before the weights.

    A(z) = sum_k Re[c_tt e^{E_tt z} + c_rr e^{E_rr z} + c_tr e^{E_tr z}] (docs/theory.md §6, §7):
    the helicity modes (+, -) share q_t, so the mode pairs fall into t-t, r-r and t-r terms; the
    r-t pair is folded into c_tr as its complex conjugate.

    Args:
        fields: :func:`mode_fields` of the solve.
        r: scalar; kappa: (K,) nodes; op: (3, 3) constant operator; rho: incident density
            matrix, (3, 3) NumPy constant or (..., 3, 3) array.
        kind: "density" or "current" (right current).

    Returns:
        three complex arrays (K,) or (..., K).
    """
    if kind == "current":

        def part(x, y):
            return 0.5 * phi_form(op, rho, fields[x][0], fields[y][2]).complex()

    elif kind == "density":

        def part(x, y):
            py = fields[y][0]
            return phi_form(op, rho, fields[x][0], (py, py, py)).complex()

    else:
        raise ValueError(f"kind must be 'density' or 'current', got {kind!r}")
    return part("t", "t"), part("r", "r"), part("t", "r") + jnp.conj(part("r", "t"))


def _exponents(sol: Solution):
    """(E_tt, E_rr, E_tr) per node: -2 Im q_t and -2 Im q_r (real), i (q_r - conj q_t) (complex)."""
    q_t, q_r = sol.q[0].complex(), sol.q[2].complex()
    return -2.0 * q_t.imag, -2.0 * q_r.imag, 1j * (q_r - jnp.conj(q_t))


def _exponential_sums(U, r, alpha, rho, op_name, kind, factors, nodes):
    """Node sums of w Re[c_tt g_tt + c_rr g_rr + c_tr g_tr], one per factor triple g returned by
    ``factors(E_tt, E_rr, E_tr)``, all from one solve and one packed node sum."""
    rule = make_rule(U, r, nodes, depth=True)
    sol = solve(U, r, alpha, rule.kappa, rule.q_n)
    fields = mode_fields(sol, r, rule.kappa, kind == "current")
    coef = pair_coefficients(fields, r, rule.kappa, OPERATORS[op_name], rho, kind)

    def re_mul(c, g):  # Re(c g), in real arithmetic when g is real
        return jnp.real(c) * g if is_real(g) else jnp.real(c * g)

    per_node = [rule.weight * sum(re_mul(c, g) for c, g in zip(coef, gs)) for gs in factors(*_exponents(sol))]
    return node_sum(per_node)


def _with_forward_derivatives(core, U, r, alpha, depth, rho):
    """core(U, r, alpha, depth, rho) with derivatives in (U, r, alpha, depth) by forward mode; a
    NumPy rho is closed over (its zero entries are skipped at trace time), an array is passed."""
    if const_rho(rho):
        return forward_jacobian(lambda U_, r_, a_, d_: core(U_, r_, a_, d_, rho), 4)(U, r, alpha, depth)
    return forward_jacobian(core, 4)(U, r, alpha, depth, jnp.asarray(rho))


def depth_average(U, r, alpha, z, rho, op_name: str, kind: str, nodes=None):
    """Fermi-averaged density, right current or torque density of one observable at depth z.

    The fast-path form of :func:`jaxorb.profiles.profile` for a single observable and depth:
    sum over kappa nodes of w Re[c_tt e^{E_tt z} + c_rr e^{E_rr z} + c_tr e^{E_tr z}] (times
    the exponent for the torque density tau = dJ/dz, docs/theory.md §7), from the closed-form 3x3
    solve, one elementwise graph per node and one node sum: no LAPACK, no (K, 3) coefficient
    arrays between fusions. Derivatives with respect to (U, r, alpha, z) by forward mode
    (:func:`forward_jacobian`).

    Args:
        U, r, alpha: scalars. z: scalar depth in 1/k_F (traced allowed).
        rho: (3, 3) incident density matrix, NumPy constant (fastest) or array.
        op_name: observable name (static). kind: "density", "current" or "torque" (static).
        nodes: kappa rule, see :func:`jaxorb.quadrature.make_rule` (an int: the depth rule with
            that many nodes per segment; depths z need :func:`jaxorb.profiles.nodes_for_depth` of z).

    Returns:
        Scalar (or (...,) for a batch of rho), public units (docs/theory.md §1).
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

    The mean-torque coefficient of docs/theory.md §7 (c = J(inf) - J(0), or c(D) = J(D) - J(0) =
    int_0^D tau dz), on the fast path as :func:`depth_average`: J(D) and J(0) are two sums of
    one packed node sum. J(inf) keeps the terms whose exponent is exactly zero, as
    :func:`at_infinity`. Derivatives with respect to (U, r, alpha, depth) by
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


# ---------------------------------------------------------------------------------------------
# Profiles: every observable at many depths


class Expansion(NamedTuple):
    """Exponential-sum form of Fermi-averaged quantities at depth z.

    Attributes:
        exponent: (K, 3) complex exponents per kappa node, types (tt, rr, tr).
        density: (..., n_ops, K, 3) complex coefficients, quadrature weights folded in.
        current: (..., n_ops, K, 3) likewise for right currents (public units).
        torque_a2: (..., n_ops, K, 3) likewise for the A^2-only torque (paper Eq. 11).
        current_left: (..., n_ops) Fermi-averaged left-layer current at z = 0.
    """

    exponent: jnp.ndarray
    density: jnp.ndarray
    current: jnp.ndarray
    torque_a2: jnp.ndarray
    current_left: jnp.ndarray


def _matrix(x):
    """Nested 3x3 of :class:`Cz` over (K,) -> (K, 3, 3) complex array."""
    return jnp.stack([jnp.stack([x[i][j].complex() for j in range(3)], axis=-1) for i in range(3)], axis=-2)


class _Tables:
    """Angular bands of each observable and of the operator products of the currents and the
    A^2 torque, NumPy at trace time: ``o`` = O^(d), ``o_lz2`` = {O^(d), L_z^2}, ``o_m`` =
    {O^(d), MHAT}, ``o_a2`` = (-i/2) [O^(d), L_x^2], each (n_ops, 5, 3, 3); ``masks`` (5, 3, 3)
    marks the entries (m, n) with m_m - m_n = d."""

    def __init__(self, names):
        lz2, lx2 = np.diag(L2).astype(complex), LX @ LX
        self.o = np.stack([angular_bands(OPERATORS[n]) for n in names])
        self.o_lz2 = np.stack([[anticommutator(b, lz2) for b in ob] for ob in self.o])
        self.o_m = np.stack([[anticommutator(b, MHAT) for b in ob] for ob in self.o])
        self.o_a2 = np.stack([[-0.5j * (b @ lx2 - lx2 @ b) for b in ob] for ob in self.o])
        self.masks = np.abs(angular_bands(np.ones((3, 3)))).astype(float)


def _pair_weights(amp, rho_bands):
    """a^(d)_bc = (conj(amp) (rho^T o Pi_d) amp^T)_bc, (..., K, 5, 3, 3): the phi average of
    conj(t_b) t_c (u^H R^H O R u)_bc keeps only zero net harmonic, sum_d a^(d) o (u^H O^(d) u)."""
    return jnp.einsum("...kbm,...dmn,...kcn->...kdbc", jnp.conj(amp), rho_bands, amp)


def _sandwich(a, u, tab):
    """sum_d a^(d) o (u^H T^(d) u) for a table T (n_ops, 5, 3, 3) -> (..., n_ops, K, 3, 3)."""
    uh = jnp.conj(jnp.swapaxes(u, -1, -2))
    x = jnp.einsum("kbm,odmn,knc->okdbc", uh, const(tab), u)
    return jnp.sum(a[..., None, :, :, :, :] * x, axis=-3)


def _pair_types(c):
    """(..., 3, 3) mode-pair coefficients -> (..., 3) coefficients of the (tt, rr, tr) terms."""
    tt = c[..., 0, 0] + c[..., 0, 1] + c[..., 1, 0] + c[..., 1, 1]
    return jnp.stack([tt, c[..., 2, 2], 2.0 * (c[..., 0, 2] + c[..., 1, 2])], axis=-1)


def expansion(U, r, alpha, rho, names: tuple[str, ...], nodes=None) -> Expansion:
    """Exponential-sum coefficients of every observable in ``names`` (pure, jittable).

    One closed-form solve per kappa node of :func:`jaxorb.quadrature.make_rule` (``depth=True``:
    an int ``nodes`` selects :func:`jaxorb.quadrature.depth_rule`) serves every azimuth,
    observable and incident state (docs/theory.md §6). The phi average of all observables and
    kinds at once is written with the angular-band tables as a few tensor contractions over
    (K, 3, 3) arrays rather than the unrolled forms of :mod:`jaxorb.fast.forms`: unrolled, the
    24 forms of a profile make a graph that takes ten times longer to compile.

    Args:
        U, r, alpha: scalars. rho: (..., 3, 3) incident density matrices (array or NumPy).
        names: observable names (static). nodes: kappa rule (static).
    """
    rule = make_rule(U, r, nodes, depth=True)
    sol = solve(U, r, alpha, rule.kappa, rule.q_n)
    tables = _Tables(tuple(names))
    u, t = _matrix(sol.u), _matrix(sol.t)
    q = jnp.stack([x.complex() for x in sol.q], axis=-1)
    kappa = rule.kappa
    rho = jnp.asarray(rho)
    rho_bands = jnp.swapaxes(rho, -1, -2)[..., None, :, :] * const(tables.masks)
    a = _pair_weights(t, rho_bands)
    dens = _sandwich(a, u, tables.o)
    kin = 2.0 * dens + r * _sandwich(a, u, tables.o_lz2)
    raw = kin * q[:, None, :] + (0.5 * r) * kappa[:, None, None] * _sandwich(a, u, tables.o_m)
    curr = 0.25 * (raw + jnp.conj(jnp.swapaxes(raw, -1, -2)))
    ta2 = r * (kappa * kappa)[:, None, None] * _sandwich(a, u, tables.o_a2)
    # left layer: reflected amplitudes rho = U_m t - in, and the incident term in^H O in
    refl = u @ t - jnp.eye(3)
    refl_term = jnp.einsum("...kdbc,odbc->...ok", _pair_weights(refl, rho_bands), const(tables.o)).real
    inc = jnp.einsum("...mn,onm->...o", rho, const(tables.o.sum(axis=1))).real
    left = jnp.sum(rule.weight * rule.q_n * (inc[..., None] - refl_term), axis=-1)
    e_tt, e_rr, e_tr = _exponents(sol)
    exponent = jnp.stack([e_tt + 0j, e_rr + 0j, e_tr], axis=-1)
    w = rule.weight[:, None]
    return Expansion(exponent, _pair_types(dens) * w, _pair_types(curr) * w, _pair_types(ta2) * w, left)


def evaluate(coef, exponent, z):
    """Re sum_k,type coef exp(exponent z) at each depth; coef (..., K, 3) -> (..., nz)."""
    phase = jnp.exp(exponent[..., None] * jnp.asarray(z))
    return jnp.einsum("...kt,ktz->...z", coef, phase).real


def derivative(coef, exponent, z):
    """d/dz of :func:`evaluate`: the torque density when ``coef`` is a current."""
    return evaluate(coef * exponent, exponent, z)


def at_infinity(coef, exponent):
    """z -> infinity limit: the terms with exponent exactly zero (non-oscillating, non-decaying)."""
    keep = exponent == 0
    return jnp.sum(jnp.where(keep, coef, 0.0), axis=(-2, -1)).real


def at_surface(coef):
    """Value at z = 0."""
    return jnp.sum(coef, axis=(-2, -1)).real
