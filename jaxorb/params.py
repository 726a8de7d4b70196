"""Model parameters and input validation (done on the host, before any compilation).

Units (PHYSICS.md §1): U in E_F; r and alpha in hbar^2/2m (``r = 0.5`` is the paper's
r/(1/2m) = 0.5); lengths in 1/k_F.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import numpy as np


class Params(NamedTuple):
    """Parameters of the bilayer; a JAX pytree (fields may be scalars, arrays or tracers).

    Attributes:
        U: potential step of the right layer, in E_F. Must satisfy U < 1 (else no propagating
            states in the right layer); may be negative.
        r: crystal-field strength, in hbar^2/2m. Must satisfy r > -1.
        alpha: interfacial orbital Rashba strength alpha_R, in hbar^2/2m; any real value.
    """

    U: Any = 0.5
    r: Any = 0.5
    alpha: Any = 0.0


_RANGES = {
    "U": ("U < 1 (U is the potential step in E_F; U >= 1 leaves no propagating states)", None, 1.0),
    "r": ("r > -1 (crystal field in hbar^2/2m)", -1.0, None),
    "alpha": ("any finite real alpha (Rashba strength in hbar^2/2m)", None, None),
}


def _is_tracer(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def concrete(x) -> np.ndarray | None:
    """``x`` as a NumPy array, or None when it is traced (then it cannot be checked here)."""
    if _is_tracer(x):
        return None
    try:
        return np.asarray(x)
    except Exception:  # pragma: no cover - e.g. an abstract value
        return None


def check_real(name: str, value, allowed: str) -> np.ndarray | None:
    """Check a real, finite parameter; return it as an array (None if traced)."""
    arr = concrete(value)
    if arr is None:
        return None
    if np.iscomplexobj(arr) or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be real; allowed: {allowed}; got {value!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; allowed: {allowed}; got {value!r}")
    return arr


def validate_params(p: Params) -> Params:
    """Raise ``ValueError`` naming the parameter and its allowed range if ``p`` is invalid.

    Traced fields (inside jit/grad) cannot be checked and are passed through.
    """
    if not isinstance(p, Params):
        raise ValueError(f"expected jaxorb.Params(U=..., r=..., alpha=...); got {type(p).__name__}")
    for name, (allowed, low, high) in _RANGES.items():
        arr = check_real(name, getattr(p, name), allowed)
        if arr is None:
            continue
        if high is not None and np.any(arr >= high):
            raise ValueError(f"{name} must satisfy {allowed}; got {name} = {arr.max()!r}")
        if low is not None and np.any(arr <= low):
            raise ValueError(f"{name} must satisfy {allowed}; got {name} = {arr.min()!r}")
    return p


def validate_depths(z) -> np.ndarray | None:
    """Depths z in 1/k_F: finite, >= 0. Returns a 1-D float array (None if traced)."""
    arr = concrete(z)
    if arr is None:
        return None
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ValueError(f"z must be a scalar or 1-D array of depths in 1/k_F; got shape {arr.shape}")
    if np.iscomplexobj(arr) or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"z must be real depths in 1/k_F, z >= 0; got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("z must be finite depths in 1/k_F (z >= 0); got a non-finite value")
    if np.any(arr < 0):
        raise ValueError(f"z must satisfy z >= 0 (depth into the right layer, 1/k_F); got min z = {arr.min()}")
    return arr.astype(float)


def validate_count(name: str, value, minimum: int) -> int:
    """A static node count: an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)
