"""Matplotlib renderings of the paper's figures from :mod:`jaxorb.figures` data."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import figures

_DIP = ("Lx", "Ly", "Lz")
_QUAD = ("Lxy", "Lyz", "Lzx", "Lx2-y2", "Lz2")
_TEX = {
    "Lx": "L_x",
    "Ly": "L_y",
    "Lz": "L_z",
    "Lxy": "L_{xy}",
    "Lyz": "L_{yz}",
    "Lzx": "L_{zx}",
    "Lx2-y2": "L_{x^2-y^2}",
    "Lz2": "L_{z^2}",
}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out: Path, name: str) -> list[str]:
    paths = []
    for ext in ("png", "pdf"):
        path = out / f"{name}.{ext}"
        fig.savefig(path, dpi=150, bbox_inches="tight")
        paths.append(str(path))
    _plt().close(fig)
    return paths


def plot_fig1(d: dict, out: Path) -> list[str]:
    plt = _plt()
    z = np.asarray(d["z"])
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    for col, inc in enumerate(("x", "z")):
        for row, names in enumerate((_DIP, _QUAD)):
            ax = axes[row, col]
            for name in names:
                ax.plot(z, d["density"][inc][name], label=rf"$\langle {_TEX[name]}^{inc} \rangle$")
            ax.axhline(0, color="0.7", lw=0.5)
            ax.set_title(f"({'abcd'[2 * row + col]}) |L_{inc}> injected, {'dipoles' if row == 0 else 'quadrupoles'}")
            ax.set_ylabel(r"density $\langle O \rangle$ ($\hbar$)")
            ax.legend(fontsize=8, ncol=2)
    for ax in axes[1]:
        ax.set_xlabel(r"depth $z$ ($1/k_F$)")
    p = d["params"]
    fig.suptitle(
        f"Fig. 1: U = {p['U']} E_F, r = {p['r']} (hbar^2/2m), alpha = 0; k_t = {d['k_t']:.4f}, k_r = {d['k_r']:.4f} k_F"
    )
    return _save(fig, out, "fig1")


def plot_fig2(d: dict, out: Path) -> list[str]:
    plt = _plt()
    z = np.asarray(d["z"])
    r = np.asarray(d["r"])
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5))
    for ax, key in zip(axes[0], ("Lx", "Lz", "Lyz")):
        for rr, curve in zip(d["r_curves"], d["curves"][key]):
            ax.plot(z, curve, label=f"r = {rr}")
        ax.set_xlabel(r"depth $z$ ($1/k_F$)")
        ax.set_ylabel(rf"${d['labels'][key]}$ ($\hbar$)".replace("<", r"\langle ").replace(">", r"\rangle"))
        ax.legend(fontsize=8)
    for ax, which, title in ((axes[1, 0], "at_z0", "(d) z = 0"), (axes[1, 1], "at_inf", r"(e) $z \to \infty$")):
        for key, vals in d[which].items():
            ax.plot(r, vals, label=d["labels"][key])
        ax.set_title(title)
        ax.set_xlabel(r"crystal field $r$ ($\hbar^2/2m$)")
        ax.set_ylabel(r"density ($\hbar$)")
        ax.legend(fontsize=8)
    ax = axes[1, 2]
    ax.semilogy(r[1:], np.asarray(d["wavelength"], dtype=float)[1:])
    ax.set_title(r"(f) precession wavelength $2\pi/|k_r - k_t|$")
    ax.set_xlabel(r"crystal field $r$ ($\hbar^2/2m$)")
    ax.set_ylabel(r"wavelength ($1/k_F$)")
    for ax, t in zip(axes[0], ("(a)", "(b)", "(c)")):
        ax.set_title(t)
    fig.suptitle(f"Fig. 2: r-dependence, U = {d['params']['U']} E_F, alpha = 0")
    fig.tight_layout()
    return _save(fig, out, "fig2")


def plot_fig3(d: dict, out: Path) -> list[str]:
    plt = _plt()
    a = np.asarray(d["alpha"])
    r = np.asarray(d["r"])
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    for ax, inc, t in ((axes[0, 0], "z", "(a) |L_z>"), (axes[0, 1], "x", "(b) |L_x>")):
        for p, vals in d["delta"][inc].items():
            ax.plot(a, np.asarray(vals, dtype=float), label=rf"$\rho_R l_R / AR_I$ = {p}")
        ax.set_title(t + " (gaps: J_L/J_R < 1, no real delta)")
        ax.set_xlabel(r"Rashba $\alpha_R$ ($\hbar^2/2m$)")
        ax.set_ylabel(r"memory loss $\delta$")
        ax.legend(fontsize=8)
    lab = {"eta_yz_x": r"$\eta_{yz}^x$", "eta_x2-y2_x": r"$\eta_{x^2-y^2}^x$", "eta_z2_z": r"$\eta_{z^2}^z$"}
    for key, vals in d["eta_vs_r"].items():
        axes[1, 0].plot(r, vals, label=lab[key])
    for key, vals in d["eta_vs_alpha"].items():
        axes[1, 1].plot(a, vals, label=lab[key])
    axes[1, 0].set_xlabel(r"crystal field $r$ ($\hbar^2/2m$)")
    axes[1, 0].set_title(r"(c) $\alpha_R = 0$")
    axes[1, 1].set_xlabel(r"Rashba $\alpha_R$ ($\hbar^2/2m$)")
    axes[1, 1].set_title(f"(d) r = {d['params']['r_fixed']}")
    for ax in axes[1]:
        ax.set_ylabel(r"conversion efficiency $\eta$")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.legend(fontsize=8)
    fig.suptitle(f"Fig. 3: memory loss and conversion, U = {d['params']['U']} E_F")
    fig.tight_layout()
    return _save(fig, out, "fig3")


def plot_fig4(d: dict, out: Path) -> list[str]:
    plt = _plt()
    z = np.asarray(d["z"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, inc, t in (
        (axes[0], "z", r"(a) $|L_z\rangle$, $\tau_z = dJ_{L_z}/dz$"),
        (axes[1], "x", r"(b) $|L_x\rangle$, $\tau_x = dJ_{L_x}/dz$"),
    ):
        dd = d["injections"][inc]
        for rr, tau, c, w in zip(d["r"], dd["tau"], dd["c_inf"], dd["angular_acceleration_inf"]):
            ax.plot(z, tau, label=f"r = {rr}: c = {c:.3f}, dω/dt = {w:.0f} rad/s²")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.set_title(t)
        ax.set_xlabel(r"depth $z$ ($1/k_F$)")
        ax.set_ylabel(r"torque density ($\hbar \cdot \hbar k_F^2/m$)")
        ax.legend(fontsize=8)
    fig.suptitle(
        f"Fig. 4: orbital torque, U = {d['params']['U']} E_F, alpha = 0 (c = J(inf) - J(0); Al cylinder, D = {d['params']['thickness_nm']} nm)"
    )
    fig.tight_layout()
    return _save(fig, out, "fig4")


FIGURES = {
    "fig1": (figures.fig1_data, plot_fig1),
    "fig2": (figures.fig2_data, plot_fig2),
    "fig3": (figures.fig3_data, plot_fig3),
    "fig4": (figures.fig4_data, plot_fig4),
}


def reproduce(out: str | Path, which=tuple(FIGURES), progress=print) -> dict:
    """Compute and draw the paper's figures into ``out``: figN.png, figN.pdf and summary.json.

    Returns the summary (the plotted numbers with parameters and units).
    """
    import jax

    from . import __version__

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = {"jaxorb": __version__, "jax": jax.__version__, "device": str(jax.devices()[0]), "figures": {}}
    files = []
    t0 = time.perf_counter()
    for name in which:
        data_fn, plot_fn = FIGURES[name]
        t = time.perf_counter()
        data = data_fn()
        files += plot_fn(data, out)
        summary["figures"][name] = data
        progress(f"{name}: computed and drawn in {time.perf_counter() - t:.1f} s")
    summary["wall_time_s"] = time.perf_counter() - t0
    path = out / "summary.json"
    path.write_text(json.dumps(summary, allow_nan=True))
    files.append(str(path))
    summary["files"] = files
    progress(f"wrote {len(files)} files to {out} in {summary['wall_time_s']:.1f} s")
    return summary


# ---------------------------------------------------------------------------------------------
# Sweeps (jaxorb.sweep datasets)

_AXIS_TEX = {"U": r"potential step $U$", "r": r"crystal field $r$", "alpha": r"Rashba $\alpha_R$", "z": r"depth $z$"}
_UNIT_TEX = {"E_F": r"$E_F$", "hbar^2/2m": r"$\hbar^2/2m$", "1/k_F": r"$1/k_F$"}


def _axis_label(ds, name: str) -> str:
    units = ds[name].attrs.get("units", "")
    label = _AXIS_TEX.get(name, name)
    return f"{label} ({_UNIT_TEX.get(units, units)})" if units else label


def plot_sweep(ds, path: str | Path | None = None, quantities=None):
    """Draw a sweep: a heatmap per quantity for 2-D grids, lines for 1-D grids.

    Axes are labelled with the parameters' names and units, colour bars and y axes with the
    quantity's description and unit; the fixed parameters go in the title. Grids with more than
    two dimensions are shown at the first value of the leading ones (select a slice with
    ``ds.isel`` / ``ds.sel`` first to choose it).

    Args:
        ds: :class:`xarray.Dataset` from :func:`jaxorb.sweep` (or ``xr.open_zarr`` of its store).
        path: output file (the format follows the suffix: .png, .pdf, .svg); None returns the
            figure without saving.
        quantities: names of the variables to draw (default: all).

    Returns:
        the path written (str), or the matplotlib figure when ``path`` is None.

    Raises:
        ValueError: unknown variable names or a 0-D sweep.
    """
    plt = _plt()
    names = list(ds.data_vars) if quantities is None else list(quantities)
    unknown = [n for n in names if n not in ds.data_vars]
    if unknown or not names:
        raise ValueError(f"quantities {unknown or names} not in the sweep; it holds {list(ds.data_vars)}")
    dims = list(ds[names[0]].dims)
    if not dims:
        raise ValueError("a 0-D sweep (every parameter fixed) has nothing to plot")
    fixed = {}
    if len(dims) > 2:
        lead = dims[:-2]
        ds = ds.isel({d: 0 for d in lead})
        dims = dims[-2:]
    for name, coord in ds.coords.items():
        if coord.ndim == 0:
            fixed[name] = float(coord)
    note = ", ".join(f"{k} = {v:.6g} {ds[k].attrs.get('units', '')}".strip() for k, v in fixed.items())
    ncols = len(names)
    fig, axes = plt.subplots(1, ncols, figsize=(6.2 * ncols, 4.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        da = ds[name]
        values = np.asarray(da.values)
        if np.iscomplexobj(values):
            values = np.abs(values)
            qlabel = f"|{name}|"
        else:
            qlabel = name
        unit = da.attrs.get("units", "")
        qlabel = f"{qlabel} ({unit})" if unit and unit != "1" else qlabel
        if len(dims) == 2:
            x, y = dims
            mesh = ax.pcolormesh(ds[x].values, ds[y].values, values.T, shading="auto", cmap="viridis")
            fig.colorbar(mesh, ax=ax, label=qlabel)
            ax.set_xlabel(_axis_label(ds, x))
            ax.set_ylabel(_axis_label(ds, y))
        else:
            (x,) = dims
            ax.plot(ds[x].values, values, "-", lw=1.5)
            ax.set_xlabel(_axis_label(ds, x))
            ax.set_ylabel(qlabel)
            ax.grid(alpha=0.3)
        ax.set_title(f"{da.attrs.get('long_name', name)}" + (f"\n{note}" if note else ""), fontsize=9)
    fig.tight_layout()
    if path is None:
        return fig
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return str(path)
