"""Compiler options of the spinful derivative programs (jaxorb.spin.compiling)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxorb.spin import compiling


def test_cpu_derivative_options_are_xla_options_and_leave_values_unchanged():
    assert jax.default_backend() == "cpu"
    assert compiling.derivative_compiler_options() == compiling.CPU_DERIVATIVE_OPTIONS
    # XLA refuses an unknown option name when compiling, so a value shows the options are real
    with pytest.raises(Exception, match="No such compile option"):
        jax.jit(lambda x: x + 1, compiler_options={"xla_cpu_no_such_option": False})(1.0)
    g = jax.grad(lambda x: jnp.sin(x) ** 2 * jnp.exp(-x))
    xs = jnp.linspace(-2.0, 2.0, 7)
    got = compiling.jit_derivative(jax.vmap(g))(xs)
    np.testing.assert_allclose(np.asarray(got), np.asarray(jax.jit(jax.vmap(g))(xs)), rtol=1e-15, atol=0)
    want = np.exp(-xs) * (np.sin(2 * xs) - np.sin(xs) ** 2)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-13, atol=1e-15)
