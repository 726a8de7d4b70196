"""Forward-mode derivative rules of the fast path (jaxorb.fast.derivatives)."""

import jax
import pytest

from jaxorb import quantities


@pytest.mark.slow
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
