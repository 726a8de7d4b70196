"""Matplotlib renderings: the paper's figures and the spinful model's conversion figure (from
:mod:`jaxorb.figures` data), sweeps and optimisation landscapes.

Every label uses one notation, matplotlib mathtext: densities <L_x^x> (observable L_x for an
injected |L_x>), efficiencies eta_yz^x, memory loss delta_z, the interfacial Rashba alpha_R,
r and alpha_R in hbar^2/2m. A quantity's label comes from its metadata
(``jaxorb.quantities.info(name).label``), so figures, sweeps and the CLI agree.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import numpy as np

from . import figures

_DIP = ("Lx", "Ly", "Lz")
_QUAD = ("Lxy", "Lyz", "Lzx", "Lx2-y2", "Lz2")
_OP_TEX = {
    "Lx": "L_x",
    "Ly": "L_y",
    "Lz": "L_z",
    "Lxy": "L_{xy}",
    "Lyz": "L_{yz}",
    "Lzx": "L_{zx}",
    "Lx2-y2": "L_{x^2-y^2}",
    "Lz2": "L_{z^2}",
}
_Q_TEX = {"xy": "xy", "yz": "yz", "zx": "zx", "x2-y2": "x^2-y^2", "z2": "z^2"}

# parameters and depth: mathtext name and unit
PARAM_LABELS = {
    "U": r"potential step $U$",
    "r": r"crystal field $r$",
    "alpha": r"Rashba $\alpha_R$",
    "z": r"depth $z$",
    "lam": r"spin-orbit $\lambda$",
}
PARAM_SYMBOLS = {"U": "U", "r": "r", "alpha": r"\alpha_R", "z": "z", "lam": r"\lambda"}
UNIT_TEX = {
    "E_F": r"$E_F$",
    "hbar^2/2m": r"$\hbar^2/2m$",
    "1/k_F": r"$1/k_F$",
    "hbar": r"$\hbar$",
    "hbar * hbar k_F / m": r"$\hbar \cdot \hbar k_F/m$",
    "hbar * hbar k_F^2 / m": r"$\hbar \cdot \hbar k_F^2/m$",
    "rad/s^2": r"rad/s$^2$",
}
_INLINE_UNIT = {"E_F": r"\,E_F", "hbar^2/2m": r"\,\hbar^2/2m", "1/k_F": r"\,/k_F"}


def ket(j: str) -> str:
    """Mathtext of the injected state |L_j>."""
    return rf"$|L_{j}\rangle$"


def _derived_label(name: str) -> str | None:
    """Mathtext label built from the grammar of quantity names (used when no metadata has one)."""
    m = re.match(r"^eta_L?(xy|yz|zx|x2-y2|z2)_([xyz])$", name)
    if m:
        return rf"$\eta_{{{_Q_TEX[m.group(1)]}}}^{{{m.group(2)}}}$"
    m = re.match(r"^(ratio|delta|c|cD)_([xyz])$", name)
    if m:
        head, j = m.groups()
        return {
            "ratio": rf"$J_L(0)/J_R(0)$, $|L_{j}\rangle$",
            "delta": rf"$\delta_{j}$",
            "c": rf"$c_{j}$",
            "cD": rf"$c_{j}(D)$",
        }[head]
    m = re.match(r"^(density|current|torque)_(L[a-z0-9-]+)_([xyz])$", name)
    if m and m.group(2) in _OP_TEX:
        kind, op, j = m.groups()
        tex = _OP_TEX[op]
        if kind == "density":
            return rf"$\langle {tex}\rangle^{{{j}}}$"
        sym = "J" if kind == "current" else r"\tau"
        return rf"${sym}_{{{tex}}}^{{{j}}}$"
    return None


def _info(name: str):
    """``jaxorb.quantities.info(name)`` when the registry offers it and knows the name."""
    from . import quantities

    info = getattr(quantities, "info", None)
    if info is None:
        return None
    try:
        return info(name)
    except (ValueError, KeyError):
        return None


def quantity_label(name: str, attrs: dict | None = None) -> str:
    """Mathtext label of a named quantity (e.g. ``eta_yz_x`` -> ``$\\eta_{yz}^{x}$``).

    Taken from the quantity's metadata (``jaxorb.quantities.info(name).label``), else from a
    ``label`` attribute (``attrs``, e.g. a sweep variable's), else built from the name's grammar;
    an unknown name is returned as is.
    """
    info = _info(name)
    if info is not None and getattr(info, "label", None):
        return info.label
    if attrs and attrs.get("label"):
        return str(attrs["label"])
    return _derived_label(name) or name


def unit_label(unit: str) -> str:
    """Mathtext of a unit string ("" for dimensionless)."""
    if not unit or unit == "1":
        return ""
    return UNIT_TEX.get(unit, unit)


def with_unit(label: str, unit: str) -> str:
    u = unit_label(unit)
    return f"{label} ({u})" if u else label


def param_label(name: str, unit: str = "") -> str:
    """Axis label of a parameter: ``crystal field $r$ ($\\hbar^2/2m$)``."""
    unit = unit or figures.UNITS.get(name, "")
    return with_unit(PARAM_LABELS.get(name, name), unit)


def param_value(name: str, value: float, unit: str = "") -> str:
    """Inline mathtext ``$r = 0.5\\,\\hbar^2/2m$`` for a fixed parameter."""
    unit = unit or figures.UNITS.get(name, "")
    sym = PARAM_SYMBOLS.get(name, name)
    return rf"${sym} = {value:.6g}{_INLINE_UNIT.get(unit, '') if value != 0 else ''}$"


def _fig_label(key: str, inc: str) -> str:
    """Label of the density ``key`` for injection ``inc`` (a figure's <O^j>)."""
    return quantity_label(f"density_{key}_{inc}")


def _eta_label(key: str) -> str:
    return quantity_label(key)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out: Path, name: str) -> list[str]:
    paths = []
    for ext in ("png", "pdf"):
        path = out / f"{name}.{ext}"
        # fixed metadata: the files do not change when nothing in them changes
        meta = {"Software": None} if ext == "png" else {"Creator": None, "Producer": None, "CreationDate": None}
        fig.savefig(path, dpi=150, bbox_inches="tight", metadata=meta)
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
                ax.plot(z, d["density"][inc][name], label=_fig_label(name, inc))
            ax.axhline(0, color="0.7", lw=0.5)
            kind = "dipoles" if row == 0 else "quadrupoles"
            ax.set_title(f"({'abcd'[2 * row + col]}) {ket(inc)} injected: {kind}")
            ax.set_ylabel(with_unit(r"density $\langle O\rangle^j$", "hbar"))
            ax.legend(fontsize=8, ncol=2)
    for ax in axes[1]:
        ax.set_xlabel(param_label("z"))
    p = d["params"]
    fig.suptitle(
        f"Fig. 1: {param_value('U', p['U'])}, {param_value('r', p['r'])}, {param_value('alpha', 0.0)}; "
        rf"$k_t = {d['k_t']:.4f}\,k_F$, $k_r = {d['k_r']:.4f}\,k_F$"
    )
    return _save(fig, out, "fig1")


def _log_ticks(ax, values) -> None:
    """Log-scale y ticks at 1, 2, 5 x 10^n written as plain numbers."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter

    v = np.asarray([x for x in values if x is not None and np.isfinite(x) and x > 0])
    lo, hi = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
    ticks = [m * 10.0**e for e in range(lo, hi + 1) for m in (1, 2, 5)]
    ticks = [t for t in ticks if v.min() / 1.5 <= t <= v.max() * 1.5]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    fmt = ScalarFormatter()
    fmt.set_scientific(False)
    ax.yaxis.set_major_formatter(fmt)
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.grid(alpha=0.3, which="major")


def plot_fig2(d: dict, out: Path) -> list[str]:
    plt = _plt()
    z = np.asarray(d["z"])
    r = np.asarray(d["r"])
    inj = d["injection"]
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.8))
    for ax, key, t in zip(axes[0], ("Lx", "Lz", "Lyz"), ("(a)", "(b)", "(c)")):
        for rr, curve in zip(d["r_curves"], d["curves"][key]):
            ax.plot(z, curve, label=param_value("r", rr, "1"))
        ax.set_xlabel(param_label("z"))
        label = _fig_label(key, inj[key])
        ax.set_ylabel(with_unit(label, "hbar"))
        ax.set_title(f"{t} {label} vs depth, {ket(inj[key])} injected")
        ax.legend(fontsize=8)
    ax = axes[1, 0]
    for key, vals in d["at_z0"].items():
        ax.plot(r, vals, label=_fig_label(key, inj[key]))
    ax.set_title(r"(d) at the interface, $z = 0$")
    ax = axes[1, 1]
    x0 = d["r_0plus"]
    for key, vals in d["at_inf"].items():
        # the r -> 0+ limit joins the r > 0 curve; the r = 0 value stands apart (open circle)
        line = ax.plot(np.r_[x0, r[1:]], np.r_[d["at_inf_0plus"][key], vals[1:]], label=_fig_label(key, inj[key]))
        ax.plot([0.0], [vals[0]], "o", mfc="white", color=line[0].get_color(), ms=6, zorder=3)
    ax.set_title(r"(e) far from the interface, $z \to \infty$")
    ax.text(
        0.97,
        0.62,
        "open circles: the value at $r = 0$;\n"
        r"curves start at the limit $r \to 0^+$"
        "\n"
        r"($z \to \infty$ and $r \to 0$ do not commute:"
        "\n"
        r"the precession length $2\pi/|k_r - k_t|$ diverges)",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"},
    )
    for ax in axes[1, :2]:
        ax.set_xlabel(param_label("r"))
        ax.set_ylabel(with_unit(r"density $\langle O\rangle^j$", "hbar"))
        ax.axhline(0, color="0.7", lw=0.5)
        ax.legend(fontsize=8, loc="upper right" if ax is axes[1, 0] else "upper center")
    ax = axes[1, 2]
    lam = np.asarray([np.nan if w is None else w for w in d["wavelength"]], dtype=float)
    ax.semilogy(r[1:], lam[1:])
    _log_ticks(ax, lam[1:])
    ax.set_title(r"(f) precession wavelength $2\pi/|k_r - k_t|$")
    ax.set_xlabel(param_label("r"))
    ax.set_ylabel(with_unit(r"wavelength $\lambda$", "1/k_F"))
    fig.suptitle(
        f"Fig. 2: dependence on the crystal field, {param_value('U', d['params']['U'])}, {param_value('alpha', 0.0)}"
    )
    fig.tight_layout()
    return _save(fig, out, "fig2")


def _threshold(a, ratio) -> float:
    """alpha where the ratio first reaches 1, linearly interpolated between samples."""
    i = int(np.argmax(ratio >= 1))
    if i == 0:
        return float(a[0])
    return float(a[i - 1] + (1 - ratio[i - 1]) * (a[i] - a[i - 1]) / (ratio[i] - ratio[i - 1]))


def plot_fig3(d: dict, out: Path) -> list[str]:
    plt = _plt()
    a = np.asarray(d["alpha"])
    r = np.asarray(d["r"])
    fig, axes = plt.subplots(2, 2, figsize=(10.5, 8))
    for ax, inc, t in ((axes[0, 0], "z", "(a)"), (axes[0, 1], "x", "(b)")):
        gap = False
        for p, vals in d["delta"][inc].items():
            v = np.asarray([np.nan if x is None else x for x in vals], dtype=float)
            gap |= bool(np.isnan(v).any())
            ax.plot(a, v, label=f"{float(p):g}")
        title = f"{t} {ket(inc)} injected"
        if gap:
            first = _threshold(a, np.asarray(d["current_ratio"][inc]))
            title += "\n" + rf"no real $\delta$ for $\alpha_R < {first:.2f}$, where $J_L(0)/J_R(0) < 1$"
        ax.set_title(title)
        ax.set_xlabel(param_label("alpha"))
        ax.set_ylabel("memory loss " + quantity_label(f"delta_{inc}"))
        ax.set_xlim(a[0], a[-1])
        ax.legend(fontsize=8, title=r"transparency $p = \rho_R l_R / A R_I$", title_fontsize=8)
    for key, vals in d["eta_vs_r"].items():
        axes[1, 0].plot(r, vals, label=_eta_label(key))
    for key, vals in d["eta_vs_alpha"].items():
        axes[1, 1].plot(a, vals, label=_eta_label(key))
    axes[1, 0].set_xlabel(param_label("r"))
    axes[1, 0].set_title(rf"(c) {param_value('alpha', 0.0)}")
    axes[1, 1].set_xlabel(param_label("alpha"))
    axes[1, 1].set_title(f"(d) {param_value('r', d['params']['r_fixed'])}")
    for ax in axes[1]:
        ax.set_ylabel(r"conversion efficiency $\eta$")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.legend(fontsize=8)
    fig.suptitle(f"Fig. 3: memory loss and conversion, {param_value('U', d['params']['U'])}")
    fig.tight_layout()
    return _save(fig, out, "fig3")


def plot_fig4(d: dict, out: Path) -> list[str]:
    plt = _plt()
    z = np.asarray(d["z"])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    for ax, inc, t in ((axes[0], "z", "(a)"), (axes[1], "x", "(b)")):
        dd = d["injections"][inc]
        label = quantity_label(f"torque_L{inc}_{inc}")
        for rr, tau, c, w in zip(d["r"], dd["tau"], dd["c_inf"], dd["angular_acceleration_inf"]):
            ax.plot(z, tau, label=rf"{param_value('r', rr, '1')}: $c = {c:.3f}$, $\dot\omega = {w:.0f}$ rad/s$^2$")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.set_title(rf"{t} {ket(inc)} injected: torque density {label} $= dJ_{{L_{inc}}}/dz$")
        ax.set_xlabel(param_label("z"))
        ax.set_ylabel(with_unit(f"torque density {label}", "hbar * hbar k_F^2 / m"))
        ax.legend(fontsize=8)
    p = d["params"]
    fig.suptitle(
        f"Fig. 4: orbital torque, {param_value('U', p['U'])}, {param_value('alpha', 0.0)}; "
        r"$c = J(\infty) - J(0)$, $\dot\omega$ of an Al cylinder of height "
        rf"$D = {p['thickness_nm']:g}$ nm"
    )
    fig.tight_layout()
    return _save(fig, out, "fig4")


_S_TEX = {"Sx": "S_x", "Sy": "S_y", "Sz": "S_z"}


def plot_figspin(d: dict, out: Path) -> list[str]:
    """The spinful model's conversion figure (data of :func:`jaxorb.figures.figspin_data`)."""
    plt = _plt()
    z = np.asarray(d["z"])
    p = d["params"]
    fig, axes = plt.subplots(3, 2, figsize=(11.5, 12))
    for col, inc in enumerate(("z", "x")):
        prof = d["profiles"][inc]
        spin_op = f"S{inc}"
        for row, kind in enumerate(("density", "current")):
            ax = axes[row, col]
            for lam, curve in zip(d["lam_profiles"], prof[kind][spin_op]):
                ax.plot(z, curve, label=param_value("lam", lam, "1"))
            ax.axhline(0, color="0.7", lw=0.5)
            if kind == "density":
                label, unit = rf"$\langle {_S_TEX[spin_op]}\rangle^{{{inc}}}$", "hbar"
            else:
                label, unit = rf"$J_{{{_S_TEX[spin_op]}}}^{{{inc}}}$", "hbar * hbar k_F / m"
            ax.set_title(f"({'abcd'[2 * row + col]}) {ket(inc)} injected, unpolarised spin: spin {kind} {label}")
            ax.set_ylabel(with_unit(f"spin {kind} {label}", unit))
            ax.set_xlabel(param_label("z"))
            ax.legend(fontsize=8)
    lam = np.asarray(d["lam"])
    at0 = np.abs(lam) == 0.0
    conv = r"$J_{S_z}(\infty)/J_{L_z}(0^-)$"
    iface = r"$J_{S_z}(0^+)/J_{L_z}(0^-)$"
    ax_f, ax_i = axes[2]
    for c, curve in enumerate(d["curves"]):
        anchor = c == len(d["curves"]) - 1
        text = param_value("r", curve["r"], "1") + (f", {param_value('alpha', 0.0)}" if anchor else "")
        style = {"color": "0.35", "ls": ":"} if anchor else {}
        far = np.asarray(d["far_field"][c])
        mask = ~at0 if curve["r"] == 0 else np.ones_like(at0)
        line = ax_f.plot(lam[mask], far[mask], label=text, **style)[0]
        if curve["r"] == 0 and at0.any():
            # the value at lam = 0 stands apart from the limit lam -> 0 (open circle)
            ax_f.plot([0.0], far[at0][:1], "o", mfc="white", color=line.get_color(), ms=6, zorder=3)
        if not anchor:
            ax_i.plot(lam, d["interface"][c], color=line.get_color(), label=text)
            ax_i.plot(lam[mask], far[mask], color=line.get_color(), ls="--", lw=0.8)
    for ax in (ax_f, ax_i):
        for s in d["singular_lam"]:
            ax.axvline(s, color="0.6", lw=0.6, ls="-.")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.set_xlabel(param_label("lam", "E_F"))
    ax_f.set_ylabel("conversion " + conv)
    ax_f.set_title(f"(e) far-field conversion, {ket('z')} injected, {param_value('alpha', p['alpha'])}")
    ax_f.legend(fontsize=8, loc="lower left")
    r0 = next((i for i, c in enumerate(d["curves"]) if c["r"] == 0 and c["alpha"] == p["alpha"]), None)
    limit = ""
    if d.get("limit_lam0") is not None and r0 is not None:
        limit = rf" (${np.mean(d['limit_lam0'][r0]):.3f}$ at {param_value('alpha', p['alpha'])})"
    fig.text(
        0.5,
        -0.005,
        "(e) $r = 0$: " + conv + r" $\to 2/9$ as $\lambda \to 0$ (either sign) at $\alpha_R = 0$" + limit + ", "
        r"but is $0$ at $\lambda = 0$ (open circles): the helicity 3/2 and 1/2 parts dephase only for "
        r"$z \gg 1/|\lambda|$ (docs/theory.md §12)."
        "\n"
        r"For $r > 0$ the curves go to $0$ as $\lambda \to 0$: $r \to 0$ and $\lambda \to 0$ do not commute. "
        r"Dash-dotted: $\lambda = 1 - U$ and $\lambda = -(1 - U)/2$ (a band bottom at $E_F$), refused by the model.",
        ha="center",
        va="top",
        fontsize=8.5,
    )
    ax_i.set_ylabel(f"interface {iface}")
    ax_i.set_title(f"(f) interface {iface} (solid) and far field (dashed)")
    ax_i.legend(fontsize=8, loc="lower left")
    fig.suptitle(
        r"Spin-orbit coupling $\lambda\,\mathbf{L}\cdot\sigma$: orbital-to-spin conversion, "
        f"{param_value('U', p['U'])}; (a)-(d) {param_value('r', p['r'])}, {param_value('alpha', p['alpha'])}"
    )
    fig.tight_layout()
    return _save(fig, out, "figspin")


FIGURES = {
    "fig1": (figures.fig1_data, plot_fig1),
    "fig2": (figures.fig2_data, plot_fig2),
    "fig3": (figures.fig3_data, plot_fig3),
    "fig4": (figures.fig4_data, plot_fig4),
    "figspin": (figures.figspin_data, plot_figspin),
}


def _json_safe(x):
    """NaN and infinities as null: summary.json is strict JSON."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


SUMMARY_KEYS = {
    "jaxorb": "jaxorb version",
    "jax": "jax version",
    "device": "device the numbers were computed on",
    "figures": "figures[name]: the plotted numbers of each figure; its 'keys' entry says what each key holds",
}


def reproduce(out: str | Path, which=tuple(FIGURES), progress=print) -> dict:
    """Compute and draw the paper's figures (and ``figspin``, the spinful model's conversion,
    docs/theory.md §12) into ``out``: figN.png, figN.pdf and summary.json.

    summary.json holds the plotted numbers with their parameters and units (strict JSON: NaN
    is written as null) and a ``keys`` entry describing every key, at the top level and in each
    figure.

    Returns:
        the summary, plus ``files`` (paths written) and ``wall_time_s``.
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
        data = _json_safe(data_fn())
        files += plot_fn(data, out)
        summary["figures"][name] = data
        progress(f"{name}: computed and drawn in {time.perf_counter() - t:.1f} s")
    summary["keys"] = SUMMARY_KEYS
    path = out / "summary.json"
    path.write_text(json.dumps(summary, allow_nan=False))
    files.append(str(path))
    wall = time.perf_counter() - t0
    progress(f"wrote {len(files)} files to {out} in {wall:.1f} s")
    return {**summary, "files": files, "wall_time_s": wall}


# ---------------------------------------------------------------------------------------------
# Sweeps (jaxorb.sweep datasets) and optimisation landscapes

MAX_FACETS = 6


def _coord_text(ds, name: str, value: float) -> str:
    return param_value(name, value, ds[name].attrs.get("units", "") if name in ds.coords else "")


def _select(ds, select: dict | None):
    """Apply ``select`` (nearest coordinate value per named axis); returns (ds, notes)."""
    notes = []
    for name, want in (select or {}).items():
        if name not in ds.dims:
            axes = list(ds.dims)
            raise ValueError(f"select: {name!r} is not an axis of the sweep; its axes are {axes}")
        coord = np.asarray(ds[name].values, dtype=float)
        try:
            want = float(want)
        except (TypeError, ValueError):
            raise ValueError(f"select: {name} must be a number; got {want!r}") from None
        lo, hi = float(coord.min()), float(coord.max())
        tol = 1e-9 * max(1.0, abs(lo), abs(hi))
        if not (lo - tol <= want <= hi + tol):
            raise ValueError(f"select: {name} = {want:g} is outside the sweep's range {lo:g} <= {name} <= {hi:g}")
        got = float(coord[int(np.argmin(np.abs(coord - want)))])
        ds = ds.sel({name: got})
        if abs(got - want) > tol:
            notes.append(f"{name}: nearest sweep value {got:.6g} to the requested {want:.6g}")
    return ds, notes


def plot_sweep(ds, path: str | Path | None = None, quantities=None, *, select: dict | None = None, report=None):
    """Draw a sweep: a heatmap per quantity for 2-D grids, lines for 1-D grids, one row of
    panels per value of the leading axis for 3-D grids.

    Axes are labelled with the parameters' names and units, colour bars and y axes with the
    quantity's mathtext label and unit (:func:`quantity_label`); the fixed parameters go in each
    panel's title, so the figure says which slice it shows.

    Args:
        ds: :class:`xarray.Dataset` from :func:`jaxorb.sweep` (or ``xr.open_zarr`` of its store).
        path: output file (the format follows the suffix: .png, .pdf, .svg); None returns the
            figure without saving.
        quantities: names of the variables to draw (default: all).
        select: fix axes before drawing, e.g. ``{"U": 0.5}``: each named axis is cut at the
            sweep value nearest to the number given (which must lie within the axis' range).
            A 3-D sweep without ``select`` is drawn as facets over its leading axis (at most
            :data:`MAX_FACETS` of its values, evenly spaced; the title says which).
        report: optional callable (e.g. ``print``) that receives one line saying what was drawn.

    Returns:
        the path written (str), or the matplotlib figure when ``path`` is None.

    Raises:
        ValueError: unknown variable names, a bad ``select``, nothing left to plot, or more
        than three axes left after ``select``.
    """
    plt = _plt()
    names = list(ds.data_vars) if quantities is None else list(quantities)
    unknown = [n for n in names if n not in ds.data_vars]
    if unknown or not names:
        raise ValueError(f"quantities {unknown or names} not in the sweep; it holds {list(ds.data_vars)}")
    ds, notes = _select(ds, select)
    dims = list(ds[names[0]].dims)
    if not dims:
        raise ValueError("nothing to plot: every axis of the sweep is fixed (by the sweep or by select)")
    if len(dims) > 3:
        raise ValueError(
            f"the sweep has {len(dims)} axes {dims}; fix all but two or three with select, e.g. select={{{dims[0]!r}: value}}"
        )
    facet_dim, facet_values = None, [None]
    if len(dims) == 3:
        facet_dim, dims = dims[0], dims[1:]
        vals = np.asarray(ds[facet_dim].values, dtype=float)
        pick = np.unique(np.round(np.linspace(0, vals.size - 1, min(vals.size, MAX_FACETS))).astype(int))
        facet_values = [float(vals[i]) for i in pick]
        if pick.size < vals.size:
            notes.append(f"{facet_dim}: {pick.size} of its {vals.size} values, evenly spaced")
    fixed = {name: float(coord) for name, coord in ds.coords.items() if coord.ndim == 0}
    note = ", ".join(_coord_text(ds, k, v) for k, v in fixed.items())

    limits = {}  # one colour scale per quantity across facets, so rows compare at a glance
    if facet_dim is not None:
        for name in names:
            v = np.asarray(ds[name].sel({facet_dim: facet_values}).values)
            v = np.abs(v) if np.iscomplexobj(v) else v.astype(float)
            finite = v[np.isfinite(v)]
            if finite.size:
                limits[name] = (float(finite.min()), float(finite.max()))
    nrows, ncols = len(facet_values), len(names)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.2 * ncols, 4.6 * nrows), squeeze=False)
    for row, fv in enumerate(facet_values):
        sub = ds if facet_dim is None else ds.sel({facet_dim: fv})
        where = ", ".join(filter(None, [note, None if fv is None else _coord_text(ds, facet_dim, fv)]))
        for ax, name in zip(axes[row], names):
            da = sub[name]
            values = np.asarray(da.values)
            qlabel = quantity_label(name, da.attrs)
            if np.iscomplexobj(values):
                values = np.abs(values)
                qlabel = f"|{qlabel}|"
            qlabel = with_unit(qlabel, da.attrs.get("units", ""))
            if len(dims) == 2:
                x, y = dims
                vmin, vmax = limits.get(name, (None, None))
                mesh = ax.pcolormesh(
                    sub[x].values, sub[y].values, values.T, shading="auto", cmap="viridis", vmin=vmin, vmax=vmax
                )
                fig.colorbar(mesh, ax=ax, label=qlabel)
                ax.set_xlabel(param_label(x, ds[x].attrs.get("units", "")))
                ax.set_ylabel(param_label(y, ds[y].attrs.get("units", "")))
            else:
                (x,) = dims
                ax.plot(sub[x].values, values, "-", lw=1.5)
                ax.set_xlabel(param_label(x, ds[x].attrs.get("units", "")))
                ax.set_ylabel(qlabel)
                ax.grid(alpha=0.3)
            title = quantity_label(name, da.attrs) + (f" at {where}" if where else "")
            if name.startswith("delta_") and "transparency" in ds.attrs:
                title += f", transparency {float(ds.attrs['transparency']):g}"
            ax.set_title(title, fontsize=10)
    if notes:
        fig.suptitle("; ".join(notes), fontsize=9)
    fig.tight_layout()
    if report is not None:
        over = " x ".join(dims)
        at = f" at {', '.join(f'{k} = {v:.6g}' for k, v in fixed.items())}" if fixed else ""
        facets = f", one row per {facet_dim} in {[float(f'{v:.6g}') for v in facet_values]}" if facet_dim else ""
        extra = f" ({'; '.join(notes)})" if notes else ""
        report(f"drew {', '.join(names)} over {over}{at}{facets}{extra}")
    if path is None:
        return fig
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return str(path)


def plot_landscape(result, grid: tuple, path) -> list[str]:
    """Heatmap of an objective over (r, alpha_R) with every start's path and the optimum.

    Args:
        result: :class:`jaxorb.optimize.OptimizeResult` (``objective``, ``starts`` (S, 2),
            ``history`` with ``r`` and ``alpha`` (steps, S), ``params``, ``value``).
        grid: ``(r, alpha, values)`` with values shaped (len(r), len(alpha)), as returned by
            :func:`jaxorb.optimize.landscape`.
        path: output path without suffix; ``path.png`` and ``path.pdf`` are written.

    Returns:
        the paths written.
    """
    plt = _plt()
    r, a, vals = grid
    objective = str(result.objective)
    label = quantity_label(objective)
    fig, ax = plt.subplots(figsize=(7, 5))
    mesh = ax.pcolormesh(r, a, np.asarray(vals).T, shading="auto", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label=label)
    for s in range(result.starts.shape[0]):
        ax.plot(result.history["r"][:, s], result.history["alpha"][:, s], "w-", lw=1)
        ax.plot(result.starts[s, 0], result.starts[s, 1], "wo", ms=4)
    ax.plot(
        result.params.r,
        result.params.alpha,
        "r*",
        ms=14,
        label=rf"optimum {result.value:.6g} at $r = {float(result.params.r):.4f}$, $\alpha_R = {float(result.params.alpha):.4f}$",
    )
    ax.set_xlabel(param_label("r"))
    ax.set_ylabel(param_label("alpha"))
    ax.set_title(f"{label} at {param_value('U', float(result.params.U))}: landscape and optimisation paths")
    ax.legend(loc="upper left", fontsize=8)
    paths = []
    for ext in ("png", "pdf"):
        out = f"{path}.{ext}"
        fig.savefig(out, dpi=150, bbox_inches="tight")
        paths.append(out)
    plt.close(fig)
    return paths
