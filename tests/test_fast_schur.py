"""The closed-form 3x3 interface solve (jaxorb.fast.schur) against the reference's 6x6 solve."""

import jax.numpy as jnp
import numpy as np
from fast_helpers import random_point, random_state

from jaxorb import fast, reference
from jaxorb import operators as ops


def _fast_response(U, r, alpha, kappa):
    """(U_m, T) at phi = 0 from the closed-form solve of the fast path: (3, 3) each."""
    kap = jnp.asarray([kappa])
    sol = fast.solve(U, r, alpha, kap, jnp.sqrt(1.0 - kap**2))

    def mat(x):
        return np.array([[complex(np.asarray(x[i][j].complex())[0]) for j in range(3)] for i in range(3)])

    return mat(sol.u), mat(sol.t)


def test_rotation_covariance(rng):
    """psi(kappa, phi; in) = R psi(kappa, 0; R^H in): the fast path's one closed-form solve at
    phi = 0 serves every phi, against the reference's 6x6 solve at phi."""
    for _ in range(20):
        pt = random_point(rng)
        inc = random_state(rng)
        rot = np.diag(np.exp(-1j * pt["phi"] * ops.M_QUANTUM))
        u0, t0 = _fast_response(pt["U"], pt["r"], pt["alpha"], pt["kappa"])
        v = rot.conj().T @ inc
        psi0 = u0 @ (t0 @ v)
        rho0 = psi0 - v
        rho, t, md = reference.solve(pt["U"], pt["r"], pt["alpha"], pt["kappa"], pt["phi"], inc)
        assert np.allclose(rot @ rho0, rho, atol=1e-12)
        assert np.allclose(rot @ psi0, np.asarray(md.u) @ np.asarray(t), atol=1e-12)
