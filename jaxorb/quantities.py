"""Named scalar quantities of (U, r, alpha[, z]) for sweeps, optimisation and benchmarks.

Names (``j`` is the injection x, y or z; ``O`` an observable name):

* ``eta_<Q>_<j>``: conversion efficiency Q_R(0)/J_L(0), Q in xy yz zx x2-y2 z2 (e.g. ``eta_yz_x``).
* ``ratio_<j>``: J_L(0)/J_R(0) of the injected dipole (left side of paper Eq. 9).
* ``delta_<j>``: orbital memory loss from Eq. 9 with transparency p (default 2); NaN where the
  ratio is below 1.
* ``c_<j>``: mean-torque coefficient J(inf) - J(0); ``cD_<j>``: J(z) - J(0), z = thickness D.
* ``density_<O>_<j>``, ``current_<O>_<j>``, ``torque_<O>_<j>``: Fermi averages at depth z.

:func:`get` returns a :class:`Quantity` whose ``fn(U, r, alpha, z)`` is a pure, jittable,
differentiable scalar function (scalar inputs; vmap it for grids).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import fast, profiles, quadrature, transport
from .operators import DIPOLES, OPERATOR_NAMES


class Quantity(NamedTuple):
    """A named scalar of the parameters.

    Attributes:
        name: its public name.
        fn: ``fn(U, r, alpha, z)`` -> scalar (z ignored unless ``uses_z``).
        unit: unit string (docs/theory.md §1).
        description: one line for plots and metadata.
        uses_z: whether the value depends on the depth z (then nodes must cover max z).
    """

    name: str
    fn: Callable
    unit: str
    description: str
    uses_z: bool


_QUAD = {"xy": "Lxy", "yz": "Lyz", "zx": "Lzx", "x2-y2": "Lx2-y2", "z2": "Lz2"}
_PATTERN = re.compile(
    r"^(eta_(?P<q>xy|yz|zx|x2-y2|z2)|ratio|delta|c|cD|(?P<kind>density|current|torque)_(?P<op>L[a-z0-9-]+))_(?P<j>[xyz])$"
)

NAMES_HELP = (
    "eta_<xy|yz|zx|x2-y2|z2>_<x|y|z>, ratio_<j>, delta_<j>, c_<j>, cD_<j> (z = thickness), "
    "density_<O>_<j>, current_<O>_<j>, torque_<O>_<j> (O in " + " ".join(OPERATOR_NAMES) + ")"
)


def _consts(j: str):
    """rho_in and the dipole axis as NumPy constants: the fast path skips their zeros at trace
    time, and they take the precision of the trace (float32 works)."""
    return profiles.density_matrix(j), transport.injected_dipole(j)


def _match(name) -> re.Match:
    """The parsed name of a registry quantity; ValueError listing the patterns otherwise."""
    m = _PATTERN.match(name) if isinstance(name, str) else None
    if m is None or (m.group("op") and m.group("op") not in OPERATOR_NAMES):
        raise ValueError(f"unknown quantity {name!r}; known patterns: {NAMES_HELP}")
    return m


@functools.cache
def get(name: str, n: int | None = None, transparency: float = 2.0) -> Quantity:
    """Look up a quantity by name.

    ``n`` selects the (static) kappa rule: None for the default graded rule
    (:func:`jaxorb.quadrature.graded_rule`; the depth-resolved ``density_``/``current_``/``torque_``
    quantities use it too, as :func:`jaxorb.quadrature.depth_rule` of
    :data:`jaxorb.quadrature.DEFAULT_NODES`), or an int: that many Gauss-Legendre nodes per
    branch-split segment for interface quantities, :func:`jaxorb.quadrature.depth_rule` of that
    size for quantities at depth.

    Raises:
        ValueError: unknown name (the message lists the patterns).
    """
    m = _match(name)
    j = m.group("j")
    rho, ndip = _consts(j)
    head = name.split("_")[0]

    if m.group("q") or head in ("ratio", "delta"):
        # the single-quantity case of joint(): one code path for every interface quantity
        shared = joint((name,), n, transparency)

        def fn(U, r, alpha, z=0.0):
            return shared(U, r, alpha, z)[0]

        if m.group("q"):
            return Quantity(name, fn, "1", f"conversion efficiency eta_{m.group('q')}^{j}", False)
        if head == "ratio":
            return Quantity(name, fn, "1", f"J_L(0)/J_R(0) for |L_{j}>", False)
        return Quantity(name, fn, "1", f"orbital memory loss delta for |L_{j}> (p = {transparency})", False)
    if head in ("c", "cD"):
        finite = head == "cD"

        def fn(U, r, alpha, z=0.0):
            d = jnp.asarray(z, dtype=jnp.result_type(float)) if finite else jnp.asarray(np.inf)
            return transport._mean_torque_core(U, r, alpha, rho, ndip, d, n)

        desc = "c(D) = J(D) - J(0), D = z" if finite else "c = J(inf) - J(0)"
        return Quantity(
            name, fn, "1 (tau_bar = c hbar^2/(k_F D m))", f"mean-torque coefficient {desc} for |L_{j}>", finite
        )
    kind, op = m.group("kind"), m.group("op")
    n_depth = quadrature.DEFAULT_NODES if n is None else n

    def fn(U, r, alpha, z=0.0):
        # one observable at one depth: the unrolled forms and one node sum, tens of times
        # cheaper than a whole profile (benchmarks/bench_depth.py)
        zz = jnp.asarray(z, dtype=jnp.result_type(float))
        return fast.depth_average(U, r, alpha, zz, rho, op, kind, n_depth)

    unit = {"density": "hbar", "current": "hbar * hbar k_F / m", "torque": "hbar * hbar k_F^2 / m"}[kind]
    return Quantity(name, fn, unit, f"{kind} of {m.group('op')} for |L_{j}> at depth z", True)


def joint(names: tuple[str, ...], n: int | None = None, transparency: float = 2.0) -> Callable:
    """One function f(U, r, alpha, z=0.0) -> (len(names),) for several quantities at once.

    The interface quantities (``eta_*``, ``ratio_*``, ``delta_*``) share one fast-path solve
    instead of one per quantity: with one injection through :func:`jaxorb.fast.reduce_currents`;
    with several, their values come from :func:`jaxorb.fast.packed_currents` (the currents of
    all injections packed together, fewer loop fusions) and their derivatives from one
    ``reduce_currents`` per injection. The others are evaluated by their :func:`get` functions.
    Same values as ``[get(name, n, transparency).fn(...) for name in names]`` (to ~1e-15).
    """
    names = tuple(names)
    plan: dict = {}
    interface = set()
    for name in names:
        m = _match(name)
        head = name.split("_")[0]
        if m.group("q") or head in ("ratio", "delta"):
            interface.add(name)
            j = m.group("j")
            right, left = plan.setdefault(j, (set(), set()))
            dip = "L" + j
            left.add(dip)
            if m.group("q"):
                right.add(_QUAD[m.group("q")])
            else:
                right.add(dip)
    plan = {j: (tuple(sorted(rt)), tuple(sorted(lt))) for j, (rt, lt) in plan.items()}

    def combine_for(j, right_ops, left_ops):
        own = [name for name in names if name in interface and _PATTERN.match(name).group("j") == j]

        def combine(right, left):
            right, left = dict(zip(right_ops, right)), dict(zip(left_ops, left))
            out = []
            for name in own:
                m = _PATTERN.match(name)
                if m.group("q"):
                    out.append(right[_QUAD[m.group("q")]] / left["L" + j])
                    continue
                ratio = left["L" + j] / right["L" + j]
                if name.split("_")[0] == "ratio":
                    out.append(ratio)
                else:
                    out.append(transport.solve_memory_loss(ratio, jnp.asarray(transparency, dtype=ratio.dtype)))
            return jnp.stack(out)

        return own, combine

    iface = [name for j in plan for name in combine_for(j, *plan[j])[0]]

    def per_injection(U, r, alpha):
        """The interface quantities (order ``iface``), one reduce_currents per injection: its
        derivatives are the adjoint's (one quantity per injection) or forward mode."""
        vals = []
        for j, (right_ops, left_ops) in plan.items():
            _, combine = combine_for(j, right_ops, left_ops)
            vals.append(fast.reduce_currents(U, r, alpha, profiles.density_matrix(j), right_ops, left_ops, n, combine))
        return jnp.concatenate(vals)

    def packed(U, r, alpha):
        """The same values from one solve with the currents of all injections packed together
        (fast.packed_currents: fewer loop fusions when there are several injections)."""
        specs = [
            (side, op, profiles.density_matrix(j))
            for j, (right_ops, left_ops) in plan.items()
            for side, ops in (("right", right_ops), ("left", left_ops))
            for op in ops
        ]
        cur = fast.packed_currents(U, r, alpha, tuple(specs), n)
        vals, k = [], 0
        for j, (right_ops, left_ops) in plan.items():
            _, combine = combine_for(j, right_ops, left_ops)
            nr, nl = len(right_ops), len(left_ops)
            right = tuple(cur[k + i] for i in range(nr))
            left = tuple(cur[k + nr + i] for i in range(nl))
            vals.append(combine(right, left))
            k += nr + nl
        return jnp.concatenate(vals)

    if len(plan) > 1:
        # values from the packed path, derivatives from the per-injection path (only the
        # perturbed parameters are passed on, so an unperturbed U costs nothing there)
        interface_values = jax.custom_jvp(packed)

        def _jvp(primals, tangents):
            primals = tuple(jnp.asarray(p) for p in primals)
            live = [i for i in range(3) if not isinstance(tangents[i], jax.custom_derivatives.SymbolicZero)]
            if not live:
                y = packed(*primals)
                return y, jnp.zeros_like(y)

            def f(*lv):
                args = list(primals)
                for k, i in enumerate(live):
                    args[i] = lv[k]
                return per_injection(*args)

            return jax.jvp(f, tuple(primals[i] for i in live), tuple(tangents[i] for i in live))

        interface_values.defjvp(_jvp, symbolic_zeros=True)
    else:
        interface_values = per_injection

    def fn(U, r, alpha, z=0.0):
        vals = dict(zip(iface, interface_values(U, r, alpha))) if iface else {}
        return jnp.stack(
            [vals[name] if name in vals else get(name, n, transparency).fn(U, r, alpha, z) for name in names]
        )

    return fn


__all__ = ["DIPOLES", "NAMES_HELP", "Quantity", "get", "joint"]
