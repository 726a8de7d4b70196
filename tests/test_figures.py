"""Figure data: grids that read as written, curves sampled where they bend (the eta_yz^x peak of
Fig. 3c), the non-commuting r -> 0 limit of Fig. 2e, and summary.json documenting every key."""

import json

import numpy as np
import pytest

import jaxorb as jo
from jaxorb import figures, plotting


def test_grids_are_exact_decimals():
    z = figures.grid(0.0, 60.0, 601)
    assert z.tolist() == [k / 10 for k in range(601)]
    assert json.dumps(figures.grid(0.0, 2.0, 81).tolist()[:4]) == "[0.0, 0.025, 0.05, 0.075]"


def test_refine_puts_points_on_a_sharp_peak():
    width = 0.1  # a quarter of the initial spacing: the equally spaced grid misses the top

    def f(x):
        return np.stack([1 / (1 + ((x - 3.43) / width) ** 2), 0.01 * x])

    x0 = figures.grid(0.0, 20.0, 81)
    x, y = figures.refine(f, x0)
    assert np.all(np.diff(x) > 0) and set(x0) <= set(x)
    assert f(x0)[0].max() < 0.7
    assert np.abs(x - 3.43).min() < 0.05
    assert y[0].max() > 0.97  # the peak is drawn at its height, not cut
    np.testing.assert_allclose(y, f(x))
    # batches have a fixed size: a jitted f compiles once
    sizes = []
    figures.refine(lambda v: sizes.append(v.size) or f(v), x0, rounds=3, batch=40)
    assert sizes == [81, 40, 40, 40]


@pytest.fixture(scope="module")
def fig3():
    return figures.fig3_data(n_points=41, alpha_max=0.5, transparencies=(2.0,))


@pytest.mark.slow
def test_fig3c_samples_the_eta_yz_peak(fig3):
    r = np.asarray(fig3["r"])
    eta = np.asarray(fig3["eta_vs_r"]["eta_yz_x"])
    fine = np.linspace(3.3, 3.6, 41)  # the shape of fig3's batches: no new compilation
    ref = np.asarray(jo.efficiency(jo.Params(0.5, fine, 0.0), "x", "Lyz"))
    peak = fine[np.argmax(ref)]
    assert np.abs(r - peak).min() < 0.05
    assert eta[(r > 3.0) & (r < 4.0)].max() > ref.max() - 5e-3
    assert np.all(np.diff(r) > 0) and r[0] == 0.0 and r[-1] == 20.0
    assert set(fig3) - {"keys"} <= set(fig3["keys"])


@pytest.mark.slow
def test_fig2_marks_the_noncommuting_limit_and_documents_keys():
    d = figures.fig2_data(r_curves=(0.0,), r_max=1.0, nr=5, z_max=1.0, nz=2)
    # at z -> inf the r = 0 value and the limit r -> 0+ differ (the precession length diverges) ...
    assert abs(d["at_inf"]["Lz"][0] - d["at_inf_0plus"]["Lz"]) > 0.1
    # ... and the curve at small r > 0 joins the limit, not the r = 0 value
    near = d["at_inf"]["Lz"][1]  # r = 0.25
    assert abs(near - d["at_inf_0plus"]["Lz"]) < abs(near - d["at_inf"]["Lz"][0])
    assert d["wavelength"][0] is None
    assert set(d) - {"keys"} <= set(d["keys"])


@pytest.mark.slow
def test_summary_json_is_strict_documented_and_exact(tmp_path):
    summary = plotting.reproduce(tmp_path, which=("fig1",), progress=lambda *_: None)
    text = (tmp_path / "summary.json").read_text()
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert set(data) - {"keys"} <= set(data["keys"])
    fig = data["figures"]["fig1"]
    assert set(fig) - {"keys"} <= set(fig["keys"])
    assert fig["z"][:4] == [0.0, 0.1, 0.2, 0.3] and "0.30000000000000004" not in text
    assert "tau_a2" not in text and "wall_time_s" not in data
    assert summary["files"][-1].endswith("summary.json")
