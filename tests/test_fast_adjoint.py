"""The hand-written reverse pass (jaxorb.fast.adjoint) against forward-mode derivatives of the same
quadrature, and the custom derivative of jaxorb.fast.reduce_currents in both modes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxorb import fast, profiles, quantities

# (injection, right operators, left operators): the sets the quantities use, and a wide one
CASES = [
    ("x", ("Lyz",), ("Lx",)),
    ("z", ("Lz", "Lz2"), ("Lz",)),
    ("y", ("Lx2-y2", "Lzx", "Ly"), ("Lx", "Ly", "Lz")),
]


def _raw_currents(U, r, a, rho, right, left, nodes):
    """The currents of ``right`` then ``left`` with no custom derivative (plain JAX autodiff)."""
    specs = tuple(("right", n, rho) for n in right) + tuple(("left", n, rho) for n in left)
    return fast.packed_currents(U, r, a, specs, nodes)


def _points(seed, count):
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-0.8, 0.9), rng.uniform(-0.6, 6.0), rng.uniform(-2.0, 2.0)) for _ in range(count)]


@pytest.mark.parametrize("nodes", [None, 12])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.slow
def test_adjoint_matches_forward_mode(case, nodes):
    """Dot-product test: <ct, J v> from one jax.jvp equals <currents_vjp(ct), v>."""
    j, right, left = case
    rho = profiles.density_matrix(j)
    rng = np.random.default_rng(1)
    for U, r, a in _points(2, 1):
        ct = rng.normal(size=len(right) + len(left))
        v = rng.normal(size=3)
        _, jv = jax.jvp(lambda *p: _raw_currents(*p, rho, right, left, nodes), (U, r, a), tuple(v))
        ref = float(ct @ np.array(jv))
        got = np.array(fast.currents_vjp(U, r, a, rho, right, left, nodes, jnp.asarray(ct)))
        np.testing.assert_allclose(got @ v, ref, rtol=1e-11, atol=1e-13)
        # without the U column the other two are unchanged and U's is zero
        got2 = np.array(fast.currents_vjp(U, r, a, rho, right, left, nodes, jnp.asarray(ct), with_u=False))
        np.testing.assert_allclose(got2[1:], got[1:], rtol=1e-13, atol=1e-15)
        assert got2[0] == 0.0


def _eta_forward_reference(U, r, a, nodes=None):
    """eta_yz^x with the forward-mode custom derivative (jaxorb.fast.forward_jacobian)."""
    rho = profiles.density_matrix("x")

    def value(U, r, a):
        cur = _raw_currents(U, r, a, rho, ("Lyz",), ("Lx",), nodes)
        return cur[0] / cur[1]

    return fast.forward_jacobian(value)(U, r, a)


@pytest.mark.slow
def test_reduce_currents_gradient_both_modes_match_forward_reference():
    eta = quantities.get("eta_yz_x").fn
    for U, r, a in _points(3, 1):
        ref = np.array(jax.jacfwd(_eta_forward_reference, argnums=(0, 1, 2))(U, r, a))
        rev = np.array(jax.grad(lambda *p: eta(*p, 0.0), argnums=(0, 1, 2))(U, r, a))
        fwd = np.array(jax.jacfwd(lambda *p: eta(*p, 0.0), argnums=(0, 1, 2))(U, r, a))
        np.testing.assert_allclose(rev, ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(fwd, ref, rtol=1e-10, atol=1e-12)
        # a single tangent (jax.jvp) and a partial gradient (U fixed: the adjoint skips U)
        _, t = jax.jvp(lambda r, a, U=U: eta(U, r, a, 0.0), (r, a), (0.3, -0.7))
        np.testing.assert_allclose(t, 0.3 * ref[1] - 0.7 * ref[2], rtol=1e-10, atol=1e-12)
        g_ra = np.array(jax.grad(lambda r, a, U=U: eta(U, r, a, 0.0), argnums=(0, 1))(r, a))
        np.testing.assert_allclose(g_ra, ref[1:], rtol=1e-10, atol=1e-12)


@pytest.mark.slow
def test_gradient_matches_central_differences_under_jit_and_vmap():
    eta = quantities.get("eta_x2-y2_x").fn
    pts = np.array(_points(4, 6))
    U = 0.5
    r, a = jnp.asarray(pts[:, 1]), jnp.asarray(pts[:, 2])
    g = jax.jit(jax.vmap(jax.grad(lambda r, a: eta(U, r, a, 0.0), argnums=(0, 1))))(r, a)
    f = jax.jit(jax.vmap(lambda r, a: eta(U, r, a, 0.0)))
    h = 1e-6
    fd_r = (f(r + h, a) - f(r - h, a)) / (2 * h)
    fd_a = (f(r, a + h) - f(r, a - h)) / (2 * h)
    np.testing.assert_allclose(np.array(g[0]), np.array(fd_r), atol=2e-8)
    np.testing.assert_allclose(np.array(g[1]), np.array(fd_a), atol=2e-8)


@pytest.mark.slow
def test_vector_outputs_give_the_forward_mode_jacobian():
    """More output values than perturbed parameters: Jacobian by pushforwards, same values."""
    rho = profiles.density_matrix("z")
    ops = ("Lz", "Lz2")
    U, r, a = 0.3, 1.2, 0.4
    jr = jax.jacrev(lambda a: jnp.stack(sum(fast.surface_currents(U, r, a, rho, ops, ops), ())))(a)
    jf = jax.jacfwd(lambda a: _raw_currents(U, r, a, rho, ops, ops, None))(a)
    np.testing.assert_allclose(np.array(jr), np.array(jf), rtol=1e-12, atol=1e-14)


@pytest.mark.slow
def test_ratio_and_memory_loss_gradients_match_central_differences():
    ratio = quantities.get("ratio_z").fn
    delta = quantities.get("delta_z").fn
    U, r, a = 0.5, 0.8, 0.6
    for fn in (ratio, delta):
        rev = np.array(jax.grad(lambda r, a, fn=fn: fn(U, r, a, 0.0), argnums=(0, 1))(r, a))
        h = 1e-6
        fd = [
            (fn(U, r + h, a, 0.0) - fn(U, r - h, a, 0.0)) / (2 * h),
            (fn(U, r, a + h, 0.0) - fn(U, r, a - h, 0.0)) / (2 * h),
        ]
        np.testing.assert_allclose(rev, np.array(fd), atol=1e-7)
