"""The spinful named quantities: the conversions evaluated jointly (one interface solve per
injection serves conv_* and conv0_*), and the spin density, current and torque at depth z
(density_S<j>_<j>, current_S<j>_<j>, torque_S<j>_<j>) and the spin-orbit torques
(torque_soc_L<j>_<j>, torque_soc_S<j>_<j>; docs/theory.md §12)."""

from __future__ import annotations

import functools
import importlib
import itertools

import jax
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import cli, quantities, spin

#: Small rules where convergence is not what is tested: every call below shares them, so each
#: jitted core compiles once for the module.
NODES = 8
DEPTH_NODES = 12
POINT = (0.7, 0.25, 0.2)  # U, r, alpha
LAM = -0.2
Z = 1.3
DEPTH_NAMES = [f"{kind}_S{j}_{j}" for kind in ("density", "current", "torque") for j in "xyz"]
CONVERSIONS = ("conv_Sz_z", "conv0_Sz_z", "conv_Sx_x", "conv0_Sx_x")

sweep_mod = importlib.import_module("jaxorb.sweep")  # the module (jaxorb.sweep is the function)


# ---------------------------------------------------------------------------------------------
# names, metadata, refusals (nothing compiled)


def test_spin_depth_quantities_are_listed_with_the_units_of_the_orbital_ones(capsys):
    listed = {q.name: q for q in quantities.list_quantities("*_S*") if not q.name.startswith("torque_soc")}
    assert set(listed) == set(DEPTH_NAMES) | {f"{k}_S{j}_{j}" for k in ("conv", "conv0") for j in "xyz"}
    for name in DEPTH_NAMES:
        q, kind = listed[name], name.split("_")[0]
        assert q.uses_lam and q.uses_z and q.aliases == () and quantities.canonical(name) == name
        assert q.unit == quantities.info(f"{kind}_Lx_x").unit and "needs lam" in q.description
        got = quantities.get(name, n=DEPTH_NODES)
        assert (got.unit, got.description, got.label, got.uses_z, got.uses_lam) == tuple(q[1:5]) + (True,)
    assert "J_Sz(z)" in listed["current_Sz_z"].description and "<Sx>(z)" in listed["density_Sx_x"].description
    assert listed["torque_Sy_y"].label == r"$\tau_{S_{y}}^{y}$"
    assert not any(q.uses_lam for q in quantities.list_quantities("density_L*"))
    assert cli.main(["quantities", "current_S*"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert sorted(row.split()[0] for row in rows) == ["current_Sx_x", "current_Sy_y", "current_Sz_z"]
    assert all("density_S<j>_<j>" in text for text in (quantities.SPIN_HELP, quantities.NAMES_HELP))


def test_spin_orbit_torques_are_listed_for_the_injected_axis_only():
    listed = {q.name: q for q in quantities.list_quantities("torque_soc_*")}
    assert set(listed) == {f"torque_soc_{s}{j}_{j}" for j in "xyz" for s in "LS"}
    for q in listed.values():
        assert q.uses_lam and q.uses_z and q.unit == quantities.info("torque_Lx_x").unit
        assert "spin-orbit part" in q.description and "needs lam" in q.description
    assert quantities.canonical("torque_soc_z_z") == "torque_soc_Lz_z"
    assert listed["torque_soc_Lz_z"].aliases == ("torque_soc_z_z",) and listed["torque_soc_Sz_z"].aliases == ()
    for bad in ("torque_soc_Sx_z", "torque_soc_Lz_x", "torque_soc_y_x"):
        with pytest.raises(ValueError, match="spin-orbit torque along . vanishes by symmetry"):
            quantities.info(bad)
    with pytest.raises(ValueError, match="unknown quantity 'torque_soc_Lyz_x'"):
        quantities.info("torque_soc_Lyz_x")
    with pytest.raises(ValueError, match="torque_soc_Sz_z is a quantity of the spinful model: it needs lam"):
        quantities.get("torque_soc_Sz_z", n=DEPTH_NODES).fn(*POINT, Z)


@pytest.mark.parametrize("kind", ["density", "current", "torque", "conv", "conv0"])
def test_spin_components_off_the_injected_axis_are_refused(kind):
    """They vanish by symmetry (checked numerically in test_depth_quantities_are_the_spin_profile)."""
    for j in "xyz":
        for o in "xyz":
            name = f"{kind}_S{o}_{j}"
            if o == j:
                assert quantities.canonical(name) == name
                continue
            with pytest.raises(ValueError, match=f"spin .* along {o} vanishes by symmetry"):
                quantities.info(name)


def test_spinful_quantities_refuse_a_missing_lam_before_compiling(monkeypatch):
    for name in ("density_Sz_z", "torque_Sx_x", "conv_Sz_z"):
        with pytest.raises(ValueError, match=f"{name} is a quantity of the spinful model: it needs lam"):
            quantities.get(name, n=DEPTH_NODES).fn(*POINT, Z)
    with pytest.raises(ValueError, match="conv_Sz_z, current_Sz_z are quantities of the spinful model: they need lam"):
        quantities.joint(("eta_yz_x", "conv_Sz_z", "current_Sz_z"), NODES)(*POINT, Z)

    def no_compile(*args, **kwargs):
        raise AssertionError("compiled before refusing")

    monkeypatch.setattr(sweep_mod, "evaluator", no_compile)
    with pytest.raises(ValueError, match=r"\['current_Sz_z'\] are quantities of the spinful model and need lam"):
        jo.sweep("current_Sz_z", z=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"taken only by the spinful .*\['current_Lz_z'\] do not"):
        jo.sweep(["current_Sz_z", "current_Lz_z"], z=[0.0, 1.0], lam=0.1)


def test_sweep_plans_one_joint_solve_for_the_conversions_and_spinful_depth_nodes():
    """What a sweep will compile, read from its plan (nothing compiled): the conversions go to
    quantities.joint, the spinful depth quantities get the spinful rule's nodes for the deepest z."""
    req = sweep_mod._request(
        ["conv_Sz_z", "conv0_Sz_z", "conv_Sx_x"], 0.5, [0.3, 1.0], 0.3, None, None, 2.0, None, lam=[0.1, 0.2]
    )
    assert req.joint == ("conv_Sz_z", "conv0_Sz_z", "conv_Sx_x") and req.joint_nodes is None
    req = sweep_mod._request(["current_Sz_z", "conv_Sz_z"], 0.5, 0.3, 0.3, [0.0, 9.0], None, 2.0, None, lam=0.1)
    assert req.attrs["depth_nodes"] == spin.api.nodes_for_depth(9.0) > spin.quadrature.DEFAULT_NODES
    assert req.attrs["nodes"] == spin.quadrature.DEFAULT_NODES and req.joint == ("conv_Sz_z",)
    assert req.qs[0].name == "current_Sz_z" and "depth_nodes" in req.attrs["nodes_description"]


# ---------------------------------------------------------------------------------------------
# the conversions evaluated jointly


@pytest.mark.parametrize(
    "names",
    [
        CONVERSIONS[:2],
        pytest.param((CONVERSIONS[0], CONVERSIONS[2], CONVERSIONS[1], CONVERSIONS[3]), marks=pytest.mark.slow),
    ],
    ids=["one-injection", "two-injections"],
)
def test_joint_conversions_are_the_per_quantity_functions(names):
    """One interface_currents per injection serves conv_* and conv0_* (with two injections in
    mixed order: each name gets its own injection's ratio)."""
    got = np.asarray(quantities.joint(names, NODES)(*POINT, 0.0, LAM))
    want = [float(quantities.get(name, NODES).fn(*POINT, 0.0, LAM)) for name in names]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)
    far, near = names.index("conv_Sz_z"), names.index("conv0_Sz_z")
    assert np.abs(got).min() > 1e-5 and abs(got[far] - got[near]) > 1e-3  # far field and interface differ
    single = quantities.joint((names[-1],), NODES)(*POINT, 0.0, LAM)
    assert float(single[0]) == pytest.approx(got[-1], abs=1e-15)


@functools.cache
def _joint_grad():
    joint = quantities.joint(CONVERSIONS[:2], NODES)
    return jax.grad(lambda lam: joint(*POINT, 0.0, lam)[1])


@pytest.mark.slow
def test_joint_conversion_gradient_is_the_per_quantity_gradient():
    """Derivatives pass through the shared solve (the fast path's forward-mode rule; compiling it
    takes tens of seconds)."""
    per = jax.grad(lambda lam: quantities.get("conv0_Sz_z", NODES).fn(*POINT, 0.0, lam))
    g, want = float(_joint_grad()(LAM)), float(per(LAM))
    assert g == pytest.approx(want, abs=1e-12) and abs(g) > 1e-3
    h = 1e-5
    up, dn = (float(quantities.get("conv0_Sz_z", NODES).fn(*POINT, 0.0, LAM + s)) for s in (h, -h))
    assert abs(g - (up - dn) / (2 * h)) < 1e-6 * max(1.0, abs(g))


# ---------------------------------------------------------------------------------------------
# spin density, current and torque at depth


@functools.cache
def _spin_profile(j: str):
    """The public spinful profile (all eleven observables) at Z and Z +- 0.5."""
    return jo.profile(jo.Params(*POINT, LAM), [Z - 0.5, Z, Z + 0.5], incident=j, nodes=DEPTH_NODES)


@pytest.mark.parametrize("j", ["z", pytest.param("x", marks=pytest.mark.slow)])  # one more compile each
def test_depth_quantities_are_the_spin_profile(j):
    """density/current/torque_S<j>_<j> at depth z are jo.profile's values there; the spin
    components along the other axes vanish (why their names are refused)."""
    prof = _spin_profile(j)
    for kind in ("density", "current", "torque"):
        want = np.asarray(getattr(prof, kind)["S" + j])
        fn = quantities.get(f"{kind}_S{j}_{j}", n=DEPTH_NODES).fn
        got = [float(fn(*POINT, z, LAM)) for z in np.asarray(prof.z)]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=kind)
        assert np.abs(want).min() > 1e-3
        for o in "xyz".replace(j, ""):
            assert np.abs(np.asarray(getattr(prof, kind)["S" + o])).max() < 1e-14 * np.abs(want).max() + 1e-15


def test_spin_orbit_torques_are_the_profile_s_and_cancel():
    """torque_soc_Lz_z and torque_soc_Sz_z are jo.profile's torque_soc there; they cancel, and the
    spin torque is all spin-orbit (the crystal field does not act on spin) while L_z also feels
    the crystal field."""
    prof = _spin_profile("z")
    soc_l = quantities.get("torque_soc_Lz_z", n=DEPTH_NODES).fn
    soc_s = quantities.get("torque_soc_Sz_z", n=DEPTH_NODES).fn
    for k, z in enumerate(np.asarray(prof.z)):
        tl, ts = float(soc_l(*POINT, z, LAM)), float(soc_s(*POINT, z, LAM))
        assert tl == pytest.approx(float(prof.torque_soc["Lz"][k]), abs=1e-12)
        assert ts == pytest.approx(float(prof.torque_soc["Sz"][k]), abs=1e-12)
        assert abs(tl + ts) < 1e-12 and abs(ts) > 1e-3
        assert ts == pytest.approx(float(prof.torque["Sz"][k]), abs=1e-12)
        assert abs(float(prof.torque["Lz"][k]) - tl) > 1e-3  # the crystal-field part of dJ_Lz/dz


def test_torque_quantity_is_the_depth_derivative_of_the_current():
    current = quantities.get("current_Sz_z", n=DEPTH_NODES).fn
    torque = quantities.get("torque_Sz_z", n=DEPTH_NODES).fn
    h = 1e-4
    for z in (0.4, Z):
        fd = (float(current(*POINT, z + h, LAM)) - float(current(*POINT, z - h, LAM))) / (2 * h)
        tau = float(torque(*POINT, z, LAM))
        assert abs(tau - fd) < 1e-7 and abs(tau) > 1e-3, (z, tau, fd)


def test_sweep_over_r_lam_and_z_is_the_quantity_point_by_point():
    grid = dict(U=POINT[0], r=[0.25, 1.5], alpha=POINT[2], lam=[LAM, 0.25], z=[0.0, Z])
    ds = jo.sweep("current_Sz_z", **grid, nodes=DEPTH_NODES, quiet=True)
    da = ds["current_Sz_z"]
    assert da.dims == ("r", "lam", "z") and da.attrs["units"] == quantities.info("current_Lz_z").unit
    assert ds.attrs["depth_nodes"] == DEPTH_NODES and "spinful" in ds.attrs["model"]
    fn = quantities.get("current_Sz_z", n=DEPTH_NODES).fn
    for (i, r), (k, lam), (m, z) in itertools.product(*(enumerate(grid[a]) for a in ("r", "lam", "z"))):
        assert float(da[i, k, m]) == pytest.approx(float(fn(grid["U"], r, grid["alpha"], z, lam)), abs=1e-13)
    assert np.abs(da.values).max() > 1e-2
