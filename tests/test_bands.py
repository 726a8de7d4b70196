"""Right-layer bands and eigenvectors (docs/theory.md §3)."""

from decimal import Decimal, getcontext

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxorb import bands, reference
from jaxorb import operators as ops


def hamiltonian_right(U, r, kappa, phi, kz):
    a, m, _, _ = reference.local_operators(kappa * np.cos(phi), kappa * np.sin(phi), r)
    a, m = np.asarray(a), np.asarray(m)
    return (kappa**2 + kz**2 + U) * np.eye(3) + r * (a @ a + kz * m + kz**2 * ops.LZ @ ops.LZ)


def test_branch_points():
    k_t, k_r = bands.fermi_wavevectors(0.5, 0.5)
    assert np.isclose(k_t, np.sqrt(1 / 3)) and np.isclose(k_r, np.sqrt(0.5))
    assert np.isclose(float(k_t), 0.5774, atol=1e-4)


def test_z_wavevector_branches():
    kap = jnp.linspace(0.0, 1.0, 101)
    q = bands.z_wavevector(0.6, kap)
    assert np.all(q.real >= 0) and np.all(q.imag >= 0)
    prop = kap < 0.6
    assert np.all(q.imag[prop] == 0) and np.all(q.real[~prop] == 0)
    assert np.allclose(q**2, 0.36 - kap**2)


def test_eigenvectors_solve_hamiltonian(rng):
    """H_R u = E_F u for every mode, propagating and evanescent, any azimuth."""
    for _ in range(30):
        U, r = rng.uniform(-0.8, 0.95), rng.uniform(-0.8, 8.0)
        kappa, phi = rng.uniform(0, 1), rng.uniform(0, 2 * np.pi)
        md = reference.modes_at(U, r, kappa, phi)
        for b in range(3):
            h = hamiltonian_right(U, r, kappa, phi, complex(md.q[b]))
            u = np.asarray(md.u[:, b])
            assert np.linalg.norm(h @ u - u) < 1e-13 * max(1.0, np.linalg.norm(u))


def _direct_eq4_minus(kappa: str, k_t: str):
    """|-> of paper Eq. 4 evaluated directly, with a = q_t - k_t, in 60-digit arithmetic."""
    getcontext().prec = 60
    kap, k = Decimal(kappa), Decimal(k_t)
    q = (k * k - kap * kap).sqrt()
    a = q - k
    den = a * a + kap * kap
    return [a * a / den, Decimal(2).sqrt() * a * kap / den, kap * kap / den]


def test_small_kappa_eigenvector_is_accurate():
    """At kappa = 1e-8 the stable form keeps every component to full relative precision."""
    k_t = "0.57735026918962576450914878050196"  # sqrt(1/3)
    kappa = 1e-8
    u = reference.modes_at(0.5, 0.5, jnp.asarray(kappa), 0.0).u[:, 1]
    exact = [float(x) for x in _direct_eq4_minus("1e-8", k_t)]
    for got, want in zip(np.asarray(u).real, exact):
        assert abs(got - want) <= 1e-14 * abs(want)
    # the naive float64 difference q_t - k_t loses all digits of the small components
    q = np.sqrt(float(k_t) ** 2 - kappa**2)
    a = q - float(k_t)
    naive = np.sqrt(2) * a * kappa / (a * a + kappa**2)
    assert abs(naive - exact[1]) > 1e-6 * abs(exact[1])


@pytest.mark.slow
def test_kappa_zero_gives_limits_not_nan():
    md = reference.modes_at(0.5, 0.5, jnp.asarray(0.0), 0.0)
    u = np.asarray(md.u)
    assert np.all(np.isfinite(u))
    assert np.allclose(u[:, 0], [1, 0, 0]) and np.allclose(u[:, 1], [0, 0, 1]) and np.allclose(u[:, 2], [0, 1, 0])
    rho, t = reference.amplitudes(0.5, 0.5, 0.7, jnp.asarray(0.0), 0.0, ops.INCIDENT_STATES["x"])
    assert np.all(np.isfinite(np.asarray(t))) and np.all(np.isfinite(np.asarray(rho)))
    grad = jax.grad(lambda k: jnp.abs(reference.amplitudes(0.5, 0.5, 0.7, k, 0.0, ops.INCIDENT_STATES["x"])[1]).sum())(
        0.0
    )
    assert np.isfinite(grad)


def test_precession_wavelength():
    assert np.isclose(bands.precession_wavelength(0.5, 0.5), 2 * np.pi / (np.sqrt(0.5) - np.sqrt(1 / 3)))
    assert np.isinf(bands.precession_wavelength(0.5, 0.0))
