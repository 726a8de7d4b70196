"""Model parameters, their valid domain and every input check (done on the host, before any
compilation).

Units (docs/theory.md §1): U in E_F; r and alpha in hbar^2/2m (``r = 0.5`` is the paper's
r/(1/2m) = 0.5); lengths in 1/k_F; the spin-orbit strength lam (spinful model, §12) in E_F.

The valid domain is defined once, in :data:`PARAM_RANGES`; the API, :func:`jaxorb.sweep` and
:func:`jaxorb.optimize.maximize` all check with :func:`check_param` / :func:`check_params`.
Inside it every public quantity is computed to the accuracy documented in the README (tested
at its edges against a refined quadrature, tests/test_domain.py); outside it a ``ValueError``
names the parameter and this range.
"""

import contextlib
import math
import os
from typing import Any, NamedTuple

import jax
import numpy as np


class _Fields(NamedTuple):
    U: Any = 0.5
    r: Any = 0.5
    alpha: Any = 0.0
    lam: Any = None


class Params(_Fields):
    """Parameters of the bilayer; a JAX pytree (fields may be scalars, arrays or tracers).

    The valid ranges are those of :data:`PARAM_RANGES` (``domain_text(name)`` prints them).

    Without ``lam`` (None, the default) this is the spinless model of docs/theory.md §1-§10 and a
    ``Params`` behaves exactly as the three-field tuple ``(U, r, alpha)``: it iterates, unpacks,
    compares and flattens (pytree leaves) as those three. With ``lam`` given it is the spinful
    model of docs/theory.md §12, a four-field tuple ``(U, r, alpha, lam)``, which
    :func:`jaxorb.profile`, :func:`jaxorb.conversion` and the ``conv_*`` quantities take; the
    spinless functions (:func:`jaxorb.efficiency` & co.) refuse it.

    Attributes:
        U: potential step of the right layer, in E_F: -100 <= U <= 0.99.
        r: crystal-field strength, in hbar^2/2m: -0.99 <= r <= 100.
        alpha: interfacial orbital Rashba strength alpha_R, in hbar^2/2m: -10 <= alpha <= 10.
        lam: spin-orbit strength lambda of the right layer, in E_F (docs/theory.md §12): None for
            the spinless model, else -2 <= lam <= 2, away from lam = 1 - U and lam = -(1 - U)/2.
    """

    __slots__ = ()

    def _fields_given(self) -> tuple:
        """(U, r, alpha), or (U, r, alpha, lam) when lam is given (tuple items read directly)."""
        n = 3 if tuple.__getitem__(self, 3) is None else 4
        return tuple.__getitem__(self, slice(0, n))

    def __iter__(self):
        return iter(self._fields_given())

    def __len__(self) -> int:
        return len(self._fields_given())

    def __getitem__(self, index):
        return self._fields_given()[index]

    def __eq__(self, other) -> bool:
        return self._fields_given() == (other._fields_given() if isinstance(other, Params) else other)

    def __ne__(self, other) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._fields_given())

    def __repr__(self) -> str:
        return "Params(" + ", ".join(f"{k}={v!r}" for k, v in zip(self._fields, self._fields_given())) + ")"

    @classmethod
    def _make(cls, iterable) -> "Params":
        return cls(*iterable)

    def _replace(self, **changes) -> "Params":
        values = dict(zip(self._fields, (tuple.__getitem__(self, i) for i in range(len(self._fields)))))
        unknown = set(changes) - set(values)
        if unknown:
            raise ValueError(f"Params has no field {sorted(unknown)}; the fields are {', '.join(self._fields)}")
        values.update(changes)
        return type(self)(**values)


def _flatten_with_keys(p: Params):
    return tuple((jax.tree_util.GetAttrKey(k), v) for k, v in zip(p._fields, p._fields_given())), None


# lam None is no leaf: the pytree of a spinless Params is (U, r, alpha), as before lam existed
jax.tree_util.register_pytree_with_keys(
    Params, _flatten_with_keys, lambda _, children: Params(*children), flatten_func=lambda p: (p._fields_given(), None)
)


class Range(NamedTuple):
    """Interval [low, high] of a parameter (open at ``low`` if ``low_open``), its unit, what it
    is, and why the interval ends where it does."""

    low: float
    high: float
    unit: str
    meaning: str
    why: str
    low_open: bool = False


#: The valid domain, one interval per parameter. Inside it the interface quantities are
#: converged with their default quadrature to |error| <= ACCURACY * (|value| + 1e-3), and to
#: ACCURACY_R100 on the r > 30 part (tests/test_domain.py checks values and gradients at the
#: edges against a refined rule). Beyond the edges the default rule loses accuracy quickly: U -> 1
#: shrinks the right layer's Fermi sphere to a point (k_r = sqrt(1 - U)); r -> -1 flattens the
#: helicity +-1 band (k_t = k_r / sqrt(1 + r) -> inf); large r and |alpha| squeeze the structure
#: of the integrand into a sliver of the Fermi disk (measured: 1e-3 at U = 0.999, at
#: r = -1 + 1e-9, and at |alpha| = 30). lam (spinful model only, docs/theory.md §12): with the
#: spinful default rule (:data:`jaxorb.spin.quadrature.DEFAULT_NODES`) the conversions
#: J_S(inf)/J_L(0-) and J_S(0)/J_L(0-) are converged to SPIN_ACCURACY for r <= 10 over the whole
#: range of U, alpha and lam (measured against a rule three times finer: 5e-11 for lam < 0,
#: 1.4e-10 for r <= 2, 6e-8 at r = 10, lam = 1); for lam > 0 and r > 10 they converge slowly
#: (5e-6 at r = 30, 5e-5 at r = 100, lam = 2: pass more nodes there). Next to the singular lines
#: lam = 1 - U and lam = -(1 - U)/2, which are refused, a band bottom approaches E_F as at U -> 1.
PARAM_RANGES: dict[str, Range] = {
    "U": Range(
        -100.0,
        0.99,
        "E_F",
        "potential step of the right layer",
        "closer to 1 the right layer's Fermi sphere shrinks to a point and the default quadrature loses accuracy",
    ),
    "r": Range(
        -0.99,
        100.0,
        "hbar^2/2m",
        "crystal-field strength",
        "r <= -1 has no bound helicity +-1 band, and beyond this range the default quadrature loses accuracy",
    ),
    "alpha": Range(
        -10.0,
        10.0,
        "hbar^2/2m",
        "interfacial orbital Rashba strength alpha_R",
        "beyond this range the default quadrature loses accuracy",
    ),
    "lam": Range(
        -2.0,
        2.0,
        "E_F",
        "spin-orbit strength lambda of the spinful model",
        "beyond this range the default quadrature of the spinful model loses accuracy",
    ),
}

#: Accuracy of the interface quantities inside the domain with r <= 30, relative to
#: |value| + 1e-3 (measured worst case 1.1e-6, at U = -10, r = 30, alpha = -10).
ACCURACY = 2e-6
#: The same on 30 < r <= 100 (measured worst case 1.1e-4, at U = -10, r = 100, alpha = 10).
ACCURACY_R100 = 2e-4
#: Absolute accuracy of the spinful conversions for r <= 10 with the default rule (measured worst
#: case 5.9e-8, at U = 0.5, r = 10, alpha = 10, lam = 1; see :data:`PARAM_RANGES`).
SPIN_ACCURACY = 1e-7

#: Positive-only SI and model inputs, their unit and meaning.
POSITIVE = {
    "transparency": "p = rho_R l_R / AR_I of the memory-loss equation",
}


def fmt(x) -> str:
    """A number as plain text (``1.5``, not ``np.float64(1.5)``)."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    try:
        v = complex(x)
    except (TypeError, ValueError):
        return repr(x)
    if v.imag != 0:
        return f"{v:.6g}".strip("()")
    f = v.real
    if f == int(f) if math.isfinite(f) else False:
        return str(int(f)) if abs(f) < 1e16 else f"{f:g}"
    return repr(float(f))


def _fmt_values(arr: np.ndarray) -> str:
    if arr.ndim == 0 or arr.size == 1:
        return fmt(arr.reshape(-1)[0])
    return f"array of shape {arr.shape}"


def domain_text(name: str) -> str:
    """The valid range of a parameter as one line, e.g. ``-100 <= U <= 0.999 (E_F)``."""
    rng = PARAM_RANGES[name]
    low = "<" if rng.low_open else "<="
    return f"{fmt(rng.low)} {low} {name} <= {fmt(rng.high)} ({rng.meaning}, in {rng.unit})"


#: Former form of :data:`PARAM_RANGES` ({name: (allowed text, low, high)}), kept while callers
#: switch to :func:`check_param` / :func:`domain_text`.
_RANGES = {name: (domain_text(name), rng.low, rng.high) for name, rng in PARAM_RANGES.items()}


def _is_tracer(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def concrete(x) -> np.ndarray | None:
    """``x`` as a NumPy array, or None when it is traced (then it cannot be checked here)."""
    if _is_tracer(x):
        return None
    try:
        return np.asarray(x)
    except Exception:  # an abstract value, or a ragged nested list (checked by the caller)
        return None


def _as_real_array(name: str, value, allowed: str) -> np.ndarray | None:
    """``value`` as a finite real float64 array, None if traced; ValueError naming ``name``."""
    if _is_tracer(value):
        return None
    if isinstance(value, str):
        raise ValueError(f"{name} must be a real number; allowed: {allowed}; got the string {value!r}")
    try:
        arr = np.asarray(value)
    except Exception as err:
        raise ValueError(
            f"{name} must be a real number or a rectangular array; allowed: {allowed}; got {value!r}"
        ) from err
    if arr.dtype == object:
        try:
            arr = np.asarray(value, dtype=float)
        except Exception as err:
            raise ValueError(f"{name} must be a real number or a rectangular array; allowed: {allowed}") from err
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be a real number; allowed: {allowed}; got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real; allowed: {allowed}; got {_fmt_values(arr)}")
    arr = arr.astype(np.float64, copy=False)  # a float64 array (a long sweep axis) is not copied
    # min and max propagate NaN and reach +-inf: finite without a temporary of the array's size
    if arr.size and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        bad = arr[~np.isfinite(arr)].reshape(-1)[0]
        raise ValueError(f"{name} must be finite; allowed: {allowed}; got {name} = {fmt(bad)}")
    return arr


def check_real(name: str, value, allowed: str) -> np.ndarray | None:
    """Check a real, finite input; return it as a float64 array (None if traced)."""
    return _as_real_array(name, value, allowed)


def check_param(name: str, values) -> np.ndarray | None:
    """Check U, r, alpha or lam against :data:`PARAM_RANGES`; return a float64 array.

    Args:
        name: ``"U"``, ``"r"``, ``"alpha"`` or ``"lam"``.
        values: a number or an array of any shape (traced values pass through unchecked: None).

    Raises:
        ValueError: not real, not finite or outside the range; the message names the parameter,
            the offending value and the range.
    """
    if name not in PARAM_RANGES:
        raise ValueError(f"unknown parameter {name!r}; the parameters are {', '.join(PARAM_RANGES)}")
    rng = PARAM_RANGES[name]
    allowed = domain_text(name)
    arr = _as_real_array(name, values, allowed)
    if arr is None or arr.size == 0:
        return arr
    below = arr <= rng.low if rng.low_open else arr < rng.low
    if np.any(arr > rng.high) or np.any(below):
        bad = arr.max() if np.any(arr > rng.high) else arr.min()
        raise ValueError(f"{name} must satisfy {allowed}; got {name} = {fmt(bad)} ({rng.why})")
    return arr


#: The parameters of the spinless model (docs/theory.md §1-§10); ``lam`` adds spin (§12).
SPINLESS = ("U", "r", "alpha")
#: What takes ``lam``, for the message of a spinless function given one.
SPIN_ENTRY_POINTS = "jaxorb.profile, jaxorb.conversion and the conv_* quantities (jaxorb.sweep, jaxorb.maximize)"


def check_params(p: Params, *, spin: bool = False) -> tuple[int, ...]:
    """Check every field of ``p`` and that the fields broadcast; return the broadcast shape.

    Traced fields (inside jit/grad) cannot be checked and are passed through.

    Args:
        p: :class:`Params`.
        spin: whether the caller computes the spinful model (docs/theory.md §12). If not, a
            given ``lam`` is refused; if so, ``lam`` must be given and lie in its range, away
            from the singular points lam = 1 - U and lam = -(1 - U)/2
            (:func:`jaxorb.spin.inputs.validate_params`).

    Raises:
        ValueError: naming the parameter and its range, or the singular point.
    """
    if not isinstance(p, Params):
        raise ValueError(f"expected jaxorb.Params(U=..., r=..., alpha=...); got {type(p).__name__}")
    names = SPINLESS if p.lam is None else (*SPINLESS, "lam")
    if p.lam is not None and not spin:
        raise ValueError(
            f"lam (spin-orbit strength, in E_F) is given, but this function computes the spinless model "
            f"(docs/theory.md §1-§10): pass Params(U, r, alpha) without lam; the spinful model is reached "
            f"through {SPIN_ENTRY_POINTS}"
        )
    if p.lam is None and spin:
        raise ValueError(
            "lam (spin-orbit strength, in E_F) is needed for the spinful model: pass "
            f"Params(U, r, alpha, lam=...) with {domain_text('lam')} (lam = 0.0 is the spinless limit)"
        )
    shapes, checked = [], {}
    for name in names:
        value = getattr(p, name)
        arr = check_param(name, value)
        checked[name] = arr
        shapes.append(np.shape(value) if arr is None else arr.shape)
    try:
        shape = tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        got = ", ".join(f"{n} {s}" for n, s in zip(names, shapes))
        listed = ", ".join(names[:-1]) + " and " + names[-1]
        raise ValueError(f"{listed} must broadcast against each other (NumPy rules); got shapes {got}") from None
    if spin and checked["U"] is not None and checked["lam"] is not None:
        from .spin.inputs import check_singular  # the spinful model imports this module

        check_singular(checked["U"], checked["lam"])
    return shape


def validate_params(p: Params, *, spin: bool = False) -> Params:
    """Raise ``ValueError`` naming the parameter and its range if ``p`` is invalid; return ``p``
    (``spin`` as for :func:`check_params`)."""
    check_params(p, spin=spin)
    return p


def check_positive(name: str, value, unit: str, meaning: str = "") -> np.ndarray | None:
    """A real, finite, strictly positive input (number or array); float64 array (None if traced)."""
    what = f" ({meaning})" if meaning else ""
    allowed = f"{name} > 0 in {unit}{what}" if unit else f"{name} > 0{what}"
    arr = _as_real_array(name, value, allowed)
    if arr is not None and arr.size and np.any(arr <= 0):
        raise ValueError(f"{name} must satisfy {allowed}; got {name} = {fmt(arr.min())}")
    return arr


def check_transparency(value) -> np.ndarray | None:
    """The memory-loss parameter p = rho_R l_R / AR_I: real, finite, > 0 (number or array)."""
    return check_positive("transparency", value, "", POSITIVE["transparency"])


def validate_depths(z, name: str = "z") -> np.ndarray | None:
    """Depths in 1/k_F: finite, >= 0, at least one. Returns a 1-D float64 array (None if traced)."""
    if _is_tracer(z):
        return None
    arr = _as_real_array(name, z, f"{name} >= 0 in 1/k_F")
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a number or a 1-D array of depths in 1/k_F; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must hold at least one depth (1/k_F); got an empty array")
    if np.any(arr < 0):
        raise ValueError(
            f"{name} must satisfy {name} >= 0 (depth into the right layer, 1/k_F); got {name} = {fmt(arr.min())}"
        )
    return arr


def validate_count(name: str, value, minimum: int, maximum: int | None = None) -> int:
    """A static count: an integer in [minimum, maximum]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(
            f"{name} must be an integer >= {minimum}; got {fmt(value) if not isinstance(value, str) else repr(value)}"
        )
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}; got {fmt(value)}")
    return int(value)


# ---------------------------------------------------------------------------------------------
# Precision

_DTYPES = {"float64": "float64", "float32": "float32"}


def check_dtype(dtype) -> str:
    """``"float64"`` or ``"float32"`` from a string, a NumPy dtype or a scalar type."""
    try:
        name = np.dtype(dtype).name if not isinstance(dtype, str) else np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in _DTYPES:
        raise ValueError(f"dtype must be 'float64' or 'float32' (a string or a NumPy dtype); got {dtype!r}")
    return name


@contextlib.contextmanager
def precision(dtype, *inputs):
    """Run the enclosed computation in ``dtype`` whatever the process-wide x64 setting.

    JAX computes in 32 bits unless ``jax_enable_x64`` is on. Concrete inputs: the block runs in
    a local x64 scope of the asked width (``jax.enable_x64``). Traced inputs (the caller's own
    jit/grad) already fix the width; asking float64 inside a 32-bit trace is refused instead of
    computed silently in float32.
    """
    name = check_dtype(dtype)
    want64 = name == "float64"
    traced = any(_is_tracer(x) for x in jax.tree_util.tree_leaves(inputs))
    if traced:
        if want64 and not jax.config.jax_enable_x64:
            raise ValueError(
                "dtype='float64' was asked inside a jit/grad trace while jax_enable_x64 is off, which "
                "would compute in float32: call jax.config.update('jax_enable_x64', True) before "
                "tracing, or pass dtype='float32'"
            )
        if not want64 and jax.config.jax_enable_x64:
            leaves = [x for x in jax.tree_util.tree_leaves(inputs) if _is_tracer(x)]
            if any(np.dtype(x.dtype).itemsize > 4 for x in leaves if np.issubdtype(x.dtype, np.inexact)):
                raise ValueError(
                    "dtype='float32' was asked for float64 traced inputs: cast them to float32 "
                    "first, or pass dtype='float64'"
                )
        yield name
        return
    if jax.config.jax_enable_x64 == want64:
        yield name
        return
    with jax.enable_x64(want64):
        yield name


# ---------------------------------------------------------------------------------------------
# Resource limits


def memory_limit() -> int:
    """Bytes one call may plan to allocate: ``JAXORB_MEMORY_LIMIT`` (bytes, or with a suffix
    K/M/G/T for KiB..TiB) if set, else half the machine's physical memory."""
    text = os.environ.get("JAXORB_MEMORY_LIMIT", "").strip()
    if text:
        units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
        mult = 1
        t = text.upper().removesuffix("IB").removesuffix("B")
        if t and t[-1] in units:
            mult, t = units[t[-1]], t[:-1]
        try:
            return int(float(t) * mult)
        except ValueError:
            raise ValueError(f"JAXORB_MEMORY_LIMIT must be a size such as 8G or 8589934592; got {text!r}") from None
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")) // 2
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 2**30


def gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.3g} GiB"


def check_memory(what: str, nbytes: float, advice: str) -> None:
    """Refuse a computation whose working set ``nbytes`` exceeds :func:`memory_limit`.

    Raises:
        ValueError: says what needs how much, the limit, and ``advice`` (what to do instead).
    """
    limit = memory_limit()
    if nbytes > limit:
        raise ValueError(
            f"{what} needs about {gib(nbytes)} of memory, more than the limit of {gib(limit)} "
            f"(half the physical memory, or JAXORB_MEMORY_LIMIT): {advice}"
        )
