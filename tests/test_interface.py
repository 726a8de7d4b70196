"""The 6x6 boundary problem (PHYSICS.md §4) and its conservation laws (§9)."""

import jax.numpy as jnp
import numpy as np

from jaxorb import interface, observables
from jaxorb import operators as ops


def random_point(rng):
    return dict(
        U=rng.uniform(-0.8, 0.95),
        r=rng.uniform(-0.8, 8.0),
        alpha=rng.uniform(-3.0, 3.0),
        kappa=rng.uniform(0.0, 1.0),
        phi=rng.uniform(0.0, 2 * np.pi),
    )


def random_state(rng):
    v = rng.normal(size=3) + 1j * rng.normal(size=3)
    return v / np.linalg.norm(v)


def surface_currents(pt, inc, op):
    """Left current (incident + reflected) and right current at z = 0 for one (kappa, phi)."""
    rho, t, md = interface.solve_direct(pt["U"], pt["r"], pt["alpha"], pt["kappa"], pt["phi"], inc)
    _, m, _, c = interface.local_operators(pt["kappa"] * np.cos(pt["phi"]), pt["kappa"] * np.sin(pt["phi"]), pt["r"])
    psi = md.u @ t
    dpsi = md.u @ (1j * md.q * t)
    left = observables.current_left(jnp.asarray(inc), rho, md.q_n, op)
    right = observables.current_right(psi, dpsi, op, c, m, pt["r"])
    return float(left), float(right), np.asarray(rho), psi


def test_system_residual(rng):
    for _ in range(50):
        pt = random_point(rng)
        inc = random_state(rng)
        md = interface.modes_at(pt["U"], pt["r"], pt["kappa"], pt["phi"])
        a, b = interface.boundary_system(pt["U"], pt["r"], pt["alpha"], pt["kappa"], pt["phi"], md.u, md.q, md.q_n)
        rho, t, _ = interface.solve_direct(pt["U"], pt["r"], pt["alpha"], pt["kappa"], pt["phi"], inc)
        x = np.concatenate([rho, t])
        rhs = np.asarray(b) @ inc
        assert np.linalg.norm(np.asarray(a) @ x - rhs) < 1e-12 * max(1, np.linalg.norm(rhs))


def test_probability_current_conserved(rng):
    """J_1 is equal on both sides of z = 0 for every (kappa, phi, U, r, alpha)."""
    for _ in range(100):
        pt = random_point(rng)
        left, right, _, _ = surface_currents(pt, random_state(rng), ops.IDENTITY)
        assert abs(left - right) < 1e-12


def test_lz_current_continuous_only_without_rashba(rng):
    jumps = []
    for _ in range(40):
        pt = random_point(rng)
        inc = random_state(rng)
        left, right, _, _ = surface_currents(dict(pt, alpha=0.0), inc, ops.LZ)
        assert abs(left - right) < 1e-12
        left, right, _, _ = surface_currents(dict(pt, alpha=1.0), inc, ops.LZ)
        jumps.append(abs(left - right))
    assert max(jumps) > 1e-2


def test_wavefunction_continuous(rng):
    for _ in range(20):
        pt = random_point(rng)
        inc = random_state(rng)
        _, _, rho, psi_r = surface_currents(pt, inc, ops.LZ)
        assert np.allclose(inc + rho, psi_r, atol=1e-12)


def test_free_interface_has_no_reflection(rng):
    for _ in range(20):
        kappa, phi = rng.uniform(0, 1), rng.uniform(0, 2 * np.pi)
        rho, _, _ = interface.solve_direct(0.0, 0.0, 0.0, kappa, phi, random_state(rng))
        assert np.abs(np.asarray(rho)).max() < 1e-12


def test_rotation_covariance(rng):
    """psi(kappa, phi; in) = R psi(kappa, 0; R^H in): one solve at phi = 0 serves every phi."""
    for _ in range(20):
        pt = random_point(rng)
        inc = random_state(rng)
        rot = np.diag(np.exp(-1j * pt["phi"] * ops.M_QUANTUM))
        resp = interface.solve_response(pt["U"], pt["r"], pt["alpha"], jnp.asarray(pt["kappa"]))
        v = rot.conj().T @ inc
        rho0 = np.asarray(resp.refl) @ v
        psi0 = np.asarray(resp.modes.u) @ (np.asarray(resp.trans) @ v)
        rho, t, md = interface.solve_direct(pt["U"], pt["r"], pt["alpha"], pt["kappa"], pt["phi"], inc)
        assert np.allclose(rot @ rho0, rho, atol=1e-12)
        assert np.allclose(rot @ psi0, np.asarray(md.u) @ np.asarray(t), atol=1e-12)
