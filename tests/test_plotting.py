"""Rendering: one mathtext notation from the quantities' metadata, the figure panels' marks and
ticks, and sweeps of any dimension drawn with the slice they show (synthetic data: no solves)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402

from jaxorb import plotting, quantities  # noqa: E402
from jaxorb.operators import OPERATOR_NAMES  # noqa: E402


def is_mathtext(s: str) -> bool:
    return s.count("$") >= 2 and s.count("$") % 2 == 0


@pytest.mark.parametrize(
    "name", ["eta_yz_x", "eta_x2-y2_x", "eta_z2_z", "delta_z", "ratio_x", "c_z", "density_Lx_x", "torque_Lz_z"]
)
def test_quantity_labels_are_mathtext_from_metadata(name):
    label = plotting.quantity_label(name)
    assert is_mathtext(label) and label != name
    info = getattr(quantities, "info", None)
    if info is not None:
        assert label == info(name).label


def test_label_falls_back_to_the_datasets_attrs():
    assert plotting.quantity_label("my_objective", {"label": r"$f(r)$"}) == r"$f(r)$"
    assert plotting.quantity_label("my_objective") == "my_objective"


def test_notation_of_parameters_and_derived_labels():
    assert plotting.param_label("alpha") == r"Rashba $\alpha_R$ ($\hbar^2/2m$)"
    assert plotting.param_label("r") == r"crystal field $r$ ($\hbar^2/2m$)"
    assert plotting._derived_label("density_Lyz_x") == r"$\langle L_{yz}\rangle^{x}$"
    assert plotting._derived_label("eta_x2-y2_x") == r"$\eta_{x^2-y^2}^{x}$"
    assert plotting._derived_label("delta_z") == r"$\delta_z$"


def _labels(fig):
    texts = []
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        leg = ax.get_legend()
        if leg is not None:
            texts += [t.get_text() for t in leg.get_texts()] + [leg.get_title().get_text()]
    if fig._suptitle is not None:
        texts.append(fig._suptitle.get_text())
    return [t for t in texts if t]


RAW = ("alpha =", "Lx2-y2", "<L", "|L_", "hbar", "rho_R", "E_F ", "eta_")


def _no_raw_notation(texts):
    for t in texts:
        outside = "".join(t.split("$")[::2])  # the text outside mathtext
        for raw in RAW:
            assert raw not in outside, (raw, t)


@pytest.fixture
def capture(monkeypatch):
    """Keep the figure instead of saving it."""
    figs = []

    def keep(fig, out, name):
        figs.append(fig)
        return [name]

    monkeypatch.setattr(plotting, "_save", keep)
    yield figs
    plt.close("all")


def test_fig1_legends_are_metadata_labels(capture, tmp_path):
    z = np.linspace(0, 10, 11)
    d = {
        "params": {"U": 0.5, "r": 0.5, "alpha": 0.0},
        "k_t": 0.577,
        "k_r": 0.707,
        "z": z.tolist(),
        "density": {j: {o: np.cos(z).tolist() for o in OPERATOR_NAMES} for j in "xz"},
    }
    plotting.plot_fig1(d, tmp_path)
    fig = capture[0]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0] == plotting.quantity_label("density_Lx_x")
    _no_raw_notation(_labels(fig))


def _fig2_data():
    z = np.linspace(0, 10, 11)
    r = np.linspace(0, 10, 41)
    keys = ("Lx", "Lz", "Lyz", "Lx2-y2", "Lz2")
    return {
        "params": {"U": 0.5, "alpha": 0.0},
        "z": z.tolist(),
        "r_curves": [0.0, 0.5],
        "curves": {k: [np.cos(z).tolist()] * 2 for k in keys},
        "r": r.tolist(),
        "at_z0": {k: np.exp(-r).tolist() for k in keys},
        "at_inf": {k: np.r_[0.9, 0.4 * np.exp(-r[1:])].tolist() for k in keys},
        "r_0plus": 1e-6,
        "at_inf_0plus": {k: 0.4 for k in keys},
        "wavelength": [None] + (30.0 / np.sqrt(r[1:]) + 10).tolist(),
        "injection": {"Lx": "x", "Lz": "z", "Lyz": "x", "Lx2-y2": "x", "Lz2": "z"},
    }


def test_fig2_marks_the_r0_limit_and_has_plain_log_ticks(capture, tmp_path):
    plotting.plot_fig2(_fig2_data(), tmp_path)
    fig = capture[0]
    fig.canvas.draw()
    ax_e, ax_f = fig.axes[4], fig.axes[5]
    # (e): the r = 0 values are separate open markers; the curves start at the r -> 0+ limit
    open_markers = [ln for ln in ax_e.lines if ln.get_marker() == "o"]
    assert len(open_markers) == 5 and all(ln.get_xdata()[0] == 0.0 for ln in open_markers)
    curves = [ln for ln in ax_e.lines if ln.get_marker() in ("None", "", None) and len(ln.get_xdata()) > 2]
    assert all(ln.get_ydata()[0] == pytest.approx(0.4) for ln in curves)
    assert any("do not commute" in t.get_text() for t in ax_e.texts)
    # (f): log axis with ticks written as plain numbers
    assert ax_f.get_yscale() == "log"
    ticks = [t.get_text() for t in ax_f.get_yticklabels() if t.get_text()]
    assert len(ticks) >= 2 and all(t.replace(".", "").isdigit() for t in ticks), ticks
    _no_raw_notation(_labels(fig))


def _fig3_data(nan_x: bool):
    a = np.linspace(0, 2, 21)
    r = np.linspace(0, 20, 21)
    ratio_x = 0.99 + 0.1 * a if nan_x else 1 + a
    delta_x = [[None if rx < 1 else 0.1 * x for rx, x in zip(ratio_x, a)] for _ in range(2)]
    effs = ("eta_yz_x", "eta_x2-y2_x", "eta_z2_z")
    return {
        "params": {"U": 0.5, "r_fixed": 0.5},
        "alpha": a.tolist(),
        "r": r.tolist(),
        "transparencies": [1.0, 2.0],
        "current_ratio": {"z": (1 + a).tolist(), "x": ratio_x.tolist()},
        "delta": {"z": {"1.0": a.tolist(), "2.0": a.tolist()}, "x": dict(zip(("1.0", "2.0"), delta_x))},
        "eta_vs_r": {k: np.sin(r).tolist() for k in effs},
        "eta_vs_alpha": {k: np.sin(a).tolist() for k in effs},
    }


def test_fig3_titles_mention_gaps_only_where_there_are_some(capture, tmp_path):
    plotting.plot_fig3(_fig3_data(nan_x=True), tmp_path)
    fig = capture[0]
    assert "no real" not in fig.axes[0].get_title()
    assert "no real" in fig.axes[1].get_title() and "0.10" in fig.axes[1].get_title()
    # the memory-loss parameter has one name, explained once per legend
    for ax in fig.axes[:2]:
        assert ax.get_legend().get_title().get_text().startswith("transparency")
        assert "rho_R" in ax.get_legend().get_title().get_text()
    assert fig.axes[0].get_ylabel().endswith(plotting.quantity_label("delta_z"))
    legend_c = [t.get_text() for t in fig.axes[2].get_legend().get_texts()]
    assert legend_c == [plotting.quantity_label(k) for k in ("eta_yz_x", "eta_x2-y2_x", "eta_z2_z")]
    _no_raw_notation(_labels(fig))
    plotting.plot_fig3(_fig3_data(nan_x=False), tmp_path)
    assert "no real" not in capture[1].axes[1].get_title()


def test_fig4_labels(capture, tmp_path):
    z = np.linspace(0, 10, 11)
    inj = {
        "tau": [np.sin(z).tolist()],
        "c_inf": [-0.27],
        "c_thickness": [-0.28],
        "angular_acceleration_inf": [-780.4],
        "angular_acceleration_thickness": [-800.0],
    }
    d = {"params": {"U": 0.5, "thickness_nm": 10.0}, "z": z.tolist(), "r": [0.5], "injections": {"z": inj, "x": inj}}
    plotting.plot_fig4(d, tmp_path)
    fig = capture[0]
    assert plotting.quantity_label("torque_Lz_z") in fig.axes[0].get_ylabel()
    _no_raw_notation(_labels(fig))


def sweep_3d():
    U, r, a = np.array([0.1, 0.5, 0.9]), np.linspace(0, 4, 5), np.linspace(0, 1, 3)
    vals = U[:, None, None] + r[None, :, None] * a[None, None, :]
    coords = {
        "U": ("U", U, {"units": "E_F"}),
        "r": ("r", r, {"units": "hbar^2/2m"}),
        "alpha": ("alpha", a, {"units": "hbar^2/2m"}),
    }
    return xr.Dataset({"eta_yz_x": (("U", "r", "alpha"), vals, {"units": "1"})}, coords=coords)


def _panels(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def test_plot_sweep_3d_facets_over_the_leading_axis_and_says_so():
    lines = []
    fig = plotting.plot_sweep(sweep_3d(), report=lines.append)
    panels = _panels(fig)
    assert len(panels) == 3
    for ax, u in zip(panels, (0.1, 0.5, 0.9)):
        assert f"U = {u:g}" in ax.get_title() and ax.get_xlabel().startswith("crystal field")
        assert ax.get_title().startswith(plotting.quantity_label("eta_yz_x"))
    # each facet shows its own slice, not the first one
    meshes = [ax.collections[0].get_array() for ax in panels]
    assert not np.allclose(meshes[0], meshes[1])
    # one colour scale for all rows
    assert len({ax.collections[0].get_clim() for ax in panels}) == 1
    assert len(lines) == 1 and "one row per U" in lines[0] and "r x alpha" in lines[0]
    plt.close(fig)


def test_plot_sweep_select_picks_the_nearest_slice_and_says_which():
    lines = []
    fig = plotting.plot_sweep(sweep_3d(), select={"U": 0.45}, report=lines.append)
    (ax,) = _panels(fig)
    assert "U = 0.5" in ax.get_title()
    mesh = np.asarray(ax.collections[0].get_array()).reshape(3, 5)  # (alpha, r) as drawn
    assert np.allclose(mesh.T, sweep_3d()["eta_yz_x"].sel(U=0.5).values)
    assert "nearest sweep value 0.5" in lines[0] and "U = 0.5" in lines[0]
    fig = plotting.plot_sweep(sweep_3d(), select={"U": 0.5, "alpha": 1.0})
    assert len(_panels(fig)[0].lines) == 1  # 1-D: a line over r
    plt.close("all")


@pytest.mark.parametrize(
    "select, match",
    [
        ({"V": 1.0}, "not an axis.*'U', 'r', 'alpha'"),
        ({"U": 2.0}, r"U = 2 is outside .*0.1 <= U <= 0.9"),
        ({"U": "a"}, "number"),
    ],
)
def test_plot_sweep_bad_select(select, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_sweep(sweep_3d(), select=select)


def test_plot_sweep_refuses_four_free_axes():
    ds = sweep_3d().expand_dims(z=[0.0, 1.0])
    with pytest.raises(ValueError, match="fix all but two or three with select"):
        plotting.plot_sweep(ds)
    fig = plotting.plot_sweep(ds, select={"z": 1.0})
    assert len(_panels(fig)) == 3
    plt.close(fig)


class _Result:
    objective = "eta_yz_x"
    starts = np.array([[1.0, 0.5], [3.0, 1.0]])
    history = {"r": np.array([[1.0, 3.0], [2.0, 3.4]]), "alpha": np.array([[0.5, 1.0], [0.2, 0.0]])}
    value = 0.85

    class params:
        U, r, alpha = 0.5, 3.4, 0.0


def test_plot_landscape_writes_png_and_pdf(tmp_path):
    r, a = np.linspace(0, 5, 6), np.linspace(0, 1, 4)
    paths = plotting.plot_landscape(_Result(), (r, a, r[:, None] + a[None, :]), tmp_path / "land")
    assert [p[-3:] for p in paths] == ["png", "pdf"]
    assert all((tmp_path / f"land.{e}").stat().st_size > 5000 for e in ("png", "pdf"))


def test_cli_plot_select_fixes_axes_and_says_what_it_drew(tmp_path, capsys):
    from jaxorb import cli

    store = tmp_path / "s.nc"
    sweep_3d().to_netcdf(store)
    png = tmp_path / "s.png"
    assert cli.main(["plot", str(store), "--select", "U=0.45", "--select", "alpha=1", "--out", str(png)]) == 0
    drew, wrote = capsys.readouterr().out.splitlines()
    assert drew.startswith("drew eta_yz_x over r at ") and "U = 0.5" in drew and "alpha = 1" in drew, drew
    assert "nearest sweep value 0.5" in drew and wrote == f"wrote {png}"
    assert cli.main(["plot", str(store), "--out", str(png)]) == 0  # 3-D without --select: facets, said so
    assert "one row per U" in capsys.readouterr().out
    for bad, match in [("U", "AXIS=VALUE"), ("U=x", "not a number"), ("q=1", "not an axis")]:
        with pytest.raises(SystemExit, match=f"^jaxorb plot: .*{match}"):
            cli.main(["plot", str(store), "--select", bad, "--out", str(png)])
    plt.close("all")
