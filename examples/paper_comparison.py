"""Generate docs/paper-comparison.md: every number and claim of the paper next to jaxorb's.

Run:  python examples/paper_comparison.py [--out docs/paper-comparison.md]

Nothing in the tables is typed by hand: each jaxorb value and each verdict (agrees, marginal,
differs) is computed when this script runs. The paper's values and claims are quoted from its
text (Sun, Go, Mokrousov, Linder, Manchon). The output is deterministic: no timings, values at
rounding level written as a bound (``< 1e-14``), fixed decimals everywhere, so re-running it
leaves the file byte-identical.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

import jaxorb as jo
from jaxorb import bands, figures

U = 0.5
D_KF = 100.0  # D = 10 nm with k_F = 1e10 1/m, in 1/k_F
TINY = 1e-14  # values below this are rounding noise of float64 sums of O(1) terms


def fmt(x, nd: int = 4) -> str:
    """Fixed decimals; -0 prints as 0."""
    x = float(x)
    if not math.isfinite(x):
        return "NaN"
    s = f"{x:.{nd}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def fmt_list(xs, nd: int = 3) -> str:
    return "[" + ", ".join(fmt(x, nd) for x in np.ravel(xs)) + "]"


def small(x) -> str:
    """A value that should vanish: ``< 1e-14`` at rounding level, else one significant digit."""
    x = abs(float(x))
    return f"< {TINY:.0e}" if x < TINY else f"{x:.1e}"


def bound(x) -> str:
    """Upper bound by the next power of ten: ``< 1e-10``."""
    x = abs(float(x))
    if x < TINY:
        return f"< {TINY:.0e}"
    return f"< 1e{math.ceil(math.log10(x)):d}"


def mark(ok: bool, marginal: bool = False) -> str:
    if marginal:
        return "marginal"
    return "agrees" if ok else "**differs**"


def crossing(x, y) -> float:
    """First x where y changes sign (linear interpolation); NaN if it never does."""
    s = np.nonzero(np.sign(y[1:]) * np.sign(y[:-1]) < 0)[0]
    if not s.size:
        return float("nan")
    i = s[0]
    return float(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))


def eta(r, alpha, incident, quadrupole):
    return np.asarray(jo.efficiency(jo.Params(U, r, alpha), incident, quadrupole))


_TORQUE: dict = {"z": [], "x": []}


def torque_rows():
    paper = {
        ("z", 0.5): -870,
        ("z", 1.5): -1770,
        ("z", 10.0): -720,
        ("x", 0.5): -900,
        ("x", 1.5): -1140,
        ("x", 10.0): -580,
    }
    rows = []
    for (inc, r), w_paper in paper.items():
        p = jo.Params(U, r, 0.0)
        c = float(jo.mean_torque(p, inc))
        cd = float(jo.mean_torque(p, inc, thickness_kF=D_KF))
        w = float(jo.angular_acceleration(c))
        _TORQUE[inc].append((w_paper, w))
        wd = float(jo.angular_acceleration(cd))
        c_paper = w_paper / float(jo.angular_acceleration(1.0))
        rows.append(
            f"| \\|L_{inc}> | {r} | {w_paper} | {fmt(c_paper, 3)} | {fmt(c)} | {w:.0f} | {100 * (w / w_paper - 1):+.0f}% | {fmt(cd)} | {wd:.0f} |"
        )
    return rows


def torque_deviation() -> str:
    parts = []
    for inc, rows in _TORQUE.items():
        dev = [100 * (w / wp - 1) for wp, w in rows]
        parts.append(f"{min(dev):+.0f}% to {max(dev):+.0f}% for \\|L_{inc}>")
    return "; ".join(parts)


def _ordering_holds() -> bool:
    return all(abs(rows[1][1]) > abs(rows[0][1]) > abs(rows[2][1]) for rows in _TORQUE.values())


def torque_convergence() -> str:
    """Largest change of the table's c when the kappa rule is replaced by 200 Gauss nodes per segment."""
    diff = 0.0
    for inc in ("z", "x"):
        for r in (0.5, 1.5, 10.0):
            p = jo.Params(U, r, 0.0)
            diff = max(diff, abs(float(jo.mean_torque(p, inc)) - float(jo.mean_torque(p, inc, nodes=200))))
    return bound(diff)


def _first_real(a, ratio) -> float:
    """alpha where J_L/J_R first reaches 1 (linear interpolation)."""
    i = int(np.argmax(ratio >= 1))
    return float(a[i - 1] + (1 - ratio[i - 1]) * (a[i] - a[i - 1]) / (ratio[i] - ratio[i - 1]))


class Scan:
    """The r scans several rows share: densities at z = 0 and z -> inf (the Fig. 2d-e data) and
    eta_yz^x(r)."""

    def __init__(self):
        d = figures.fig2_data(U, r_curves=(0.0,), r_max=10.0, nr=201, z_max=1.0, nz=2)
        self.r_fine = np.asarray(d["r"])
        self.at0 = {k: np.asarray(v) for k, v in d["at_z0"].items()}
        # z -> inf with the r = 0 point replaced by the limit r -> 0+ (docs/theory.md §7)
        self.inf = {k: np.asarray(v) for k, v in d["at_inf"].items()}
        self.inf0 = {k: np.asarray(v) for k, v in d["at_inf"].items()}
        for k, v in d["at_inf_0plus"].items():
            self.inf[k][0] = v
        self.r_eta = np.round(np.linspace(0.0, 20.0, 801), 12)
        self.eta_yz = eta(self.r_eta, 0.0, "x", "Lyz")


def claims(scan: Scan):
    p = jo.Params(U, 0.5, 0.0)
    z = np.round(np.linspace(0, 60, 301), 12)
    px, py, pz = (jo.profile(p, z, inc) for inc in "xyz")
    out = []

    def add(claim, ours, verdict):
        out.append(f"| {claim} | {ours} | {verdict} |")

    k_t, k_r = (float(x) for x in bands.fermi_wavevectors(U, 0.5))
    add(
        "Fig. 1: k_t/k_F = 0.577, k_r/k_F = 0.707 (U = 0.5, r = 0.5)",
        f"k_t = {fmt(k_t)}, k_r = {fmt(k_r)}",
        mark(abs(k_t - 0.577) < 1e-3 and abs(k_r - 0.707) < 1e-3),
    )
    other = max(np.abs(px.density[n]).max() for n in ("Ly", "Lz"))
    add(
        "Fig. 1a: for \\|L_x> only <L_x^x> survives among dipoles",
        f"max \\|<L_y^x>\\|, \\|<L_z^x>\\| {small(other)}",
        mark(other < 1e-12),
    )
    same = np.abs(py.density["Ly"] - px.density["Lx"]).max()
    add("<L_y^y> is exactly <L_x^x> (cylindrical symmetry)", f"max difference {small(same)}", mark(same < 1e-12))
    tors_x = {n: np.abs(px.density[n]).max() for n in ("Lxy", "Lyz", "Lzx")}
    add(
        "Fig. 1c: \\|L_x> generates the torsional quadrupole L_yz only",
        f"max\\|<L_yz^x>\\| = {fmt(tors_x['Lyz'], 3)}; max\\|<L_xy^x>\\|, max\\|<L_zx^x>\\| {small(max(tors_x['Lxy'], tors_x['Lzx']))}",
        mark(tors_x["Lyz"] > 1e-2 and tors_x["Lxy"] < 1e-12 and tors_x["Lzx"] < 1e-12),
    )
    tors_z = max(np.abs(pz.density[n]).max() for n in ("Lxy", "Lyz", "Lzx"))
    x2z = np.abs(pz.density["Lx2-y2"]).max()
    add(
        "Fig. 1d: \\|L_z> generates no torsional quadrupole, only L_z2 among polarisation ones",
        f"max torsional {small(tors_z)}; max\\|<L_x2-y2^z>\\| {small(x2z)}; <L_z2^z>(0) = {fmt(pz.density['Lz2'][0], 3)}",
        mark(tors_z < 1e-12 and x2z < 1e-12),
    )
    anti = np.abs(py.density["Lx2-y2"] + px.density["Lx2-y2"]).max()
    add(
        "\\|L_x> and \\|L_y> give antisymmetric <L_x2-y2>",
        f"max \\|<L_x2-y2^x> + <L_x2-y2^y>\\| {small(anti)}",
        mark(anti < 1e-12),
    )
    z2_diff = np.abs(py.density["Lz2"] - px.density["Lz2"]).max()
    z2_size = np.abs(px.density["Lz2"]).max()
    add(
        "\\|L_x> and \\|L_y> give antisymmetric <L_z2>",
        f"equal, not opposite: max \\|<L_z2^x> - <L_z2^y>\\| {small(z2_diff)}, max\\|<L_z2^x>\\| = {fmt(z2_size, 3)} "
        "(a rotation by pi/2 about z maps \\|L_x> to \\|L_y> and leaves L_z2 unchanged)",
        mark(np.abs(py.density["Lz2"] + px.density["Lz2"]).max() < 1e-12),
    )
    add(
        "The dipole relaxes to a finite value away from the interface (unlike spin)",
        f"<L_x^x>(inf) = {fmt(px.density_inf['Lx'])}, <L_z^z>(inf) = {fmt(pz.density_inf['Lz'])}",
        mark(px.density_inf["Lx"] > 1e-3 and pz.density_inf["Lz"] > 1e-3),
    )
    p0 = jo.profile(jo.Params(U, 0.0, 0.0), z, "x")
    tail = p0.density["Lx"][z > 20]
    mono = bool(np.all(np.diff(p0.density["Lx"]) <= 1e-12))
    add(
        "Fig. 2a: at r = 0 the dipole decays to a constant, no oscillation",
        f"<L_x^x>: {fmt(p0.density['Lx'][0], 3)} at z = 0 -> {fmt(p0.density_inf['Lx'], 3)}; monotonic: {mono}",
        mark(mono and np.ptp(tail) < 1e-2),
    )
    rs = np.array([0.0, 0.5, 1.5, 5.0, 10.0])
    pick = [int(np.argmin(np.abs(scan.r_fine - r))) for r in rs]
    at0 = scan.at0["Lx"][pick]
    inf = scan.inf0["Lx"][pick]
    lam = np.asarray(bands.precession_wavelength(U, rs[1:]))
    dec = lambda v: bool(np.all(np.diff(v) < 0))  # noqa: E731
    add(
        "Fig. 2d-f: dipole at z = 0, at z = inf and the wavelength all decrease with r",
        f"r = {fmt_list(rs, 1)}: <L_x^x>(0) = {fmt_list(at0)}, (inf) = {fmt_list(inf)}, wavelength = {fmt_list(lam, 1)}",
        mark(dec(scan.at0["Lx"]) and dec(scan.inf["Lx"]) and dec(lam)),
    )
    yz0 = scan.at0["Lyz"]
    i_min = int(np.argmin(yz0))
    add(
        "Fig. 2d (yellow curve, recalled with Fig. 3c): <L_yz^x>(z = 0) is monotonic in r",
        f"not monotonic, changes sign: 0 at r = 0, minimum {fmt(yz0[i_min], 3)} at r = {fmt(scan.r_fine[i_min], 2)}, "
        f"zero at r = {fmt(crossing(scan.r_fine[1:], yz0[1:]), 2)}, {fmt(yz0[-1], 4)} at r = 10",
        mark(dec(yz0[1:]) or bool(np.all(np.diff(yz0) > 0))),
    )
    tq_pick = scan.inf0["Lyz"][pick]
    add(
        "Fig. 2e: the long-range torsional quadrupole <L_yz^x>(inf) increases with r",
        f"r = {fmt_list(rs, 1)}: {fmt_list(tq_pick, 4)}; maximum {fmt(scan.inf['Lyz'].max(), 4)} at r = "
        f"{fmt(scan.r_fine[int(np.argmax(scan.inf['Lyz']))], 2)}, then falls",
        mark(bool(np.all(np.diff(scan.inf["Lyz"]) > 0))),
    )
    pol = {
        "<L_x2-y2^x>(0)": scan.at0["Lx2-y2"],
        "<L_x2-y2^x>(inf)": scan.inf["Lx2-y2"],
        "<L_z2^z>(0)": scan.at0["Lz2"],
        "<L_z2^z>(inf)": scan.inf["Lz2"],
    }
    like_dipole = all(dec(v) and np.all(v > 0) for v in pol.values())
    signs = [
        f"{k} < 0 for r > {fmt(crossing(scan.r_fine[-v.size :], v), 2)}"
        for k, v in pol.items()
        if np.isfinite(crossing(scan.r_fine[-v.size :], v))
    ]
    add(
        "Fig. 2d-e: the polarisation quadrupoles L_x2-y2, L_z2 share the dipoles' trends in r",
        f"r = {fmt_list(rs, 1)}: <L_x2-y2^x>(0) = {fmt_list(scan.at0['Lx2-y2'][pick])}, "
        f"<L_z2^z>(0) = {fmt_list(scan.at0['Lz2'][pick])}, <L_z2^z>(inf) = {fmt_list(scan.inf0['Lz2'][pick])} "
        f"(at r = 0 itself; the limit r -> 0+ is {fmt(scan.inf['Lz2'][0], 3)}); "
        + ("; ".join(signs) + ", unlike the dipoles, which stay positive" if signs else "all stay positive"),
        mark(like_dipole),
    )
    rat = float(jo.current_ratio(p, "z"))
    add(
        "J_L(0) = J_R(0) for \\|L_z> at alpha = 0, so delta = 0",
        f"\\|J_L/J_R - 1\\| {bound(rat - 1)}, delta {small(jo.memory_loss(p, 'z'))}",
        mark(abs(rat - 1) < 1e-12),
    )
    al = np.array([0.25, 0.5, 1.0, 2.0])
    dz = {t: np.asarray(jo.memory_loss(jo.Params(U, 0.5, al), "z", t)) for t in (1.0, 2.0, 5.0)}
    add(
        "Fig. 3a: delta grows with alpha_R; a larger transparency rho_R l_R/AR_I gives a smaller delta",
        f"alpha = {fmt_list(al, 2)}: " + "; ".join(f"transparency {t:g}: {fmt_list(v)}" for t, v in dz.items()),
        mark(bool(np.all(np.diff(dz[2.0]) > 0) and np.all(dz[5.0] < dz[2.0]) and np.all(dz[2.0] < dz[1.0]))),
    )
    rx = float(jo.current_ratio(p, "x"))
    a_thr = np.round(np.linspace(0.0, 1.0, 1001), 12)
    thr = _first_real(a_thr, np.asarray(jo.current_ratio(jo.Params(U, 0.5, a_thr), "x")))
    add(
        "Fig. 3b: delta for \\|L_x> grows from 0 with alpha_R",
        f"at alpha = 0, J_L/J_R = {fmt(rx)} < 1: no real delta (NaN) for alpha below {fmt(thr, 3)}; above it delta grows",
        mark(rx >= 1),
    )
    r_scan = np.array([0.0, 0.5, 1.0, 2.0, 3.0, 3.4, 5.0, 10.0, 20.0, 100.0])
    eyz = eta(r_scan, 0.0, "x", "Lyz")
    # the sharp local peak (the global maximum over [0, 20] is at r = 20, eta_yz^x grows again)
    i_pk = int(np.argmax(np.where(scan.r_eta <= 10.0, scan.eta_yz, -np.inf)))
    fine_pk = np.linspace(scan.r_eta[i_pk] - 0.05, scan.r_eta[i_pk] + 0.05, 201)
    e_pk = eta(fine_pk, 0.0, "x", "Lyz")
    after = scan.r_eta > fine_pk[int(np.argmax(e_pk))]
    i_dip = int(np.argmin(scan.eta_yz[after]))
    r_dip = scan.r_eta[after][i_dip]
    positive = bool(np.all(scan.eta_yz[1:] > 0) and np.all(eyz[1:] > 0))
    add(
        "Fig. 3c: eta_yz^x rises from 0 with r, peaks, decreases to zero and changes sign",
        f"r = {fmt_list(r_scan, 1)}: {fmt_list(eyz)}; peak {fmt(e_pk.max(), 3)} at r = {fmt(fine_pk[int(np.argmax(e_pk))], 2)}, "
        f"then a dip to {fmt(scan.eta_yz[after][i_dip], 3)} at r = {fmt(r_dip, 2)} and a rise; "
        + ("positive for every r > 0 sampled up to 100" if positive else "changes sign"),
        mark(not positive),
    )
    e2 = eta(r_scan, 0.0, "x", "Lx2-y2")
    ez = eta(r_scan, 0.0, "z", "Lz2")
    add(
        "Fig. 3c: eta_x2-y2^x and eta_z2^z start finite at r = 0 and vary non-monotonically",
        f"eta_x2-y2^x = {fmt_list(e2)}; eta_z2^z = {fmt_list(ez)}",
        mark(
            abs(e2[0] - 0.25) < 1e-9
            and abs(ez[0] - 0.5) < 1e-9
            and not np.all(np.diff(e2) > 0)
            and not np.all(np.diff(ez) > 0)
        ),
    )
    fine = np.round(np.linspace(0.0, 1.0, 201), 12)
    ef = eta(0.5, fine, "x", "Lyz")
    imax = int(np.argmax(ef))
    rise = (ef[imax] - ef[0]) / ef[0]
    flat_to = fine[int(np.argmax(ef < 0.99 * ef[0]))]
    add(
        "Fig. 3d: eta_yz^x has a maximum vs alpha_R",
        f"maximum {fmt(ef[imax], 5)} at alpha = {fmt(fine[imax], 3)} against {fmt(ef[0], 5)} at alpha = 0 "
        f"({100 * rise:.2f}% higher): flat, within 1% of its alpha = 0 value up to alpha = {fmt(flat_to, 3)}, then falls",
        mark(0 < imax < fine.size - 1 and rise > 0.01, marginal=0 < imax < fine.size - 1 and rise <= 0.01),
    )
    a_scan = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0])
    e2a = eta(0.5, a_scan, "x", "Lx2-y2")
    eza = eta(0.5, a_scan, "z", "Lz2")
    add(
        "Fig. 3d: eta_x2-y2^x and eta_z2^z decrease with alpha_R",
        f"alpha = {fmt_list(a_scan, 2)}: eta_x2-y2^x = {fmt_list(e2a)}; eta_z2^z = {fmt_list(eza)}",
        mark(bool(np.all(np.diff(e2a) < 0) and np.all(np.diff(eza) < 0))),
    )
    prof = jo.profile(p, np.array([0.0, 200.0, 400.0]), "z")
    add(
        "Fig. 4a: tau_z oscillates and damps to zero",
        f"tau_z(0) = {fmt(prof.torque['Lz'][0])}, tau_z(200) = {prof.torque['Lz'][1]:.1e}, tau_z(400) = {prof.torque['Lz'][2]:.1e}",
        mark(abs(prof.torque["Lz"][2]) < 1e-4),
    )
    zt = np.round(np.linspace(100.0, 400.0, 301), 12)
    tails, rel = [], []
    for r in (0.5, 1.5, 10.0):
        pr = jo.Params(U, r, 0.0)
        t = {
            inc: np.abs(np.asarray(jo.profile(pr, zt, inc, observables=(f"L{inc}",)).torque[f"L{inc}"])).max()
            for inc in "zx"
        }
        tails.append(f"r = {r:g}: {t['x']:.1e} (\\|L_x>) vs {t['z']:.1e} (\\|L_z>)")
        c_inf = float(jo.mean_torque(pr, "x"))
        rel.append(abs(float(jo.mean_torque(pr, "x", thickness_kF=D_KF)) / c_inf - 1))
    add(
        "Fig. 4b: tau_x(z) of \\|L_x> for r = 0.5, 1.5, 10 (the text gives only the omega_dot of the table above)",
        "tau_x oscillates and damps far more slowly than tau_z: max\\|tau\\| over 100 <= z <= 400 is "
        + "; ".join(tails)
        + f"; so a 10 nm layer absorbs c(D) up to {100 * max(rel):.0f}% away from c(inf) for \\|L_x>",
        "not stated in the text",
    )
    amp = [float(jo.profile(jo.Params(U, 0.5, a), 0.0, "x").density["Lx"][0]) for a in (0.0, 0.5, 1.0)]
    add(
        "Increasing alpha_R slightly decreases the injected amplitudes",
        f"<L_x^x>(0) at alpha = 0, 0.5, 1: {fmt_list(amp, 4)}",
        mark(amp[0] > amp[1] > amp[2]),
    )
    return out, {
        "peak": float(fine_pk[int(np.argmax(e_pk))]),
        "dip": float(r_dip),
        "dip_value": float(scan.eta_yz[after][i_dip]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--out",
        default=str(Path(__file__).resolve().parents[1] / "docs" / "paper-comparison.md"),
        help="output file (default: docs/paper-comparison.md of this repository)",
    )
    args = ap.parse_args()
    p = jo.Params(U, 0.5, 0.0)
    px, pz = jo.profile(p, 0.0, "x"), jo.profile(p, 0.0, "z")
    scan = Scan()
    rows, eta_pts = claims(scan)
    lines = [
        "# jaxorb versus the paper, figure by figure",
        "",
        "Generated by `python examples/paper_comparison.py` (jaxorb " + jo.__version__ + "); do not edit by hand.",
        "Paper: Sun, Go, Mokrousov, Linder, Manchon, *Interfacial orbital transmission, conversion, and",
        "mechanical torque in metals*. Its supplement (boundary conditions, normalisations) is not available;",
        "jaxorb follows docs/theory.md, whose boundary conditions (§4) conserve probability current through",
        "the interface for every (kappa, phi, alpha) and keep the L_z current continuous at alpha = 0, as the",
        "paper states. The model is never tuned toward the paper's numbers. Values below 1e-14 are rounding",
        "noise and are written as that bound. The memory-loss parameter rho_R l_R / AR_I of the paper's Eq. 9",
        "is called `transparency` in jaxorb (docs/theory.md §8).",
        "",
        "## Anchors (U = 0.5, r = 0.5, alpha = 0)",
        "",
        "| quantity | jaxorb |",
        "|---|---|",
        f"| <L_x^x>(z = 0) | {fmt(px.density['Lx'][0], 6)} |",
        f"| <L_z^z>(z = 0) | {fmt(pz.density['Lz'][0], 6)} |",
        f"| J_Lz(0), \\|L_z> | {fmt(pz.current['Lz'][0], 6)} |",
        f"| c = J(inf) - J(0), \\|L_z> | {fmt(pz.current_inf['Lz'] - pz.current['Lz'][0], 6)} |",
        "",
        "## Mechanical torque: angular acceleration of the paper's Al cylinder",
        "",
        "omega_dot = 2 c hbar^2 pi^2 k_F / (D m M), k_F = 1e10 1/m, D = 10 nm (= 100/k_F), M = 8.48e-23 kg.",
        "The paper's c is inferred from its omega_dot with the same arithmetic (its text gives c ~ -0.3 for",
        "\\|L_z>, r = 0.5). c(inf) is the paper's definition J(inf) - J(0); c(D) = J(D) - J(0) is the torque",
        "a 10 nm layer actually absorbs (docs/theory.md §7).",
        "",
        "| injection | r | paper omega_dot (rad/s^2) | paper c | jaxorb c(inf) | jaxorb omega_dot | vs paper | jaxorb c(D = 10 nm) | omega_dot from c(D) |",
        "|---|---|---|---|---|---|---|---|---|",
        *torque_rows(),
        "",
        "The ordering \\|omega_dot(r = 1.5)\\| > \\|omega_dot(0.5)\\| > \\|omega_dot(10)\\| is "
        + ("reproduced for both injections" if _ordering_holds() else "**not** reproduced")
        + f"; jaxorb's omega_dot differs from the paper's by {torque_deviation()}.",
        f"The gap is not a quadrature error (c changes by {torque_convergence()} with 200 Gauss nodes per kappa segment);",
        "it reflects conventions of the unavailable supplement (boundary-condition ordering, normalisation of the",
        "Fermi average, which the paper prints as 1/(pi k_z^j) and jaxorb reads as 1/(pi k_F^2)).",
        "",
        "## Qualitative claims",
        "",
        "| paper | jaxorb | |",
        "|---|---|---|",
        *rows,
        "",
        "## Where and why jaxorb differs",
        "",
        "* **eta_yz^x sign change (Fig. 3c).** The paper finds eta_yz^x(r) decreasing to zero and changing",
        "  sign at large r. With current-conserving boundary conditions it rises from 0, peaks sharply near",
        f"  r = {fmt(eta_pts['peak'], 2)} (where an interface state touches kappa = k_F: the 6x6 matrix becomes nearly singular at",
        f"  kappa -> 1), dips to a local minimum {fmt(eta_pts['dip_value'], 3)} near r = {fmt(eta_pts['dip'], 2)}, then grows again; it is",
        "  positive for every r > 0 sampled up to 100 (no sign change). Changing the boundary-condition ordering",
        "  could change this, but the alternatives break current conservation or L_z continuity",
        "  (docs/theory.md §4), so jaxorb keeps its result.",
        "* **<L_yz^x>(z = 0) vs r (Fig. 2d)** is not monotonic: it falls from 0, turns, and changes sign (row",
        "  above). The paper contrasts the non-monotonic eta_yz^x with a monotonic <L_yz^x>(z = 0); in jaxorb",
        "  both are non-monotonic.",
        "* **Antisymmetric <L_z2> for \\|L_x> and \\|L_y>.** Rotating by pi/2 about z maps \\|L_x> to \\|L_y>",
        "  and leaves the Hamiltonian and L_z2 unchanged, so <L_z2^x> = <L_z2^y> exactly; jaxorb gives equal",
        "  values. Only <L_x2-y2> (odd under that rotation) is antisymmetric.",
        "* **Polarisation quadrupoles vs r (Fig. 2d-e).** Their magnitudes fall with r like the dipoles', but",
        "  <L_z2^z> changes sign (row above), which the dipoles never do.",
        "* **eta_yz^x vs alpha_R (Fig. 3d).** The maximum exists but is marginal: eta_yz^x stays flat in",
        "  alpha_R over a wide range before it falls (row above).",
        "* **Torque magnitudes** differ (table above); the ordering in r is the paper's.",
        f"* **delta for \\|L_x> at small alpha_R (Fig. 3b)**: J_L/J_R = {fmt(float(jo.current_ratio(p, 'x')), 3)} < 1 at alpha = 0, so Eq. 9 has no",
        "  real root there; jaxorb returns NaN (documented) instead of clipping to 0. The paper's curve starts",
        "  at 0, which suggests its ratio was >= 1 in its conventions.",
        "* **The z -> inf mean torque** (the paper's c) does not vanish as r -> 0+ "
        + f"(c(r = 1e-6) = {fmt(jo.mean_torque(jo.Params(U, 1e-6, 0.0), 'z'))} for \\|L_z>, "
        + f"{fmt(jo.mean_torque(jo.Params(U, 1e-6, 0.0), 'x'))} for \\|L_x>)",
        "  although c = 0 at r = 0: the precession length diverges, so the limits do not commute",
        "  (docs/theory.md §7). The finite-thickness c(D) does vanish "
        + f"(c(D = 10/k_F) = {float(jo.mean_torque(jo.Params(U, 1e-3, 0.0), 'z', thickness_kF=10.0)):.1e} at r = 1e-3); both are reported.",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
