"""Gradient-based design of the interface: maximise a differentiable scalar over (r, alpha_R), and
over the spin-orbit strength lam for the spinful model (docs/theory.md §12).

The objective is any named quantity (:mod:`jaxorb.quantities`, default ``eta_Lyz_x``) or any
callable ``f(Params) -> scalar`` built from jaxorb's differentiable functions. U is fixed. A
spinful quantity (``conv_Sz_z``, ...) is maximised over (r, alpha_R, lam), and so is a callable
when ``bounds`` names lam (it then gets ``Params(U, r, alpha, lam)``). The
bounds are imposed by a smooth reparametrisation, not clipping: x = lo + (hi - lo) sin^2(u),
so every u is feasible, the bounds themselves are reachable (u = 0 or pi/2) and the map is
smooth. Several starts run together (vmapped); the best final point is returned, and
:attr:`OptimizeResult.on_bound` says whether it sits on a bound. Everything is deterministic
for a given seed; every argument is checked before anything is compiled.
"""

import functools
import math
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from . import quantities
from .params import Params, check_param, check_real, domain_text, validate_count, validate_params
from .spin.compiling import jit_derivative

AXES = ("r", "alpha")
#: The variables of a spinful objective.
SPIN_AXES = ("r", "alpha", "lam")
DEFAULT_BOUNDS = {"r": (0.0, 20.0), "alpha": (0.0, 3.0)}
#: Default bounds of lam, in E_F (inside them for the default U = 0.5: the singular points
#: lam = 1 - U and lam = -(1 - U)/2 are 0.5 and -0.25 there).
DEFAULT_LAM_BOUNDS = (-0.2, 0.2)
UNITS = {"r": "hbar^2/2m", "alpha": "hbar^2/2m", "lam": "E_F", "U": "E_F"}
#: A coordinate within this fraction of its interval from a bound, with the gradient pointing
#: outward, counts as on the bound (the sin^2 map approaches a bound only quadratically, and
#: Adam's last steps leave it about 1e-6 of the interval away).
BOUND_TOLERANCE = 1e-4
#: Seeds are the integers jax.random.key accepts on every platform.
SEED_LIMIT = 2**63


class OptimizeResult(NamedTuple):
    """Result of :func:`maximize` / :func:`minimize`.

    Attributes:
        params: best point found, as :class:`Params` (U fixed; lam given for a spinful objective).
        value: objective there.
        grad_norm: |d objective / d(r, alpha[, lam])| there (physical coordinates; ~0 at an
            interior optimum, finite at a bound).
        starts: (S, 2) initial (r, alpha) of each start; (S, 3) (r, alpha, lam) when lam varies.
        finals: (S, 2) or (S, 3) final coordinates of each start, as ``starts``.
        values: (S,) final objective of each start.
        history: dict with "r", "alpha" (and "lam"), "value", each (steps + 1, S).
        objective: name (or repr) of the objective.
        bounds: {"r": (lo, hi), "alpha": (lo, hi)} (and "lam").
        steps: optimiser steps taken.
        wall_time_s: wall time including compilation.
        kind: "maximum" or "minimum".
        on_bound: {axis: "lower" | "upper"} for each coordinate of the optimum that sits on a
            bound with the objective still improving beyond it; empty for an interior optimum.
        axes: the coordinates varied: ("r", "alpha"), or ("r", "alpha", "lam").
    """

    params: Params
    value: float
    grad_norm: float
    starts: np.ndarray
    finals: np.ndarray
    values: np.ndarray
    history: dict
    objective: str
    bounds: dict
    steps: int
    wall_time_s: float
    kind: str = "maximum"
    on_bound: dict = {}  # noqa: RUF012 (never mutated)
    axes: tuple = AXES

    def __repr__(self) -> str:
        where = ", ".join(
            f"{k} = {self.bounds[k][self.on_bound[k] == 'upper']:g} ({self.on_bound[k]} bound)"
            if k in self.on_bound
            else f"{k} = {float(getattr(self.params, k)):.6g}"
            for k in self.axes
        )
        return (
            f"OptimizeResult({self.kind} of {self.objective} = {self.value:.10g} at U = {float(self.params.U):g}, "
            f"{where}; |grad| = {self.grad_norm:.3g}; {len(self.values)} starts x {self.steps} steps "
            f"in {self.wall_time_s:.1f} s)"
        )

    def to_json(self) -> dict:
        """A JSON-serialisable record (floats and lists)."""
        optimum = {"U": float(self.params.U), **{k: float(getattr(self.params, k)) for k in self.axes}}
        return {
            "objective": self.objective,
            "kind": self.kind,
            "optimum": optimum,
            "value": self.value,
            "grad_norm": self.grad_norm,
            "on_bound": self.on_bound,
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "steps": self.steps,
            "wall_time_s": self.wall_time_s,
            "starts": self.starts.tolist(),
            "finals": self.finals.tolist(),
            "values": self.values.tolist(),
            "history": {k: np.asarray(v).tolist() for k, v in self.history.items()},
            "units": {k: UNITS[k] for k in ("r", "alpha", *self.axes[2:], "U")},
        }


def objective_axes(objective, bounds=None) -> tuple[str, ...]:
    """The coordinates an objective is optimised over: :data:`SPIN_AXES` for a spinful quantity
    (``conv_*``, docs/theory.md §12) and for a callable when ``bounds`` names lam, else
    :data:`AXES`.

    Raises:
        ValueError: an unknown quantity name, or bounds for lam with an objective that does not
            take it.
    """
    has_lam = isinstance(bounds, dict) and "lam" in bounds
    if isinstance(objective, str):
        spinful = quantities.info(objective).uses_lam
        if has_lam and not spinful:
            raise ValueError(
                f"bounds['lam']: objective {objective!r} does not take lam; lam is varied for the spinful "
                f"quantities ({quantities.SPIN_HELP}) and for a callable f(Params) given bounds for it"
            )
        return SPIN_AXES if spinful else AXES
    return SPIN_AXES if has_lam else AXES


def _objective_fn(objective, nodes, axes=AXES) -> tuple[Callable, str]:
    """(f(U, r, alpha[, lam]) -> scalar, label) for a name or a callable of Params."""
    if isinstance(objective, str):
        return _named_objective(objective, nodes), objective
    if callable(objective):
        label = getattr(objective, "__name__", repr(objective))
        if "lam" in axes:
            return (lambda U, r, a, lam: objective(Params(U, r, a, lam))), label
        return (lambda U, r, a: objective(Params(U, r, a))), label
    raise ValueError(f"objective must be a quantity name ({quantities.NAMES_HELP}) or a callable f(Params)")


@functools.lru_cache(maxsize=64)
def _named_objective(name: str, nodes: int | None) -> Callable:
    """f(U, r, alpha[, lam]) of a named quantity; one function object per (name, nodes), so that
    repeated optimisations of the same quantity reuse its compiled step."""
    q = quantities.get(name, n=nodes)
    if q.uses_z:
        raise ValueError(f"objective {name!r} depends on a depth z; wrap it in a callable f(Params)")
    if q.uses_lam:
        return lambda U, r, a, lam: q.fn(U, r, a, 0.0, lam)
    return lambda U, r, a: q.fn(U, r, a, 0.0)


def _check_scalar(f: Callable, U: float, label: str, axes=AXES) -> None:
    """Refuse an objective that does not return one real number (traced, not compiled)."""
    x = jax.ShapeDtypeStruct((), jnp.result_type(float))
    out = jax.eval_shape(f, U, *(x,) * len(axes))
    shape, dtype = getattr(out, "shape", None), getattr(out, "dtype", None)
    if shape != () or dtype is None or not jnp.issubdtype(dtype, jnp.floating):
        got = f"shape {shape}, dtype {dtype}" if shape is not None else type(out).__name__
        raise ValueError(f"objective must return one real number (a scalar); {label} returns {got}")


def check_bounds(bounds, axes: tuple[str, ...] = AXES) -> dict:
    """Bounds {"r": (lo, hi), "alpha": (lo, hi)} (and "lam" when ``axes`` is :data:`SPIN_AXES`)
    completed from :data:`DEFAULT_BOUNDS` and :data:`DEFAULT_LAM_BOUNDS`, each finite with
    lo < hi and inside the parameter's valid range."""
    out = dict(DEFAULT_BOUNDS)
    if "lam" in axes:
        out["lam"] = DEFAULT_LAM_BOUNDS
    if bounds is not None:
        if not isinstance(bounds, dict):
            raise ValueError(f"bounds must be a dict {{'r': (lo, hi), 'alpha': (lo, hi)}}; got {bounds!r}")
        unknown = set(bounds) - set(axes)
        if unknown:
            names = " and ".join(axes) if len(axes) == 2 else ", ".join(axes[:-1]) + " and " + axes[-1]
            raise ValueError(f"bounds may name {names} only; got {sorted(map(str, unknown))}")
        out.update(bounds)
    for name, lim in out.items():
        try:
            lo, hi = (float(x) for x in lim)
        except (TypeError, ValueError) as err:
            raise ValueError(f"bounds[{name!r}] must be a pair (lo, hi); got {lim!r}") from err
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"bounds[{name!r}] must be finite with lo < hi; got ({lo:g}, {hi:g})")
        out[name] = (lo, hi)
    for name in axes:  # the range check every entry point shares
        check_param(name, np.array(out[name]))
    return out


def check_lam_bounds(U: float, bounds: dict) -> None:
    """Refuse lam bounds that enclose a singular point lam = 1 - U or lam = -(1 - U)/2 of the
    spinful model (docs/theory.md §12): the path of the optimiser would cross it."""
    from .spin.inputs import SINGULAR_TOL, singular_lams

    if "lam" not in bounds:
        return
    lo, hi = bounds["lam"]
    for what, s in singular_lams(U):
        if lo - SINGULAR_TOL <= s <= hi + SINGULAR_TOL:
            raise ValueError(
                f"bounds['lam'] = ({lo:g}, {hi:g}) enclose the singular point lam = {what} = {s:g} at U = {U:g} "
                "(a band bottom at E_F, docs/theory.md §12), which the optimiser cannot cross: choose bounds on "
                "one side of it"
            )


def check_seed(seed) -> int:
    """A PRNG seed: an integer with 0 <= seed < 2**63."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed must be an integer with 0 <= seed < 2**63; got {seed!r}")
    return int(seed)


def _check_sign(sign) -> float:
    if isinstance(sign, bool) or not isinstance(sign, (int, float, np.integer, np.floating)) or sign not in (1, -1):
        raise ValueError(f"sign must be +1 (maximise) or -1 (minimise); got {sign!r}")
    return float(sign)


def random_starts(bounds: dict, starts: int, seed: int, axes: tuple[str, ...] = AXES) -> np.ndarray:
    """(starts, len(axes)) points (r, alpha[, lam]) drawn uniformly within ``bounds`` from ``seed``."""
    n = validate_count("starts", starts, 1)
    key = jax.random.PRNGKey(check_seed(seed))
    bounds = check_bounds(bounds, axes)
    lo, hi = ([bounds[a][k] for a in axes] for k in (0, 1))
    return np.asarray(jax.random.uniform(key, (n, len(axes)), minval=jnp.array(lo), maxval=jnp.array(hi)))


def _fixed_U(p0, axes=AXES) -> float:
    """The U of the optimisation: p0's (one concrete value), else 0.5."""
    if p0 is None:
        return 0.5
    if "lam" in axes and p0.lam is None:
        raise ValueError("p0.lam must be given: the objective varies lam, and p0 holds the starting lam of each start")
    validate_params(p0, spin="lam" in axes)
    U = check_real("U", p0.U, domain_text("U"))
    if U is None or np.ndim(U) != 0:
        raise ValueError("p0.U must be a single concrete value (U is fixed during the optimisation)")
    return float(U)


def _initial_points(p0, bounds: dict, starts: int, seed: int, axes=AXES) -> np.ndarray:
    """(S, len(axes)) starting points (r, alpha[, lam]) from ``p0`` or drawn at random."""
    if p0 is None:
        return random_starts(bounds, starts, seed, axes)
    fields = " and ".join(f"p0.{a}" for a in axes)
    try:
        cols = np.broadcast_arrays(*(np.atleast_1d(np.asarray(getattr(p0, a), float)) for a in axes))
    except ValueError as err:
        raise ValueError(f"{fields} must have the same length (one start each); got {err}") from err
    if cols[0].ndim != 1:
        raise ValueError(f"{fields} must be scalars or 1-D arrays of starts")
    x0 = np.stack(cols, axis=1)
    outside = np.zeros(len(x0), dtype=bool)
    for k, a in enumerate(axes):
        outside |= (x0[:, k] < bounds[a][0]) | (x0[:, k] > bounds[a][1])
    if np.any(outside):
        raise ValueError(f"starting points must lie within the bounds {bounds}; got {x0[outside].tolist()}")
    return x0


def _on_bound(x: np.ndarray, grad: np.ndarray, bounds: dict, sign: float, axes=AXES) -> dict:
    """Which coordinates of x (r, alpha[, lam]) sit on a bound that stops an improving objective."""
    out = {}
    for k, name in enumerate(axes):
        lo, hi = bounds[name]
        tol, rising = BOUND_TOLERANCE * (hi - lo), sign * grad[k]
        if x[k] - lo <= tol and rising < 0:
            out[name] = "lower"
        elif hi - x[k] <= tol and rising > 0:
            out[name] = "upper"
    return out


def _to_u(x, lo, hi):
    frac = np.clip((np.asarray(x, dtype=float) - lo) / (hi - lo), 1e-6, 1 - 1e-6)  # off the flat ends
    return np.arcsin(np.sqrt(frac))


def _to_x(u, lo, hi):
    return lo + (hi - lo) * jnp.sin(u) ** 2


@functools.lru_cache(maxsize=64)
def _default_optimizer(steps: int) -> optax.GradientTransformation:
    # Adam for robustness far from the optimum, cosine-decayed step so the end is precise
    return optax.adam(optax.cosine_decay_schedule(0.05, max(steps, 1), alpha=1e-4))


def _reporter(progress, steps: int, label: str, sign: float, t0: float) -> Callable:
    """report(i, values): a progress line on stderr about every tenth step (or nothing)."""
    show = sys.stderr.isatty() if progress is None else bool(progress)
    every = max(1, steps // 10)

    def report(i, vals):
        if show and (i % every == 0 or i == steps - 1):
            best = (np.max if sign > 0 else np.min)(vals)
            print(
                f"[jaxorb optimize] step {i + 1}/{steps}  best {label} = {best:.8g}  ({time.perf_counter() - t0:.1f} s)",
                file=sys.stderr,
                flush=True,
            )

    return report


@functools.lru_cache(maxsize=32)
def _compiled_steps(f: Callable, opt: optax.GradientTransformation, nx: int, sign: float) -> tuple:
    """Jitted (step, to_x) for one objective and optimiser: step(u, state, U, lo, hi) -> (next u,
    next state, objective at u, its gradient in the physical coordinates at u).

    U and the bounds are arguments, not constants, so a second optimisation of the same named
    quantity with the same optimiser (other bounds, U, seed or starts) runs without compiling.
    Over (r, alpha, lam) the objective is the spinful model, whose derivative programs are
    compiled with :func:`jaxorb.spin.compiling.jit_derivative`.
    """
    jit_grad = jit_derivative if nx == len(SPIN_AXES) else jax.jit

    def parts(u, U, lo, hi):
        # the objective and its gradient in the physical coordinates x (reported at the end) and
        # the gradient of the loss -sign * f in the reparametrised u (what the optimiser follows)
        x, pull = jax.vjp(lambda u: _to_x(u, lo, hi), u)
        val, grad_x = jax.value_and_grad(lambda x: f(U, *(x[k] for k in range(nx))))(x)
        (grad_u,) = pull(-sign * grad_x)
        return val, grad_x, grad_u

    @jit_grad
    def step(u, state, U, lo, hi):
        vals, grads_x, grads_u = jax.vmap(parts, (0, None, None, None))(u, U, lo, hi)
        updates, state = jax.vmap(opt.update)(grads_u, state, u)
        return optax.apply_updates(u, updates), state, vals, grads_x

    to_x = jax.jit(jax.vmap(_to_x, (0, None, None)))
    return step, to_x


def _descend(f, U, x0, bounds, opt, steps, sign, report, axes=AXES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run every start together for ``steps`` steps in the reparametrised variables.

    Returns (xs (steps + 1, S, A), values (steps + 1, S), grads (S, A) at the last point), A the
    number of ``axes``.
    """
    nx = len(axes)
    lo = jnp.array([bounds[a][0] for a in axes])
    hi = jnp.array([bounds[a][1] for a in axes])
    U = jnp.asarray(U, dtype=lo.dtype)
    step, to_x = _compiled_steps(f, opt, nx, float(sign))
    u = jnp.asarray(np.stack([_to_u(x0[:, k], lo[k], hi[k]) for k in range(nx)], axis=1))
    state = jax.vmap(opt.init)(u)
    xs, vals = [np.asarray(to_x(u, lo, hi))], []
    for i in range(steps):
        u, state, v, _ = step(u, state, U, lo, hi)  # v: the objective at xs[i]
        vals.append(np.asarray(v))
        xs.append(np.asarray(to_x(u, lo, hi)))
        report(i, vals[-1])
    # one more evaluation of the step program (its update unused) gives the objective and its
    # gradient at xs[-1] without compiling a second gradient program
    _, _, final_vals, final_grads = step(u, state, U, lo, hi)
    vals.append(np.asarray(final_vals))
    return np.stack(xs), np.stack(vals), np.asarray(final_grads)


def maximize(
    objective: str | Callable = "eta_Lyz_x",
    p0: Params | None = None,
    *,
    bounds: dict | None = None,
    starts: int = 4,
    steps: int = 300,
    optimizer: optax.GradientTransformation | None = None,
    seed: int = 0,
    nodes: int | None = None,
    progress: bool | None = None,
    sign: float = 1.0,
) -> OptimizeResult:
    """Maximise ``objective`` over (r, alpha_R) within ``bounds`` at fixed U; over (r, alpha_R,
    lam) for a spinful objective.

    Args:
        objective: a quantity name (e.g. ``"eta_Lyz_x"``, ``"eta_Lz2_z"``, ``"delta_z"``, or the
            spinful ``"conv_Sz_z"``; :func:`jaxorb.quantities.list_quantities`) or a callable
            ``f(Params) -> scalar`` (differentiable, jittable, one real number).
        p0: starting point(s): ``Params(U, r, alpha)`` with r, alpha scalars or 1-D arrays (one
            start each); ``Params(U, r, alpha, lam)`` when lam varies. Default: U = 0.5 and
            ``starts`` points drawn uniformly in the bounds from ``seed``.
        bounds: {"r": (lo, hi), "alpha": (lo, hi)}; default r in [0, 20], alpha in [0, 3]. A
            spinful objective varies lam as well, within bounds["lam"] (default
            :data:`DEFAULT_LAM_BOUNDS`, in E_F), which must not enclose the singular points
            lam = 1 - U and lam = -(1 - U)/2; for a callable, giving bounds["lam"] makes lam a
            variable (the callable then gets ``Params(U, r, alpha, lam)``).
        starts: number of random starts when p0 gives none (>= 1).
        steps: optimiser steps (>= 1).
        optimizer: an optax transformation (default Adam with a cosine-decayed step 0.05 ->
            5e-6 in the reparametrised variables).
        seed: PRNG seed for the random starts, 0 <= seed < 2**63 (results are bit-for-bit
            reproducible on CPU).
        nodes: kappa rule: None for :func:`jaxorb.quadrature.graded_rule` (the public API's
            default, ~1e-12), or Gauss-Legendre nodes per branch-split segment (>= 2).
        progress: print progress lines (default: when stderr is a terminal).
        sign: +1 to maximise, -1 to minimise (see :func:`minimize`).

    Returns:
        :class:`OptimizeResult`; its ``on_bound`` says which coordinates of the optimum sit on
        a bound.

    Raises:
        ValueError: any invalid argument, before anything is compiled.
    """
    t0 = time.perf_counter()
    axes = objective_axes(objective, bounds)
    bounds = check_bounds(bounds, axes)
    steps = validate_count("steps", steps, 1)
    nodes = None if nodes is None else validate_count("nodes", nodes, 2)
    sign = _check_sign(sign)
    seed = check_seed(seed)
    if optimizer is not None and not (hasattr(optimizer, "init") and hasattr(optimizer, "update")):
        raise ValueError(f"optimizer must be an optax.GradientTransformation; got {type(optimizer).__name__}")
    f, label = _objective_fn(objective, nodes, axes)
    U = _fixed_U(p0, axes)
    check_lam_bounds(U, bounds)
    if not isinstance(objective, str):  # a named quantity is a real scalar by construction
        _check_scalar(f, U, label, axes)
    x0 = _initial_points(p0, bounds, starts, seed, axes)
    opt = optimizer if optimizer is not None else _default_optimizer(steps)
    report = _reporter(progress, steps, label, sign, t0)
    xs, vals, grads = _descend(f, U, x0, bounds, opt, steps, sign, report, axes)
    final = vals[-1]
    best = int(np.argmax(np.where(np.isnan(final), -np.inf, sign * final)))
    history = {a: xs[:, :, k] for k, a in enumerate(axes)}
    history["value"] = vals
    return OptimizeResult(
        params=Params(U, *(float(x) for x in xs[-1, best])),
        value=float(final[best]),
        grad_norm=float(np.linalg.norm(grads[best])),
        starts=x0,
        finals=xs[-1],
        values=final,
        history=history,
        objective=label,
        bounds=bounds,
        steps=steps,
        wall_time_s=time.perf_counter() - t0,
        kind="maximum" if sign > 0 else "minimum",
        on_bound=_on_bound(xs[-1, best], grads[best], bounds, sign, axes),
        axes=axes,
    )


def minimize(objective: str | Callable = "delta_z", p0: Params | None = None, **kwargs) -> OptimizeResult:
    """Minimise ``objective`` over (r, alpha_R) (and lam for a spinful objective): :func:`maximize`
    with the sign flipped."""
    if "sign" in kwargs:
        raise ValueError("minimize takes no sign (it is -1); call maximize(..., sign=...) instead")
    return maximize(objective, p0, sign=-1.0, **kwargs)


def landscape(
    objective: str | Callable,
    U: float,
    bounds: dict,
    shape: tuple[int, int] = (41, 31),
    nodes: int | None = None,
    lam: float | None = None,
):
    """Objective on a regular (r, alpha) grid, ends included.

    Args:
        objective: a quantity name or a callable ``f(Params) -> scalar`` (as :func:`maximize`).
        U: the fixed potential step, in E_F.
        bounds: {"r": (lo, hi), "alpha": (lo, hi)} in hbar^2/2m (missing axes: the defaults).
        shape: (nr, na) grid points, each >= 2.
        nodes: kappa rule (None: the graded rule).
        lam: the fixed spin-orbit strength (E_F) of the map, needed by a spinful objective (e.g.
            the optimum's); None otherwise.

    Returns:
        (r (nr,), alpha (na,), values (nr, na)).
    """
    axes = SPIN_AXES if lam is not None else AXES
    if isinstance(objective, str) and quantities.info(objective).uses_lam != (lam is not None):
        why = "is a quantity of the spinful model: give the map's lam" if lam is None else "does not take lam"
        raise ValueError(f"objective {objective!r} {why}")
    bounds = check_bounds({k: v for k, v in bounds.items() if k != "lam"} if bounds else bounds)
    validate_params(Params(U, 0.0, 0.0, lam), spin=lam is not None)
    shape = tuple(validate_count("shape", n, 2) for n in shape)
    nodes = None if nodes is None else validate_count("nodes", nodes, 2)
    f, _ = _objective_fn(objective, nodes, axes)
    r = np.linspace(*bounds["r"], shape[0])
    a = np.linspace(*bounds["alpha"], shape[1])
    rr, aa = np.meshgrid(r, a, indexing="ij")
    rest = () if lam is None else (lam,)
    vals = jax.jit(jax.vmap(lambda x, y: f(U, x, y, *rest)))(jnp.asarray(rr.ravel()), jnp.asarray(aa.ravel()))
    return r, a, np.asarray(vals).reshape(rr.shape)
