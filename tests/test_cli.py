"""The main job: `jaxorb reproduce` end to end."""

import json
import subprocess
import sys

import pytest

from jaxorb import cli


@pytest.mark.slow
def test_reproduce_writes_all_figures(tmp_path):
    out = tmp_path / "figs"
    assert cli.main(["reproduce", "--out", str(out), "--quiet"]) == 0
    for name in ("fig1", "fig2", "fig3", "fig4"):
        for ext in ("png", "pdf"):
            f = out / f"{name}.{ext}"
            assert f.exists() and f.stat().st_size > 5000, f
    summary = json.loads((out / "summary.json").read_text())
    figs = summary["figures"]
    assert abs(figs["fig1"]["density"]["x"]["Lx"][0] - 1.62214) < 1e-5
    assert figs["fig1"]["units"]["z"] == "1/k_F"
    assert abs(figs["fig4"]["injections"]["z"]["c_inf"][0] + 0.27471) < 1e-5
    assert len(figs["fig2"]["r"]) == len(figs["fig2"]["wavelength"])


def test_console_entry_point_help():
    res = subprocess.run(
        [sys.executable, "-m", "jaxorb.cli", "reproduce", "--help"], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0 and "--out" in res.stdout


def test_unknown_figure_is_refused(tmp_path):
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "--out", str(tmp_path), "--figures", "fig9"])
