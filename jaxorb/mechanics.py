"""SI conversion of the mean torque into the angular acceleration of a cylinder (docs/theory.md §7).

The paper's arithmetic: tau_bar = c hbar^2 / (k_F D m) per electron channel; times pi k_F^2 per
unit area and pi R^2 of area gives the torque on a cylinder of radius R; divided by its moment of
inertia M R^2 / 2:  omega_dot = 2 c hbar^2 pi^2 k_F / (D m M)  (R cancels).

Every length here is in metres and its argument name says so (``thickness_m``, ``radius_m``,
``height_m``): the model's own lengths (:func:`jaxorb.mean_torque`'s ``thickness_kF``) are in
1/k_F.
"""

from __future__ import annotations

import numpy as np

from .params import check_positive, check_real

HBAR = 1.054571817e-34  # J s
ELECTRON_MASS = 9.1093837015e-31  # kg
ALUMINIUM_DENSITY = 2700.0  # kg / m^3


def _scalar_or_array(arr: np.ndarray):
    return float(arr) if arr.ndim == 0 else arr


def cylinder_mass(radius_m=1e-9, height_m=10e-9, density=ALUMINIUM_DENSITY):
    """Mass pi R^2 h rho in kg; the default is the paper's Al cylinder (8.48e-23 kg).

    Args:
        radius_m: radius R in m, > 0.
        height_m: height h in m, > 0.
        density: mass density rho in kg/m^3, > 0.

    Raises:
        ValueError: a non-real, non-finite or non-positive input, named.
    """
    R = check_positive("radius_m", radius_m, "m")
    h = check_positive("height_m", height_m, "m")
    rho = check_positive("density", density, "kg/m^3")
    return _scalar_or_array(np.pi * R**2 * h * rho)


def angular_acceleration(c, k_F=1e10, thickness_m=10e-9, mass=None, *, thickness=None):
    """Angular acceleration omega_dot = 2 c hbar^2 pi^2 k_F / (D m M), rad/s^2.

    Args:
        c: mean-torque coefficient (:func:`jaxorb.mean_torque`), dimensionless; array allowed.
        k_F: Fermi wavevector in 1/m (paper: 1e10).
        thickness_m: layer thickness D in metres (paper: 10e-9). Not the ``thickness_kF`` of
            :func:`jaxorb.mean_torque`, which is in 1/k_F: D_m = thickness_kF / k_F.
        mass: cylinder mass M in kg; default :func:`cylinder_mass` (Al, R = 1 nm, h = D).
        thickness: former name of ``thickness_m``; refused, because the same word meant 1/k_F in
            :func:`jaxorb.mean_torque`.

    Example: c = -0.306 gives about -870 rad/s^2, the paper's figure.

    Raises:
        ValueError: a non-real, non-finite or non-positive input, named.
    """
    if thickness is not None:
        raise ValueError(
            "angular_acceleration takes thickness_m (the layer thickness in metres, e.g. 10e-9), "
            "not thickness; mean_torque's thickness_kF is in 1/k_F (D_m = thickness_kF / k_F)"
        )
    c_arr = check_real("c", c, "a real mean-torque coefficient")
    k = check_positive("k_F", k_F, "1/m")
    d = check_positive("thickness_m", thickness_m, "m")
    if mass is None:
        mass = cylinder_mass(height_m=thickness_m)
    m = check_positive("mass", mass, "kg")
    c = c if c_arr is None else c_arr  # traced c (grad through the conversion) passes as is
    out = 2.0 * c * HBAR**2 * np.pi**2 * k / (d * ELECTRON_MASS * m)
    return _scalar_or_array(out) if isinstance(out, np.ndarray) else out
