"""The spinful model through the public API: Params(lam=...), jo.conversion, jo.profile, the conv_*
quantities in sweeps and optimisation, and the command line (docs/theory.md §12)."""

from __future__ import annotations

import importlib
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


@pytest.mark.slow
def test_conversion_wraps_the_spin_module():
    p = jo.Params(*POINT)
    for at in ("inf", 0.0):
        got = float(jo.conversion(p, "z", "Sz", at, nodes=NODES))
        assert got == float(spin.conversion(*POINT, "z", "Sz", at, nodes=NODES)) and abs(got) > 1e-3, at
    # the spinless forms of the injection: |L_z> by direction and as |m=+1>
    want = float(jo.conversion(p, "z", nodes=NODES))
    for same in (jo.along((0, 0, 2)), "m=+1", jo.amplitudes(1, 0, 0)):
        assert float(jo.conversion(p, same, nodes=NODES)) == pytest.approx(want, abs=1e-14)


@pytest.mark.slow
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


@pytest.mark.slow
def test_conversion_gradient_in_lam_matches_central_differences():
    # lam = 0 included: a helicity 1/2 band coincides with the 3/2 band there (one-sided rule)
    h = 1e-5
    for lam in (0.1, -0.15, 0.0):
        value, grad = _CONV_GRAD(lam)
        up, dn = (float(jo.conversion(jo.Params(0.5, 0.5, 0.3, lam + s), nodes=NODES)) for s in (h, -h))
        fd = (up - dn) / (2 * h)
        assert float(value) == pytest.approx(float(jo.conversion(jo.Params(0.5, 0.5, 0.3, lam), nodes=NODES)))
        assert abs(float(grad) - fd) < 1e-6 * max(1.0, abs(fd)) and abs(fd) > 1e-3, (lam, grad, fd)


# ---------------------------------------------------------------------------------------------
# jo.profile with lam


@pytest.mark.slow
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
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32'"):
        jo.profile(p, Z, "z", dtype="float16")
    with pytest.raises(ValueError, match="observable must be one of"):
        jo.profile(p, Z, "z", observables=("Sw",))
    with pytest.raises(ValueError, match="z must satisfy"):
        jo.profile(p, [-1.0], "z")


# ---------------------------------------------------------------------------------------------
# conv_* quantities and sweeps

SWEEP = dict(U=0.5, r=[0.3, 1.0, 2.0], alpha=0.3, lam=[-0.2, 0.1, 0.3], nodes=NODES, quiet=True)


@pytest.fixture(scope="module")
def conv_sweep():
    return jo.sweep(["conv_Sz_z", "conv0_Sz_z"], **SWEEP)


def test_conversion_quantities_are_listed_with_unit_and_meaning():
    listed = {q.name: q for q in jo.list_quantities("conv*")}
    assert set(listed) == {f"{k}_S{j}_{j}" for k in ("conv", "conv0") for j in "xyz"}
    assert all(q.uses_lam and q.unit == "1" and not q.uses_z for q in listed.values())
    assert "J_Sz(inf)/J_Lz(0-)" in listed["conv_Sz_z"].description
    assert "J_Sx(0)/J_Lx(0-)" in listed["conv0_Sx_x"].description
    assert not any(q.uses_lam for q in jo.list_quantities("eta_*"))
    with pytest.raises(ValueError, match="vanishes by symmetry"):
        jo.sweep("conv_Sx_z", lam=0.1)


@pytest.mark.slow
def test_sweep_of_conversions_is_jo_conversion_point_by_point(conv_sweep):
    ds = conv_sweep
    assert ds["conv_Sz_z"].dims == ("r", "lam") and ds["lam"].attrs["units"] == "E_F"
    assert "spinful" in ds.attrs["model"] and ds.attrs["nodes"] == NODES
    for i, r in enumerate(SWEEP["r"]):
        for k, lam in enumerate(SWEEP["lam"]):
            p = jo.Params(SWEEP["U"], r, SWEEP["alpha"], lam)
            far = float(jo.conversion(p, "z", "Sz", nodes=NODES))
            near = float(jo.conversion(p, "z", "Sz", at=0.0, nodes=NODES))
            assert float(ds["conv_Sz_z"][i, k]) == pytest.approx(far, abs=1e-13)
            assert float(ds["conv0_Sz_z"][i, k]) == pytest.approx(near, abs=1e-13)
    assert np.abs(ds["conv_Sz_z"].values).min() > 1e-3


def test_sweep_checks_lam_before_compiling(monkeypatch):
    sweep_mod = importlib.import_module("jaxorb.sweep")  # the module (jaxorb.sweep is the function)

    def no_compile(*args, **kwargs):
        raise AssertionError("compiled before refusing")

    monkeypatch.setattr(sweep_mod, "evaluator", no_compile)
    for kwargs, words in [
        (dict(quantities=["conv_Sz_z", "eta_yz_x"], lam=0.1), r"taken only by the spinful .*\['eta_yz_x'\] do not"),
        (dict(quantities="eta_yz_x", lam=[0.1, 0.2]), "conv_S<j>_<j>"),
        (dict(quantities="conv_Sz_z"), r"need lam: pass lam="),
        (dict(quantities="conv_Sz_z", lam=[0.1, 2.5]), "lam must satisfy -2 <= lam <= 2"),
        (dict(quantities="conv_Sz_z", U=[0.2, 0.5], lam=[0.1, 0.8]), r"lam = 1 - U .*got U = 0.2, lam = 0.8"),
        (dict(quantities="conv_Sz_z", U=0.5, lam=np.linspace(-0.5, 0, 11)), r"lam = -\(1 - U\)/2"),
        (dict(quantities="conv_Sz_z", lam=0.1, z=[0.0, 1.0]), "z is only used by depth quantities"),
    ]:
        with pytest.raises(ValueError, match=words):
            jo.sweep(kwargs.pop("quantities"), **kwargs)


# ---------------------------------------------------------------------------------------------
# optimisation over lam

SPIN_BOX = {"r": (0.2, 2.0), "alpha": (0.0, 1.0), "lam": (-0.2, 0.2)}


def test_optimisation_checks_lam_before_compiling():
    from jaxorb import optimize

    assert optimize.objective_axes("conv_Sz_z") == ("r", "alpha", "lam")
    assert optimize.objective_axes("eta_yz_x") == ("r", "alpha")
    assert optimize.objective_axes(lambda p: p.r, {"lam": (0.0, 0.1)}) == ("r", "alpha", "lam")
    for kwargs, words in [
        (dict(objective="eta_yz_x", bounds={"lam": (0.0, 0.1)}), "does not take lam"),
        (dict(objective="conv_Sz_z", bounds={"lam": (-0.3, 0.1)}), r"enclose the singular point lam = -\(1 - U\)/2"),
        (dict(objective="conv_Sz_z", bounds={"lam": (0.1, 3.0)}), "lam must satisfy -2 <= lam <= 2"),
        (dict(objective="conv_Sz_z", p0=jo.Params(0.5, 1.0, 0.2)), "p0.lam must be given"),
        (dict(objective="eta_yz_x", p0=jo.Params(0.5, 1.0, 0.2, 0.1)), "spinless model"),
        (dict(objective="conv_Sz_z", p0=jo.Params(0.5, 1.0, 0.2, 0.3), bounds=SPIN_BOX), "starting points must lie"),
    ]:
        with pytest.raises(ValueError, match=words):
            jo.maximize(kwargs.pop("objective"), kwargs.pop("p0", None), steps=2, nodes=NODES, **kwargs)


@pytest.mark.slow
def test_maximising_a_conversion_over_r_alpha_and_lam_climbs_within_the_bounds():
    """A few steps of the default optimiser raise J_Sz(inf)/J_Lz(0-) from every start and stay in
    the box (a compile of the fast path's forward-mode gradient: tens of seconds)."""
    res = jo.maximize("conv_Sz_z", bounds=SPIN_BOX, starts=2, steps=6, seed=3, nodes=NODES, progress=False)
    assert res.axes == ("r", "alpha", "lam") and res.starts.shape == (2, 3) and res.finals.shape == (2, 3)
    values = res.history["value"]
    assert values.shape == (7, 2) and np.all(values[-1] > values[0])
    for key, (lo, hi) in SPIN_BOX.items():
        assert np.all(res.history[key] >= lo) and np.all(res.history[key] <= hi)
    best = res.params
    assert best.lam is not None and res.value == pytest.approx(
        float(jo.conversion(best, "z", "Sz", nodes=NODES)), abs=1e-12
    )
    record = res.to_json()
    assert record["optimum"]["lam"] == best.lam and record["units"]["lam"] == "E_F"
    assert "lam = " in repr(res)


@pytest.mark.slow
def test_float32_on_request_agrees_with_float64_to_the_stated_error():
    """Conversions (fast path, also 0.02 from the singular line lam = 1 - U) and profiles (general
    path, 0.1 or more from the singular lines) in float32 against float64 (docs/theory.md §12)."""
    from jaxorb.spin import public

    worst = 0.0
    for U, r, alpha, lam in [(0.5, 0.5, 0.3, 0.1), (-0.4, 6.0, -0.8, -0.55), (0.18, 7.66, 0.3, 0.84)]:
        p = jo.Params(U, r, alpha, lam)
        single = jo.conversion(p, "z", "Sz", nodes=NODES, dtype="float32")
        assert single.dtype == np.float32
        worst = max(worst, abs(float(single) - float(jo.conversion(p, "z", "Sz", nodes=NODES))))
    assert 0.0 < worst <= public.FLOAT32_ERROR
    worst = 0.0
    for U, r, alpha, lam in [(0.5, 0.5, 0.3, 0.1), (0.6, 4.85, -0.3, 0.51)]:
        p = jo.Params(U, r, alpha, lam)
        single = jo.profile(p, Z, "x", nodes=PROFILE_NODES, dtype="float32")
        double = jo.profile(p, Z, "x", nodes=PROFILE_NODES)
        for key in ("density", "current", "torque", "torque_soc"):
            for name, val in getattr(single, key).items():
                assert val.dtype == np.float32, (key, name)
                worst = max(worst, float(np.abs(np.asarray(val, float) - np.asarray(getattr(double, key)[name])).max()))
    assert 0.0 < worst <= public.FLOAT32_PROFILE_ERROR


# ---------------------------------------------------------------------------------------------
# command line


def test_cli_sweep_prints_the_conversions_of_the_api(conv_sweep, capsys):
    from jaxorb import cli

    argv = ["sweep", "--quantity", "conv_Sz_z", "--quantity", "conv0_Sz_z", "--U", "0.5", "--alpha", "0.3"]
    argv += ["--r", ",".join(map(str, SWEEP["r"])), "--lam", ",".join(map(str, SWEEP["lam"])), "--nodes", str(NODES)]
    assert cli.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "# U = 0.5 E_F, alpha = 0.3 hbar^2/2m" and lines[1].split()[:4] == [
        "r",
        "[hbar^2/2m]",
        "lam",
        "[E_F]",
    ]
    rows = np.array([[float(x) for x in line.split()] for line in lines[2:]])
    assert rows.shape == (9, 4)
    np.testing.assert_allclose(rows[:, 2], conv_sweep["conv_Sz_z"].values.ravel(), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(rows[:, 3], conv_sweep["conv0_Sz_z"].values.ravel(), rtol=1e-11, atol=1e-14)
    with pytest.raises(SystemExit, match="jaxorb sweep: .*need lam: pass lam= \\(CLI: --lam\\)"):
        cli.main(["sweep", "--quantity", "conv_Sz_z"])
    with pytest.raises(SystemExit, match="jaxorb sweep: lam must satisfy"):
        cli.main(["sweep", "--quantity", "conv_Sz_z", "--lam", "1:3:3"])
    with pytest.raises(SystemExit, match="jaxorb sweep: .*eta_Lyz_x'\\] do not take it"):
        cli.main(["sweep", "--quantity", "eta_Lyz_x", "--lam", "0.1"])


def test_cli_lists_the_conversions(capsys):
    from jaxorb import cli

    assert cli.main(["quantities", "conv*"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert sorted(row.split()[0] for row in rows) == sorted(q.name for q in jo.list_quantities("conv*"))
    assert any(row.startswith("conv_Sz_z ") and "J_Sz(inf)/J_Lz(0-)" in row for row in rows)


def test_cli_optimize_passes_lam_bounds_and_starts(tmp_path, monkeypatch, capsys):
    """The CLI's part: --lam lo:hi in the grammar of --r, starts with lam, the landscape at the
    optimum's lam (the optimiser itself is tested above; here it is replaced, nothing compiles)."""
    from jaxorb import cli, optimize, plotting

    seen = {}

    def fake_maximize(objective, p0, **kwargs):
        seen.update(objective=objective, p0=p0, **kwargs)
        best = jo.Params(p0.U, float(p0.r[0]), float(p0.alpha[0]), float(p0.lam[0]))
        x = np.stack([p0.r, p0.alpha, p0.lam], axis=1)
        history = {"r": x[None, :, 0], "alpha": x[None, :, 1], "lam": x[None, :, 2], "value": np.zeros((1, len(x)))}
        return optimize.OptimizeResult(
            best,
            0.1,
            0.0,
            x,
            x,
            np.zeros(len(x)),
            history,
            objective,
            kwargs["bounds"],
            1,
            0.0,
            axes=optimize.SPIN_AXES,
        )

    def fake_landscape(objective, U, bounds, shape, nodes=None, lam=None):
        seen["landscape_lam"] = lam
        return np.linspace(0, 1, shape[0]), np.linspace(0, 1, shape[1]), np.zeros(shape)

    monkeypatch.setattr(optimize, "maximize", fake_maximize)
    monkeypatch.setattr(optimize, "landscape", fake_landscape)
    monkeypatch.setattr(plotting, "plot_landscape", lambda *args: ["landscape.png"])
    base = ["optimize", "--objective", "conv_Sz_z", "--quiet", "--out", str(tmp_path)]
    assert cli.main([*base, "--lam", "-0.1:0.2", "--r", "0.5:2", "--starts-at", "1,0.5,0.1;1.5,0.2,-0.05"]) == 0
    assert seen["bounds"]["lam"] == (-0.1, 0.2) and seen["bounds"]["r"] == (0.5, 2.0)
    np.testing.assert_array_equal(seen["p0"].lam, [0.1, -0.05])
    assert seen["landscape_lam"] == 0.1 and "lam = 0.100000" in capsys.readouterr().out
    assert cli.main([*base, "--starts", "3"]) == 0  # default lam bounds, random starts inside them
    assert seen["bounds"]["lam"] == optimize.DEFAULT_LAM_BOUNDS and np.shape(seen["p0"].lam) == (3,)
    assert np.all(np.abs(seen["p0"].lam) <= 0.2)
    for extra, words in [
        (["--lam", "-0.3:0.1"], "enclose the singular point"),
        (["--lam", "0.1"], "--lam '0.1' fixes the parameter at one value"),
        (["--starts-at", "1,0.5"], "one triple r,alpha,lam"),
    ]:
        with pytest.raises(SystemExit, match=words):
            cli.main([*base, *extra])
    with pytest.raises(SystemExit, match="--lam is taken only by the spinful objectives"):
        cli.main(["optimize", "--objective", "eta_Lyz_x", "--lam", "0:0.1", "--out", str(tmp_path)])
