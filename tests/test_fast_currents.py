"""The fast path's Fermi-averaged surface currents (jaxorb.fast.currents) and the interface
quantities built on them, against the reference (jaxorb.reference: a 6x6 solve per
(kappa, phi), no symmetry) on the same kappa nodes: equal to rounding (1e-12)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from fast_helpers import INCIDENTS, SPECIAL, random_points, reference_at_surface, reference_quantities

import jaxorb as jo
from jaxorb import DIPOLES, OPERATOR_NAMES, fast, profiles, quadrature, quantities, transport


@pytest.fixture(scope="module")
def fast_currents():
    return jax.jit(lambda U, r, a, rho: fast.surface_currents(U, r, a, rho, OPERATOR_NAMES, OPERATOR_NAMES, nodes=20))


@pytest.mark.parametrize("inc", INCIDENTS)
@pytest.mark.slow
def test_surface_currents_match_reference(rng, inc, fast_currents):
    rho = profiles.density_matrix(inc)
    const_rho = jax.jit(lambda U, r, a: fast.surface_currents(U, r, a, rho, ("Lyz", "Lz2"), ("Lx", "Lz"), nodes=20))
    for U, r, a in random_points(rng, 3) + SPECIAL[:2]:
        ref = reference_at_surface(U, r, a, inc, quadrature.gauss_rule(U, r, 20))
        right, left = fast_currents(U, r, a, jnp.asarray(rho))  # traced rho: the dense form
        assert np.abs(np.array(right) - np.asarray(ref["right"])).max() < 1e-12
        assert np.abs(np.array(left) - np.asarray(ref["left"])).max() < 1e-12
        # constant rho: zeros skipped at trace time, same numbers
        right_c, left_c = const_rho(U, r, a)
        assert abs(right_c[0] - ref["right"][OPERATOR_NAMES.index("Lyz")]) < 1e-12
        assert abs(left_c[1] - ref["left"][OPERATOR_NAMES.index("Lz")]) < 1e-12


@pytest.mark.slow
def test_graded_rule_quantities_match_reference(rng):
    names = ("eta_yz_x", "eta_x2-y2_x", "eta_z2_z", "ratio_z")
    fns = jax.jit(lambda U, r, a: jnp.stack([quantities.get(n).fn(U, r, a, 0.0) for n in names]))
    ref_fn = jax.jit(lambda U, r, a: reference_quantities(U, r, a, quadrature.graded_rule(U, r)))
    for U, r, a in random_points(rng, 4) + SPECIAL:
        ref = np.asarray(ref_fn(U, r, a))
        got = np.array(fns(U, r, a))
        assert np.abs(got - ref).max() < 1e-12, (U, r, a, got - ref)


@pytest.mark.slow
def test_public_api_uses_fast_path_with_int_nodes():
    p = jo.Params(0.4, 0.9, 0.5)
    for inc in ("x", "y"):
        cur = reference_at_surface(0.4, 0.9, 0.5, inc, quadrature.gauss_rule(0.4, 0.9, 24))
        ndip = transport.injected_dipole(inc)
        ref = cur["right"][OPERATOR_NAMES.index("Lyz")] / (np.asarray(cur["left"][:3]) @ ndip)
        assert abs(jo.efficiency(p, inc, "Lyz", nodes=24) - ref) < 1e-12
    cur = reference_at_surface(0.4, 0.9, 0.5, "z", quadrature.gauss_rule(0.4, 0.9, 24))
    assert abs(jo.current_ratio(p, "z", nodes=24) - cur["left"][2] / cur["right"][2]) < 1e-12


@pytest.mark.parametrize("U, r, a", SPECIAL[:3] + [(0.5, 5.2, 0.7)])
@pytest.mark.slow
def test_default_rule_is_converged(U, r, a):
    """Default graded rule against a refined one: 1e-10 also next to the interface-state kink."""
    names = ("eta_yz_x", "eta_x2-y2_x", "eta_z2_z", "delta_z")
    base = np.array([quantities.get(n).fn(U, r, a) for n in names])
    fine = np.array([quantities.get(n, n=(64, 10, 24)).fn(U, r, a) for n in names])
    assert np.abs(base - fine).max() < 1e-10


@pytest.mark.slow
def test_float32_fast_path():
    f = quantities.get("eta_yz_x").fn
    ref = float(f(0.5, 0.7, 0.4))
    with jax.enable_x64(False):
        v = jax.jit(f)(jnp.float32(0.5), jnp.float32(0.7), jnp.float32(0.4))
        assert v.dtype == jnp.float32
    assert abs(float(v) - ref) < 1e-4 * max(1.0, abs(ref))


@pytest.mark.slow
def test_dipole_weights_follow_the_injected_axis():
    vec = jo.amplitudes(0.3, -0.1 + 0.2j, 0.5)
    ndip = transport.injected_dipole(vec)
    rho = profiles.density_matrix(vec)
    got = transport._ratio_core(0.5, 0.7, 0.4, rho, ndip, 24)
    cur = reference_at_surface(0.5, 0.7, 0.4, vec, quadrature.gauss_rule(0.5, 0.7, 24))
    ref = (np.asarray(cur["left"][:3]) @ ndip) / (np.asarray(cur["right"][:3]) @ ndip)
    assert abs(float(got) - float(ref)) < 1e-12
    assert DIPOLES == ("Lx", "Ly", "Lz")


@pytest.mark.slow
def test_joint_quantities_equal_individual_ones():
    names = ("eta_yz_x", "eta_x2-y2_x", "eta_z2_z", "delta_z", "ratio_y", "c_z")
    joint = jax.jit(quantities.joint(names))
    for U, r, a in [(0.5, 0.7, 0.4), (0.2, 3.45, 0.0)]:
        together = np.array(joint(U, r, a, 0.0))
        single = np.array([quantities.get(n).fn(U, r, a, 0.0) for n in names])
        assert np.abs(together - single).max() < 1e-14


def test_float32_memory_loss_at_exact_ratio_one():
    """|L_z> at alpha = 0 has J_L/J_R = 1 exactly: float32 rounding must still give delta = 0."""
    f = quantities.get("delta_z").fn
    with jax.enable_x64(False):
        d = jax.jit(f)(jnp.float32(0.5), jnp.float32(1.3), jnp.float32(0.0))
    assert d.dtype == jnp.float32 and float(d) == 0.0


def test_packed_currents_of_several_injections_equal_one_solve_per_injection():
    """fast.packed_currents (rights first, lefts paired together) returns the currents in the
    order asked, equal to surface_currents per incident state."""
    specs = (
        ("left", "Lx", profiles.density_matrix("x")),
        ("right", "Lyz", profiles.density_matrix("x")),
        ("right", "Lz2", profiles.density_matrix("z")),
        ("left", "Lz", profiles.density_matrix("z")),
        ("right", "Lz", profiles.density_matrix("z")),
    )
    U, r, a = 0.4, 1.3, 0.6
    got = np.array(jax.jit(lambda r_: fast.packed_currents(U, r_, a, specs))(r))
    for k, (side, op, rho) in enumerate(specs):
        right, left = fast.surface_currents(
            U, r, a, rho, (op,) if side == "right" else (), (op,) if side == "left" else ()
        )
        want = float((right + left)[0])
        assert abs(got[k] - want) < 1e-14 * max(1.0, abs(want))
    with pytest.raises(ValueError, match="side"):
        fast.packed_currents(U, r, a, (("middle", "Lx", profiles.density_matrix("x")),))


@pytest.mark.slow
def test_joint_of_several_injections_differentiates_like_the_single_quantities():
    """joint() with two injections takes its values from the packed path and its derivatives
    from the per-injection path: forward and reverse mode in (U, r, alpha) equal the single
    quantities'."""
    names = ("eta_yz_x", "delta_z")
    f = quantities.joint(names)
    p = jnp.array([0.5, 0.7, 0.4])
    ref = np.array([jax.grad(lambda q, n=n: quantities.get(n).fn(q[0], q[1], q[2], 0.0))(p) for n in names])
    for jac in (jax.jacfwd, jax.jacrev):
        got = np.array(jax.jit(jac(lambda q: f(q[0], q[1], q[2], 0.0)))(p))
        assert np.abs(got - ref).max() < 1e-12
