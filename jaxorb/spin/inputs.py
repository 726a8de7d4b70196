"""Host-side validation and conversion of parameters and injections (before any compilation)."""

from __future__ import annotations

import numpy as np

from .. import incident as _incident
from ..params import check_real, fmt
from ._shared import LX, LY, LZ
from .operators import I2, I3

BASIS_6 = "spinful basis |m = +1, 0, -1> (x) |up, down>, order (+1 up, +1 down, 0 up, 0 down, -1 up, -1 down)"
BASIS_3 = "orbital basis |m = +1>, |0>, |-1>"

_R2 = 1 / np.sqrt(2.0)
#: Spin states of the spin-polarised names, on |up>, |down> (eigenstates of sigma_j, eigenvalue +-1).
SPIN_STATES: dict[str, np.ndarray] = {
    "up": np.array([1.0, 0.0], dtype=complex),
    "down": np.array([0.0, 1.0], dtype=complex),
    "+z": np.array([1.0, 0.0], dtype=complex),
    "-z": np.array([0.0, 1.0], dtype=complex),
    "+x": np.array([_R2, _R2], dtype=complex),
    "-x": np.array([_R2, -_R2], dtype=complex),
    "+y": np.array([_R2, 1j * _R2], dtype=complex),
    "-y": np.array([_R2, -1j * _R2], dtype=complex),
}
#: Orbital part of a spin-polarised name meaning the orbitally unpolarised I3/3.
UNPOLARISED = ("unpolarised", "unpolarized")

NAMES_HELP = (
    "names: 'x', 'y', 'z' (orbital dipole |L_j>), 'm=+1', 'm=0', 'm=-1' (basis states), 'px', 'py', "
    "'pz' (real p orbitals, the quadrupole injection with <L> = 0: |p_x> = (-|+1> + |-1>)/sqrt2, "
    "|p_y> = i(|+1> + |-1>)/sqrt2, |p_z> = |0>), each with unpolarised spin; 'ORBITAL,SPIN' for the "
    "pure spin-polarised product |ORBITAL> (x) |SPIN>, SPIN one of up, down, +z, -z, +x, -x, +y, -y "
    "(up = +z; |+x> = (|up> + |down>)/sqrt2, |+y> = (|up> + i|down>)/sqrt2), e.g. 'z,up', 'x,-y', "
    "'pz,up'; 'unpolarised,SPIN' for I3/3 (x) |SPIN><SPIN| (a spin alone, 'up', is refused: write "
    "its orbital part)"
)
INCIDENT_HELP = (
    f"incident must be a name ({NAMES_HELP}), an orbital 3-vector "
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


def singular_lams(U) -> tuple[tuple[str, np.ndarray], ...]:
    """The singular spin-orbit strengths at ``U`` (E_F): ``(("1 - U", 1 - U), ("-(1 - U)/2",
    -(1 - U)/2))``, where a band bottom sits at E_F (docs/theory.md §12); values shaped like U."""
    u = np.asarray(U, dtype=float)
    return (("1 - U", 1.0 - u), ("-(1 - U)/2", -0.5 * (1.0 - u)))


def check_singular(U, lam) -> None:
    """Refuse lam = 1 - U and lam = -(1 - U)/2 (to within :data:`SINGULAR_TOL`), where a band
    bottom sits at E_F and the mode problem is defective (docs/theory.md §12).

    Args:
        U, lam: concrete numbers or broadcastable arrays (E_F).

    Raises:
        ValueError: naming the singular point and how far from it lam must stay.
    """
    u, la = np.broadcast_arrays(np.asarray(U, dtype=float), np.asarray(lam, dtype=float))
    (_, band32), (_, band12) = singular_lams(u)
    bad = np.abs(la - band32) <= SINGULAR_TOL
    if np.any(bad):
        raise ValueError(
            "lam = 1 - U puts E_F at the bottom of the helicity 3/2 band, where the mode problem "
            f"is defective; choose lam with |lam - (1 - U)| > {SINGULAR_TOL:g} ({_first(u, la, bad)})"
        )
    bad = np.abs(la - band12) <= SINGULAR_TOL
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


def _orbital(name: str, given: str, polarised: bool) -> tuple[np.ndarray, str]:
    """(3x3 orbital density matrix, label) of the orbital part of a name."""
    if name in UNPOLARISED:
        return I3 / 3, "unpolarised"
    try:
        state = _incident.state(name)
    except ValueError:
        if not polarised:
            raise ValueError(f"unknown incident {given!r}; {INCIDENT_HELP}") from None
        order = " (the spin comes second: 'ORBITAL,SPIN')" if name in SPIN_STATES else ""
        raise ValueError(f"unknown orbital part {name!r} of incident {given!r}{order}; {INCIDENT_HELP}") from None
    return np.outer(state.amplitudes, state.amplitudes.conj()), state.label


def named_density(name: str) -> tuple[np.ndarray, str]:
    """The 6x6 density matrix of a named injection and the label of its orbital part.

    ``"ORBITAL"`` is |ORBITAL><ORBITAL| (x) I2/2; ``"ORBITAL,SPIN"`` the pure product
    |ORBITAL> (x) |SPIN> (see :data:`NAMES_HELP`); ``"unpolarised,SPIN"`` I3/3 (x) |SPIN><SPIN|
    (``"unpolarised"`` alone: I6/6). Case and spaces are ignored.

    Raises:
        ValueError: an unknown orbital or spin part, or a spin without its orbital part.
    """
    key = name.strip().lower().replace(" ", "")
    orb, sep, sp = key.partition(",")
    if not sep:
        if key in SPIN_STATES:
            raise ValueError(
                f"incident {name!r} names only a spin; give the orbital part too: 'z,{key}' for |L_z> "
                f"(x) |{key}>, 'pz,{key}' for a p orbital, 'unpolarised,{key}' for I3/3 (x) |{key}><{key}|; "
                f"{INCIDENT_HELP}"
            )
        rho, label = _orbital(orb, name, False)
        return np.kron(rho, I2 / 2), label
    rho, label = _orbital(orb, name, True)
    if sp not in SPIN_STATES:
        raise ValueError(f"unknown spin part {sp!r} of incident {name!r}; {INCIDENT_HELP}")
    s = SPIN_STATES[sp]
    return np.kron(rho, np.outer(s, s.conj())), label


def incident_density(incident) -> np.ndarray:
    """The 6x6 incident density matrix for any accepted injection (host side).

    Args:
        incident: a name (``"x"``, ``"y"``, ``"z"``: |L_j><L_j| (x) I2/2; ``"m=+1"``, ``"m=0"``,
            ``"m=-1"``; ``"px"``, ``"py"``, ``"pz"``: a real p orbital (x) I2/2; spin-polarised
            ``"z,up"``, ``"x,-y"``, ``"pz,+x"``, ``"unpolarised,up"``: see :data:`NAMES_HELP` and
            docs/theory.md §12), a nonzero orbital 3-vector (normalised; unpolarised spin), a
            nonzero spinful 6-vector (normalised), a 3x3 orbital density matrix (x) I2/2, or a 6x6
            spinful density matrix. Basis order: |m = +1, 0, -1> outer, |up, down> inner.

    Returns:
        complex (6, 6), Hermitian, positive semidefinite, trace 1.

    Raises:
        ValueError: unknown name, wrong shape, non-finite, zero, or a matrix that is not a
            density matrix; the message names the accepted names and the basis.
    """
    if isinstance(incident, str):
        return named_density(incident)[0]
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
    conversion: ``dipole`` if given, the named axis for ``"x"``, ``"y"``, ``"z"`` (also with a
    spin part, ``"z,up"``), else the direction of <L> of the incident density matrix.

    Raises:
        ValueError: a bad ``dipole``; an injection with <L> = 0 (``"px"``, ``"pz,up"``,
            ``"unpolarised,up"``, ...) and no ``dipole`` (the message names the override); a
            ``dipole`` whose current vanishes for the injection by symmetry alone
            (:func:`jaxorb.incident.dipole_current_vanishes`, docs/theory.md §12).
    """
    axes = {"x": 0, "y": 1, "z": 2}
    if dipole is not None:
        if isinstance(dipole, str):
            if dipole not in axes:
                raise ValueError(f"dipole must be 'x', 'y', 'z' or a real 3-vector; got {dipole!r}")
            n = np.eye(3)[axes[dipole]]
        else:
            n = np.asarray(dipole, dtype=float)
            if n.shape != (3,) or not np.all(np.isfinite(n)) or np.linalg.norm(n) == 0:
                raise ValueError(f"dipole must be a nonzero, finite real 3-vector; got {dipole!r}")
            n = n / np.linalg.norm(n)
        if _incident.dipole_current_vanishes(incident_density(incident), n):
            given = repr(incident) if isinstance(incident, str) else "given"
            raise ValueError(
                f"the left-layer current of the dipole n.L, dipole = {dipole!r}, vanishes for the incident "
                f"state {given} by the symmetry of the interface (rotations about z, mirror planes "
                "containing z; docs/theory.md §12), so the conversion would be 0/0; pass a dipole whose "
                "current does not vanish, or use jaxorb.profile for the currents themselves"
            )
        return n
    if isinstance(incident, str):
        rho, label = named_density(incident)
        if label in axes:
            return np.eye(3)[axes[label]]
    else:
        rho = incident_density(incident)
    n = np.array([np.trace(np.kron(op, I2) @ rho).real for op in (LX, LY, LZ)])
    if np.linalg.norm(n) < 1e-12:
        given = repr(incident) if isinstance(incident, str) else "given"
        raise ValueError(
            f"the incident state {given} carries no orbital dipole (<L> = 0: a quadrupole injection "
            "'px', 'py', 'pz', or a spin injection 'unpolarised,SPIN'), and the conversion is normalised "
            "by the injected dipole's left-layer current J_Lj(0-); pass dipole='x', 'y', 'z' or a real "
            "3-vector to name it, or use jaxorb.profile for the currents themselves"
        )
    return n / np.linalg.norm(n)
