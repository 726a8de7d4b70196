"""Fermi-disk quadrature: weights, convergence, the exact phi rule (docs/theory.md §6)."""

import jax
import numpy as np
import pytest

from jaxorb import bands, profiles, quadrature, reference
from jaxorb import operators as ops

RHO_ALL = np.stack([profiles.density_matrix(k) for k in "xyz"])
POINTS = [
    (0.5, 0.5, 0.0),
    (0.5, 10.0, 0.0),
    (0.5, 0.05, 0.3),
    (0.0, 1.5, 1.0),
    (0.9, 0.5, -0.7),
    (-0.2, -0.4, 1.3),
    (0.2, -0.5, 0.0),
]


@pytest.mark.parametrize("U,r", [(0.5, 0.5), (0.5, 0.0), (-0.5, 0.3), (0.2, -0.5), (0.0, 0.0)])
def test_rule_integrates_disk_area(U, r):
    kappa, w = quadrature.kappa_rule(U, r, 16)
    kappa, w = np.asarray(kappa), np.asarray(w)
    assert abs(w.sum() - 1.0) < 1e-14  # the disk average of 1
    assert abs((w * kappa**2).sum() - 0.5) < 1e-14  # (1/pi) int kappa^2 d^2k = 1/2
    assert np.all((kappa >= 0) & (kappa <= 1)) and np.all(w >= 0)
    k_t, k_r = (float(x) for x in bands.fermi_wavevectors(U, r))
    for k in (k_t, k_r):
        if k < 1:  # a branch point is a segment edge: no node lies across it within a segment
            seg = kappa.reshape(3, -1)
            assert any(np.isclose(s.max(), k, atol=1e-2) or np.isclose(s.min(), k, atol=1e-2) for s in seg)


@pytest.mark.parametrize("params", POINTS)
def test_doubling_nodes_changes_surface_values_below_1e10(params):
    z = np.array([0.0])
    a = profiles.profile_arrays(*params, RHO_ALL, z, n=quadrature.DEFAULT_NODES)
    b = profiles.profile_arrays(*params, RHO_ALL, z, n=2 * quadrature.DEFAULT_NODES)
    for key in ("density", "current", "torque", "current_left", "current_inf", "density_inf"):
        assert np.abs(np.asarray(a[key]) - np.asarray(b[key])).max() < 1e-10, key


@pytest.mark.parametrize("params", [(0.5, 0.5, 0.0), (0.5, 0.05, 0.0), (0.9, 0.5, 0.0), (0.0, 1.5, 1.0)])
@pytest.mark.slow
def test_default_nodes_follow_depth(params):
    """nodes_for_depth keeps profiles converged to 1e-9 out to z = 200."""
    z = np.array([0.0, 50.0, 100.0, 200.0])
    n = profiles.nodes_for_depth(z.max())
    a = profiles.profile_arrays(*params, RHO_ALL, z, n=n)
    b = profiles.profile_arrays(*params, RHO_ALL, z, n=2 * n)
    for key in ("density", "current", "torque"):
        assert np.abs(np.asarray(a[key]) - np.asarray(b[key])).max() < 1e-9, key


@pytest.mark.slow
def test_phi_rule_exact_from_five_points():
    args = (0.4, 1.2, 0.9, ops.INCIDENT_STATES["x"], np.array([0.0, 4.0]))
    ref = reference.fermi_averages(*args, n=16, n_phi=11)
    five = reference.fermi_averages(*args, n=16, n_phi=5)
    three = reference.fermi_averages(*args, n=16, n_phi=3)
    for key in ("density", "current", "torque"):
        assert np.abs(np.asarray(five[key]) - np.asarray(ref[key])).max() < 1e-13
    assert max(np.abs(np.asarray(three[k]) - np.asarray(ref[k])).max() for k in ("density", "current")) > 1e-4


def test_collapsed_segments_stay_finite():
    """U = r = 0: both branch points sit on k_F; the empty segments must not produce NaN."""
    out = profiles.profile_arrays(0.0, 0.0, 0.0, RHO_ALL, np.array([0.0, 1.0]), n=8)
    for v in out.values():
        assert np.all(np.isfinite(np.asarray(v)))


@pytest.mark.slow
def test_graded_rule_integrates_and_moves_with_parameters():
    def moment(U, r):
        rule = quadrature.graded_rule(U, r)
        return (rule.weight * rule.kappa**4).sum()  # disk average of kappa^4 = 1/3

    assert abs(moment(0.5, 0.7) - 1 / 3) < 1e-14
    g = jax.grad(moment, argnums=(0, 1))(0.5, 0.7)
    assert max(abs(g[0]), abs(g[1])) < 1e-12
    rule = quadrature.graded_rule(0.5, 0.7)
    assert rule.kappa.shape == (quadrature.rule_size(),)
    assert np.all(np.isfinite(np.asarray(rule.kappa))) and float(rule.kappa.max()) < 1.0
    assert np.allclose(np.asarray(rule.q_n) ** 2 + np.asarray(rule.kappa) ** 2, 1.0, atol=1e-14)
    # U = 0: k_r = k_F, the last segment collapses (zero weight), and nothing is NaN
    r0 = quadrature.graded_rule(0.0, 0.5)
    assert abs(float((r0.weight * r0.kappa**2).sum()) - 0.5) < 1e-14


@pytest.mark.slow
def test_depth_rule_is_the_graded_rule_at_the_default_size_and_grows_with_depth():
    """At 24 nodes per segment the depth rule is the interface quantities' graded rule (profiles
    at z = 0 equal them); larger sizes add nodes to the inner segments and the outer panel, and
    every size integrates the disk exactly."""
    a, b = quadrature.depth_rule(0.5, 0.7, quadrature.DEFAULT_NODES), quadrature.graded_rule(0.5, 0.7)
    for x, y in zip(a, b):
        assert np.array_equal(np.asarray(x), np.asarray(y))
    for n in (8, 40, 74):
        rule = quadrature.depth_rule(0.5, 0.7, n)
        assert rule.kappa.shape == (quadrature.rule_size(*quadrature.depth_sizes(n)),)
        assert abs(float((rule.weight * rule.kappa**2).sum()) - 0.5) < 1e-13
    assert quadrature.rule_size(*quadrature.depth_sizes(74)) > quadrature.rule_size(*quadrature.depth_sizes(24))
