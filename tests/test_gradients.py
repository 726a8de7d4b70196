"""Exact gradients through the whole pipeline: solve, moving quadrature nodes, root."""

import functools

import compiled
import jax
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import quadrature, quantities

# generic points and points where a branch point sits next to a segment edge:
# r = 1e-3 (k_t -> k_r: the middle segment nearly vanishes), U = 0.02 (k_r -> k_F),
# U = -0.4, r = 0.41 (k_t -> k_F)
POINTS = [(0.5, 0.5, 0.3), (0.3, 1.2, 0.7), (0.5, 1e-3, 0.2), (0.02, 0.8, 0.4), (-0.4, 0.41, 0.6)]
NAMES = ["eta_yz_x", "eta_z2_z", "delta_z", "c_z", "density_Lx_x"]


def central(f, p, i, h=1e-5):
    up, dn = list(p), list(p)
    up[i] += h
    dn[i] -= h
    return (f(*up) - f(*dn)) / (2 * h)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    value, grad = compiled.value(name), compiled.gradient(name)

    def f(U, r, a):
        return value(U, r, a, 5.0)  # z = 5 for the density

    for p in POINTS:
        g = np.array(grad(*p, 5.0))
        assert np.all(np.isfinite(g)), (name, p)
        h = [1e-5, min(1e-5, 0.1 * p[1]), 1e-5]
        fd = np.array([central(f, p, i, h[i]) for i in range(3)])
        scale = max(np.abs(fd).max(), 1e-2)
        assert np.abs(g - fd).max() < 1e-6 * scale, (name, p, g, fd)


def test_node_placement_is_differentiated():
    """The kappa nodes move with U and r: d/dr of the rule's integral of a smooth function
    equals the derivative of the exact integral (not of a fixed-grid sum)."""

    def integral(U, r):
        kappa, w = quadrature.kappa_rule(U, r, 16)
        return (w * kappa**4).sum()  # disk average of kappa^4 = 1/3, whatever U and r

    g = jax.grad(integral, argnums=(0, 1))(0.5, 0.7)
    assert abs(integral(0.5, 0.7) - 1 / 3) < 1e-14
    assert max(abs(g[0]), abs(g[1])) < 1e-12

    def partial_integral(U, r):  # int_0^{k_t} 2 kappa dkappa = k_t^2 = (1 - U)/(1 + r)
        kappa, w = quadrature.kappa_rule(U, r, 16)
        return w[:16].sum()

    assert abs(jax.grad(partial_integral, argnums=1)(0.5, 0.7) + 0.5 / 1.7**2) < 1e-13


@functools.cache
def profile_gradient():
    z = np.array([0.0, 5.0])
    return jax.jit(jax.grad(lambda r: jo.profile(jo.Params(0.5, r, 0.0), z, "x", nodes=24).density["Lx"][1]))


@pytest.mark.parametrize("r", [1e-12, 0.0])
@pytest.mark.slow
def test_gradient_finite_at_vanishing_crystal_field(r):
    for name in ("eta_yz_x", "eta_z2_z", "c_z", "delta_z"):
        g = np.array(compiled.gradient(name)(0.5, r, 0.0, 0.0))
        assert np.all(np.isfinite(g)), (name, r, g)
    assert np.isfinite(profile_gradient()(r))


@pytest.mark.slow
def test_forward_and_reverse_mode_agree():
    # the reverse-mode gradient is the one the other tests compile; forward mode is compiled here
    rev = compiled.gradient("eta_yz_x")(0.4, 0.9, 0.5, 0.0)
    fwd = jax.jit(jax.jacfwd(quantities.get("eta_yz_x").fn, argnums=(0, 1, 2)))(0.4, 0.9, 0.5, 0.0)
    assert np.allclose(np.array(rev), np.array(fwd), atol=1e-13)
