"""Fermi-averaged densities, currents and torques as sums of exponentials (docs/theory.md §5-§7, §12).

At one kappa the transmitted wave is psi(z) = sum_b u_b exp(i q_b z) t_b over six modes, so with
the exact phi average every density, current or torque density is
sum_{B, B'} c_BB' exp(i (q_B' - conj q_B) z) over the 3 x 3 pairs of bands.

Exact phi average: with R(phi) = exp(-i phi J_z), psi(kappa, phi; in) = R psi(kappa, 0; R^H in), and
R^H X R = sum_d X^(d) exp(i d phi) (X^(d) the part of X whose J_z quantum numbers differ by d,
d = -3..3), the average of Tr[X psi psi^H] over phi is sum_d Tr[X^(d) U E T rho^(-d) T^H E^H U^H],
a finite sum: the integrand is a trigonometric polynomial in phi (degree <= 5 for these operators).
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ..operators import const
from . import bands, interface, quadrature
from .operators import ALL_MATRICES, JZ_QUANTUM, soc_torque_operator

_D = np.arange(-3, 4)
#: mask[d + 3, i, j] = 1 where m_j(i) - m_j(j) = d.
_MASK = (np.subtract.outer(JZ_QUANTUM, JZ_QUANTUM)[None] == _D[:, None, None]).astype(float)
#: one-hot map from the six modes to the three bands
_BAND = np.eye(3)[list(bands.MODE_BAND)].T  # (3, 6)


def _anti(a, b):
    return a @ b + b @ a


class Tables:
    """Angular harmonics of each observable and of the products the currents and torques need.

    For names ``ops``: ``o`` = O^(d), ``o_lz2`` = {O^(d), L_z^2}, ``o_m`` = {O^(d), {L_x, L_z}},
    ``o_soc`` = i [L.sigma, O^(d)] / 2, each (n_ops, 7, 6, 6), NumPy constants.
    """

    def __init__(self, names: tuple[str, ...]):
        self.names = tuple(names)
        self.o = np.stack([ALL_MATRICES[n][None] * _MASK for n in self.names])
        self.o_lz2 = np.stack([[_anti(b, interface.LZ2) for b in ob] for ob in self.o])
        self.o_m = np.stack([[_anti(b, interface.MHAT) for b in ob] for ob in self.o])
        self.o_soc = np.stack([[soc_torque_operator(b) for b in ob] for ob in self.o])


class Expansion(NamedTuple):
    """Exponential-sum form of Fermi-averaged quantities for a batch of incident density matrices.

    Attributes:
        exponent: (K, 3, 3) complex exponents i (q_B' - conj q_B).
        density, current, torque_soc: (..., n_ops, K, 3, 3) coefficients, quadrature weights
            included; densities in hbar, currents in hbar * hbar k_F / m (docs/theory.md §1),
            torque_soc its lam part of dJ/dz.
        current_left: (..., n_ops) left-layer current at z = 0- (incident + reflected).
    """

    exponent: jnp.ndarray
    density: jnp.ndarray
    current: jnp.ndarray
    torque_soc: jnp.ndarray
    current_left: jnp.ndarray


def _harmonic_weights(amp, rho_in):
    """G_d = amp rho^(-d) amp^H, shape (..., K, 7, 6, 6) (rows and columns: modes)."""
    rho_d = rho_in[..., None, :, :] * const(_MASK[::-1])  # rho^(-d) at index d + 3
    return jnp.einsum("kba,...dac,kec->...kdbe", amp, rho_d, jnp.conj(amp))


def _pairs(u, table, g):
    """c_bb' = sum_d (u^H X^(d) u)_bb' (G_d)_b'b -> band pairs (..., n_ops, K, 3, 3)."""
    y = jnp.einsum("kib,odij,kjc->okdbc", jnp.conj(u), const(table), u)
    c = jnp.einsum("okdbc,...kdcb->...okbc", y, g)
    band = const(_BAND)
    return jnp.einsum("Bb,...okbc,Cc->...okBC", band, c, band)


def expansion(U, r, alpha, lam, rho_in, names: tuple[str, ...], n: int = quadrature.DEFAULT_NODES) -> Expansion:
    """Exponential-sum coefficients of every observable in ``names`` (pure, jittable).

    Args:
        U, r, alpha, lam: scalar parameters (docs/theory.md §1 units).
        rho_in: (..., 6, 6) incident density matrices in the lab frame (Hermitian, trace 1).
        names: observables (static), from :data:`jaxorb.spin.operators.NAMES`.
        n: mean kappa nodes per segment (static; :func:`jaxorb.spin.quadrature.segment_nodes`).
    """
    kappa, weight = quadrature.kappa_rule(U, r, lam, n)
    resp = interface.solve(U, r, alpha, lam, kappa)
    tab = Tables(tuple(names))
    md = resp.modes
    g = _harmonic_weights(resp.trans, rho_in)
    w = weight[:, None, None]
    dens = _pairs(md.u, tab.o, g)
    # current operator: {O, C} (-i d/dz) + (r/2) {O, M}, real part, halved (docs/theory.md §5)
    qb = md.q_band[..., None, :]
    kin = 2.0 * dens + r * _pairs(md.u, tab.o_lz2, g)
    mix = _pairs(md.u, tab.o_m, g)
    raw = kin * qb + 0.5 * r * kappa[:, None, None] * mix
    curr = 0.25 * (raw + jnp.conj(jnp.swapaxes(raw, -1, -2)))
    soc = lam * _pairs(md.u, tab.o_soc, g)
    # left layer: q_N (Tr[O rho_in] - <rho|O|rho>), phi averaged
    gr = _harmonic_weights(resp.refl, rho_in)
    refl_o = jnp.einsum("odij,...kdji->...ok", const(tab.o), gr).real
    inc_o = jnp.einsum("oij,...ji->...o", const(tab.o.sum(axis=1)), rho_in).real
    left = jnp.sum(weight * md.q_n * (inc_o[..., None] - refl_o), axis=-1)
    q = md.q_band
    exponent = 1j * (q[:, None, :] - jnp.conj(q)[:, :, None])
    return Expansion(exponent, dens * w, curr * w, soc * w, left)


def evaluate(coef, exponent, z):
    """Re sum coef exp(exponent z) at each depth: (..., K, 3, 3) -> (..., nz)."""
    phase = jnp.exp(exponent[..., None] * jnp.asarray(z, dtype=float))
    return jnp.einsum("...kbc,kbcz->...z", coef, phase).real


def derivative(coef, exponent, z):
    """d/dz of :func:`evaluate` (the torque density when ``coef`` is a current)."""
    return evaluate(coef * exponent, exponent, z)


def at_infinity(coef, exponent):
    """z -> infinity: the pairs whose exponent is exactly zero (propagating bands with equal q)."""
    return jnp.sum(jnp.where(exponent == 0, coef, 0.0), axis=(-3, -2, -1)).real
