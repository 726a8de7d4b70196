"""The 6x6 boundary problem (docs/theory.md §4) and its conservation laws (§9)."""

import jax.numpy as jnp
import numpy as np
from fast_helpers import random_point, random_state

from jaxorb import operators as ops
from jaxorb import reference


def currents_at_z0(pt, inc, op):
    """Left current (incident + reflected) and right current at z = 0 for one (kappa, phi)."""
    rho, t, md = reference.solve(pt["U"], pt["r"], pt["alpha"], pt["kappa"], pt["phi"], inc)
    _, m, _, c = reference.local_operators(pt["kappa"] * np.cos(pt["phi"]), pt["kappa"] * np.sin(pt["phi"]), pt["r"])
    psi = md.u @ t
    dpsi = md.u @ (1j * md.q * t)
    left = reference.current_left(jnp.asarray(inc), rho, md.q_n, op)
    right = reference.current_right(psi, dpsi, op, c, m, pt["r"])
    return float(left), float(right), np.asarray(rho), psi


def test_system_residual(rng):
    for _ in range(50):
        pt = random_point(rng)
        inc = random_state(rng)
        md = reference.modes_at(pt["U"], pt["r"], pt["kappa"], pt["phi"])
        a, b = reference.boundary_system(pt["U"], pt["r"], pt["alpha"], pt["kappa"], pt["phi"], md.u, md.q, md.q_n)
        rho, t, _ = reference.solve(pt["U"], pt["r"], pt["alpha"], pt["kappa"], pt["phi"], inc)
        x = np.concatenate([rho, t])
        rhs = np.asarray(b) @ inc
        assert np.linalg.norm(np.asarray(a) @ x - rhs) < 1e-12 * max(1, np.linalg.norm(rhs))


def test_probability_current_conserved(rng):
    """J_1 is equal on both sides of z = 0 for every (kappa, phi, U, r, alpha)."""
    for _ in range(100):
        pt = random_point(rng)
        left, right, _, _ = currents_at_z0(pt, random_state(rng), ops.IDENTITY)
        assert abs(left - right) < 1e-12


def test_lz_current_continuous_only_without_rashba(rng):
    jumps = []
    for _ in range(40):
        pt = random_point(rng)
        inc = random_state(rng)
        left, right, _, _ = currents_at_z0(dict(pt, alpha=0.0), inc, ops.LZ)
        assert abs(left - right) < 1e-12
        left, right, _, _ = currents_at_z0(dict(pt, alpha=1.0), inc, ops.LZ)
        jumps.append(abs(left - right))
    assert max(jumps) > 1e-2


def test_wavefunction_continuous(rng):
    for _ in range(20):
        pt = random_point(rng)
        inc = random_state(rng)
        _, _, rho, psi_r = currents_at_z0(pt, inc, ops.LZ)
        assert np.allclose(inc + rho, psi_r, atol=1e-12)


def test_free_interface_has_no_reflection(rng):
    for _ in range(20):
        kappa, phi = rng.uniform(0, 1), rng.uniform(0, 2 * np.pi)
        rho, _, _ = reference.solve(0.0, 0.0, 0.0, kappa, phi, random_state(rng))
        assert np.abs(np.asarray(rho)).max() < 1e-12


def test_amplitudes_conserve_probability_current(rng):
    """reference.amplitudes (rho, t per (kappa, phi) and incident state): shapes (3,), and the
    reflected plus transmitted probability current equals the incident one."""
    for _ in range(3):
        pt = random_point(rng)
        inc = random_state(rng)
        rho, t = reference.amplitudes(pt["U"], pt["r"], pt["alpha"], pt["kappa"], pt["phi"], inc)
        assert np.shape(rho) == (3,) and np.shape(t) == (3,)
        left, right, _, _ = currents_at_z0(pt, inc, ops.IDENTITY)
        rho2, t2, _ = reference.solve(pt["U"], pt["r"], pt["alpha"], pt["kappa"], pt["phi"], inc)
        assert np.allclose(rho, rho2, atol=0) and np.allclose(t, t2, atol=0)
        assert abs(left - right) < 1e-12
