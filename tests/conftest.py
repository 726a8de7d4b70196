"""Shared test setup: the tests run in float64, whatever the environment says."""

import jax
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)

import jaxorb  # noqa: E402,F401

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
