"""p-orbital angular-momentum matrices, the eight observables and the incident states.

Basis |m=+1>, |m=0>, |m=-1> (paper Eq. 2, PHYSICS.md §2). All matrices are dimensionless
(hbar = 1). Everything here is a NumPy constant: it is folded into compiled code at trace time.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

SQRT2 = np.sqrt(2.0)

LX = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=complex) / SQRT2
LY = np.array([[0, 1, 0], [-1, 0, 1], [0, -1, 0]], dtype=complex) / (SQRT2 * 1j)
LZ = np.diag([1.0, 0.0, -1.0]).astype(complex)
IDENTITY = np.eye(3, dtype=complex)

#: Magnetic quantum number of each basis state; R(phi) = exp(-i phi L_z) = diag(exp(-i m phi)).
M_QUANTUM = np.array([1, 0, -1])


def _anti(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b + b @ a


#: The eight observables of PHYSICS.md §5, by public name.
OPERATORS: dict[str, np.ndarray] = {
    "Lx": LX,
    "Ly": LY,
    "Lz": LZ,
    "Lxy": _anti(LX, LY) / 2,
    "Lyz": _anti(LY, LZ) / 2,
    "Lzx": _anti(LZ, LX) / 2,
    "Lx2-y2": (LX @ LX - LY @ LY) / 2,
    "Lz2": (3 * LZ @ LZ - (LX @ LX + LY @ LY + LZ @ LZ)) / 2,
}
OPERATOR_NAMES: tuple[str, ...] = tuple(OPERATORS)
DIPOLES = ("Lx", "Ly", "Lz")
QUADRUPOLES = ("Lxy", "Lyz", "Lzx", "Lx2-y2", "Lz2")

#: Incident dipole states with <L_i|L_j|L_i> = delta_ij (paper below Eq. 2).
INCIDENT_STATES: dict[str, np.ndarray] = {
    "x": np.array([0.5, 1 / SQRT2, 0.5], dtype=complex),
    "y": np.array([0.5, 1j / SQRT2, -0.5], dtype=complex),
    "z": np.array([1.0, 0.0, 0.0], dtype=complex),
}


def const(x: np.ndarray):
    """A NumPy constant as a JAX array of the current default precision.

    The dtype is passed explicitly (``complex`` or ``float``, canonicalised to 64 or 32 bits by
    JAX's x64 setting) because ``jnp.asarray(x)`` of a NumPy array seen before may return a
    cached 64-bit copy even when the caller asked for float32.
    """
    return jnp.asarray(x, dtype=complex if np.iscomplexobj(x) else float)


def check_operator_name(name: str) -> str:
    """Return ``name`` if it is one of :data:`OPERATOR_NAMES`, else raise ``ValueError``."""
    if not isinstance(name, str) or name not in OPERATORS:
        raise ValueError(f"operator must be one of {', '.join(OPERATOR_NAMES)}; got {name!r}")
    return name


def incident_vector(incident) -> np.ndarray:
    """Normalised incident amplitudes on |m=+1>, |m=0>, |m=-1>, complex (3,)
    (:func:`jaxorb.incident.incident_vector`: names, directions and explicit amplitudes).

    Raises:
        ValueError: unknown name, wrong shape, non-finite or zero vector.
    """
    from .incident import incident_vector as parse

    return parse(incident)


def angular_bands(op: np.ndarray) -> np.ndarray:
    """Split a 3x3 operator into its angular-harmonic bands.

    Under R(phi) = exp(-i phi L_z), R^H O R = sum_d O^(d) exp(i d phi) with O^(d) the part of O
    on the d-th diagonal (d = m - m' = -2..2). Returns an array of shape (5, 3, 3) indexed by
    d + 2. This is what makes the phi average exact (PHYSICS.md §6).
    """
    out = np.zeros((5, 3, 3), dtype=complex)
    for i in range(3):
        for j in range(3):
            d = int(M_QUANTUM[i] - M_QUANTUM[j])
            out[d + 2, i, j] = op[i, j]
    return out
