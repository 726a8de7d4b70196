"""Interface quantities: efficiencies, memory loss, mean torque (docs/theory.md §7-§8)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import fast, profiles, transport

P = jo.Params(0.5, 0.5, 0.0)


def test_efficiency_invariant_under_incident_normalisation():
    """eta = Q_R(0) / J_L(0): both scale with |in|^2 (core level, unnormalised density matrix)."""
    vec = jo.operators.INCIDENT_STATES["x"]
    ndip = jnp.asarray([1.0, 0.0, 0.0])
    iq = jo.OPERATOR_NAMES.index("Lyz")
    base = transport._efficiency_core(0.5, 0.7, 0.4, jnp.asarray(np.outer(vec, vec.conj())), ndip, iq, 24)
    for scale in (0.3, 2.0 * np.exp(0.7j)):
        v = scale * vec
        eta = transport._efficiency_core(0.5, 0.7, 0.4, jnp.asarray(np.outer(v, v.conj())), ndip, iq, 24)
        assert abs(eta - base) < 1e-14
    assert abs(jo.efficiency(jo.Params(0.5, 0.7, 0.4), jo.amplitudes(*(3.0 * vec)), "Lyz", nodes=24) - base) < 1e-14


@pytest.mark.slow
def test_efficiency_limits_without_crystal_field():
    """At r = alpha = 0, H_R = k^2 + U commutes with every L-operator: each orbital channel is
    transmitted with the same scalar amplitude, and every current is continuous, so
    eta_Q^j = <L_j|Q|L_j> / <L_j|L_j|L_j>. For |L_x> (the m = 1 state along x), <L_x^2> = 1 and
    <L_y^2> = <L_z^2> = (2 - 1)/2 = 1/2, so <L_x2-y2> = (1 - 1/2)/2 = 1/4; for |L_z>,
    <L_z2> = (3 - 2)/2 = 1/2; torsional quadrupoles vanish on dipole states, so eta_yz^x = 0."""
    p0 = jo.Params(0.5, 0.0, 0.0)
    assert abs(jo.efficiency(p0, "x", "Lx2-y2") - 0.25) < 1e-12
    assert abs(jo.efficiency(p0, "z", "Lz2") - 0.5) < 1e-12
    assert abs(jo.efficiency(jo.Params(0.5, 0.0, 0.7), "x", "Lyz")) < 1e-14
    assert abs(jo.efficiency(p0, "x", "Lyz")) < 1e-14


@pytest.mark.slow
def test_efficiency_broadcast_vmap_and_grad():
    rs = np.array([0.2, 0.5, 1.5])
    grid = jo.efficiency(jo.Params(0.5, rs, 0.3), "x", "Lyz")
    loop = [jo.efficiency(jo.Params(0.5, r, 0.3), "x", "Lyz") for r in rs]
    assert grid.shape == (3,) and np.allclose(grid, loop, atol=1e-14)
    vm = jax.vmap(lambda r: jo.efficiency(jo.Params(0.5, r, 0.3), "x", "Lyz"))(jnp.asarray(rs))
    assert np.allclose(vm, loop, atol=1e-14)
    two_d = jo.efficiency(jo.Params(0.5, rs[:, None], np.array([0.0, 1.0])[None, :]), "z", "Lz2")
    assert two_d.shape == (3, 2)
    g = jax.grad(lambda a: jo.efficiency(jo.Params(0.5, 0.5, a), "x", "Lyz"))(0.3)
    h = 1e-5
    fd = (
        jo.efficiency(jo.Params(0.5, 0.5, 0.3 + h), "x", "Lyz")
        - jo.efficiency(jo.Params(0.5, 0.5, 0.3 - h), "x", "Lyz")
    ) / (2 * h)
    assert abs(g - fd) < 1e-6 * max(1.0, abs(fd))


@pytest.mark.slow
def test_memory_loss_basics():
    alphas = np.array([0.0, 0.25, 0.5, 1.0, 2.0])
    d = np.asarray(jo.memory_loss(jo.Params(0.5, 0.5, alphas), "z", 2.0))
    assert d[0] == 0.0  # J_L = J_R for |L_z> at alpha = 0 (docs/theory.md §8)
    assert np.all(np.diff(d) > 0)
    ratio = np.asarray(jo.current_ratio(jo.Params(0.5, 0.5, alphas), "z"))
    assert abs(ratio[0] - 1.0) < 1e-12
    for p in (0.5, 2.0, 5.0):
        dd = np.asarray(jo.memory_loss(jo.Params(0.5, 0.5, alphas), "z", p))
        residual = np.cosh(dd) + p * dd * np.sinh(dd) - ratio
        assert np.abs(residual).max() < 1e-12


def test_memory_loss_rounding_of_exact_one_is_zero():
    """|L_z> at alpha = 0 has J_L/J_R = 1 exactly; a ratio a few ulp off must give delta = 0,
    not NaN (below) or the square-root-amplified ~1e-8 (above)."""
    for ratio in (1.0 - 2e-16, 1.0, 1.0 + 2e-16):
        assert transport.solve_memory_loss(ratio, 2.0) == 0.0
    assert np.isnan(transport.solve_memory_loss(0.999, 2.0))
    assert jo.memory_loss(jo.Params(0.5, 1e-12, 0.0), "z") == 0.0


def test_memory_loss_nan_below_ratio_one():
    """|L_x> at U = r = 0.5, alpha = 0: J_L/J_R = 0.991 < 1, no real delta: NaN, not 0."""
    ratio = jo.current_ratio(P, "x")
    assert abs(ratio - 0.991) < 1e-3
    assert np.isnan(jo.memory_loss(P, "x"))


@pytest.mark.slow
def test_memory_loss_gradient_matches_finite_differences():
    f = lambda a: jo.memory_loss(jo.Params(0.5, 0.5, a), "z", 2.0)  # noqa: E731
    for a in (0.3, 0.9, 1.7):
        g = jax.grad(f)(a)
        h = 1e-5
        fd = (f(a + h) - f(a - h)) / (2 * h)
        assert abs(g - fd) < 1e-6 * max(1.0, abs(fd))
    gp = jax.grad(lambda p: jo.memory_loss(jo.Params(0.5, 0.5, 0.8), "z", p))(2.0)
    fd = (
        jo.memory_loss(jo.Params(0.5, 0.5, 0.8), "z", 2.0 + 1e-5)
        - jo.memory_loss(jo.Params(0.5, 0.5, 0.8), "z", 2.0 - 1e-5)
    ) / 2e-5
    assert abs(gp - fd) < 1e-6
    assert jax.grad(f)(0.0) == 0.0  # the kink at delta = 0: subgradient 0, not NaN


@pytest.mark.slow
def test_memory_loss_gradient_is_nan_where_delta_is_missing():
    """Below ratio 1 delta is NaN; its derivative must be NaN in forward AND reverse mode, not a
    silent 0 from the transpose of a NaN added after the linear map."""
    f = lambda a: jo.memory_loss(jo.Params(0.5, 0.5, a), "x", 2.0)  # noqa: E731
    assert np.isnan(f(0.0))
    assert np.isnan(jax.grad(f)(0.0))
    assert np.isnan(jax.jacfwd(f)(0.0))
    g = jax.grad(lambda t: jo.memory_loss(P, "x", t))(2.0)
    assert np.isnan(g)
    # and a valid point next to it still has a finite gradient in both modes
    assert np.isfinite(jax.grad(f)(1.0)) and abs(jax.grad(f)(1.0) - jax.jacfwd(f)(1.0)) < 1e-12


@pytest.mark.parametrize("inc", ["z", "x"])
@pytest.mark.slow
def test_integrated_continuity(inc):
    """int_0^Z tau dz = J(Z) - J(0) for several Z (Gauss-Legendre in z on the profile's torque)."""
    p = jo.Params(0.5, 1.5, 0.4)
    op = "L" + inc
    x, w = np.polynomial.legendre.leggauss(80)
    for Z in (3.0, 12.0, 30.0):
        z = 0.5 * Z * (x + 1)
        prof = jo.profile(p, z, inc, nodes=40)
        integral = 0.5 * Z * np.dot(w, prof.torque[op])
        assert abs(integral - jo.mean_torque(p, inc, thickness_kF=Z, nodes=40)) < 1e-10


@pytest.mark.slow
def test_mean_torque_r_limits():
    """c = 0 at r = 0 exactly; as r -> 0+, c(D) -> 0 while c(inf) tends to a nonzero limit
    (z -> inf and r -> 0 do not commute, docs/theory.md §7)."""
    assert jo.mean_torque(jo.Params(0.5, 0.0, 0.0), "z") == 0.0
    assert jo.mean_torque(jo.Params(0.5, 0.0, 0.0), "x") == 0.0
    assert abs(jo.mean_torque(jo.Params(0.5, 0.0, 0.0), "z", thickness_kF=10.0)) < 1e-14
    cd = [abs(jo.mean_torque(jo.Params(0.5, r, 0.0), "z", thickness_kF=10.0)) for r in (1e-2, 1e-3, 1e-4)]
    assert cd[0] > cd[1] > cd[2] and cd[2] < 1e-6
    assert abs(jo.mean_torque(jo.Params(0.5, 1e-3, 0.0), "z", thickness_kF=10.0) + 8e-6) < 1e-6
    for inc, limit in (("z", -0.168), ("x", -0.298)):
        c = [jo.mean_torque(jo.Params(0.5, r, 0.0), inc) for r in (1e-4, 1e-6)]
        assert abs(c[1] - limit) < 2e-3 and abs(c[0] - c[1]) < 5e-3


@pytest.mark.slow
def test_mean_torque_ordering_and_values():
    c = {r: jo.mean_torque(jo.Params(0.5, r, 0.0), "z") for r in (0.5, 1.5, 10.0)}
    assert abs(c[1.5]) > abs(c[0.5]) > abs(c[10.0])
    assert abs(c[0.5] + 0.27471) < 1e-5
    assert abs(jo.mean_torque(P, "z", thickness_kF=10.0) + 0.33) < 5e-3


@pytest.mark.slow
def test_mean_torque_equals_profile_difference():
    prof = jo.profile(jo.Params(0.3, 2.0, 0.5), np.array([0.0, 7.0]), "x")
    assert abs(jo.mean_torque(jo.Params(0.3, 2.0, 0.5), "x") - (prof.current_inf["Lx"] - prof.current["Lx"][0])) < 1e-12
    assert (
        abs(
            jo.mean_torque(jo.Params(0.3, 2.0, 0.5), "x", thickness_kF=7.0)
            - (prof.current["Lx"][1] - prof.current["Lx"][0])
        )
        < 1e-12
    )


def test_general_incident_uses_its_dipole_direction():
    vec = (jo.operators.INCIDENT_STATES["x"] + jo.operators.INCIDENT_STATES["z"]) / np.sqrt(2)
    n = transport.injected_dipole(jo.amplitudes(*vec))
    assert np.isclose(np.linalg.norm(n), 1.0)
    assert np.isfinite(jo.efficiency(P, jo.amplitudes(*vec), "Lz2"))
    with pytest.raises(ValueError, match="dipole"):
        transport.injected_dipole(jo.amplitudes(0.0, 1.0, 0.0))  # |m = 0> carries no <L>
    vx = jo.operators.INCIDENT_STATES["x"]
    assert abs(jo.efficiency(P, jo.amplitudes(*vx), "Lyz", dipole="x") - jo.efficiency(P, "x", "Lyz")) < 1e-14
    assert abs(jo.efficiency(P, jo.amplitudes(*vx), "Lyz") - jo.efficiency(P, "x", "Lyz")) < 1e-14


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: jo.efficiency(P, "x", "Lfoo"), "quadrupole"),
        (lambda: jo.efficiency(P, "x", "Lx"), "quadrupole"),
        (lambda: jo.memory_loss(P, "z", 0.0), "transparency"),
        (lambda: jo.memory_loss(P, "z", -1.0), "transparency"),
        (lambda: jo.memory_loss(P, "z", np.nan), "transparency"),
        (lambda: jo.efficiency(jo.Params(0.5, np.inf, 0.0), "x"), "r"),
        (lambda: jo.mean_torque(P, "z", thickness_kF=-1.0), "thickness"),
        (lambda: jo.mean_torque(P, "z", thickness_kF=np.nan), "thickness"),
        (lambda: jo.efficiency(P, "q"), "incident"),
        (lambda: jo.efficiency(P, "x", "Lyz", nodes=0), "nodes"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_surface_currents_match_the_profile_at_z0():
    """The interface currents (unrolled phi-average forms) and the profile at z = 0 (tensor
    contractions) share the solve and the default graded rule: equal to rounding."""
    rho = profiles.density_matrix("y")
    right, left = fast.surface_currents(0.4, 1.1, 0.6, rho, jo.OPERATOR_NAMES, jo.OPERATOR_NAMES)
    prof = jo.profile(jo.Params(0.4, 1.1, 0.6), 0.0, "y")
    for i, name in enumerate(jo.OPERATOR_NAMES):
        assert abs(right[i] - prof.current[name][0]) < 1e-13
        assert abs(left[i] - prof.current_left[name]) < 1e-13
    c = fast.current_change(0.4, 1.1, 0.6, np.inf, rho, "Lz")
    assert abs(c - (prof.current_inf["Lz"] - prof.current["Lz"][0])) < 1e-13
