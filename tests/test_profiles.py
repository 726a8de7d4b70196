"""Fermi-averaged profiles: anchors, fast path vs reference, transforms, precision."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import bands, profiles, quadrature, reference


def test_anchor_values():
    """docs/theory.md §10 (U = 0.5, r = 0.5, alpha = 0, public units)."""
    p = jo.Params(0.5, 0.5, 0.0)
    px = jo.profile(p, 0.0, "x")
    pz = jo.profile(p, 0.0, "z")
    assert abs(px.density["Lx"][0] - 1.62214) < 1e-5
    assert abs(pz.density["Lz"][0] - 1.42212) < 1e-5
    assert abs(pz.current["Lz"][0] - 0.45193) < 1e-5
    assert abs((pz.current_inf["Lz"] - pz.current["Lz"][0]) - (-0.27471)) < 1e-5
    # the same numbers to 1e-6 against 12-digit values from this solver (converged, 2x nodes)
    assert abs(px.density["Lx"][0] - 1.622143101336) < 1e-6
    assert abs(pz.current["Lz"][0] - 0.451925726583) < 1e-6
    assert abs(pz.current_inf["Lz"] - pz.current["Lz"][0] + 0.274709877783) < 1e-6


@pytest.mark.parametrize("inc", ["x", "y", "z", jo.amplitudes(0.3, -0.1 + 0.2j, 0.5)])
@pytest.mark.slow
def test_fast_path_matches_reference(rng, inc):
    z = np.array([0.0, 1.3, 7.0, 25.0])
    vec = jo.operators.incident_vector(inc)
    for _ in range(3):
        U, r, alpha = rng.uniform(-0.6, 0.9), rng.uniform(-0.6, 6), rng.uniform(-2, 2)
        fast = profiles.profile_arrays(U, r, alpha, profiles.density_matrix(inc), z, n=20)
        rule = tuple(quadrature.depth_rule(U, r, 20))[::2]
        ref = reference.fermi_averages(U, r, alpha, vec, z, n_phi=6, rule=rule)
        for key in fast:
            assert np.abs(np.asarray(fast[key]) - np.asarray(ref[key])).max() < 1e-12, key


@pytest.mark.slow
def test_profile_converged_next_to_the_interface_resonance():
    """At U = 0.5, r = 3.43, alpha = 0 an interface state sits just outside the Fermi disk (a pole
    of the integrand next to kappa = k_F): the default profile at z = 0 agrees with a ten times
    finer rule to 1e-10, and is closer to it than the plain Gauss rule of the same size."""
    p = jo.Params(0.5, 3.43, 0.0)
    z = np.array([0.0])
    default = jo.profile(p, z, "x")
    fine = jo.profile(p, z, "x", nodes=240)
    err = max(abs(float(default.density[n][0] - fine.density[n][0])) for n in jo.OPERATOR_NAMES)
    assert err <= 1e-10
    # the plain rule with 24 nodes per segment (the reference, exact in phi) misses the pole
    plain = reference.fermi_averages(0.5, 3.43, 0.0, jo.operators.incident_vector("x"), z, n=24, n_phi=5)
    err_plain = max(abs(float(plain["density"][k, 0] - fine.density[n][0])) for k, n in enumerate(jo.OPERATOR_NAMES))
    assert err_plain > 1e-7 and err < 1e-3 * err_plain


@pytest.mark.slow
def test_public_profile_reference_option():
    p = jo.Params(0.4, 0.9, 0.5)
    a = jo.profile(p, [0.0, 2.0], "x")
    b = jo.profile(p, [0.0, 2.0], "x", phi_points=5)
    for name in jo.OPERATOR_NAMES:
        assert np.allclose(a.density[name], b.density[name], atol=1e-12)
        assert abs(a.current_inf[name] - b.current_inf[name]) < 1e-12


def test_profile_shapes_and_keys():
    z = np.linspace(0, 10, 7)
    prof = jo.profile(jo.Params(), z, "x")
    assert set(prof.density) == set(jo.OPERATOR_NAMES)
    assert prof.density["Lx"].shape == (7,) and prof.current["Lyz"].shape == (7,)
    assert np.shape(prof.current_left["Lx"]) == () and np.shape(prof.current_inf["Lz"]) == ()
    assert prof.nodes == jo.nodes_for_depth(10.0)
    sub = jo.profile(jo.Params(), z, "x", observables=("Lx", "Lyz"))
    assert set(sub.density) == {"Lx", "Lyz"}
    assert np.allclose(sub.density["Lyz"], prof.density["Lyz"], atol=1e-15)


@pytest.mark.slow
def test_jit_and_vmap_agree_with_loop():
    z = jnp.array([0.0, 3.0])
    rho = jnp.asarray(profiles.density_matrix("x"))
    rs = jnp.array([0.2, 0.9, 3.0])
    batched = jax.vmap(lambda r: profiles.profile_arrays(0.5, r, 0.1, rho, z, n=16)["current"])(rs)
    for i, r in enumerate(rs):
        single = profiles.profile_arrays(0.5, float(r), 0.1, rho, z, n=16)["current"]
        assert np.allclose(batched[i], single, atol=1e-14)
    f = jax.jit(lambda r: jo.profile(jo.Params(0.5, r, 0.1), np.array([0.0, 3.0]), "x", nodes=16).current["Lx"])
    assert np.allclose(f(0.9), batched[1][0], atol=1e-14)


@pytest.mark.slow
def test_float32_agrees_within_stated_error():
    p = jo.Params(0.5, 0.5, 0.3)
    z = np.array([0.0, 10.0, 50.0])
    a = jo.profile(p, z, "x")
    b = jo.profile(p, z, "x", dtype="float32")
    assert b.density["Lx"].dtype == np.float32
    for name in jo.OPERATOR_NAMES:
        assert np.abs(np.asarray(b.density[name]) - a.density[name]).max() < 1e-5
        assert np.abs(np.asarray(b.current[name]) - a.current[name]).max() < 1e-5
    assert a.density["Lx"].dtype == np.float64


def test_current_approaches_its_infinite_depth_value():
    prof = jo.profile(jo.Params(0.5, 1.5, 0.0), np.array([400.0, 800.0]), "z")
    assert np.abs(prof.current["Lz"] - prof.current_inf["Lz"]).max() < 1e-3


def test_oscillation_wavelength_matches_precession():
    """The moment oscillates with 2 pi / (k_r - k_t), the kappa = 0 stationary point (Fig. 2f)."""
    U, r = 0.5, 1.5
    lam = float(bands.precession_wavelength(U, r))
    z = np.linspace(60, 60 + 8 * lam, 4001)
    prof = jo.profile(jo.Params(U, r, 0.0), z, "x")
    y = prof.density["Lx"] - prof.density_inf["Lx"]
    crossings = z[1:][np.diff(np.sign(y)) != 0]
    period = 2 * np.mean(np.diff(crossings))
    assert abs(period - lam) < 0.05 * lam
