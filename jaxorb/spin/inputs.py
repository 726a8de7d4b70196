"""Host-side validation and conversion of parameters and injections (before any compilation)."""

from __future__ import annotations

import numpy as np

from ..params import check_real, fmt
from ._shared import INCIDENT_STATES, LX, LY, LZ
from .operators import I2

BASIS_6 = "spinful basis |m = +1, 0, -1> (x) |up, down>, order (+1 up, +1 down, 0 up, 0 down, -1 up, -1 down)"
BASIS_3 = "orbital basis |m = +1>, |0>, |-1>"
INCIDENT_HELP = (
    "incident must be 'x', 'y', 'z' (orbital dipole |L_j>, unpolarised spin), an orbital 3-vector "
    "(unpolarised spin), a spinful 6-vector, or a 3x3 orbital / 6x6 spinful density matrix "
    f"(Hermitian, positive semidefinite, trace 1); {BASIS_3}; {BASIS_6}"
)
#: |lam - (1 - U)| below this is refused: the mode problem is defective there.
SINGULAR_TOL = 1e-9


def validate_params(U, r, alpha, lam):
    """Check U < 1, r > -1, finite alpha and lam, away from the singular lam = 1 - U.

    Traced values are passed through unchecked. Returns the concrete arrays (None if traced).

    Raises:
        ValueError: naming the parameter and its allowed range.
    """
    u = check_real("U", U, "U < 1 (potential step in E_F)")
    rr = check_real("r", r, "r > -1 (crystal field in hbar^2/2m)")
    check_real("alpha", alpha, "any finite real alpha (Rashba strength in hbar^2/2m)")
    la = check_real("lam", lam, "any finite real lam (spin-orbit strength in E_F) except lam = 1 - U")
    if u is not None and np.any(u >= 1.0):
        raise ValueError(f"U must satisfy U < 1 (potential step in E_F); got U = {np.max(u)!r}")
    if rr is not None and np.any(rr <= -1.0):
        raise ValueError(f"r must satisfy r > -1 (crystal field in hbar^2/2m); got r = {np.min(rr)!r}")
    if u is not None and la is not None:
        check_singular(u, la)
    return u, rr, la


def check_singular(U, lam) -> None:
    """Refuse lam = 1 - U and lam = -(1 - U)/2 (to within :data:`SINGULAR_TOL`), where a band
    bottom sits at E_F and the mode problem is defective (docs/theory.md §12).

    Args:
        U, lam: concrete numbers or broadcastable arrays (E_F).

    Raises:
        ValueError: naming the singular point and how far from it lam must stay.
    """
    u, la = np.broadcast_arrays(np.asarray(U, dtype=float), np.asarray(lam, dtype=float))
    bad = np.abs(la - (1.0 - u)) <= SINGULAR_TOL
    if np.any(bad):
        raise ValueError(
            "lam = 1 - U puts E_F at the bottom of the helicity 3/2 band, where the mode problem "
            f"is defective; choose lam with |lam - (1 - U)| > {SINGULAR_TOL:g} ({_first(u, la, bad)})"
        )
    bad = np.abs(la + 0.5 * (1.0 - u)) <= SINGULAR_TOL
    if np.any(bad):
        raise ValueError(
            "lam = -(1 - U)/2 puts E_F at the bottom of a helicity 1/2 band, where the rational mode "
            f"vectors of the two helicities coincide; choose lam with |lam + (1 - U)/2| > {SINGULAR_TOL:g} "
            f"({_first(u, la, bad)})"
        )


def _first(u: np.ndarray, la: np.ndarray, bad: np.ndarray) -> str:
    """``got U = .., lam = ..`` at the first offending point."""
    i = np.argwhere(bad)[0] if bad.ndim else ()
    return f"got U = {fmt(u[tuple(i)])}, lam = {fmt(la[tuple(i)])}"


def _check_density(mat: np.ndarray, basis: str) -> np.ndarray:
    dim = mat.shape[0]
    if not np.all(np.isfinite(mat)):
        raise ValueError(f"incident density matrix must be finite ({basis})")
    if not np.allclose(mat, mat.conj().T, atol=1e-12, rtol=0):
        raise ValueError(f"incident density matrix must be Hermitian ({basis}); {INCIDENT_HELP}")
    tr = np.trace(mat).real
    if abs(tr - 1.0) > 1e-10:
        raise ValueError(f"incident density matrix must have trace 1 ({basis}); got trace {tr:.6g}")
    ev = np.linalg.eigvalsh(0.5 * (mat + mat.conj().T))
    if ev.min() < -1e-10:
        raise ValueError(
            f"incident density matrix must be positive semidefinite ({basis}); smallest eigenvalue {ev.min():.3g}"
        )
    return 0.5 * (mat + mat.conj().T) if dim == 6 else mat


def incident_density(incident) -> np.ndarray:
    """The 6x6 incident density matrix for any accepted injection (host side).

    Args:
        incident: ``"x"``, ``"y"``, ``"z"`` (|L_j><L_j| (x) I2/2), a nonzero orbital 3-vector
            (normalised; unpolarised spin), a nonzero spinful 6-vector (normalised), a 3x3 orbital
            density matrix (x) I2/2, or a 6x6 spinful density matrix. Basis order: |m = +1, 0, -1>
            outer, |up, down> inner.

    Returns:
        complex (6, 6), Hermitian, positive semidefinite, trace 1.

    Raises:
        ValueError: unknown name, wrong shape, non-finite, zero, or a matrix that is not a
            density matrix; the message names the basis.
    """
    if isinstance(incident, str):
        key = incident.lower().removeprefix("l")
        if key not in INCIDENT_STATES:
            raise ValueError(f"unknown incident {incident!r}; {INCIDENT_HELP}")
        v = INCIDENT_STATES[key]
        return np.kron(np.outer(v, v.conj()), I2 / 2)
    try:
        arr = np.asarray(incident, dtype=complex)
    except (TypeError, ValueError) as err:
        raise ValueError(f"incident could not be read as numbers; {INCIDENT_HELP}") from err
    if arr.shape in ((3,), (6,)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"incident vector must be finite; {INCIDENT_HELP}")
        norm = np.linalg.norm(arr)
        if norm == 0:
            raise ValueError(f"incident vector must be nonzero; {INCIDENT_HELP}")
        v = arr / norm
        rho = np.outer(v, v.conj())
        return np.kron(rho, I2 / 2) if arr.shape == (3,) else rho
    if arr.shape == (3, 3):
        return np.kron(_check_density(arr, BASIS_3), I2 / 2)
    if arr.shape == (6, 6):
        return _check_density(arr, BASIS_6)
    raise ValueError(f"incident has shape {arr.shape}; {INCIDENT_HELP}")


def injected_dipole(incident, dipole=None) -> np.ndarray:
    """Unit vector n of the injected orbital dipole n.L whose left-layer current normalises a
    conversion: the named axis for ``"x"``, ``"y"``, ``"z"``, else ``dipole`` or <L> of the
    incident density matrix."""
    axes = {"x": 0, "y": 1, "z": 2}
    if dipole is None and isinstance(incident, str):
        dipole = incident.lower().removeprefix("l")
    if isinstance(dipole, str):
        if dipole not in axes:
            raise ValueError(f"dipole must be 'x', 'y', 'z' or a real 3-vector; got {dipole!r}")
        return np.eye(3)[axes[dipole]]
    if dipole is None:
        rho = incident_density(incident)
        n = np.array([np.trace(np.kron(op, I2) @ rho).real for op in (LX, LY, LZ)])
        if np.linalg.norm(n) < 1e-12:
            raise ValueError(
                "the incident state carries no orbital dipole <L>; pass dipole='x', 'y', 'z' or a 3-vector"
            )
    else:
        n = np.asarray(dipole, dtype=float)
        if n.shape != (3,) or not np.all(np.isfinite(n)) or np.linalg.norm(n) == 0:
            raise ValueError(f"dipole must be a nonzero, finite real 3-vector; got {dipole!r}")
    return n / np.linalg.norm(n)
