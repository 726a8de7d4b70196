"""Quantities at depth z on the fast path (jaxorb.fast.depth) against the reference on the same
kappa rule, and their derivatives."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import DIPOLES, fast, profiles, quadrature, reference, transport


@pytest.mark.parametrize("inc", ["x", "z"])
@pytest.mark.slow
def test_mean_torque_matches_reference(inc):
    rho = profiles.density_matrix(inc)
    ndip = transport.injected_dipole(inc)
    for U, r, a in [(0.5, 0.5, 0.0), (0.3, 1.7, 0.8), (-0.4, 0.9, -1.1)]:
        rule = tuple(quadrature.depth_rule(U, r, 30))[::2]
        vec = jo.operators.incident_vector(inc)
        out = reference.fermi_averages(U, r, a, vec, jnp.array([0.0, 7.5]), names=DIPOLES, n_phi=5, rule=rule)
        cur = np.asarray(out["current"]).T @ ndip
        for d, ref in ((np.inf, float(np.asarray(out["current_inf"]) @ ndip) - cur[0]), (7.5, cur[1] - cur[0])):
            got = transport._mean_torque_core(U, r, a, rho, ndip, jnp.asarray(d), 30)
            assert abs(float(got) - float(ref)) < 1e-12


@pytest.mark.parametrize("kind", ["density", "current", "torque"])
@pytest.mark.slow
def test_depth_average_equals_the_reference(kind):
    """fast.depth_average (closed-form solve, one node sum) against the reference (6x6 solve per
    (kappa, phi), pointwise observables) on the same depth rule, at the surface and in depth."""
    ops = ("Lz", "Lyz", "Lx2-y2")
    key = {"density": "density", "current": "current", "torque": "torque"}[kind]
    for U, r, a in [(0.5, 0.7, 0.4), (-0.3, 0.0, 1.2)]:
        for j in "xz":
            rho = profiles.density_matrix(j)
            for z in (0.0, 17.0):
                n = profiles.nodes_for_depth(z)
                rule = tuple(quadrature.depth_rule(U, r, n))[::2]
                vec = jo.operators.incident_vector(j)
                want = reference.fermi_averages(U, r, a, vec, jnp.array([z]), names=ops, n_phi=5, rule=rule)[key]
                for k, op in enumerate(ops):
                    got = float(fast.depth_average(U, r, a, z, rho, op, kind, n))
                    assert abs(got - float(want[k, 0])) < 1e-12


@pytest.mark.slow
def test_depth_average_derivatives_in_parameters_and_depth():
    """Forward-mode derivatives (forward_jacobian over U, r, alpha and z) against central
    differences, under jit; the traced-rho path gives the same values."""
    rho = profiles.density_matrix("z")
    f = jax.jit(lambda p: fast.depth_average(p[0], p[1], p[2], p[3], rho, "Lz", "current", 30))
    p = jnp.array([0.4, 1.1, 0.7, 3.0])
    g = np.array(jax.grad(f)(p))
    h = 1e-5
    fd = np.array([(float(f(p.at[i].add(h))) - float(f(p.at[i].add(-h)))) / (2 * h) for i in range(4)])
    assert np.abs(g - fd).max() < 1e-8
    # d/dz of the current is the torque density (docs/theory.md §7)
    tau = float(fast.depth_average(0.4, 1.1, 0.7, 3.0, rho, "Lz", "torque", 30))
    assert abs(g[3] - tau) < 1e-12
    traced = jax.jit(lambda p, rh: fast.depth_average(p[0], p[1], p[2], p[3], rh, "Lz", "current", 30))
    assert abs(float(traced(p, jnp.asarray(rho))) - float(f(p))) < 1e-15


@pytest.mark.slow
def test_current_change_is_the_mean_torque_of_the_reference():
    """c = J(inf) - J(0) and c(D) = J(D) - J(0) on the fast path against the reference."""
    for j in "xz":
        rho, ndip = profiles.density_matrix(j), transport.injected_dipole(j)
        for U, r, a in [(0.5, 0.7, 0.4), (0.8, 6.0, 0.3)]:
            rule = tuple(quadrature.depth_rule(U, r, 30))[::2]
            vec = jo.operators.incident_vector(j)
            out = reference.fermi_averages(U, r, a, vec, jnp.array([0.0, 3.0]), names=DIPOLES, n_phi=5, rule=rule)
            cur = np.asarray(out["current"]).T @ ndip
            for d, ref in ((np.inf, float(np.asarray(out["current_inf"]) @ ndip) - cur[0]), (3.0, cur[1] - cur[0])):
                got = float(transport._mean_torque_core(U, r, a, rho, ndip, jnp.asarray(d), 30))
                assert abs(got - ref) < 1e-12
    with pytest.raises(ValueError, match="kind"):
        fast.depth_average(0.5, 0.7, 0.4, 1.0, profiles.density_matrix("z"), "Lz", "flux")
