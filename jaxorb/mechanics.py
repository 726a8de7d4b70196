"""SI conversion of the mean torque into the angular acceleration of a cylinder (paper, end).

The paper's arithmetic: tau_bar = c hbar^2 / (k_F D m) per electron channel; times pi k_F^2 per
unit area and pi R^2 of area gives the torque on a cylinder of radius R; divided by its moment of
inertia M R^2 / 2:  omega_dot = 2 c hbar^2 pi^2 k_F / (D m M)  (R cancels).
"""

from __future__ import annotations

import numpy as np

from .params import check_real

HBAR = 1.054571817e-34  # J s
ELECTRON_MASS = 9.1093837015e-31  # kg
ALUMINIUM_DENSITY = 2700.0  # kg / m^3


def cylinder_mass(radius: float = 1e-9, height: float = 10e-9, density: float = ALUMINIUM_DENSITY) -> float:
    """Mass pi R^2 h rho in kg; the default is the paper's Al cylinder (8.48e-23 kg)."""
    return float(np.pi * radius**2 * height * density)


def angular_acceleration(c, k_F: float = 1e10, thickness: float = 10e-9, mass: float | None = None):
    """Angular acceleration omega_dot = 2 c hbar^2 pi^2 k_F / (D m M), rad/s^2.

    Args:
        c: mean-torque coefficient (:func:`jaxorb.mean_torque`), dimensionless; array allowed.
        k_F: Fermi wavevector in 1/m (paper: 1e10).
        thickness: layer thickness D in m (paper: 10 nm).
        mass: cylinder mass M in kg; default :func:`cylinder_mass` (Al, R = 1 nm, h = D).

    Example: c = -0.306 gives about -870 rad/s^2, the paper's figure.
    """
    for name, value in (("k_F", k_F), ("thickness", thickness)):
        arr = check_real(name, value, f"{name} > 0 (SI units)")
        if arr is not None and np.any(arr <= 0):
            raise ValueError(f"{name} must be > 0 (SI units); got {value!r}")
    if mass is None:
        mass = cylinder_mass(height=thickness)
    arr = check_real("mass", mass, "mass > 0 in kg")
    if arr is not None and np.any(arr <= 0):
        raise ValueError(f"mass must be > 0 in kg; got {mass!r}")
    return 2.0 * c * HBAR**2 * np.pi**2 * k_F / (thickness * ELECTRON_MASS * mass)
