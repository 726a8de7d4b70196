"""Numbers behind the paper's figures (no plotting here; see :mod:`jaxorb.plotting`).

Each ``figN_data`` returns a JSON-serialisable dict: parameters, units and the plotted arrays.
"""

from __future__ import annotations

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


def _rho(incident):
    return jnp.asarray(profiles.density_matrix(incident))


def _tolist(tree):
    return jax.tree_util.tree_map(lambda x: np.asarray(x).tolist(), tree)


def fig1_data(U: float = 0.5, r: float = 0.5, z_max: float = 60.0, nz: int = 601) -> dict:
    """Paper Fig. 1: every dipole and quadrupole density vs z for |L_x> and |L_z> injection."""
    z = np.linspace(0.0, z_max, nz)
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
    }


_FIG2_OPS = ("Lx", "Lz", "Lyz", "Lx2-y2", "Lz2")


def fig2_data(
    U: float = 0.5, r_curves=(0.0, 0.5, 1.5, 5.0), r_max: float = 10.0, nr: int = 81, z_max: float = 60.0, nz: int = 601
) -> dict:
    """Paper Fig. 2: r-dependence. Curves vs z for several r; values at z = 0 and z -> inf and
    the precession wavelength 2 pi / |k_r - k_t| vs r. Injections: <L_x^x>, <L_z^z>,
    <L_yz^x>, <L_x2-y2^x>, <L_z2^z>."""
    z = np.linspace(0.0, z_max, nz)
    n = profiles.nodes_for_depth(z_max)
    rho = jnp.stack([_rho("x"), _rho("z")])
    pick = {"Lx": (0, "Lx"), "Lz": (1, "Lz"), "Lyz": (0, "Lyz"), "Lx2-y2": (0, "Lx2-y2"), "Lz2": (1, "Lz2")}

    curves = jax.vmap(lambda rr: profiles.profile_arrays(U, rr, 0.0, rho, z, n=n)["density"])(jnp.asarray(r_curves))
    curves = np.asarray(curves)
    r_grid = np.linspace(0.0, r_max, nr)
    at0 = jax.vmap(lambda rr: profiles.profile_arrays(U, rr, 0.0, rho, jnp.zeros(1), n=profiles.NODES_BASE))(
        jnp.asarray(r_grid)
    )
    lam = np.asarray(bands.precession_wavelength(U, r_grid))
    return {
        "params": {"U": U, "alpha": 0.0, "nodes_per_segment": n},
        "units": UNITS,
        "z": z.tolist(),
        "r_curves": list(r_curves),
        "curves": {key: curves[:, i, OPERATOR_NAMES.index(op), :].tolist() for key, (i, op) in pick.items()},
        "r": r_grid.tolist(),
        "at_z0": {
            key: np.asarray(at0["density"])[:, i, OPERATOR_NAMES.index(op), 0].tolist() for key, (i, op) in pick.items()
        },
        "at_inf": {
            key: np.asarray(at0["density_inf"])[:, i, OPERATOR_NAMES.index(op)].tolist()
            for key, (i, op) in pick.items()
        },
        "wavelength": np.where(np.isfinite(lam), lam, np.nan).tolist(),
        "labels": {key: f"<{op}^{'xz'[i]}>" for key, (i, op) in pick.items()},
    }


def fig3_data(
    U: float = 0.5,
    r_fixed: float = 0.5,
    alpha_max: float = 2.0,
    r_max: float = 20.0,
    n_points: int = 81,
    transparencies=(0.5, 1.0, 2.0, 5.0),
) -> dict:
    """Paper Fig. 3: memory loss delta vs alpha for |L_z> and |L_x> at several transparencies
    p (NaN where J_L/J_R < 1: no real delta), and conversion efficiencies vs r (alpha = 0) and
    vs alpha (r = 0.5)."""
    alpha = np.linspace(0.0, alpha_max, n_points)
    r_grid = np.linspace(0.0, r_max, n_points)
    pa = Params(U, r_fixed, alpha)
    pr = Params(U, r_grid, 0.0)
    effs = {"eta_yz_x": ("x", "Lyz"), "eta_x2-y2_x": ("x", "Lx2-y2"), "eta_z2_z": ("z", "Lz2")}
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
        "eta_vs_r": {k: np.asarray(transport.efficiency(pr, i, q)).tolist() for k, (i, q) in effs.items()},
        "eta_vs_alpha": {k: np.asarray(transport.efficiency(pa, i, q)).tolist() for k, (i, q) in effs.items()},
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
    z = np.linspace(0.0, z_max, nz)
    n = profiles.nodes_for_depth(z_max)
    d_kf = thickness_nm * 1e-9 * k_F
    out = {
        "params": {"U": U, "alpha": 0.0, "nodes_per_segment": n, "thickness_nm": thickness_nm, "k_F_per_m": k_F},
        "units": UNITS,
        "z": z.tolist(),
        "r": list(r_values),
        "injections": {},
    }
    for inc, op in (("z", "Lz"), ("x", "Lx")):
        tau, tau_a2, c_inf, c_d = [], [], [], []
        for rr in r_values:
            prof = profiles.profile(Params(U, rr, 0.0), z, inc, nodes=n)
            tau.append(np.asarray(prof.torque[op]).tolist())
            tau_a2.append(np.asarray(prof.torque_a2[op]).tolist())
            c_inf.append(float(transport.mean_torque(Params(U, rr, 0.0), inc)))
            c_d.append(float(transport.mean_torque(Params(U, rr, 0.0), inc, thickness=d_kf)))
        out["injections"][inc] = {
            "tau": tau,
            "tau_a2": tau_a2,
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


__all__ = ["DIPOLES", "QUADRUPOLES", "UNITS", "fig1_data", "fig2_data", "fig3_data", "fig4_data"]
