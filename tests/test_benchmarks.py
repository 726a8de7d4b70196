"""Smoke tests: every benchmark script and ``jaxorb bench`` run at a tiny size."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from jaxorb import bench, cli

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


def _script(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH_DIR / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _check_env(rec):
    env = rec["env"]
    for key in ("jax", "jaxlib", "device_kind", "dtype", "load_avg"):
        assert key in env, key


@pytest.mark.slow
def test_grid_script(tmp_path):
    rec = _script("bench_grid").main(
        ["--size", "2", "--repeats", "1", "--baseline-points", "2", "--check-points", "2", "--out", str(tmp_path)]
    )
    _check_env(rec)
    saved = json.loads((tmp_path / "grid.json").read_text())
    assert saved["points"] == 4 and saved["median_s"] > 0 and saved["speedup_vs_numpy"] > 0
    assert saved["kappa_nodes_per_point"] > 0 and saved["baseline_per_point_us"] > 0
    # the baseline computes the same numbers as the JAX pipeline
    for name in bench.GRID_NAMES:
        assert saved["baseline_vs_jax"][name]["max_abs"] < 1e-11, name
    assert saved["max_abs_error"] < 1e-8


def test_fig1_script(tmp_path):
    rec = _script("bench_fig1").main(["--depths", "16", "--repeats", "1", "--out", str(tmp_path)])
    _check_env(rec)
    saved = json.loads((tmp_path / "fig1.json").read_text())
    assert saved["depths"] == 16 and saved["max_abs_error"] < 1e-8


@pytest.mark.slow
def test_gradient_script(tmp_path):
    rec = _script("bench_gradient").main(["--size", "2", "--repeats", "1", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "gradient.json").read_text())
    assert saved["ratio"] > 0 and saved["max_abs_diff_vs_central_differences"] < 1e-6
    _check_env(rec)


@pytest.mark.slow
def test_flop_count_script(tmp_path):
    rec = _script("flop_count").main(["--points", "4", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "flop_count.json").read_text())
    rows = saved["rows"]
    assert set(rows) == {"grid (4 quantities)", "eta_yz^x forward", "eta_yz^x gradient (r, alpha)"}
    fwd = rows["eta_yz^x forward"]["real_flops_per_point"]
    # the kappa sum alone is 144 nodes x a few flops; a gradient costs more than its forward pass
    assert fwd > 1e4 and rows["eta_yz^x gradient (r, alpha)"]["real_flops_per_point"] > fwd
    assert saved["gradient_flop_ratio"] == rec["gradient_flop_ratio"] > 1.0
    _check_env(rec)


def test_flop_counter_weights():
    """Complex multiply 6, complex add 2, real multiply 1, dots 2 or 8 per multiply-add."""
    count = _script("flop_count").count
    hlo = """
  %p0 = c128[4]{0} parameter(0)
  %p1 = f64[4,3]{1,0} parameter(1)
  %m = c128[4]{0} multiply(%p0, %p0)
  %a = c128[4]{0} add(%m, %p0)
  %r = f64[4,3]{1,0} multiply(%p1, %p1)
  %s = f64[4]{0} sqrt(%r)
  %d = f64[4]{0} dot(%p1, %v), lhs_contracting_dims={1}
"""
    c = count(hlo)
    assert c["flops"] == 4 * 6 + 4 * 2 + 12 * 1 + 4 * 3 * 2
    assert c["transcendentals"] == 4 and c["divides"] == 0


@pytest.mark.slow
def test_compile_script_and_cli_table(tmp_path, capsys):
    rec = _script("bench_compile").main(["--size", "2", "--depths", "8", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "compile.json").read_text())
    assert saved["no_recompilation"], saved["recompilations_on_new_values"]
    assert saved["total_compile_s"] > 0
    _check_env(rec)
    text = bench.device_table([rec])
    assert "compile" in text


def test_cli_bench_parser():
    args = cli.build_parser().parse_args(["bench", "--size", "2", "--out", "x"])
    assert args.size == 2 and args.out == "x" and args.func is cli._bench


@pytest.mark.slow
def test_numpy_baseline_matches_reference_at_a_point():
    """The NumPy baseline (benchmarks/numpy_baseline.py) agrees with the package."""
    import jaxorb as jo

    r, a = np.array([0.7, 3.45]), np.array([0.4, 0.0])
    kap, w = bench.kappa_nodes(0.5, r)
    base = bench.numpy_baseline().interface_quantities(0.5, r, a, kap, w)
    for i in range(2):
        p = jo.Params(0.5, r[i], a[i])
        eta = jo.efficiency(p, "x", "Lyz")
        assert abs(base["eta_yz_x"][i] - float(eta)) < 1e-11
        assert abs(base["delta_z"][i] - float(jo.memory_loss(p, "z"))) < 1e-10


def test_missing_baseline_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(bench, "BASELINE_PATH", tmp_path / "numpy_baseline.py")
    with pytest.raises(RuntimeError, match="clone of the jaxorb repository"):
        bench.numpy_baseline()


@pytest.mark.slow
def test_depth_script(tmp_path):
    rec = _script("bench_depth").main(["--size", "2", "--repeats", "1", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "depth.json").read_text())
    assert saved["points"] == 4 and len(saved["rows"]) == 5
    for name, row in saved["rows"].items():
        # both paths compute the same numbers on the same rule
        assert row["max_abs_diff"] < 1e-12, name
        assert row["fast_median_s"] > 0 and row["baseline_median_s"] > 0
    _check_env(rec)
