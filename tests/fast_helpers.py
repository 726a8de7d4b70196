"""Shared helpers of the fast-path tests: parameter points and the reference at z = 0."""

import jax.numpy as jnp
import numpy as np

import jaxorb as jo
from jaxorb import OPERATOR_NAMES, reference

INCIDENTS = ["x", "y", "z", jo.amplitudes(0.3, -0.1 + 0.2j, 0.5)]


def random_point(rng):
    """One random (U, r, alpha, kappa, phi) point, propagating and evanescent channels alike."""
    return dict(
        U=rng.uniform(-0.8, 0.95),
        r=rng.uniform(-0.8, 8.0),
        alpha=rng.uniform(-3.0, 3.0),
        kappa=rng.uniform(0.0, 1.0),
        phi=rng.uniform(0.0, 2 * np.pi),
    )


def random_state(rng):
    """A random normalised incident 3-vector (|m> amplitudes)."""
    v = rng.normal(size=3) + 1j * rng.normal(size=3)
    return v / np.linalg.norm(v)


def random_points(rng, n):
    U = rng.uniform(-0.8, 0.9, n)
    r = rng.uniform(-0.7, 6.0, n)
    a = rng.uniform(-2.0, 2.0, n)
    return list(zip(U, r, a))


# points next to the interface-state kink (U = 0.5, r ~ 3.45, alpha ~ 0) and on the benchmark grid
SPECIAL = [(0.5, 3.45, 0.0), (0.5, 3.397, 0.018), (0.5, 0.108, 1.685), (0.5, 9.9, 2.9), (0.5, 1e-3, 0.2)]


Z0 = jnp.zeros(1)


def reference_at_surface(U, r, a, inc, rule):
    """Right, left and z -> inf currents of every observable from the reference (6x6 solve per
    (kappa, phi), 5 phi points: exact) on the fast path's kappa rule."""
    out = reference.fermi_averages(U, r, a, jo.operators.incident_vector(inc), Z0, n_phi=5, rule=tuple(rule)[::2])
    return {"right": out["current"][:, 0], "left": out["current_left"], "inf": out["current_inf"]}


def reference_quantities(U, r, a, rule):
    """eta_yz^x, eta_x2-y2^x, eta_z2^z, J_L/J_R (z) with the reference path on ``rule``."""
    out = []
    for j in ("x", "z"):
        cur = reference_at_surface(U, r, a, j, rule)
        right, left = cur["right"], cur["left"]
        if j == "x":
            jl = left[0]
            out += [right[OPERATOR_NAMES.index("Lyz")] / jl, right[OPERATOR_NAMES.index("Lx2-y2")] / jl]
        else:
            jl = left[2]
            out += [right[OPERATOR_NAMES.index("Lz2")] / jl, jl / right[2]]
    return jnp.stack(out)
