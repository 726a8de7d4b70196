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


def _fast_vector(U, r, alpha, lam):
    """(J_Lz(inf), J_Sz(inf), J_Lz(0-), J_Sz(0+)) for |L_z> injection."""
    c = currents(U, r, alpha, lam)
    return jnp.stack([c["inf"][0], c["inf"][1], c["left"][0], c["right"][1]])


_FAST_JAC = jax.jit(jax.jacrev(_fast_vector, argnums=(0, 1, 2, 3)))


def _jac(point):
    return np.stack([np.asarray(col) for col in _FAST_JAC(*point)], axis=-1)  # (4 outputs, 4 params)


def _central(point, i, h):
    up, dn = list(point), list(point)
    up[i] += h
    dn[i] -= h
    return (np.asarray(_fast_vector(*up)) - np.asarray(_fast_vector(*dn))) / (2 * h)


def test_fast_gradients_match_central_differences():
    # the custom forward-mode rule (reverse mode transposes it) must give the derivative of the
    # integral, moving nodes included; the conversion J_Sz(inf)/J_Lz(0-) by the quotient rule
    for point in [(0.5, 0.5, 0.3, 0.1), (0.3, 2.0, -0.7, -0.3)]:
        jac = _jac(point)
        val = np.asarray(_fast_vector(*point))
        grad = (jac[1] * val[2] - val[1] * jac[2]) / val[2] ** 2
        for i in range(4):
            fd = _central(point, i, 1e-5)
            np.testing.assert_allclose(jac[:, i], fd, atol=1e-7, err_msg=f"{point} {i}")
            ratio_fd = (fd[1] * val[2] - val[1] * fd[2]) / val[2] ** 2
            assert abs(grad[i] - ratio_fd) < 1e-6 * max(1.0, abs(ratio_fd)), (point, i, grad[i], ratio_fd)


@pytest.mark.parametrize("point", [(0.3, 0.5, 0.7, 0.0), (0.3, -0.5, 0.7, 0.0)])
def test_derivatives_at_lam_zero_where_a_half_band_meets_the_three_half_band(point):
    """At lam = 0 the far field is continuous and smooth in lam, but the bands split: the pair of
    coinciding bands dephases at once and the zero-width kappa segment between their branch
    points opens. d/dlam is that of the split bands (d/dlam J_Sz(inf) was off by a third, and
    d/dlam J_Lz(inf) was 3e-2 where it vanishes), d/dr and d/dU keep the coincidence."""
    jac = _jac(point)
    for i in range(4):
        np.testing.assert_allclose(jac[:, i], _central(point, i, 1e-6), atol=1e-7, err_msg=f"{point} {i}")


@pytest.mark.parametrize("lam", [0.2, -0.2])
def test_r_derivative_at_r_zero_is_that_of_the_split_bands(lam):
    """At r = 0 the far field jumps (the non-commuting limit of docs/theory.md §12): d/dr there is
    the derivative of the split-band far field, which is smooth through r = 0, so it equals a
    central difference that straddles r = 0 (converging as sqrt(h) from the quadrature next to
    the coinciding branch points); d/dlam keeps the coincidence."""
    point = (0.5, 0.0, 0.3, lam)
    jac = _jac(point)
    np.testing.assert_allclose(jac[:, 1], _central(point, 1, 1e-9), atol=2e-5)
    np.testing.assert_allclose(jac[:, 3], _central(point, 3, 1e-6), atol=1e-7)
    assert np.all(np.isfinite(jac))


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


def test_derivatives_where_a_band_touches_the_fermi_circle():
    """At (U, r, alpha, lam) = (0.3, 0, 0.7, -0.3) the 3/2 band has |k| = k_F exactly: its branch
    point sits at kappa = 1, where the kappa rule parks an empty segment. A step that lowers |k|
    opens that segment next to kappa = 1 (where every current carries the vanishing flux factor
    q_N), one that raises it leaves the rule unchanged, and the currents are smooth in U and lam
    there: the derivatives equal one-sided differences (before: off by 0.1 and more)."""
    point = (0.3, 0.0, 0.7, -0.3)
    jac = _jac(point)
    h = 1e-7
    base = np.asarray(_fast_vector(*point))
    for i in (0, 2, 3):
        step = list(point)
        step[i] += h
        np.testing.assert_allclose(jac[:, i], (np.asarray(_fast_vector(*step)) - base) / h, atol=1e-6, err_msg=str(i))
    assert np.all(np.isfinite(jac))


def test_interface_rows_are_the_asked_entries_of_interface_currents():
    """Only the asked currents are computed (one program per set of rows), equal to the full set's
    entries, with the same derivatives; a kind other than right/left/inf is refused."""
    point = (0.5, 0.5, 0.3, 0.1)
    rows = (("inf", "Sz"), ("left", "Lz"), ("right", "Sz"), ("inf", "Lz"))
    got = np.asarray(fast.interface_rows(*point, RHO_Z, rows, NODES))
    full = currents(*point)
    want = [full[kind][NAMES.index(name)] for kind, name in rows]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    jac = np.stack(jax.jacfwd(lambda *p: fast.interface_rows(*p, RHO_Z, rows, NODES), argnums=(0, 1, 2, 3))(*point), -1)
    ref = _jac(point)  # rows of _fast_vector: J_Lz(inf), J_Sz(inf), J_Lz(0-), J_Sz(0+)
    np.testing.assert_allclose(jac, ref[[1, 2, 3, 0]], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="kind"):
        fast.interface_rows(*point, RHO_Z, (("middle", "Sz"),), NODES)
