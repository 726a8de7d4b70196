"""Shared test setup: jaxorb turns on float64 at import; tests run in float64."""

import jax
import numpy as np
import pytest

import jaxorb  # noqa: F401  (enables jax_enable_x64)

assert jax.config.jax_enable_x64


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def random_params(rng, n):
    """n random valid (U, r, alpha) triples over a broad part of the domain."""
    U = rng.uniform(-0.8, 0.9, n)
    r = rng.uniform(-0.7, 6.0, n)
    alpha = rng.uniform(-2.0, 2.0, n)
    return list(zip(U, r, alpha))
