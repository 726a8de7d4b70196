"""The fast path (jaxorb.fast) against the straightforward one (issue 5).

The reference is the 6x6 LAPACK solve with the mode-pair tables (jaxorb.profiles, used by
transport.surface_currents) on the same kappa nodes: the two must agree to rounding (1e-12).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import DIPOLES, OPERATOR_NAMES, fast, profiles, quadrature, quantities, transport

INCIDENTS = ["x", "y", "z", [0.3, -0.1 + 0.2j, 0.5]]


def _random_points(rng, n):
    U = rng.uniform(-0.8, 0.9, n)
    r = rng.uniform(-0.7, 6.0, n)
    a = rng.uniform(-2.0, 2.0, n)
    return list(zip(U, r, a))


# points next to the interface-state kink (U = 0.5, r ~ 3.45, alpha ~ 0) and on the benchmark grid
SPECIAL = [(0.5, 3.45, 0.0), (0.5, 3.397, 0.018), (0.5, 0.108, 1.685), (0.5, 9.9, 2.9), (0.5, 1e-3, 0.2)]


@pytest.fixture(scope="module")
def fast_currents():
    return jax.jit(lambda U, r, a, rho: fast.surface_currents(U, r, a, rho, OPERATOR_NAMES, OPERATOR_NAMES, nodes=20))


@pytest.mark.parametrize("inc", INCIDENTS)
def test_surface_currents_match_reference(rng, inc, fast_currents):
    rho = profiles.density_matrix(inc)
    const_rho = jax.jit(lambda U, r, a: fast.surface_currents(U, r, a, rho, ("Lyz", "Lz2"), ("Lx", "Lz"), nodes=20))
    for U, r, a in _random_points(rng, 3) + SPECIAL[:2]:
        ref = transport.surface_currents(U, r, a, jnp.asarray(rho), 20)
        right, left = fast_currents(U, r, a, jnp.asarray(rho))  # traced rho: the dense form
        assert np.abs(np.array(right) - np.asarray(ref["right"])).max() < 1e-12
        assert np.abs(np.array(left) - np.asarray(ref["left"])).max() < 1e-12
        # constant rho: zeros skipped at trace time, same numbers
        right_c, left_c = const_rho(U, r, a)
        assert abs(right_c[0] - ref["right"][OPERATOR_NAMES.index("Lyz")]) < 1e-12
        assert abs(left_c[1] - ref["left"][OPERATOR_NAMES.index("Lz")]) < 1e-12


def _reference_quantities(U, r, a, rule):
    """eta_yz^x, eta_x2-y2^x, eta_z2^z, J_L/J_R (z) with the reference path on ``rule``."""
    out = []
    for j in ("x", "z"):
        ex = profiles.expansion(U, r, a, jnp.asarray(profiles.density_matrix(j)), OPERATOR_NAMES, rule=rule)
        right, left = profiles.at_surface(ex.current), ex.current_left
        if j == "x":
            jl = left[0]
            out += [right[OPERATOR_NAMES.index("Lyz")] / jl, right[OPERATOR_NAMES.index("Lx2-y2")] / jl]
        else:
            jl = left[2]
            out += [right[OPERATOR_NAMES.index("Lz2")] / jl, jl / right[2]]
    return jnp.stack(out)


def test_graded_rule_quantities_match_reference(rng):
    names = ("eta_yz_x", "eta_x2-y2_x", "eta_z2_z", "ratio_z")
    fns = jax.jit(lambda U, r, a: jnp.stack([quantities.get(n).fn(U, r, a, 0.0) for n in names]))
    ref_fn = jax.jit(lambda U, r, a: _reference_quantities(U, r, a, quadrature.graded_rule(U, r)[::2]))
    for U, r, a in _random_points(rng, 4) + SPECIAL:
        ref = np.asarray(ref_fn(U, r, a))
        fast = np.array(fns(U, r, a))
        assert np.abs(fast - ref).max() < 1e-12, (U, r, a, fast - ref)


@pytest.mark.parametrize("inc", ["x", "z"])
def test_mean_torque_matches_reference(inc):
    rho = profiles.density_matrix(inc)
    ndip = transport.injected_dipole(inc)
    for U, r, a in [(0.5, 0.5, 0.0), (0.3, 1.7, 0.8), (-0.4, 0.9, -1.1)]:
        for d in (np.inf, 7.5):
            ref = transport._mean_torque_core_reference(U, r, a, jnp.asarray(rho), jnp.asarray(ndip), d, 30)
            fast = transport._mean_torque_core(U, r, a, rho, ndip, jnp.asarray(d), 30)
            assert abs(float(fast) - float(ref)) < 1e-12


def test_public_api_uses_fast_path_with_int_nodes():
    p = jo.Params(0.4, 0.9, 0.5)
    for inc in ("x", "y"):
        ref = transport._efficiency_core_reference(
            0.4, 0.9, 0.5, profiles.density_matrix(inc), transport.injected_dipole(inc), 4, 24
        )
        assert abs(jo.efficiency(p, inc, "Lyz", nodes=24) - ref) < 1e-12
    ref = transport._ratio_core_reference(0.4, 0.9, 0.5, profiles.density_matrix("z"), np.eye(3)[2], 24)
    assert abs(jo.current_ratio(p, "z", nodes=24) - ref) < 1e-12


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


@pytest.mark.parametrize("U, r, a", [(0.5, 3.45, 0.0), (-0.6, -0.5, 1.7), (0.9, 5.0, -1.2)])
def test_structured_mode_product_is_the_matrix_product(U, r, a):
    """Psi = U T and D = U diag(q) T by U's mode structure (nrm + b2n = 1, real c0) equal the
    plain 3x3 products, on both sides of the branch points (evanescent q_t, q_r included)."""
    rule = quadrature.gauss_rule(U, r, 12)
    sol = fast.solve(U, r, a, rule.kappa, rule.q_n)
    psi, dpsi = fast.forms.wavefunctions(sol)

    def mat(x):  # nested 3x3 of Cz over (K,) -> (K, 3, 3)
        return jnp.stack([jnp.stack([x[i][j].z for j in range(3)], -1) for i in range(3)], -2)

    u, t = mat(sol.u), mat(sol.t)
    q = jnp.stack([x.z for x in sol.q], -1)
    assert np.abs(np.asarray(mat(psi) - u @ t)).max() < 1e-13
    assert np.abs(np.asarray(mat(dpsi) - u @ (q[:, :, None] * t))).max() < 1e-13
    if U > 0:  # k_r = sqrt(1 - U) < k_F: the outer nodes have an evanescent q_r
        assert np.any(np.asarray(q).imag != 0)


@pytest.mark.parametrize("U, r, a", SPECIAL[:3] + [(0.5, 5.2, 0.7)])
def test_default_rule_is_converged(U, r, a):
    """Default graded rule against a refined one: 1e-10 also next to the interface-state kink."""
    names = ("eta_yz_x", "eta_x2-y2_x", "eta_z2_z", "delta_z")
    base = np.array([quantities.get(n).fn(U, r, a) for n in names])
    fine = np.array([quantities.get(n, n=(64, 10, 24)).fn(U, r, a) for n in names])
    assert np.abs(base - fine).max() < 1e-10


def test_float32_fast_path():
    f = quantities.get("eta_yz_x").fn
    ref = float(f(0.5, 0.7, 0.4))
    with jax.enable_x64(False):
        v = jax.jit(f)(jnp.float32(0.5), jnp.float32(0.7), jnp.float32(0.4))
        assert v.dtype == jnp.float32
    assert abs(float(v) - ref) < 1e-4 * max(1.0, abs(ref))


def test_gradient_is_exact_through_forward_jacobian():
    """jax.grad (through the custom JVP) equals central differences, also to second order
    (reverse = forward mode is in tests/test_gradients.py)."""
    f = jax.jit(quantities.get("eta_yz_x").fn)
    g = jax.jit(jax.grad(f, argnums=(0, 1, 2)))(0.45, 1.3, 0.6)
    h = 1e-5
    fd = (f(0.45, 1.3 + h, 0.6) - f(0.45, 1.3 - h, 0.6)) / (2 * h)
    assert abs(g[1] - fd) < 1e-7
    # only the perturbed parameters are pushed forward; second derivatives work too
    h2 = jax.jit(jax.grad(jax.grad(f, argnums=2), argnums=2))(0.45, 1.3, 0.6)
    fd2 = (f(0.45, 1.3, 0.6 + 1e-4) - 2 * f(0.45, 1.3, 0.6) + f(0.45, 1.3, 0.6 - 1e-4)) / 1e-8
    assert abs(h2 - fd2) < 1e-4 * max(1.0, abs(fd2))


def test_dipole_weights_follow_the_injected_axis():
    vec = np.array([0.3, -0.1 + 0.2j, 0.5])
    ndip = transport.injected_dipole(vec)
    rho = profiles.density_matrix(vec)
    fast = transport._ratio_core(0.5, 0.7, 0.4, rho, ndip, 24)
    ref = transport._ratio_core_reference(0.5, 0.7, 0.4, rho, ndip, 24)
    assert abs(float(fast) - float(ref)) < 1e-12
    assert DIPOLES == ("Lx", "Ly", "Lz")


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


@pytest.mark.parametrize("kind", ["density", "current", "torque"])
def test_depth_average_equals_the_mode_pair_expansion(kind):
    """fast.depth_average (closed-form solve, one node sum) against profiles.expansion (6x6
    LAPACK solve, mode-pair tables) on the same Gauss rule, at the surface and in depth."""
    ops = ("Lz", "Lyz", "Lx2-y2")
    for U, r, a in [(0.5, 0.7, 0.4), (-0.3, 0.0, 1.2)]:
        for j in "xz":
            rho = profiles.density_matrix(j)
            for z in (0.0, 17.0):
                n = profiles.nodes_for_depth(z)
                ex = profiles.expansion(U, r, a, jnp.asarray(rho), ops, n)
                coef = ex.density if kind == "density" else ex.current
                want = (profiles.derivative if kind == "torque" else profiles.evaluate)(
                    coef, ex.exponent, jnp.array([z])
                )
                for k, op in enumerate(ops):
                    got = float(fast.depth_average(U, r, a, z, rho, op, kind, n))
                    assert abs(got - float(want[k, 0])) < 1e-13


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
    # d/dz of the current is the torque density (PHYSICS.md §7)
    tau = float(fast.depth_average(0.4, 1.1, 0.7, 3.0, rho, "Lz", "torque", 30))
    assert abs(g[3] - tau) < 1e-12
    traced = jax.jit(lambda p, rh: fast.depth_average(p[0], p[1], p[2], p[3], rh, "Lz", "current", 30))
    assert abs(float(traced(p, jnp.asarray(rho))) - float(f(p))) < 1e-15


def test_current_change_is_the_mean_torque_of_the_reference_path():
    """c = J(inf) - J(0) and c(D) = J(D) - J(0) on the fast path against the mode-pair path."""
    for j in "xz":
        rho, ndip = profiles.density_matrix(j), transport.injected_dipole(j)
        for d in (np.inf, 3.0):
            for U, r, a in [(0.5, 0.7, 0.4), (0.8, 6.0, 0.3)]:
                ref = float(transport._mean_torque_core_reference(U, r, a, jnp.asarray(rho), jnp.asarray(ndip), d, 30))
                fast = float(transport._mean_torque_core(U, r, a, rho, ndip, jnp.asarray(d), 30))
                assert abs(fast - ref) < 1e-13
    with pytest.raises(ValueError, match="kind"):
        fast.depth_average(0.5, 0.7, 0.4, 1.0, profiles.density_matrix("z"), "Lz", "flux")
