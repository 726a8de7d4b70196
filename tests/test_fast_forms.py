"""Exact phi averages of the fast path (jaxorb.fast.forms)."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxorb import fast, quadrature


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
