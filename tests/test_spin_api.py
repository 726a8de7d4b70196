"""The spinful model through the public API: Params(lam=...), jo.conversion, jo.profile, the conv_*
quantities in sweeps and optimisation, and the command line (docs/theory.md §12)."""

from __future__ import annotations

import pickle

import jax
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import params, spin, transport
from jaxorb.spin import fast

#: Small rules where convergence is not what is tested: every call below shares these, so each
#: jitted core compiles once for the module.
NODES = 8
PROFILE_NODES = 24
Z = np.array([0.0, 1.3, 5.0])


# ---------------------------------------------------------------------------------------------
# Params with lam


def test_params_without_lam_are_the_three_field_tuple():
    p = jo.Params(0.1, 0.2, 0.3)
    U, r, alpha = p
    assert (U, r, alpha) == (0.1, 0.2, 0.3) and len(p) == 3 and p == (0.1, 0.2, 0.3) and p[-1] == 0.3
    assert repr(p) == "Params(U=0.1, r=0.2, alpha=0.3)" and p._asdict() == {"U": 0.1, "r": 0.2, "alpha": 0.3}
    assert jax.tree_util.tree_leaves(p) == [0.1, 0.2, 0.3] and p.lam is None
    assert pickle.loads(pickle.dumps(p)) == p and hash(p) == hash((0.1, 0.2, 0.3))
    np.testing.assert_array_equal(np.asarray(jax.numpy.asarray(p)), [0.1, 0.2, 0.3])


def test_params_with_lam_are_four_fields_and_differentiable():
    p = jo.Params(0.1, 0.2, 0.3, lam=0.4)
    assert tuple(p) == (0.1, 0.2, 0.3, 0.4) and len(p) == 4 and p != jo.Params(0.1, 0.2, 0.3)
    assert jo.Params(0.1, 0.2, 0.3)._replace(lam=0.4) == p and p._replace(lam=None) == (0.1, 0.2, 0.3)
    assert pickle.loads(pickle.dumps(p)) == p and jax.tree_util.tree_leaves(p) == [0.1, 0.2, 0.3, 0.4]
    doubled = jax.tree_util.tree_map(lambda x: 2 * x, p)
    assert isinstance(doubled, jo.Params) and doubled.lam == 0.8
    g = jax.grad(lambda q: q.U * q.lam)(jo.Params(1.0, 2.0, 3.0, 4.0))
    assert isinstance(g, jo.Params) and float(g.lam) == 1.0 and float(g.U) == 4.0


def test_lam_range_and_singular_points_are_refused_with_their_messages():
    assert params.domain_text("lam").startswith("-2 <= lam <= 2 (spin-orbit strength")
    assert set(jo.PARAM_RANGES) == {"U", "r", "alpha", "lam"}
    for bad, words in [
        (jo.Params(0.5, 0.5, 0.0, 2.5), "lam must satisfy -2 <= lam <= 2"),
        (jo.Params(0.5, 0.5, 0.0, np.nan), "lam must be finite"),
        (jo.Params(0.5, 0.5, 0.0, 0.5), r"lam = 1 - U .*got U = 0.5, lam = 0.5"),
        (jo.Params(0.5, 0.5, 0.0, [0.1, -0.25]), r"lam = -\(1 - U\)/2 .*got U = 0.5, lam = -0.25"),
        (jo.Params([0.1, 0.2], 0.5, 0.0, [0.1, 0.2, 0.3]), "U, r, alpha and lam must broadcast"),
        (jo.Params(0.5, 0.5, 0.0), "lam .* is needed for the spinful model"),
    ]:
        with pytest.raises(ValueError, match=words):
            jo.conversion(bad)
        if bad.lam is not None:
            with pytest.raises(ValueError, match=words):
                jo.profile(bad, [0.0])
    assert params.check_params(jo.Params(0.5, [0.1, 0.2], 0.0, [[0.0], [0.3]]), spin=True) == (2, 2)


def test_spinless_functions_refuse_lam_before_compiling():
    before = transport._run_core._cache_size()
    p = jo.Params(0.5, 0.5, 0.0, 0.1)
    for call in (
        lambda: jo.efficiency(p),
        lambda: jo.current_ratio(p),
        lambda: jo.memory_loss(p),
        lambda: jo.mean_torque(p),
    ):
        with pytest.raises(ValueError, match="lam .* spinless model .* jaxorb.conversion"):
            call()
    assert transport._run_core._cache_size() == before


def _fast_conversion(n):
    rho = spin.incident_density("z")

    def f(x):
        c = fast.interface_currents(x[0], x[1], x[2], x[3], rho, ("Lz", "Sz"), n)
        return jax.numpy.stack([c["inf"][1] / c["left"][0], c["right"][1] / c["left"][0]])

    return jax.jit(lambda xs: jax.lax.map(f, xs))


@pytest.mark.slow
def test_lam_edges_are_converged_with_the_default_rule():
    """At lam = -2 and 2 (and U, r, alpha across their ranges with r <= 10) the default spinful
    rule agrees with one three times finer to params.SPIN_ACCURACY."""
    lo, hi = jo.PARAM_RANGES["lam"].low, jo.PARAM_RANGES["lam"].high
    pts = [
        (U, r, a, lam)
        for U in (-100.0, -1.0, 0.5, 0.99)
        for r in (-0.99, 0.5, 10.0)
        for a in (-10.0, 0.7, 10.0)
        for lam in (lo, hi)
        if abs(lam - (1 - U)) > 1e-3 and abs(lam + (1 - U) / 2) > 1e-3
    ]
    xs = jax.numpy.array(pts)
    default = np.asarray(_fast_conversion(spin.quadrature.DEFAULT_NODES)(xs))
    fine = np.asarray(_fast_conversion(3 * spin.quadrature.DEFAULT_NODES)(xs))
    assert np.all(np.isfinite(default)) and np.abs(fine).max() > 1e-2
    err = np.abs(default - fine).max(axis=1)
    assert err.max() < params.SPIN_ACCURACY, pts[int(np.argmax(err))]


# ---------------------------------------------------------------------------------------------
# jo.conversion

POINT = (0.7, 0.25, 0.2, -0.2)


def test_conversion_wraps_the_spin_module():
    p = jo.Params(*POINT)
    for at in ("inf", 0.0):
        got = float(jo.conversion(p, "z", "Sz", at, nodes=NODES))
        assert got == float(spin.conversion(*POINT, "z", "Sz", at, nodes=NODES)) and abs(got) > 1e-3, at
    # the spinless forms of the injection: |L_z> by direction and as |m=+1>
    want = float(jo.conversion(p, "z", nodes=NODES))
    for same in (jo.along((0, 0, 2)), "m=+1", jo.amplitudes(1, 0, 0)):
        assert float(jo.conversion(p, same, nodes=NODES)) == pytest.approx(want, abs=1e-14)


def test_conversion_vanishes_without_spin_orbit_and_broadcasts():
    zero = jo.conversion(jo.Params(0.5, 1.3, 0.4, 0.0), "z", "Sz", nodes=NODES)
    assert abs(float(zero)) < 1e-14
    lam = np.array([[-0.2], [0.0], [0.3]])
    r = np.array([0.25, 1.5])
    grid = np.asarray(jo.conversion(jo.Params(0.5, r, 0.2, lam), "z", "Sz", nodes=NODES))
    assert grid.shape == (3, 2)
    for i, j in np.ndindex(grid.shape):
        one = float(jo.conversion(jo.Params(0.5, r[j], 0.2, lam[i, 0]), "z", "Sz", nodes=NODES))
        assert grid[i, j] == pytest.approx(one, abs=1e-14)
    assert np.abs(grid[0]).min() > 1e-3 and np.abs(grid[1]).max() < 1e-14


_CONV_GRAD = jax.jit(jax.value_and_grad(lambda lam: jo.conversion(jo.Params(0.5, 0.5, 0.3, lam), nodes=NODES)))


def test_conversion_gradient_in_lam_matches_central_differences():
    h = 1e-5
    for lam in (0.1, -0.15):
        value, grad = _CONV_GRAD(lam)
        up, dn = (float(jo.conversion(jo.Params(0.5, 0.5, 0.3, lam + s), nodes=NODES)) for s in (h, -h))
        fd = (up - dn) / (2 * h)
        assert float(value) == pytest.approx(float(jo.conversion(jo.Params(0.5, 0.5, 0.3, lam), nodes=NODES)))
        assert abs(float(grad) - fd) < 1e-6 * max(1.0, abs(fd)) and abs(fd) > 1e-3, (lam, grad, fd)


# ---------------------------------------------------------------------------------------------
# jo.profile with lam


def test_profile_with_lam_is_the_spinful_profile_and_the_spinless_one_at_lam_zero():
    """One compile: lam = (0, -0.2) broadcast; the lam = 0 row is the spinless profile, the other
    has spin currents whose spin-orbit torques cancel those on L (docs/theory.md §12)."""
    U, r, alpha = 0.35, 1.7, 0.8
    spinless = jo.profile(jo.Params(U, r, alpha), Z, "x")
    spinful = jo.profile(jo.Params(U, r, alpha, np.array([0.0, -0.2])), Z, "x", nodes=PROFILE_NODES)
    assert type(spinless) is jo.Profile and type(spinful) is spin.SpinProfile
    assert set(spinful.current) == set(jo.OPERATOR_NAMES) | {"Sx", "Sy", "Sz"}
    assert np.shape(spinful.current["Sx"]) == (2, len(Z)) and np.shape(spinful.current_inf["Sx"]) == (2,)
    for name in jo.OPERATOR_NAMES:
        for key in ("density", "current", "torque"):
            got, want = np.asarray(getattr(spinful, key)[name][0]), np.asarray(getattr(spinless, key)[name])
            np.testing.assert_allclose(got, want, atol=1e-10, err_msg=f"{key} {name}")
        assert abs(float(spinful.current_left[name][0]) - float(spinless.current_left[name])) < 1e-10
    for name in ("Sx", "Sy", "Sz"):
        assert np.abs(np.asarray(spinful.current[name][0])).max() < 1e-13
    assert np.abs(np.asarray(spinful.density["Lx"])).max() > 0.1
    assert np.abs(np.asarray(spinful.current["Sx"][1])).max() > 1e-3
    soc = spinful.torque_soc
    for axis in "xyz":
        np.testing.assert_allclose(np.asarray(soc["L" + axis]), -np.asarray(soc["S" + axis]), atol=1e-13)
    assert np.abs(np.asarray(soc["Sx"][1])).max() > 1e-4


def test_profile_with_lam_refuses_what_the_spinful_model_does_not_take():
    p = jo.Params(0.7, 0.25, 0.2, -0.2)
    with pytest.raises(ValueError, match="phi_points is not taken"):
        jo.profile(p, Z, "z", phi_points=6)
    with pytest.raises(ValueError, match="float64"):
        jo.profile(p, Z, "z", dtype="float32")
    with pytest.raises(ValueError, match="observable must be one of"):
        jo.profile(p, Z, "z", observables=("Sw",))
    with pytest.raises(ValueError, match="z must satisfy"):
        jo.profile(p, [-1.0], "z")
