"""Named scalar quantities of (U, r, alpha[, z]) for sweeps, optimisation and benchmarks.

One naming scheme, ``<kind>_<O>_<j>``, for every quantity: ``j`` is the injected dipole (x, y
or z: |L_x>, |L_y>, |L_z>) and ``O`` an observable written as in
:data:`jaxorb.OPERATOR_NAMES` (``Lx``, ``Ly``, ``Lz``, ``Lxy``, ``Lyz``, ``Lzx``, ``Lx2-y2``,
``Lz2``), the same spelling :func:`jaxorb.efficiency` and :func:`jaxorb.profile` use. The
leading ``L`` may be dropped (``eta_yz_x`` is ``eta_Lyz_x``); :func:`info` gives the canonical
name.

* ``eta_<Q>_<j>``: conversion efficiency Q_R(0)/J_L(0) of a quadrupole Q (e.g. ``eta_Lyz_x``).
* ``ratio_<j>``: J_L(0)/J_R(0) of the injected dipole (left side of paper Eq. 9).
* ``delta_<j>``: orbital memory loss from Eq. 9 with transparency p (default 2); NaN where the
  ratio is below 1.
* ``c_<j>``: mean-torque coefficient J(inf) - J(0); ``cD_<j>``: J(z) - J(0), z = thickness D.
* ``density_<O>_<j>``, ``current_<O>_<j>``, ``torque_<O>_<j>``: Fermi averages at depth z.
* ``conv_S<j>_<j>``, ``conv0_S<j>_<j>`` (spinful model, docs/theory.md §12; they need the
  spin-orbit strength lam): orbital-to-spin conversion J_Sj(inf)/J_Lj(0-) in the far field, and
  J_Sj(0)/J_Lj(0-) at the interface, for |L_j> injected with unpolarised spin. The spin current
  along another axis vanishes by symmetry, so ``S<j>`` repeats ``j``.
* ``density_S<j>_<j>``, ``current_S<j>_<j>``, ``torque_S<j>_<j>`` (spinful model, need lam): the
  spin density <S_j>(z), spin current J_Sj(z) and its derivative dJ_Sj/dz at depth z for |L_j>
  injected with unpolarised spin; the spin components along the other axes vanish by symmetry.
* ``torque_soc_L<j>_<j>``, ``torque_soc_S<j>_<j>`` (spinful model, need lam): the spin-orbit
  parts of dJ_Lj/dz and dJ_Sj/dz at depth z; they cancel, and the second is all of dJ_Sj/dz.

:func:`list_quantities` lists every name with its unit and meaning (``jaxorb quantities`` on the
command line). :func:`get` returns a :class:`Quantity` whose ``fn(U, r, alpha, z)`` is a pure,
jittable, differentiable scalar function (scalar inputs; vmap it for grids); that of a spinful
quantity is ``fn(U, r, alpha, z, lam)`` (``uses_lam``).
"""

import fnmatch
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
        name: its name, as asked for (an alias keeps its spelling; :func:`info` canonicalises).
        fn: ``fn(U, r, alpha, z)`` -> scalar (z ignored unless ``uses_z``).
        unit: unit string (docs/theory.md §1).
        description: one line for plots and metadata.
        uses_z: whether the value depends on the depth z (then nodes must cover max z).
        label: the same quantity in matplotlib mathtext, e.g. ``$\\eta_{yz}^{x}$``.
        uses_lam: whether it is a quantity of the spinful model (docs/theory.md §12): then
            ``fn(U, r, alpha, z, lam)`` takes the spin-orbit strength lam (in E_F) as well.
    """

    name: str
    fn: Callable
    unit: str
    description: str
    uses_z: bool
    label: str = ""
    uses_lam: bool = False


class QuantityInfo(NamedTuple):
    """What a quantity name means, without building its function (:func:`info`).

    Attributes:
        name: the canonical name (observables with their ``L``, e.g. ``eta_Lyz_x``).
        unit: unit string (docs/theory.md §1).
        description: one line, as stored with sweeps.
        label: mathtext for plot labels, e.g. ``$\\eta_{yz}^{x}$``, ``$\\langle L_{yz}\\rangle^{x}$``.
        uses_z: whether the value depends on the depth z.
        aliases: other accepted spellings of the name.
        uses_lam: whether it needs the spin-orbit strength lam (spinful model, docs/theory.md §12).
    """

    name: str
    unit: str
    description: str
    label: str
    uses_z: bool
    aliases: tuple
    uses_lam: bool = False


_QUAD = {"xy": "Lxy", "yz": "Lyz", "zx": "Lzx", "x2-y2": "Lx2-y2", "z2": "Lz2"}
_OBS = "x2-y2|z2|xy|yz|zx|x|y|z"
# \Z, not $: a name with a trailing newline is not a name
_PATTERN = re.compile(
    r"^(?:eta_L?(?P<q>xy|yz|zx|x2-y2|z2)|(?P<head>ratio|delta|cD|c)"
    rf"|(?P<kind>density|current|torque)_(?P<op>L?(?:{_OBS})|S(?P<so>[xyz]))|(?P<conv>conv0?)_S(?P<s>[xyz])"
    r"|torque_soc_(?P<socop>L?(?P<socl>[xyz])|S(?P<socs>[xyz])))"
    r"_(?P<j>[xyz])\Z"
)
#: The spinful conversions (their names start so), which take lam; the spinful depth quantities
#: ``density_S<j>_<j>`` & co. take it too (:attr:`QuantityInfo.uses_lam` tells for any name).
SPIN_PREFIXES = ("conv_", "conv0_")
SPIN_HELP = (
    "conv_S<j>_<j> (J_Sj(inf)/J_Lj(0-)) and conv0_S<j>_<j> (J_Sj(0)/J_Lj(0-)), j in x y z: the spinful "
    "model's orbital-to-spin conversions, e.g. conv_Sz_z; density_S<j>_<j>, current_S<j>_<j>, "
    "torque_S<j>_<j>: its spin density, spin current and dJ_Sj/dz at depth z; torque_soc_L<j>_<j>, "
    "torque_soc_S<j>_<j>: the spin-orbit parts of dJ_Lj/dz and dJ_Sj/dz there (they cancel)"
)

NAMES_HELP = (
    "eta_<Q>_<j> (Q in " + " ".join(_QUAD.values()) + "), ratio_<j>, delta_<j>, c_<j>, cD_<j> (z = thickness), "
    "density_<O>_<j>, current_<O>_<j>, torque_<O>_<j> (O in " + " ".join(OPERATOR_NAMES) + "); "
    "conv_S<j>_<j>, conv0_S<j>_<j>, density_S<j>_<j>, current_S<j>_<j>, torque_S<j>_<j>, "
    "torque_soc_L<j>_<j>, torque_soc_S<j>_<j> (spinful model, need lam); "
    "j in x y z is the injected dipole; the leading L of Q or O may be dropped (eta_yz_x = eta_Lyz_x); "
    "`jaxorb quantities` lists them all"
)

_UNITS = {
    "eta": "1",
    "ratio": "1",
    "delta": "1",
    "c": "1 (tau_bar = c hbar^2/(k_F D m))",
    "cD": "1 (tau_bar = c hbar^2/(k_F D m))",
    "density": "hbar",
    "current": "hbar * hbar k_F / m",
    "torque": "hbar * hbar k_F^2 / m",
    "conv": "1",
    "conv0": "1",
}


def _consts(j: str):
    """rho_in and the dipole axis as NumPy constants: the fast path skips their zeros at trace
    time, and they take the precision of the trace (float32 works)."""
    return profiles.density_matrix(j), transport.injected_dipole(j)


def canonical(name: str) -> str:
    """The canonical spelling of a quantity name (``eta_yz_x`` -> ``eta_Lyz_x``).

    Raises:
        ValueError: not a quantity name (the message lists the patterns).
    """
    m = _PATTERN.fullmatch(name) if isinstance(name, str) else None
    if m is None:
        raise ValueError(f"unknown quantity {name!r}; known patterns: {NAMES_HELP}")
    if m.group("conv") or m.group("so") or m.group("socop"):
        s = m.group("s") or m.group("so") or m.group("socl") or m.group("socs")
        if s != m.group("j"):
            # the spin-orbit torque on L_s is minus that on S_s = dJ_Ss/dz: zero with the current
            what = (
                "spin current"
                if m.group("conv")
                else "spin-orbit torque"
                if m.group("socop")
                else "spin " + m.group("kind")
            )
            raise ValueError(
                f"unknown quantity {name!r}: for |L_{m.group('j')}> injection (unpolarised spin) the {what} "
                f"along {s} vanishes by symmetry; the spinful quantities are {SPIN_HELP}"
            )
        if m.group("socop") and m.group("socl"):
            return f"torque_soc_L{s}_{m.group('j')}"
        return name
    if m.group("q"):
        return f"eta_{_QUAD[m.group('q')]}_{m.group('j')}"
    if m.group("head"):
        return name
    op = m.group("op")
    return f"{m.group('kind')}_{op if op.startswith('L') else 'L' + op}_{m.group('j')}"


def _match(name) -> re.Match:
    """The parsed canonical form of a quantity name; ValueError listing the patterns otherwise."""
    return _PATTERN.fullmatch(canonical(name))


def _tex_op(op: str) -> str:
    """``Lyz`` -> ``L_{yz}``, ``Lx2-y2`` -> ``L_{x^2-y^2}``."""
    return "L_{" + op[1:].replace("2", "^2") + "}"


def info(name: str, transparency: float = 2.0) -> QuantityInfo:
    """Unit, meaning and plot label of a quantity name (nothing is built or compiled).

    Args:
        name: a quantity name or alias (:data:`NAMES_HELP`), e.g. ``"eta_yz_x"``.
        transparency: p of the memory-loss equation, quoted in the description of ``delta_*``.

    Returns:
        :class:`QuantityInfo` with the canonical ``name``, ``unit``, ``description`` and the
        mathtext ``label``.

    Raises:
        ValueError: not a quantity name.
    """
    m = _match(name)
    canon, j = m.group(0), m.group("j")
    head = canon.split("_")[0]
    if m.group("q"):
        q = m.group("q")
        desc = f"conversion efficiency eta_{q}^{j}"
        label = rf"$\eta_{{{q.replace('2', '^2')}}}^{{{j}}}$"
        aliases = (f"eta_{q}_{j}",)
    elif head == "ratio":
        desc, label, aliases = f"J_L(0)/J_R(0) for |L_{j}>", rf"$J_L(0)/J_R(0)\ (|L_{j}\rangle)$", ()
    elif head == "delta":
        desc = f"orbital memory loss delta for |L_{j}> (p = {transparency})"
        label, aliases = rf"$\delta_{j}$", ()
    elif head == "c":
        desc, label, aliases = f"mean-torque coefficient c = J(inf) - J(0) for |L_{j}>", rf"$c_{j}$", ()
    elif head == "cD":
        desc, label, aliases = f"mean-torque coefficient c(D) = J(D) - J(0), D = z for |L_{j}>", rf"$c_{j}(D)$", ()
    elif head == "conv":
        desc = f"orbital-to-spin conversion J_S{j}(inf)/J_L{j}(0-) for |L_{j}> (spinful model, needs lam)"
        label, aliases = rf"$J_{{S_{j}}}(\infty)/J_{{L_{j}}}(0^-)$", ()
    elif head == "conv0":
        desc = f"interfacial orbital-to-spin conversion J_S{j}(0)/J_L{j}(0-) for |L_{j}> (spinful model, needs lam)"
        label, aliases = rf"$J_{{S_{j}}}(0)/J_{{L_{j}}}(0^-)$", ()
    elif m.group("socop"):
        op = m.group("socop")
        other = ("S" if op[0] == "L" else "L") + j
        whole = "" if op[0] == "L" else f", all of torque_S{j}_{j} (the crystal field does not act on spin)"
        desc = (
            f"spin-orbit part of dJ_{op}/dz for |L_{j}> (unpolarised spin) at depth z{whole}; "
            f"equal to -torque_soc_{other}_{j} (spinful model, needs lam)"
        )
        tex = f"{op[0]}_{{{op[1]}}}"
        label = rf"$\tau^{{\rm so}}_{{{tex}}}{{}}^{{{j}}}$"
        aliases = (f"torque_soc_{op[1]}_{j}",) if op[0] == "L" else ()
    elif m.group("so"):
        kind, op = m.group("kind"), m.group("op")
        what = {"density": f"spin density <{op}>(z)", "current": f"spin current J_{op}(z)", "torque": f"dJ_{op}/dz"}
        desc = f"{what[kind]} for |L_{j}> (unpolarised spin) at depth z (spinful model, needs lam)"
        tex = f"S_{{{m.group('so')}}}"
        label = {
            "density": rf"$\langle {tex}\rangle^{{{j}}}$",
            "current": rf"$J_{{{tex}}}^{{{j}}}$",
            "torque": rf"$\tau_{{{tex}}}^{{{j}}}$",
        }[kind]
        aliases = ()
    else:
        kind, op = m.group("kind"), m.group("op")
        desc = f"{kind} of {op} for |L_{j}> at depth z"
        tex = _tex_op(op)
        label = {
            "density": rf"$\langle {tex}\rangle^{{{j}}}$",
            "current": rf"$J_{{{tex}}}^{{{j}}}$",
            "torque": rf"$\tau_{{{tex}}}^{{{j}}}$",
        }[kind]
        aliases = (f"{kind}_{op[1:]}_{j}",)
    uses_z = head in ("cD", "density", "current", "torque")
    uses_lam = head in ("conv", "conv0") or m.group("so") is not None or m.group("socop") is not None
    return QuantityInfo(canon, _UNITS[head], desc, label, uses_z, aliases, uses_lam)


def _all_names() -> list[str]:
    names = [f"eta_{q}_{j}" for j in "xyz" for q in _QUAD.values()]
    names += [f"{head}_{j}" for head in ("ratio", "delta", "c", "cD") for j in "xyz"]
    names += [f"{kind}_{op}_{j}" for kind in ("density", "current", "torque") for j in "xyz" for op in OPERATOR_NAMES]
    names += [f"{kind}_S{j}_{j}" for kind in ("conv", "conv0") for j in "xyz"]
    names += [f"{kind}_S{j}_{j}" for kind in ("density", "current", "torque") for j in "xyz"]
    names += [f"torque_soc_{s}{j}_{j}" for j in "xyz" for s in "LS"]
    return names


def list_quantities(pattern: str | None = None) -> list[QuantityInfo]:
    """Every quantity name with its unit, meaning and label.

    Args:
        pattern: optional shell-style filter on the canonical names and their aliases, e.g.
            ``"eta_*"`` or ``"*_Lyz_x"``.

    Returns:
        list of :class:`QuantityInfo` (canonical names; ``aliases`` lists the other spellings).
    """
    out = [info(n) for n in _all_names()]
    if pattern is None:
        return out
    if not isinstance(pattern, str):
        raise ValueError(f"pattern must be a string such as 'eta_*'; got {pattern!r}")
    return [q for q in out if any(fnmatch.fnmatchcase(n, pattern) for n in (q.name, *q.aliases))]


@functools.cache
def get(name: str, n: int | None = None, transparency: float = 2.0) -> Quantity:
    """Look up a quantity by name.

    ``n`` selects the (static) kappa rule: None for the default graded rule
    (:func:`jaxorb.quadrature.graded_rule`; the depth-resolved ``density_``/``current_``/``torque_``
    quantities use it too, as :func:`jaxorb.quadrature.depth_rule` of
    :data:`jaxorb.quadrature.DEFAULT_NODES`), or an int: that many Gauss-Legendre nodes per
    branch-split segment for interface quantities, :func:`jaxorb.quadrature.depth_rule` of that
    size for quantities at depth. The spinful quantities use the spinful rule
    (:func:`jaxorb.spin.quadrature.kappa_rule`: None is its default,
    :data:`jaxorb.spin.quadrature.DEFAULT_NODES` per segment, else ``n`` per segment): the
    ``conv_*`` quantities through the fast path :func:`jaxorb.spin.fast.interface_rows`, the
    spinful ``density_``/``current_``/``torque_`` ones through the depth expansion
    :func:`jaxorb.spin.api.profile_arrays` (:func:`jaxorb.spin.api.nodes_for_depth` gives the
    nodes a depth z needs; :func:`jaxorb.sweep` uses it for the deepest z).

    Raises:
        ValueError: unknown name (the message lists the patterns).
    """
    m = _match(name)
    j = m.group("j")
    rho, ndip = _consts(j)
    head = name.split("_")[0]
    meta = info(name, transparency)  # unit, description and label have one source

    def named(fn) -> Quantity:
        return Quantity(name, fn, meta.unit, meta.description, meta.uses_z, meta.label, meta.uses_lam)

    if m.group("conv"):
        # the single-quantity case of joint(), as for the spinless interface quantities
        conv = joint((name,), n, transparency)

        def conv_fn(U, r, alpha, z=0.0, lam=None):
            return conv(U, r, alpha, z, lam)[0]

        return named(conv_fn)
    if meta.uses_lam:
        kind, op = ("torque_soc", m.group("socop")) if m.group("socop") else (m.group("kind"), m.group("op"))
        return named(_spin_depth_fn(name, kind, op, j, n))
    if m.group("q") or head in ("ratio", "delta"):
        # the single-quantity case of joint(): one code path for every interface quantity
        shared = joint((name,), n, transparency)

        def fn(U, r, alpha, z=0.0):
            return shared(U, r, alpha, z)[0]

        return named(fn)
    if head in ("c", "cD"):
        finite = head == "cD"

        def fn(U, r, alpha, z=0.0):
            d = jnp.asarray(z, dtype=jnp.result_type(float)) if finite else jnp.asarray(np.inf)
            return transport._mean_torque_core(U, r, alpha, rho, ndip, d, n)

        return named(fn)
    kind, op = m.group("kind"), m.group("op")
    n_depth = quadrature.DEFAULT_NODES if n is None else n

    def fn(U, r, alpha, z=0.0):
        # one observable at one depth: the unrolled forms and one node sum, tens of times
        # cheaper than a whole profile (benchmarks/bench_depth.py)
        zz = jnp.asarray(z, dtype=jnp.result_type(float))
        return fast.depth_average(U, r, alpha, zz, rho, op, kind, n_depth)

    return named(fn)


def _require_lam(names, lam) -> None:
    """ValueError naming the spinful quantities ``names`` when lam is None."""
    if lam is None and names:
        what = f"{names[0]} is a quantity" if len(names) == 1 else f"{', '.join(names)} are quantities"
        verb = "it needs" if len(names) == 1 else "they need"
        raise ValueError(f"{what} of the spinful model: {verb} lam (spin-orbit strength, in E_F)")


def _spin_nodes(n: int | None) -> int:
    """Nodes per segment of the spinful kappa rule for the registry's ``n``."""
    from .spin import quadrature as spin_quadrature

    return spin_quadrature.DEFAULT_NODES if n is None else n


def _spin_depth_fn(name: str, kind: str, op: str, j: str, n: int | None) -> Callable:
    """fn(U, r, alpha, z, lam): the Fermi-averaged ``kind`` (density <O>(z), current J_O(z),
    torque dJ_O/dz or its spin-orbit part ``torque_soc``) of the observable ``op`` (a spin
    component, or L_j for ``torque_soc``) at depth z for |L_j> (unpolarised spin), from the
    spinful depth expansion (docs/theory.md §12)."""
    from .spin import api as spin_api
    from .spin import incident_density

    rho = incident_density(j)
    nodes = _spin_nodes(n)

    def fn(U, r, alpha, z=0.0, lam=None):
        _require_lam((name,), lam)
        zz = jnp.reshape(jnp.asarray(z, dtype=jnp.result_type(float)), (1,))
        return spin_api.profile_arrays(U, r, alpha, lam, rho, zz, names=(op,), n=nodes)[kind][0, 0]

    return fn


def joint(names: tuple[str, ...], n: int | None = None, transparency: float = 2.0) -> Callable:
    """One function f(U, r, alpha, z=0.0, lam=None) -> (len(names),) for several quantities at once.

    The interface quantities (``eta_*``, ``ratio_*``, ``delta_*``) share one fast-path solve
    instead of one per quantity: with one injection through :func:`jaxorb.fast.reduce_currents`;
    with several, their values come from :func:`jaxorb.fast.packed_currents` (the currents of
    all injections packed together, fewer loop fusions) and their derivatives from one
    ``reduce_currents`` per injection. The spinful conversions (``conv_*``, ``conv0_*``, which
    need lam) share one :func:`jaxorb.spin.fast.interface_rows` per injection j (the
    current J_Lj(0-) and the S_j currents at 0+ and infinity that the ratios divide). The others are
    evaluated by their :func:`get` functions (lam passed to the spinful ones). Same values as
    ``[get(name, n, transparency).fn(...) for name in names]`` (to ~1e-15).

    Raises:
        ValueError: (from f) lam is None while ``names`` holds a spinful quantity.
    """
    names = tuple(names)
    plan: dict = {}
    interface = set()
    spin_plan: dict[str, list[str]] = {}  # injection j -> the conversions it serves
    spinful = tuple(name for name in names if info(name).uses_lam)
    for name in names:
        m = _match(name)
        head = name.split("_")[0]
        if m.group("conv"):
            spin_plan.setdefault(m.group("j"), []).append(name)
        elif m.group("q") or head in ("ratio", "delta"):
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

    def conversions(U, r, alpha, lam) -> dict:
        """The spinful conversions: one interface_rows per injection serves all of its names,
        computing J_Lj(0-) and only the spin currents they divide."""
        from .spin import fast as spin_fast
        from .spin import incident_density

        out = {}
        for j, own in spin_plan.items():
            rows = (("left", "L" + j), *(("inf" if name.startswith("conv_") else "right", "S" + j) for name in own))
            cur = spin_fast.interface_rows(U, r, alpha, lam, incident_density(j), rows, _spin_nodes(n))
            for k, name in enumerate(own):
                out[name] = cur[k + 1] / cur[0]
        return out

    def other(name, U, r, alpha, z, lam):
        q = get(name, n, transparency)
        return q.fn(U, r, alpha, z, lam) if q.uses_lam else q.fn(U, r, alpha, z)

    def fn(U, r, alpha, z=0.0, lam=None):
        _require_lam(spinful, lam)
        vals = dict(zip(iface, interface_values(U, r, alpha))) if iface else {}
        if spin_plan:
            vals.update(conversions(U, r, alpha, lam))
        return jnp.stack([vals[name] if name in vals else other(name, U, r, alpha, z, lam) for name in names])

    return fn


__all__ = [
    "DIPOLES",
    "NAMES_HELP",
    "SPIN_HELP",
    "SPIN_PREFIXES",
    "Quantity",
    "QuantityInfo",
    "canonical",
    "get",
    "info",
    "joint",
    "list_quantities",
]
