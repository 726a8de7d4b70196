"""Incident orbital states: by physical name, by dipole direction, or by explicit amplitudes.

The orbital basis is |m=+1>, |m=0>, |m=-1> (eigenstates of L_z, docs/theory.md §2). A physicist
reads ``[1, 0, 0]`` as the x direction, while as amplitudes it is |m=+1> = |L_z>: so a state is
given either

* by name: ``"x"``, ``"y"``, ``"z"`` (also ``"Lx"``, ``"Ly"``, ``"Lz"``): the dipole state
  |L_n> with <L> = n along that axis; ``"m=+1"``, ``"m=0"``, ``"m=-1"``: a basis state; or
  ``"px"``, ``"py"``, ``"pz"``: a real p orbital, the quadrupole injection with <L> = 0
  (|p_x> = (-|+1> + |-1>)/sqrt2, |p_y> = i(|+1> + |-1>)/sqrt2, |p_z> = |0>, the phases of the
  matrices of :mod:`jaxorb.operators`, so that L_j |p_j> = 0; docs/theory.md §2, §12);
* by direction: :func:`along` ``(n)``, the dipole state |L_n> with <L> = n / |n|;
* by amplitudes: :func:`amplitudes` ``(c_plus, c_zero, c_minus)`` on |m=+1>, |m=0>, |m=-1>.

A bare 3-vector is still read as amplitudes on |m=+1>, |m=0>, |m=-1> (with a warning that says
so), because that reading is the one that is easy to get wrong.

Everything here runs on the host (NumPy), before any compilation.
"""

import functools
import warnings
from typing import NamedTuple

import numpy as np

#: Labels of the amplitude basis, in order.
BASIS = ("m=+1", "m=0", "m=-1")

_SQRT2 = np.sqrt(2.0)

_HELP = (
    "incident must be a state name ('x', 'y', 'z' for the dipole along that axis; 'm=+1', 'm=0', "
    "'m=-1' for a basis state; 'px', 'py', 'pz' for a real p orbital, the quadrupole injection with "
    "<L> = 0: |p_x> = (-|m=+1> + |m=-1>)/sqrt2, |p_y> = i(|m=+1> + |m=-1>)/sqrt2, |p_z> = |m=0>), "
    "jaxorb.along((nx, ny, nz)) for the dipole along a direction, or "
    "jaxorb.amplitudes(c_plus, c_zero, c_minus) for amplitudes on |m=+1>, |m=0>, |m=-1>"
)


class AmbiguousIncidentWarning(UserWarning):
    """A bare 3-vector was given as the incident state: it is read as |m>-basis amplitudes."""


class State(NamedTuple):
    """An incident orbital state.

    Attributes:
        amplitudes: complex (3,), unit norm, on |m=+1>, |m=0>, |m=-1>.
        label: how it was given (for messages and metadata).
    """

    amplitudes: np.ndarray
    label: str


def _unit(vec: np.ndarray, what: str) -> np.ndarray:
    """``vec / |vec|`` without overflow or underflow of the norm (scaled by max |entry| first)."""
    if not np.all(np.isfinite(vec)):
        raise ValueError(f"{what} must have finite entries; got {_show(vec)}")
    scale = np.max(np.abs(vec))
    if scale == 0.0:
        raise ValueError(f"{what} must be nonzero; got the zero vector")
    vec = vec / scale
    return vec / np.linalg.norm(vec)


def _show(vec) -> str:
    return (
        "[" + ", ".join(f"{complex(x):g}".strip("()") if np.iscomplexobj(vec) else f"{float(x):g}" for x in vec) + "]"
    )


def _real_vector(value, what: str) -> np.ndarray:
    """A finite, real 3-vector as float64, or ValueError naming ``what``."""
    if isinstance(value, str):
        raise ValueError(f"{what} must be a real 3-vector (nx, ny, nz); got {value!r}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{what} must be a real 3-vector (nx, ny, nz); got {value!r}") from err
    if arr.shape != (3,):
        raise ValueError(f"{what} must be a real 3-vector (nx, ny, nz); got shape {arr.shape}")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{what} must be a real 3-vector (nx, ny, nz); got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{what} must be real (a direction (nx, ny, nz)); got {_show(arr)}")
    return arr.astype(np.float64)


def along(direction) -> State:
    """The dipole state |L_n> along a direction: the eigenstate of n . L with eigenvalue +1.

    For n = (sin t cos f, sin t sin f, cos t) it is (e^{-i f}(1 + cos t)/2, sin t / sqrt 2,
    e^{i f}(1 - cos t)/2) on |m=+1>, |m=0>, |m=-1>, so <L> = n (docs/theory.md §2):
    ``along((1, 0, 0))`` is |L_x> = (1/2, 1/sqrt2, 1/2), ``along((0, 0, 1))`` is |m=+1>.

    Args:
        direction: real 3-vector (nx, ny, nz), any nonzero length (normalised here).
    """
    n = _unit(_real_vector(direction, "direction"), "direction")
    ct = n[2]
    st = np.hypot(n[0], n[1])
    e = (n[0] + 1j * n[1]) / st if st > 0 else 1.0 + 0j
    vec = np.array([np.conj(e) * (1.0 + ct) / 2.0, st / _SQRT2, e * (1.0 - ct) / 2.0], dtype=complex)
    return State(vec / np.linalg.norm(vec), f"along({n[0]:g}, {n[1]:g}, {n[2]:g})")


def amplitudes(plus, zero, minus) -> State:
    """A state from its amplitudes on |m=+1>, |m=0>, |m=-1> (normalised here).

    ``amplitudes(1, 0, 0)`` is |m=+1>, the dipole along z, not along x.
    """
    try:
        vec = np.array([plus, zero, minus], dtype=complex)
    except (TypeError, ValueError) as err:
        raise ValueError(f"amplitudes must be three complex numbers (on |m=+1>, |m=0>, |m=-1>); got {err}") from err
    vec = _unit(vec, "the amplitudes on |m=+1>, |m=0>, |m=-1>")
    return State(vec, "amplitudes(" + ", ".join(f"{complex(x):g}".strip("()") for x in vec) + ")")


#: Named states.
NAMED: dict[str, np.ndarray] = {
    "x": np.array([0.5, 1 / _SQRT2, 0.5], dtype=complex),
    "y": np.array([0.5, 1j / _SQRT2, -0.5], dtype=complex),
    "z": np.array([1.0, 0.0, 0.0], dtype=complex),
    "m=+1": np.array([1.0, 0.0, 0.0], dtype=complex),
    "m=0": np.array([0.0, 1.0, 0.0], dtype=complex),
    "m=-1": np.array([0.0, 0.0, 1.0], dtype=complex),
    # real p orbitals (Condon-Shortley phases of jaxorb.operators): L_j |p_j> = 0, <L> = 0
    "px": np.array([-1.0, 0.0, 1.0], dtype=complex) / _SQRT2,
    "py": np.array([1j, 0.0, 1j], dtype=complex) / _SQRT2,
    "pz": np.array([0.0, 1.0, 0.0], dtype=complex),
}
#: Spin parts of the spinful model's spin-polarised names ("z,up"; docs/theory.md §12), refused here.
SPIN_DIRECTIONS = ("up", "down", "+x", "-x", "+y", "-y", "+z", "-z")
_ALIASES = {"lx": "x", "ly": "y", "lz": "z", "m=1": "m=+1", "+1": "m=+1", "0": "m=0", "-1": "m=-1"}


def state(incident) -> State:
    """Parse any accepted form of the incident state (see the module docstring).

    Raises:
        ValueError: an unknown name, a wrong shape, non-finite entries or a zero vector; the
            message names the accepted forms and the basis.
    """
    if isinstance(incident, State):
        return State(_unit(np.asarray(incident.amplitudes, dtype=complex), "incident"), incident.label)
    if isinstance(incident, str):
        key = incident.strip().lower().replace(" ", "")
        key = _ALIASES.get(key, key)
        if key not in NAMED:
            if "," in key or key in SPIN_DIRECTIONS:
                raise ValueError(
                    f"incident {incident!r} names a spin: spin-polarised injection ('z,up', 'pz,-x', ...) "
                    "needs the spinful model, Params(..., lam=...) (docs/theory.md §12); the spinless "
                    f"model takes orbital states only: {_HELP}"
                )
            raise ValueError(f"{_HELP}; got {incident!r}")
        return State(NAMED[key].copy(), key)
    try:
        vec = np.asarray(incident)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{_HELP}; got {incident!r}") from err
    if not (np.issubdtype(vec.dtype, np.number) and vec.dtype != bool):
        raise ValueError(f"{_HELP}; got {incident!r}")
    if vec.shape != (3,):
        raise ValueError(
            f"incident amplitudes must be a 3-vector (on |m=+1>, |m=0>, |m=-1>); got shape {vec.shape}. {_HELP}"
        )
    vec = _unit(vec.astype(complex), "incident (amplitudes on |m=+1>, |m=0>, |m=-1>)")
    warnings.warn(
        f"incident {_show(np.asarray(incident))} is read as amplitudes on |m=+1>, |m=0>, |m=-1> (so [1, 0, 0] is the "
        "dipole along z); say which you mean with jaxorb.amplitudes(...) or jaxorb.along(...)",
        AmbiguousIncidentWarning,
        stacklevel=4,
    )
    return State(vec, "amplitudes(" + ", ".join(f"{complex(x):g}".strip("()") for x in vec) + ")")


def incident_vector(incident) -> np.ndarray:
    """Normalised amplitudes (complex (3,), on |m=+1>, |m=0>, |m=-1>) of any accepted form."""
    return state(incident).amplitudes


def density_matrix(incident) -> np.ndarray:
    """rho_in = |in><in|, shape (3, 3) complex."""
    vec = incident_vector(incident)
    return np.outer(vec, np.conj(vec))


def dipole_moment(incident) -> np.ndarray:
    """<in|L|in> as a real 3-vector (L_x, L_y, L_z), in hbar."""
    from .operators import LX, LY, LZ

    vec = incident_vector(incident)
    return np.array([np.vdot(vec, op @ vec).real for op in (LX, LY, LZ)])


def _unitary(gen: np.ndarray, angle: float) -> np.ndarray:
    """exp(-i angle gen) of a Hermitian generator."""
    w, v = np.linalg.eigh(gen)
    return (v * np.exp(-1j * angle * w)) @ v.conj().T


@functools.cache
def _axial_triples(d: int) -> np.ndarray:
    """Basis (t, 3, d, d) of the operator triples (B_x, B_y, B_z) that transform like L under
    the symmetries of the interface (see :func:`dipole_current_vanishes`); d = 3 or 6."""
    from .operators import LX, LY, LZ

    lvec = [np.kron(op, np.eye(d // 3)) for op in (LX, LY, LZ)]
    jvec = lvec
    if d == 6:
        from .spin.operators import MATRICES

        jvec = [lv + MATRICES[s] for lv, s in zip(lvec, ("Sx", "Sy", "Sz"))]
    rows = []
    for gen, angle in ((jvec[2], 1.0), (jvec[1], np.pi)):  # 1 rad generates a dense subgroup
        u = _unitary(gen, angle)
        # u^H L_k u = sum_l R_kl L_l, with Tr L_k L_l = (2 d / 3) delta_kl
        rot = np.array([[np.trace(lvec[m] @ u.conj().T @ lvec[k] @ u).real for m in range(3)] for k in range(3)])
        rows.append(np.kron(np.eye(3), np.kron(u.conj().T, u.T)) - np.kron(rot / (2 * d / 3), np.eye(d * d)))
    _, sing, vh = np.linalg.svd(np.concatenate(rows))
    return vh[np.sum(sing > 1e-10) :].reshape(-1, 3, d, d)


def dipole_current_vanishes(rho, n) -> bool:
    """Whether the Fermi-averaged current of n . L (either layer, any depth) vanishes for the
    injection ``rho`` by the symmetry of the interface alone, whatever the parameters.

    The problem is symmetric under rotations about z and under the mirror planes that contain z
    (docs/theory.md §2, §12), which act on the internal states as exp(-i phi J_z) and, for the
    mirror y -> -y, as exp(-i pi J_y) up to a sign (the parity of a p orbital), J the total
    angular momentum (L, or L + S with spin). A phi-averaged dipole current is then linear in rho
    and transforms as an axial vector: (Tr B_x rho, Tr B_y rho, Tr B_z rho) for a triple that
    transforms like L. Such triples form a small linear space; the current vanishes identically
    iff n . Tr(B rho) = 0 for all of them (|p_z> for every n, |L_z> for n = x, |p_z> (x) |up>
    for n = x, y).

    Args:
        rho: (3, 3) orbital or (6, 6) spinful incident density matrix (trace 1).
        n: real 3-vector, the dipole axis (any nonzero length).
    """
    rho = np.asarray(rho, dtype=complex)
    nvec = np.asarray(n, dtype=float)
    values = np.einsum("k,tkij,ji->t", nvec / np.linalg.norm(nvec), _axial_triples(rho.shape[0]), rho)
    return bool(np.all(np.abs(values) < 1e-10))


def direction(value, what: str = "dipole") -> np.ndarray:
    """A unit real 3-vector from a real 3-vector or an axis name ``"x"``, ``"y"``, ``"z"``."""
    if isinstance(value, str):
        key = value.strip().lower().removeprefix("l")
        axes = {"x": 0, "y": 1, "z": 2}
        if key not in axes:
            raise ValueError(f"{what} must be 'x', 'y', 'z' or a real 3-vector (nx, ny, nz); got {value!r}")
        return np.eye(3)[axes[key]]
    return _unit(_real_vector(value, what), what)
