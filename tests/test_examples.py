"""Examples run end to end (so the generated documents cannot rot)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_paper_comparison_generates_table(tmp_path):
    out = tmp_path / "cmp.md"
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "paper_comparison.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    text = out.read_text()
    for needle in ("-870", "-1770", "-720", "-900", "-1140", "-580", "k_t = 0.5774", "eta_yz^x"):
        assert needle in text


@pytest.mark.slow
def test_optimize_example_runs(tmp_path):
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "optimize_efficiency.py"), "--steps", "20", "--starts", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert "best: eta_yz^x" in res.stdout and "delta" in res.stdout


@pytest.mark.slow
def test_dense_sweep_example_runs(tmp_path):
    args = ["--size", "8", "--steps", "5", "--nodes", "4", "--out", "map"]
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "dense_sweep.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert "optimum (jo.maximize)" in res.stdout and "points/s" in res.stdout
    assert (tmp_path / "map.png").stat().st_size > 5000 and (tmp_path / "map.zarr" / "zarr.json").is_file()
