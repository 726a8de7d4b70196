"""The mirror-split fast path for interface currents against the general spinful path."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxorb import spin
from jaxorb.spin import api, fast

pytestmark = pytest.mark.slow  # compiles of the fast path, its derivative and the general path

NAMES = ("Lz", "Sz")
NODES = 16
RHO_Z = spin.incident_density("z")


def currents(U, r, alpha, lam):
    return fast.interface_currents(U, r, alpha, lam, RHO_Z, NAMES, NODES)


@pytest.mark.parametrize(
    "U,r,alpha,lam",
    [
        (0.5, 0.5, 0.3, 0.1),
        (0.3, 2.0, -0.7, -0.3),
        (0.3, 0.0, 0.7, -0.3),
        (0.3, 0.5, 0.7, 0.0),
        (-0.4, -0.5, 1.5, 0.45),
    ],
)
def test_fast_interface_currents_match_general_path(U, r, alpha, lam):
    a = currents(U, r, alpha, lam)
    b = api.profile_arrays(U, r, alpha, lam, jnp.asarray(RHO_Z), jnp.array([0.0, 1.0]), names=NAMES, n=NODES)
    np.testing.assert_allclose(np.asarray(a["right"]), np.asarray(b["current"][:, 0]), atol=1e-13)
    np.testing.assert_allclose(np.asarray(a["left"]), np.asarray(b["current_left"]), atol=1e-13)
    np.testing.assert_allclose(np.asarray(a["inf"]), np.asarray(b["current_inf"]), atol=1e-13)


def _fast_ratio(U, r, alpha, lam):
    c = currents(U, r, alpha, lam)
    return c["inf"][1] / c["left"][0]


_FAST_GRAD = jax.jit(jax.grad(_fast_ratio, argnums=(0, 1, 2, 3)))


def test_fast_gradients_match_central_differences_and_stay_finite():
    # the custom forward-mode rule must give the derivative of the integral, moving nodes included
    h = 1e-5
    for point in [(0.5, 0.5, 0.3, 0.1), (0.3, 2.0, -0.7, -0.3)]:
        grad = np.asarray(_FAST_GRAD(*point))
        for i in range(4):
            up, dn = list(point), list(point)
            up[i] += h
            dn[i] -= h
            fd = (float(_fast_ratio(*up)) - float(_fast_ratio(*dn))) / (2 * h)
            assert abs(grad[i] - fd) < 1e-6 * max(1.0, abs(fd)), (point, i, grad[i], fd)
    # a helicity 1/2 band meets the 3/2 band exactly at r = 0 and at lam = 0
    for point in [(0.5, 0.0, 0.3, 0.2), (0.5, 0.5, 0.3, 0.0)]:
        assert np.all(np.isfinite(np.asarray(_FAST_GRAD(*point))))


def test_fast_path_with_other_injection_and_probability_current():
    # |L_x> injection fills other harmonics; the probability current "1" is conserved at z = 0
    rho = spin.incident_density("x")
    names = ("Lx", "Sx", "1")
    a = fast.interface_currents(0.4, 0.8, 0.6, 0.25, rho, names, NODES)
    b = api.profile_arrays(0.4, 0.8, 0.6, 0.25, jnp.asarray(rho), jnp.array([0.0]), names=names, n=NODES)
    np.testing.assert_allclose(np.asarray(a["right"]), np.asarray(b["current"][:, 0]), atol=1e-12)
    np.testing.assert_allclose(np.asarray(a["left"]), np.asarray(b["current_left"]), atol=1e-12)
    np.testing.assert_allclose(np.asarray(a["inf"]), np.asarray(b["current_inf"]), atol=1e-12)
    assert abs(float(a["right"][2]) - float(a["left"][2])) < 1e-12
