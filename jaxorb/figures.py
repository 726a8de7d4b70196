"""Numbers behind the paper's figures and the spinful model's conversion figure
(:func:`figspin_data`, docs/theory.md §12); no plotting here, see :mod:`jaxorb.plotting`.

Each ``figN_data`` returns a JSON-serialisable dict: parameters, units, the plotted arrays and
``keys``, one line per key saying what it holds. Sampled coordinates (z, r, alpha) are exact
decimals (0.1, not 0.30000000000000004) so the JSON reads as written.

The memory-loss parameter is called ``transparency`` everywhere, as in
:func:`jaxorb.memory_loss`: p = rho_R l_R / (A R_I) of the paper's Eq. 9 (orbital resistivity rho_R
times orbital diffusion length l_R of the right layer, over the areal interface resistance
A R_I), docs/theory.md §8.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from . import bands, mechanics, profiles, transport
from .operators import DIPOLES, OPERATOR_NAMES, QUADRUPOLES
from .params import Params

UNITS = {
    "z": "1/k_F",
    "density": "hbar",
    "current": "hbar * hbar k_F / m",
    "torque": "hbar * hbar k_F^2 / m",
    "wavelength": "1/k_F",
    "U": "E_F",
    "r": "hbar^2/2m",
    "alpha": "hbar^2/2m",
    "angular_acceleration": "rad/s^2",
}

# r at which the r -> 0+ side of the non-commuting limits (z -> inf, r -> 0) is evaluated: the
# precession length 2 pi / |k_r - k_t| is ~1e7 / k_F there, far beyond any depth of interest
R_0PLUS = 1e-6


def grid(lo: float, hi: float, n: int) -> np.ndarray:
    """n equally spaced points from lo to hi, each the double nearest its decimal value."""
    return np.round(np.linspace(lo, hi, n), 12)


def _rho(incident):
    return jnp.asarray(profiles.density_matrix(incident))


def _common_keys() -> dict:
    return {"params": "parameters of the figure (U in E_F, r and alpha in hbar^2/2m)", "units": "unit of each key"}


def fig1_data(U: float = 0.5, r: float = 0.5, z_max: float = 60.0, nz: int = 601) -> dict:
    """Paper Fig. 1: every dipole and quadrupole density vs z for |L_x> and |L_z> injection."""
    z = grid(0.0, z_max, nz)
    n = profiles.nodes_for_depth(z_max)
    rho = jnp.stack([_rho("x"), _rho("z")])
    out = profiles.profile_arrays(U, r, 0.0, rho, z, n=n)
    dens = np.asarray(out["density"])
    k_t, k_r = bands.fermi_wavevectors(U, r)
    return {
        "params": {"U": U, "r": r, "alpha": 0.0, "nodes_per_segment": n},
        "units": UNITS,
        "k_t": float(k_t),
        "k_r": float(k_r),
        "z": z.tolist(),
        "density": {inc: dict(zip(OPERATOR_NAMES, dens[i].tolist())) for i, inc in enumerate(("x", "z"))},
        "keys": {
            **_common_keys(),
            "k_t": "Fermi wavevector of the L_z = 0 band of the right layer (k_F)",
            "k_r": "Fermi wavevector of the L_z = +-1 bands of the right layer (k_F)",
            "z": "depth (1/k_F)",
            "density": "density[j][O]: <O^j>(z) for |L_j> injected, O in " + " ".join(OPERATOR_NAMES) + " (hbar)",
        },
    }


_FIG2_PICK = {"Lx": ("x", "Lx"), "Lz": ("z", "Lz"), "Lyz": ("x", "Lyz"), "Lx2-y2": ("x", "Lx2-y2"), "Lz2": ("z", "Lz2")}


def fig2_data(
    U: float = 0.5, r_curves=(0.0, 0.5, 1.5, 5.0), r_max: float = 10.0, nr: int = 81, z_max: float = 60.0, nz: int = 601
) -> dict:
    """Paper Fig. 2: r-dependence. Curves vs z for several r; values at z = 0 and z -> inf and
    the precession wavelength 2 pi / |k_r - k_t| vs r. Injections: <L_x^x>, <L_z^z>,
    <L_yz^x>, <L_x2-y2^x>, <L_z2^z>.

    z -> inf and r -> 0 do not commute (docs/theory.md §7): ``at_inf`` at r = 0 is the r = 0
    value, ``at_inf_0plus`` the limit r -> 0+ (evaluated at r = :data:`R_0PLUS`)."""
    z = grid(0.0, z_max, nz)
    n = profiles.nodes_for_depth(z_max)
    incs = ("x", "z")
    rho = jnp.stack([_rho(i) for i in incs])
    idx = {key: (incs.index(i), OPERATOR_NAMES.index(op)) for key, (i, op) in _FIG2_PICK.items()}

    curves = jax.vmap(lambda rr: profiles.profile_arrays(U, rr, 0.0, rho, z, n=n)["density"])(jnp.asarray(r_curves))
    curves = np.asarray(curves)
    r_grid = grid(0.0, r_max, nr)
    r_all = np.append(r_grid, R_0PLUS)
    at0 = jax.vmap(lambda rr: profiles.profile_arrays(U, rr, 0.0, rho, jnp.zeros(1), n=profiles.NODES_BASE))(
        jnp.asarray(r_all)
    )
    dens0 = np.asarray(at0["density"])[..., 0]
    dinf = np.asarray(at0["density_inf"])
    lam = np.asarray(bands.precession_wavelength(U, r_grid))
    return {
        "params": {"U": U, "alpha": 0.0, "nodes_per_segment": n},
        "units": UNITS,
        "z": z.tolist(),
        "r_curves": list(r_curves),
        "curves": {key: curves[:, i, o, :].tolist() for key, (i, o) in idx.items()},
        "r": r_grid.tolist(),
        "at_z0": {key: dens0[:-1, i, o].tolist() for key, (i, o) in idx.items()},
        "at_inf": {key: dinf[:-1, i, o].tolist() for key, (i, o) in idx.items()},
        "r_0plus": R_0PLUS,
        "at_inf_0plus": {key: float(dinf[-1, i, o]) for key, (i, o) in idx.items()},
        "wavelength": [float(x) if np.isfinite(x) else None for x in lam],
        "injection": {key: i for key, (i, _) in _FIG2_PICK.items()},
        "keys": {
            **_common_keys(),
            "z": "depth (1/k_F)",
            "r_curves": "crystal fields r of the curves vs z (hbar^2/2m)",
            "curves": "curves[O][k]: <O^j>(z) at r = r_curves[k], j = injection[O] (hbar)",
            "r": "crystal-field grid of the r-dependence panels (hbar^2/2m)",
            "at_z0": "at_z0[O]: <O^j>(z = 0) on the r grid (hbar)",
            "at_inf": "at_inf[O]: <O^j>(z -> inf) on the r grid; at r = 0 the r = 0 value (hbar)",
            "r_0plus": "small r standing for r -> 0+ (hbar^2/2m)",
            "at_inf_0plus": "at_inf_0plus[O]: lim r -> 0+ of <O^j>(z -> inf), not the r = 0 value (hbar)",
            "wavelength": "precession wavelength 2 pi / |k_r - k_t| on the r grid, null (infinite) at r = 0 (1/k_F)",
            "injection": "injection[O]: the injected state j of each observable",
        },
    }


def avoid_points(x, avoid=(), gap: float = 1e-6) -> np.ndarray:
    """``x`` with every point closer than ``gap`` to one of ``avoid`` moved to that point + gap
    (or - gap when + gap would leave the interval [x_0, x_-1]); no duplicates."""
    x = np.asarray(x, dtype=float).copy()
    for s in avoid:
        near = np.abs(x - s) < gap
        if np.any(near):
            x[near] = s + gap if s + gap <= x.max() else s - gap
    return np.unique(x) if avoid else x


def refine(f, x, rounds: int = 4, batch: int | None = None, avoid=(), gap: float = 1e-6):
    """Sample the curves ``f`` densely where they bend or change fast.

    Each round bisects the ``batch`` intervals that are longest in the plane of (x, f(x)) both
    scaled to unit range (the arc length a plot shows), so sharp peaks get the points. Every
    batch has the same size, so a jitted ``f`` compiles once.

    Args:
        f: callable (m,) -> (k, m), k curves at m points.
        x: (n,) sorted initial points.
        rounds: bisection rounds.
        batch: points added per round (default n).
        avoid: points where ``f`` is not evaluated: a midpoint closer than ``gap`` to one of them
            is moved ``gap`` away from it (``x`` itself must keep clear of them).
        gap: see ``avoid``.

    Returns:
        (x, y): sorted points (n + rounds * batch at most, duplicates removed) and (k, len(x)).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(f(x))
    batch = x.size if batch is None else batch
    for _ in range(rounds):
        span = np.ptp(y, axis=1, keepdims=True)
        dy = np.diff(y, axis=1) / np.where(span > 0, span, 1.0)
        dx = np.diff(x) / np.ptp(x)
        length = np.hypot(dx, np.max(np.abs(dy), axis=0))
        pick = np.argsort(-length, kind="stable")[:batch]
        mid = 0.5 * (x[pick] + x[pick + 1])
        for s in avoid:
            near = np.abs(mid - s) < gap
            mid[near] = np.where(x[pick + 1][near] > s + gap, s + gap, s - gap)
        mid = np.pad(mid, (0, batch - mid.size), mode="edge")
        ym = np.asarray(f(mid))
        xs, keep = np.unique(np.concatenate([x, mid]), return_index=True)
        x, y = xs, np.concatenate([y, ym], axis=1)[:, keep]
    return x, y


_FIG3_EFFS = {"eta_yz_x": ("x", "Lyz"), "eta_x2-y2_x": ("x", "Lx2-y2"), "eta_z2_z": ("z", "Lz2")}


def fig3_data(
    U: float = 0.5,
    r_fixed: float = 0.5,
    alpha_max: float = 2.0,
    r_max: float = 20.0,
    n_points: int = 81,
    transparencies=(0.5, 1.0, 2.0, 5.0),
) -> dict:
    """Paper Fig. 3: memory loss delta vs alpha for |L_z> and |L_x> at several transparencies
    (NaN where J_L/J_R < 1: no real delta), and conversion efficiencies vs r (alpha = 0) and vs
    alpha (r = r_fixed).

    The efficiencies vs r are sampled by :func:`refine` from ``n_points`` equally spaced ones:
    eta_yz^x has a sharp peak near r = 3.4 (an interface state at kappa = k_F) that an equally
    spaced grid would cut."""
    alpha = grid(0.0, alpha_max, n_points)
    pa = Params(U, r_fixed, alpha)

    def effs(r):
        p = Params(U, jnp.asarray(r), 0.0)
        return np.stack([np.asarray(transport.efficiency(p, i, q)) for i, q in _FIG3_EFFS.values()])

    r_grid, eta_r = refine(effs, grid(0.0, r_max, n_points))
    delta = {}
    ratio = {}
    for inc in ("z", "x"):
        rat = transport.current_ratio(pa, inc)
        ratio[inc] = np.asarray(rat).tolist()
        delta[inc] = {str(p): np.asarray(transport.solve_memory_loss(rat, p)).tolist() for p in transparencies}
    return {
        "params": {"U": U, "r_fixed": r_fixed},
        "units": UNITS,
        "alpha": alpha.tolist(),
        "r": r_grid.tolist(),
        "transparencies": list(transparencies),
        "current_ratio": ratio,
        "delta": delta,
        "eta_vs_r": {k: eta_r[i].tolist() for i, k in enumerate(_FIG3_EFFS)},
        "eta_vs_alpha": {k: np.asarray(transport.efficiency(pa, i, q)).tolist() for k, (i, q) in _FIG3_EFFS.items()},
        "keys": {
            **_common_keys(),
            "alpha": "interfacial Rashba grid (hbar^2/2m)",
            "r": "crystal-field points of eta_vs_r, denser where the curves bend (hbar^2/2m)",
            "transparencies": "transparency p = rho_R l_R / (A R_I) of Eq. 9 for each delta curve",
            "current_ratio": "current_ratio[j]: J_L(0)/J_R(0) of |L_j> vs alpha at r = r_fixed",
            "delta": "delta[j][p]: memory loss of |L_j> vs alpha at transparency p; null where J_L/J_R < 1",
            "eta_vs_r": "conversion efficiencies Q_R(0)/J_L(0) vs r at alpha = 0",
            "eta_vs_alpha": "conversion efficiencies vs alpha at r = r_fixed",
        },
    }


def fig4_data(
    U: float = 0.5,
    r_values=(0.5, 1.5, 10.0),
    z_max: float = 60.0,
    nz: int = 601,
    thickness_nm: float = 10.0,
    k_F: float = 1e10,
) -> dict:
    """Paper Fig. 4: torque density tau(z) = dJ/dz of the injected dipole for |L_z> and |L_x>
    at several r, with c = J(inf) - J(0), c(D) = J(D) - J(0) (D = thickness in 1/k_F) and the
    angular acceleration of the paper's Al cylinder."""
    z = grid(0.0, z_max, nz)
    n = profiles.nodes_for_depth(z_max)
    d_kf = thickness_nm * 1e-9 * k_F
    out = {
        "params": {"U": U, "alpha": 0.0, "nodes_per_segment": n, "thickness_nm": thickness_nm, "k_F_per_m": k_F},
        "units": UNITS,
        "z": z.tolist(),
        "r": list(r_values),
        "injections": {},
        "keys": {
            **_common_keys(),
            "z": "depth (1/k_F)",
            "r": "crystal fields of the curves (hbar^2/2m)",
            "injections": (
                "injections[j] for |L_j>: tau[k] = dJ/dz of L_j at r[k] (hbar * hbar k_F^2 / m); "
                "c_inf = J(inf) - J(0); c_thickness = J(D) - J(0), D = thickness_nm in 1/k_F; "
                "angular_acceleration_inf / _thickness: the Al cylinder's rad/s^2 from each c"
            ),
        },
    }
    for inc, op in (("z", "Lz"), ("x", "Lx")):
        tau, c_inf, c_d = [], [], []
        for rr in r_values:
            prof = profiles.profile(Params(U, rr, 0.0), z, inc, nodes=n)
            tau.append(np.asarray(prof.torque[op]).tolist())
            c_inf.append(float(transport.mean_torque(Params(U, rr, 0.0), inc)))
            c_d.append(float(transport.mean_torque(Params(U, rr, 0.0), inc, thickness_kF=d_kf)))
        out["injections"][inc] = {
            "tau": tau,
            "c_inf": c_inf,
            "c_thickness": c_d,
            "angular_acceleration_inf": [
                float(mechanics.angular_acceleration(c, k_F, thickness_nm * 1e-9)) for c in c_inf
            ],
            "angular_acceleration_thickness": [
                float(mechanics.angular_acceleration(c, k_F, thickness_nm * 1e-9)) for c in c_d
            ],
        }
    return out


__all__ = [
    "DIPOLES",
    "LAM_0PLUS",
    "QUADRUPOLES",
    "R_0PLUS",
    "SPIN_UNITS",
    "UNITS",
    "avoid_points",
    "fig1_data",
    "fig2_data",
    "fig3_data",
    "fig4_data",
    "figspin_data",
    "grid",
    "refine",
    "spin_conversion_curves",
    "spin_profile_curves",
]


# ---------------------------------------------------------------------------------------------
# The spinful model (docs/theory.md §12): orbital-to-spin conversion

SPIN_UNITS = {**UNITS, "lam": "E_F", "conversion": "1 (J_S / J_L, both in hbar * hbar k_F / m)"}
#: |lam| standing for lam -> 0+- (E_F): at r = 0 the far-field conversion jumps at lam = 0
#: (docs/theory.md §12), so the curves' limits are evaluated this close to it.
LAM_0PLUS = 1e-6
#: Distance (E_F) kept from the singular points lam = 1 - U and lam = -(1 - U)/2.
LAM_GAP = 1e-6
#: Observables of the profile panels: the injected dipoles and the spin.
_SPIN_PROFILE_NAMES = ("Lx", "Lz", "Sx", "Sy", "Sz")
_SPIN_INJ = ("z", "x")


@functools.partial(jax.jit, static_argnames=("names", "n"))
def spin_profile_curves(U, r, alpha, lam, rho, z, names: tuple[str, ...], n: int) -> dict:
    """:func:`jaxorb.spin.profile_arrays` vmapped over ``lam`` (nl,): every output gains a
    leading lam axis, e.g. density (nl, n_inj, n_ops, nz) (docs/theory.md §12)."""
    from .spin import api as spin_api

    return jax.vmap(lambda la: spin_api.profile_arrays(U, r, alpha, la, rho, z, names=names, n=n))(lam)


def _interface_ratios(U, r, alpha, lam, n: int):
    from .spin import fast as spin_fast
    from .spin import incident_density

    rows = (("inf", "Sz"), ("right", "Sz"), ("left", "Lz"))
    j = spin_fast.interface_rows(U, r, alpha, lam, incident_density("z"), rows, n)
    return j[:2] / j[2]


@functools.partial(jax.jit, static_argnames=("n",))
def spin_conversion_curves(U, r, alpha, lam, n: int):
    """J_Sz(inf) / J_Lz(0-) and J_Sz(0+) / J_Lz(0-) for |L_z> injection with unpolarised spin.

    The mirror-split fast path (:func:`jaxorb.spin.fast.interface_currents`) vmapped over curves
    and lam (docs/theory.md §12).

    Args:
        U: scalar (E_F). r, alpha: (nc,) one pair per curve (hbar^2/2m). lam: (nl,) (E_F).
        n: kappa nodes per segment (static).

    Returns:
        (nc, 2, nl): [:, 0] the far field, [:, 1] the interface (z = 0+), both over J_Lz(0-).
    """
    per_lam = jax.vmap(_interface_ratios, in_axes=(None, None, None, 0, None), out_axes=-1)
    return jax.vmap(per_lam, in_axes=(None, 0, 0, None, None))(U, r, alpha, lam, n)


def _lam_samples(U: float, lam_range: tuple[float, float], n_lam: int) -> tuple[np.ndarray, list[float]]:
    """The initial lam grid: ``n_lam`` exact decimals, plus +-LAM_0PLUS, kept LAM_GAP off the
    singular points inside the range (returned too)."""
    from .spin.inputs import singular_lams

    lo, hi = lam_range
    singular = [float(s) for _, s in singular_lams(U) if lo <= s <= hi]
    lam = np.union1d(grid(lo, hi, n_lam), [-LAM_0PLUS, LAM_0PLUS] if lo < 0 < hi else [])
    return avoid_points(lam, singular, LAM_GAP), singular


def figspin_data(
    U: float = 0.5,
    r: float = 0.5,
    alpha: float = 0.3,
    lam_profiles=(-0.3, 0.1, 0.3),
    z_max: float = 60.0,
    nz: int = 601,
    r_curves=(0.0, 0.1, 0.5, 2.0),
    lam_range: tuple[float, float] = (-0.8, 0.8),
    n_lam: int = 161,
    rounds: int = 3,
    nodes: int | None = None,
) -> dict:
    """Orbital-to-spin conversion of the spinful model (docs/theory.md §12).

    * Profiles: spin density and spin current vs z (and the injected dipole L_j) for |L_z> and
      |L_x> injection with unpolarised spin at each of ``lam_profiles``, at (U, r, alpha). By the
      mirror symmetries |L_z> makes only S_z and |L_x> only S_x (S_y and the others are stored).
    * Conversion vs lam: J_Sz(inf) / J_Lz(0-) (far field) and J_Sz(0+) / J_Lz(0-) (interface)
      for |L_z> at alpha and each of ``r_curves``, plus r = 0 at alpha = 0, the case of the
      non-commuting limit of docs/theory.md §12 (at r = 0 the far field tends to 2/9 as lam -> 0
      but is 0 at lam = 0). The lam samples are refined where the curves bend (:func:`refine`),
      include +-LAM_0PLUS and keep LAM_GAP off the singular points lam = 1 - U and
      lam = -(1 - U)/2, which the model refuses.

    One jitted call computes each group (vmapped over lam and the curves).

    Args:
        U, r, alpha: parameters of the profiles (E_F, hbar^2/2m); U and alpha also of the curves.
        lam_profiles: spin-orbit strengths of the profiles (E_F).
        z_max, nz: depths of the profiles, 0 to z_max (1/k_F).
        r_curves: crystal fields of the conversion curves (hbar^2/2m).
        lam_range, n_lam, rounds: the lam interval, its initial points and refinement rounds.
        nodes: kappa nodes per segment of both groups (default: grows with z_max for the profiles,
            :data:`jaxorb.spin.quadrature.DEFAULT_NODES` for the conversion curves).

    Returns:
        JSON-ready dict; its ``keys`` entry says what each key holds.

    Raises:
        ValueError: invalid parameters (naming the parameter and its range), depths or counts.
    """
    from .params import validate_count
    from .spin import api as spin_api
    from .spin import incident_density, quadrature
    from .spin.inputs import validate_params

    lam_p = np.atleast_1d(np.asarray(lam_profiles, dtype=float))
    rc = np.atleast_1d(np.asarray(r_curves, dtype=float))
    validate_params(U, r, alpha, lam_p)
    validate_params(U, rc, alpha, 0.0)
    if lam_p.ndim != 1 or rc.ndim != 1 or lam_p.size == 0 or rc.size == 0:
        raise ValueError("lam_profiles and r_curves must be nonempty 1-D sequences of numbers")
    lo, hi = (float(v) for v in lam_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"lam_range must be two finite numbers lo < hi (E_F); got {lam_range!r}")
    if not (np.isfinite(z_max) and z_max > 0):
        raise ValueError(f"z_max must be a finite depth > 0 (1/k_F); got {z_max!r}")
    nz = validate_count("nz", nz, 2)
    n_lam = validate_count("n_lam", n_lam, 3)
    rounds = validate_count("rounds", rounds, 0)
    n_prof = spin_api.nodes_for_depth(z_max) if nodes is None else validate_count("nodes", nodes, 2)
    n_conv = quadrature.DEFAULT_NODES if nodes is None else n_prof

    # profiles: one call, vmapped over lam, both injections at once
    z = grid(0.0, z_max, nz)
    rho = jnp.stack([jnp.asarray(incident_density(j)) for j in _SPIN_INJ])
    out = spin_profile_curves(U, r, alpha, jnp.asarray(lam_p), rho, jnp.asarray(z), names=_SPIN_PROFILE_NAMES, n=n_prof)
    out = {k: np.asarray(v) for k, v in out.items()}
    idx = {name: i for i, name in enumerate(_SPIN_PROFILE_NAMES)}
    profiles = {}
    for i, j in enumerate(_SPIN_INJ):
        names = (f"L{j}", "Sx", "Sy", "Sz")
        left = out["current_left"][:, i, idx[f"L{j}"]]
        profiles[j] = {
            "density": {o: out["density"][:, i, idx[o]].tolist() for o in names},
            "current": {o: out["current"][:, i, idx[o]].tolist() for o in names},
            "current_inf": {o: out["current_inf"][:, i, idx[o]].tolist() for o in names},
            "current_left": left.tolist(),
            "conversion_inf": (out["current_inf"][:, i, idx[f"S{j}"]] / left).tolist(),
        }

    # conversion curves: (r, alpha) pairs, the last one r = 0 at alpha = 0
    cr = np.append(rc, 0.0)
    ca = np.append(np.full(rc.size, float(alpha)), 0.0)
    lam0, singular = _lam_samples(U, (lo, hi), n_lam)

    def curves(lam):
        vals = spin_conversion_curves(U, jnp.asarray(cr), jnp.asarray(ca), jnp.asarray(lam), n=n_conv)
        return np.asarray(vals).reshape(2 * cr.size, -1)

    lam, vals = refine(curves, lam0, rounds=rounds, avoid=singular, gap=LAM_GAP)
    vals = vals.reshape(cr.size, 2, -1)
    at0 = int(np.argmin(np.abs(lam))) if lo <= 0 <= hi else None
    limits = None
    if lo < 0 < hi:
        near = [int(np.argmin(np.abs(lam - s))) for s in (-LAM_0PLUS, LAM_0PLUS)]
        limits = vals[:, 0][:, near].tolist()
    return {
        "params": {
            "U": U,
            "r": r,
            "alpha": alpha,
            "nodes_per_segment_profiles": n_prof,
            "nodes_per_segment_conversion": n_conv,
        },
        "units": SPIN_UNITS,
        "z": z.tolist(),
        "lam_profiles": lam_p.tolist(),
        "profiles": profiles,
        "lam": lam.tolist(),
        "curves": [{"r": float(a), "alpha": float(b)} for a, b in zip(cr, ca)],
        "far_field": vals[:, 0].tolist(),
        "interface": vals[:, 1].tolist(),
        "at_lam0": None if at0 is None else vals[:, 0, at0].tolist(),
        "lam_0plus": LAM_0PLUS,
        "limit_lam0": limits,
        "singular_lam": singular,
        "keys": {
            **_common_keys(),
            "z": "depth of the profiles (1/k_F)",
            "lam_profiles": "spin-orbit strengths lam of the profiles (E_F)",
            "profiles": (
                "profiles[j]: |L_j> injected (unpolarised spin) at (U, r, alpha); density[O][k] and "
                "current[O][k]: <O>(z) (hbar) and J_O(z) (hbar * hbar k_F / m) at lam_profiles[k] for "
                "O = L_j, Sx, Sy, Sz; current_inf[O][k]: J_O(z -> inf); current_left[k]: J_Lj(0-); "
                "conversion_inf[k] = J_Sj(inf) / J_Lj(0-)"
            ),
            "lam": "spin-orbit strengths of the conversion curves, denser where they bend (E_F)",
            "curves": "curves[c]: r and alpha of curve c (hbar^2/2m); the last is r = 0 at alpha = 0",
            "far_field": "far_field[c][i] = J_Sz(inf) / J_Lz(0-) for |L_z> at lam[i]",
            "interface": "interface[c][i] = J_Sz(0+) / J_Lz(0-) for |L_z> at lam[i]",
            "at_lam0": "at_lam0[c]: far_field at lam = 0 (every spin current vanishes there)",
            "lam_0plus": "small |lam| standing for lam -> 0 (E_F)",
            "limit_lam0": (
                "limit_lam0[c] = far_field at lam = -lam_0plus and +lam_0plus: at r = 0 the limit lam -> 0, "
                "not the lam = 0 value (docs/theory.md §12: 2/9 at r = 0, alpha = 0)"
            ),
            "singular_lam": "lam = 1 - U and -(1 - U)/2 inside the range, refused by the model (E_F)",
        },
    }
