"""Spinful operators on |m> (x) |s>: order |m = +1, 0, -1> outer, |up, down> inner.

Orbital observables act as O (x) I2, the spin as S_i = I3 (x) sigma_i / 2 (in hbar), and the
spin-orbit coupling as L.sigma (docs/theory.md §12). NumPy constants, folded into compiled code at
trace time.
"""

from __future__ import annotations

import numpy as np

from ._shared import LX, LY, LZ, OPERATOR_NAMES, OPERATORS

SIGMA_X = np.array([[0, 1], [1, 0]], dtype=complex)
SIGMA_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
SIGMA_Z = np.array([[1, 0], [0, -1]], dtype=complex)
I2 = np.eye(2, dtype=complex)
I3 = np.eye(3, dtype=complex)


def orbital(op: np.ndarray) -> np.ndarray:
    """O (x) I2 for a 3x3 orbital matrix; shape (6, 6)."""
    return np.kron(np.asarray(op, dtype=complex), I2)


def spin(sig: np.ndarray) -> np.ndarray:
    """I3 (x) sig for a 2x2 spin matrix; shape (6, 6)."""
    return np.kron(I3, np.asarray(sig, dtype=complex))


#: L.sigma, the spin-orbit operator (its coefficient lam is in E_F).
L_DOT_SIGMA = orbital(LX) @ spin(SIGMA_X) + orbital(LY) @ spin(SIGMA_Y) + orbital(LZ) @ spin(SIGMA_Z)

#: J_z = L_z + S_z eigenvalue of each basis state; R(phi) = exp(-i phi J_z) = diag(exp(-i m_j phi)).
JZ_QUANTUM = np.array([1.5, 0.5, 0.5, -0.5, -0.5, -1.5])

SPIN_NAMES: tuple[str, ...] = ("Sx", "Sy", "Sz")
#: The eleven observables: the eight orbital ones (x) I2, then S = sigma / 2.
NAMES: tuple[str, ...] = tuple(OPERATOR_NAMES) + SPIN_NAMES
MATRICES: dict[str, np.ndarray] = {name: orbital(OPERATORS[name]) for name in OPERATOR_NAMES}
MATRICES.update({"Sx": spin(SIGMA_X) / 2, "Sy": spin(SIGMA_Y) / 2, "Sz": spin(SIGMA_Z) / 2})


def soc_torque_operator(op: np.ndarray) -> np.ndarray:
    """i [L.sigma, O] / 2: lam times this is the spin-orbit torque operator in public units.

    docs/theory.md §12: tau_O = Re psi^H i[H_R, O] psi in 2m = 1 units, halved for the public
    units of docs/theory.md §1; i[lam L.sigma, L_i] = -lam (L x sigma)_i and
    i[lam L.sigma, S_i] = +lam (L x sigma)_i.
    """
    return 0.5j * (L_DOT_SIGMA @ op - op @ L_DOT_SIGMA)


def check_names(names) -> tuple[str, ...]:
    """Observable names as a tuple, each one of :data:`NAMES`, else ``ValueError``."""
    if names is None:
        return NAMES
    if isinstance(names, str):
        names = (names,)
    out = tuple(names)
    if not out:
        raise ValueError("observables must name at least one of " + ", ".join(NAMES))
    for name in out:
        if not isinstance(name, str) or name not in MATRICES:
            raise ValueError(f"observable must be one of {', '.join(NAMES)}; got {name!r}")
    return out


#: Every matrix the tables can build: the eleven observables and the identity ``"1"``, whose
#: current is the probability current (conserved through the interface).
ALL_MATRICES: dict[str, np.ndarray] = dict(MATRICES, **{"1": np.eye(6, dtype=complex)})
