"""Incident orbital states: by physical name, by dipole direction, or by explicit amplitudes.

The orbital basis is |m=+1>, |m=0>, |m=-1> (eigenstates of L_z, docs/theory.md §2). A physicist
reads ``[1, 0, 0]`` as the x direction, while as amplitudes it is |m=+1> = |L_z>: so a state is
given either

* by name: ``"x"``, ``"y"``, ``"z"`` (also ``"Lx"``, ``"Ly"``, ``"Lz"``): the dipole state
  |L_n> with <L> = n along that axis, or ``"m=+1"``, ``"m=0"``, ``"m=-1"``: a basis state;
* by direction: :func:`along` ``(n)``, the dipole state |L_n> with <L> = n / |n|;
* by amplitudes: :func:`amplitudes` ``(c_plus, c_zero, c_minus)`` on |m=+1>, |m=0>, |m=-1>.

A bare 3-vector is still read as amplitudes on |m=+1>, |m=0>, |m=-1> (with a warning that says
so), because that reading is the one that is easy to get wrong.

Everything here runs on the host (NumPy), before any compilation.
"""

import warnings
from typing import NamedTuple

import numpy as np

#: Labels of the amplitude basis, in order.
BASIS = ("m=+1", "m=0", "m=-1")

_SQRT2 = np.sqrt(2.0)

_HELP = (
    "incident must be a state name ('x', 'y', 'z' for the dipole along that axis; 'm=+1', 'm=0', "
    "'m=-1' for a basis state), jaxorb.along((nx, ny, nz)) for the dipole along a direction, or "
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
}
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


def direction(value, what: str = "dipole") -> np.ndarray:
    """A unit real 3-vector from a real 3-vector or an axis name ``"x"``, ``"y"``, ``"z"``."""
    if isinstance(value, str):
        key = value.strip().lower().removeprefix("l")
        axes = {"x": 0, "y": 1, "z": 2}
        if key not in axes:
            raise ValueError(f"{what} must be 'x', 'y', 'z' or a real 3-vector (nx, ny, nz); got {value!r}")
        return np.eye(3)[axes[key]]
    return _unit(_real_vector(value, what), what)
