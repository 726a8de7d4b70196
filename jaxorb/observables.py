"""Densities, currents and torque densities (PHYSICS.md §5, §7).

Two forms of the same physics:

* pointwise functions of a wavefunction psi(z) and its derivative psi'(z) at one
  (kappa, phi) -- the definitions, used by the reference path and the tests;
* :func:`pair_coefficients`, which writes every density or current at one kappa, already averaged
  over phi, as sum over mode pairs (b, b') of c_bb' exp(i (q_b' - conj q_b) z). That is what the
  fast path evaluates (PHYSICS.md §6).

Units: densities in hbar; currents in hbar * (hbar k_F / m), i.e. half of the 2m = 1 expression
(PHYSICS.md §1, §5).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .operators import LX, LZ, OPERATORS, angular_bands, const

_LZ2 = LZ @ LZ
_MHAT = LX @ LZ + LZ @ LX  # M = kappa * {L_x, L_z} at phi = 0
_LX2 = LX @ LX  # A^2 = kappa^2 L_x^2 at phi = 0


def _anti(a, b):
    return a @ b + b @ a


# ---------------------------------------------------------------------------------------------
# Pointwise definitions


def density(psi, op):
    """psi^H O psi, real; psi shape (..., 3), op (3, 3). Units hbar."""
    return jnp.einsum("...i,ij,...j->...", jnp.conj(psi), op, psi).real


def current_right(psi, dpsi, op, c, m, r):
    """Current of O in the right layer, public units (PHYSICS.md §5).

    J_O = (1/2) { Re[psi^H {O, C} (-i psi')] + (r/2) psi^H {O, M} psi }.

    Args:
        psi, dpsi: (..., 3) wavefunction and its z-derivative.
        op: (3, 3) observable. c, m: (..., 3, 3) C and M at this (kappa, phi). r: crystal field.
    """
    oc = op @ c + c @ op
    om = op @ m + m @ op
    kin = jnp.einsum("...i,...ij,...j->...", jnp.conj(psi), oc, -1j * dpsi).real
    cf = jnp.einsum("...i,...ij,...j->...", jnp.conj(psi), om, psi).real
    return 0.5 * (kin + 0.5 * r * cf)


def current_left(incident, rho, q_n, op):
    """Current of O in the left layer at z = 0, public units: q_N (in^H O in - rho^H O rho)."""
    return q_n * (density(incident, op) - density(rho, op))


def torque_lz_commutator(psi, dpsi, a, m, r):
    """Full torque density of L_z from the commutator (PHYSICS.md §7), public units.

    tau = (1/2) { -i r psi^H [L_z, A^2] psi + r Im(psi^H G psi') },  G = -i [L_z, M].
    The first term alone is the paper's Eq. 11 (:func:`torque_lz_a2`).
    """
    lz = const(LZ)
    g = -1j * (lz @ m - m @ lz)
    kz_part = r * jnp.einsum("...i,...ij,...j->...", jnp.conj(psi), g, dpsi).imag
    return torque_lz_a2(psi, a, r) + 0.5 * kz_part


def torque_lz_a2(psi, a, r):
    """The paper's Eq. 11 torque density for L_z, the A^2 term only, public units.

    tau_A2 = (1/2) (-i r) psi^H [L_z, A^2] psi. Not equal to dJ/dz pointwise (PHYSICS.md §7).
    """
    a2 = a @ a
    lz = const(LZ)
    comm = lz @ a2 - a2 @ lz
    return 0.5 * (-1j * r * jnp.einsum("...i,...ij,...j->...", jnp.conj(psi), comm, psi)).real


# ---------------------------------------------------------------------------------------------
# Mode-pair expansion with the exact phi average


def _band_masks() -> np.ndarray:
    """Pi_d, shape (5, 3, 3): (Pi_d)_{mn} = 1 where m_m - m_n = d."""
    return np.abs(angular_bands(np.ones((3, 3)))).astype(float)


class OperatorTables:
    """Angular bands of each observable and of the operator products the currents need.

    For names ``ops``: ``o`` = O^(d), ``o_lz2`` = {O^(d), L_z^2}, ``o_m`` = {O^(d), {L_x, L_z}},
    ``o_a2`` = (-i/2) [O^(d), L_x^2], each shape (n_ops, 5, 3, 3). Built with NumPy at trace
    time.
    """

    def __init__(self, names: tuple[str, ...]):
        self.names = tuple(names)
        self.o = np.stack([angular_bands(OPERATORS[n]) for n in self.names])
        self.o_lz2 = np.stack([[_anti(b, _LZ2) for b in ob] for ob in self.o])
        self.o_m = np.stack([[_anti(b, _MHAT) for b in ob] for ob in self.o])
        self.o_a2 = np.stack([[-0.5j * (b @ _LX2 - _LX2 @ b) for b in ob] for ob in self.o])


def incident_bands(rho_in):
    """(rho_in^T o Pi_d), shape (..., 5, 3, 3): the incident density matrix split by harmonic.

    rho_in[..., m, n] = in_m conj(in_n); a pure state enters as in in^H.
    """
    return jnp.swapaxes(rho_in, -1, -2)[..., None, :, :] * const(_band_masks())


def mode_pair_weights(amp, rho_bands):
    """a^(d)_bb' = (conj(amp) (rho_in^T o Pi_d) amp^T)_bb', shape (..., K, 5, 3, 3).

    With t = amp @ v the mode amplitudes for incident v (frame phi = 0, PHYSICS.md §6) and
    R^H O R = sum_d O^(d) e^{i d phi}, the phi average of conj(t_b) t_b' (u^H R^H O R u)_bb' keeps
    only zero net harmonic: sum_d a^(d) o (u^H O^(d) u).

    Args:
        amp: (..., K, 3, 3) amplitudes (modes or reflected states x incident basis).
        rho_bands: (..., 5, 3, 3) from :func:`incident_bands`.
    """
    return jnp.einsum("...kbm,...dmn,...kcn->...kdbc", jnp.conj(amp), rho_bands, amp)


def _sandwich(a, u, tab):
    """sum_d a^(d) o (u^H T^(d) u) for a table T (n_ops, 5, 3, 3) -> (..., n_ops, K, 3, 3)."""
    uh = jnp.conj(jnp.swapaxes(u, -1, -2))
    x = jnp.einsum("...kbm,odmn,...knc->...okdbc", uh, const(tab), u)
    return jnp.sum(a[..., None, :, :, :, :] * x, axis=-3)


def density_pairs(a, u, tables: OperatorTables):
    """Phi-averaged density pair coefficients c_bb' (density = sum c_bb' e^{i(q_b'-conj q_b)z}).

    Args:
        a: (..., K, 5, 3, 3) from :func:`mode_pair_weights`. u: (..., K, 3, 3) modes.

    Returns:
        (..., n_ops, K, 3, 3), Hermitian in the last two axes. Units hbar.
    """
    return _sandwich(a, u, tables.o)


def current_pairs(a, u, q, kappa, r, tables: OperatorTables, dens=None):
    """Phi-averaged current pair coefficients, public units (PHYSICS.md §5).

    {O, C} = 2 O + r {O, L_z^2} acts with -i d/dz (a factor q_b' on mode b'); {O, M} with
    M = kappa {L_x, L_z} in the frame phi = 0 carries the factor r/2; the real part becomes a
    Hermitian symmetrisation, and the public units halve it.

    Args:
        a, u: as for :func:`density_pairs`; q: (..., K, 3); kappa: (..., K); r: scalar.
        dens: :func:`density_pairs` output if already computed (reused, not recomputed).
    """
    if dens is None:
        dens = density_pairs(a, u, tables)
    r_ = jnp.asarray(r)[..., None, None, None, None]
    kin = 2.0 * dens + r_ * _sandwich(a, u, tables.o_lz2)
    mix = _sandwich(a, u, tables.o_m)
    raw = kin * q[..., None, :, None, :] + 0.5 * r_ * kappa[..., None, :, None, None] * mix
    return 0.25 * (raw + jnp.conj(jnp.swapaxes(raw, -1, -2)))


def torque_a2_pairs(a, u, kappa, r, tables: OperatorTables):
    """Phi-averaged pair coefficients of the A^2 torque (1/2)(-i r) psi^H [O, A^2] psi.

    In the frame phi = 0, A = kappa L_x, so the operator is r kappa^2 (-i/2) [O(phi), L_x^2].
    For O = L_z this is the paper's Eq. 11 torque (PHYSICS.md §7); it is not dJ/dz.
    """
    r_ = jnp.asarray(r)[..., None, None, None, None]
    return r_ * (kappa**2)[..., None, :, None, None] * _sandwich(a, u, tables.o_a2)


def left_coefficients(refl, tables: OperatorTables, rho_bands, rho_in):
    """Phi-averaged rho^H O rho and in^H O in for the left layer at each kappa.

    Returns:
        (reflected, incident): (..., n_ops, K) and (..., n_ops, 1), real.
    """
    a = mode_pair_weights(refl, rho_bands)
    refl_term = jnp.einsum("...kdbc,odbc->...ok", a, const(tables.o)).real
    inc = jnp.einsum("...mn,onm->...o", rho_in, const(tables.o.sum(axis=1))).real
    return refl_term, inc[..., None]


__all__ = [
    "OperatorTables",
    "current_left",
    "current_right",
    "density",
    "incident_bands",
    "left_coefficients",
    "current_pairs",
    "density_pairs",
    "mode_pair_weights",
    "torque_a2_pairs",
    "torque_lz_a2",
    "torque_lz_commutator",
]
