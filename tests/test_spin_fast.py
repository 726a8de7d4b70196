"""The mirror-split fast path for interface currents against the general spinful path."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from jaxorb import spin
from jaxorb.spin import api, fast

pytestmark = pytest.mark.slow  # one compile of the unrolled fast path

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
