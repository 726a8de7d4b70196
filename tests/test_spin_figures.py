"""The spinful model's conversion figure (docs/theory.md §12): its data agree with
jaxorb.spin.conversion, lam = 0 carries no spin, the r = 0 limit of §12 is drawn apart from the
lam = 0 value, and the plot is written."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from jaxorb import bench, figures, plotting, spin
from jaxorb.spin import compiling

NODES = 16
PARAMS = (0.5, 0.5, 0.3)  # U, r, alpha of the profiles


@pytest.fixture(scope="module")
def data():
    return figures.figspin_data(
        *PARAMS,
        lam_profiles=(-0.3, 0.0, 0.1),
        z_max=4.0,
        nz=5,
        r_curves=(0.0, 0.5),
        lam_range=(-0.4, 0.6),
        n_lam=11,
        rounds=1,
        nodes=NODES,
    )


def _curve(d, r, alpha):
    return next(i for i, c in enumerate(d["curves"]) if c["r"] == r and c["alpha"] == alpha)


def _at(d, lam):
    return int(np.argmin(np.abs(np.asarray(d["lam"]) - lam)))


@pytest.mark.slow
def test_data_are_finite_and_documented(data):
    assert set(data) - {"keys"} <= set(data["keys"])
    for key in ("far_field", "interface"):
        assert np.all(np.isfinite(data[key]))
    for inc in ("z", "x"):
        for kind in ("density", "current"):
            for vals in data["profiles"][inc][kind].values():
                assert np.all(np.isfinite(vals))
    lam = np.asarray(data["lam"])
    assert np.all(np.diff(lam) > 0) and len(lam) > 11
    # the singular points are kept clear of, and the curves' lam -> 0 limits are sampled
    assert data["singular_lam"] == [0.5, -0.25]
    for s in data["singular_lam"]:
        assert np.abs(lam - s).min() >= 0.99 * figures.LAM_GAP
    assert {0.0, figures.LAM_0PLUS, -figures.LAM_0PLUS} <= set(lam.tolist())


def test_curves_match_spin_conversion(data):
    U, r, alpha = PARAMS
    c = _curve(data, r, alpha)
    for lam in (-0.3, 0.1):
        i = _at(data, lam)
        assert data["lam"][i] == lam
        far = float(spin.conversion(U, r, alpha, lam, nodes=NODES))
        assert abs(data["far_field"][c][i] - far) < 1e-12


def test_profiles_agree_with_the_curves(data):
    # the profiles (general path) and the curves (fast path) at the same (U, r, alpha, lam)
    c = _curve(data, PARAMS[1], PARAMS[2])
    prof = data["profiles"]["z"]
    for k, lam in enumerate(data["lam_profiles"]):
        i = _at(data, lam)
        left = prof["current_left"][k]
        assert abs(prof["conversion_inf"][k] - data["far_field"][c][i]) < 1e-12
        assert abs(prof["current"]["Sz"][k][0] / left - data["interface"][c][i]) < 1e-12
    # |L_x> makes S_x only, |L_z> S_z only (mirror symmetries)
    for inc, other in (("z", ("Sx", "Sy")), ("x", ("Sy", "Sz"))):
        for name in other:
            assert np.abs(data["profiles"][inc]["density"][name]).max() < 1e-12


def test_lam_zero_carries_no_spin(data):
    k = data["lam_profiles"].index(0.0)
    for inc in ("z", "x"):
        prof = data["profiles"][inc]
        for name in ("Sx", "Sy", "Sz"):
            assert np.abs(prof["density"][name][k]).max() < 1e-14
            assert np.abs(prof["current"][name][k]).max() < 1e-14
        # the orbital current of the injected dipole does not vanish
        assert prof["current_left"][k] > 0.1
    i = _at(data, 0.0)
    assert np.abs(data["at_lam0"]).max() < 1e-14
    assert np.abs(np.asarray(data["interface"])[:, i]).max() < 1e-14


def test_r0_limit_is_apart_from_the_lam0_value(data):
    # docs/theory.md §12: at r = 0 (alpha = 0) J_Sz(inf)/J_Lz(0-) -> 2/9 as lam -> 0, either sign,
    # but is 0 at lam = 0; at r > 0 the far field goes to 0 with lam
    lim = data["limit_lam0"]
    assert np.allclose(lim[_curve(data, 0.0, 0.0)], 2 / 9, atol=1e-5)
    assert min(lim[_curve(data, 0.0, PARAMS[2])]) > 0.1
    assert np.abs(lim[_curve(data, 0.5, PARAMS[2])]).max() < 1e-4


def test_invalid_parameters_are_refused():
    with pytest.raises(ValueError, match="lam"):
        figures.figspin_data(lam_profiles=(0.5,))
    with pytest.raises(ValueError, match="r must satisfy"):
        figures.figspin_data(r_curves=(-2.0,))
    with pytest.raises(ValueError, match="lam_range"):
        figures.figspin_data(lam_range=(0.3, -0.3))


def test_plot_is_written(data, tmp_path):
    assert "figspin" in plotting.FIGURES
    files = plotting.plot_figspin(plotting._json_safe(data), tmp_path)
    assert [f.rsplit(".", 1)[1] for f in files] == ["png", "pdf"]
    for f in files:
        assert (tmp_path / f.rsplit("/", 1)[1]).stat().st_size > 5000


# ---------------------------------------------------------------------------------------------
# The spinful rows of `jaxorb bench`


def test_numpy_spin_baseline_matches_conversion():
    """The stacked 12x12 NumPy baseline (benchmarks/numpy_baseline.py) agrees with the package."""
    r, lam = np.array([0.5, 2.0]), np.array([0.1, -0.15])
    inputs = bench.spin_numpy_inputs(r, lam, NODES)
    base = bench.numpy_baseline().spin_conversion(bench.SPIN_U, bench.SPIN_ALPHA, r, *inputs)
    for i in range(2):
        ref = float(spin.conversion(bench.SPIN_U, r[i], bench.SPIN_ALPHA, lam[i], nodes=NODES))
        assert abs(base[i] - ref) < 1e-12


@pytest.mark.slow
def test_bench_spin_rows_at_tiny_size(tmp_path):
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_spin.py"
    spec = importlib.util.spec_from_file_location("_bench_spin", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    argv = ["--size", "2", "--repeats", "1", "--baseline-points", "2", "--check-points", "2", "--no-gradient"]
    script.main(argv + ["--out", str(tmp_path)])
    rec = json.loads((tmp_path / "spin.json").read_text())
    assert rec["target"] == "spin" and rec["points"] == 4
    assert rec["median_s"] > 0 and rec["eta_yz_x_median_s"] > 0 and rec["ratio_to_eta"] > 0
    assert rec["speedup_vs_numpy"] > 0 and rec["compile_s"] > 0
    # the timed map computes the physics: NumPy, the general path and twice the nodes agree with it
    assert rec["baseline_vs_jax_max_abs"] < 1e-12
    assert rec["max_diff_vs_general_path"] < 1e-12
    assert rec["double_nodes_points"] == 4 and rec["max_diff_vs_double_nodes"] < 1e-6
    assert rec["targets"]["gradient / forward"]["met"] is None
    assert rec["gradient_compiler_options"] == compiling.CPU_DERIVATIVE_OPTIONS  # recorded with the times
    assert {"jax", "jaxlib", "device_kind", "dtype", "load_avg"} <= set(rec["env"])
    text = bench.table([rec])
    for row in ("spin map", "spin np", "spin comp"):
        assert row in text
    assert "spin grad" not in text and "eta" in bench.device_table([rec])
