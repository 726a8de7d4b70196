"""The spinful model behind the top-level API: :func:`jaxorb.conversion`, and :func:`jaxorb.profile`
for a :class:`jaxorb.Params` with ``lam`` given (docs/theory.md §12).

Parameters come as :class:`jaxorb.Params` (fields may be arrays: they broadcast, and the result
gets their shape), incident states in every form the spinless API takes (names, ``jaxorb.along``,
``jaxorb.amplitudes``; spin unpolarised) plus spin-polarised names (``"z,up"``, ``"pz,-x"``),
spinful 6-vectors and 3x3 / 6x6 density matrices.
Everything is checked on the host before a jitted core runs, in float64 (``dtype="float32"`` on
request: it agrees with float64 to :data:`FLOAT32_ERROR` at infinity and z = 0 and to
:data:`FLOAT32_PROFILE_ERROR` at depth, away from the singular lines).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import batching
from .. import incident as _incident
from ..operators import const
from ..params import Params, check_dtype, check_params, precision, validate_count, validate_depths
from . import api
from .inputs import incident_density
from .operators import NAMES, check_names

#: Parameter points per batch when a core is mapped over array-valued Params.
BATCH = api.BATCH

#: Largest difference between float32 and float64 conversions at infinity or z = 0 (the
#: closed-form fast path), absolute, measured (tests/test_spin_api.py) at random parameters with
#: |U|, |alpha|, |lam| <= 1, r <= 10, down to 0.01 from the singular lines lam = 1 - U and
#: lam = -(1 - U)/2 (typically 1e-7; 5e-6 at 0.01 from lam = 1 - U).
FLOAT32_ERROR = 1e-5
#: The same for profiles and conversions at a depth (the general path, in the public units of
#: each value) at least 0.1 from the singular lines: median 7e-8 over 30 random parameter points,
#: 2e-4 at 0.11 from lam = 1 - U. The batched LU there loses accuracy closer to those lines
#: (6e-4 at 0.03 and 4e-2 at 0.01 from lam = 1 - U, U = 0.18, r = 7.66).
FLOAT32_PROFILE_ERROR = 3e-4


def injection(incident):
    """``incident`` in a form :mod:`jaxorb.spin.inputs` reads: names as they are (the orbital
    names of :func:`jaxorb.incident.state` and the spin-polarised ``"z,up"`` & co. of
    :data:`jaxorb.spin.inputs.NAMES_HELP`; the axis names ``"x"``, ``"y"``, ``"z"`` name the
    conversion's denominator), spinful 6-vectors and 3x3 / 6x6 density matrices as they are,
    every other state of :func:`jaxorb.incident.state` (:func:`jaxorb.along`,
    :func:`jaxorb.amplitudes`) as its 3x3 orbital density matrix (spin unpolarised).

    Raises:
        ValueError: not an incident state (the message names the accepted forms).
    """
    if isinstance(incident, str):
        incident_density(incident)
        return incident
    if not isinstance(incident, _incident.State):
        try:
            shape = np.shape(incident)
        except (TypeError, ValueError):
            shape = None
        if shape in ((6,), (6, 6), (3, 3)):
            return incident
    state = _incident.state(incident)
    return np.outer(state.amplitudes, state.amplitudes.conj())


def _flat(p: Params, shape: tuple[int, ...]):
    """The four fields broadcast to ``shape`` and flattened, in the enclosing precision
    (:func:`jaxorb.params.precision`)."""
    fields = jnp.broadcast_arrays(*(jnp.asarray(x, dtype=float) for x in (p.U, p.r, p.alpha, p.lam)))
    return tuple(jnp.reshape(x, (-1,)) for x in fields)


def conversion(
    p: Params, incident="z", to: str = "Sz", at="inf", *, dipole=None, nodes: int | None = None, dtype="float64"
):
    """Orbital-to-spin conversion J_to(at) / J_Lj(0-) of the spinful model (docs/theory.md §12).

    The far-field spin current (``at="inf"``, pairs of propagating modes with equal q) or the
    current at a depth, over the left-layer current at z = 0- of the injected dipole n.L:
    ``conversion(p, "z", "Sz")`` is J_Sz(inf)/J_Lz(0-) for |L_z> injection with unpolarised spin,
    ``conversion(p, "z", "Sz", at=0.0)`` the interface value J_Sz(0)/J_Lz(0-). Pure in the fields
    of ``p``: jit, vmap and grad (also with respect to lam) work through it.

    Args:
        p: :class:`jaxorb.Params` with ``lam`` given (spin-orbit strength in E_F), inside
            :data:`jaxorb.params.PARAM_RANGES`; fields may be arrays (broadcast, the result has
            their shape). ``lam=None`` is refused: the spinless model has no spin current
            (``lam=0.0`` is its limit, where every spin current vanishes).
        incident: ``"x"``, ``"y"``, ``"z"``, ``"m=+1"``, ``"m=0"``, ``"m=-1"``, ``"px"``, ``"py"``,
            ``"pz"``, :func:`jaxorb.along`, :func:`jaxorb.amplitudes` (spin unpolarised), a
            spin-polarised name (``"z,up"``, ``"x,-y"``, ``"pz,+x"``, ``"unpolarised,up"``), a
            spinful 6-vector or a 3x3 orbital / 6x6 spinful density matrix
            (:func:`jaxorb.spin.inputs.incident_density`).
        to: observable in the numerator: ``Sx``, ``Sy``, ``Sz`` or an orbital one (``Lz``, ...).
        at: ``"inf"`` or one depth z >= 0 in 1/k_F.
        dipole: the injected dipole's axis (``"x"``, ``"y"``, ``"z"`` or a real 3-vector) when
            ``incident`` names none; default <L> of the injection (an injection with <L> = 0,
            such as ``"pz"`` or ``"pz,up"``, is refused without it, and an axis whose current
            vanishes by symmetry for the injection, 0/0, is refused; docs/theory.md §12).
        nodes: Gauss-Legendre nodes per kappa segment; default
            :func:`jaxorb.spin.api.nodes_for_depth` (64 at z = 0 or infinity, one more per 4 units
            of depth).
        dtype: ``"float64"`` (default) or ``"float32"`` (agrees to :data:`FLOAT32_ERROR` at
            infinity and z = 0, to :data:`FLOAT32_PROFILE_ERROR` at a depth 0.1 or more from
            the singular lines; an injected dipole whose left-layer current is below 1e-5 is
            then refused).

    Returns:
        the dimensionless ratio in ``dtype``, with the parameters' broadcast shape.

    Raises:
        ValueError: lam missing, a parameter outside its range or at a singular point
            (lam = 1 - U, lam = -(1 - U)/2), a bad injection, dipole, name, depth or node count,
            or (for concrete parameters) an injected dipole without left-layer current there.
    """
    shape = check_params(p, spin=True)
    rho, ndip, target, depth, nodes, at_inf = api.conversion_args(injection(incident), to, at, dipole, nodes)
    with precision(dtype, p):
        return api.conversion_ratios(*_flat(p, shape), rho, ndip, depth, target, nodes, at_inf).reshape(shape)


def observable_names(observables) -> tuple[str, ...]:
    """Observables of a spinful profile: the eight orbital ones and Sx, Sy, Sz (default all)."""
    if observables is None:
        return NAMES
    return check_names(tuple(observables) if not isinstance(observables, str) else (observables,))


@functools.partial(jax.jit, static_argnames=("names", "n"))
def _profile_points(U, r, alpha, lam, rho, z, names: tuple[str, ...], n: int):
    """:func:`jaxorb.spin.api.profile_arrays` over flat parameter arrays (P,), in batches."""

    def one(x):
        return api.profile_arrays(x[0], x[1], x[2], x[3], rho, z, names=names, n=n)

    return jax.lax.map(one, (U, r, alpha, lam), batch_size=BATCH)


def profile(p: Params, z, incident="x", *, nodes=None, phi_points=None, observables=None, dtype="float64"):
    """The spinful depth profile behind :func:`jaxorb.profile` when ``p.lam`` is given.

    Returns:
        :class:`jaxorb.spin.SpinProfile` (densities, currents, torques, their spin-orbit part
        ``torque_soc``, ``current_left``, ``current_inf``, ``density_inf``); with array-valued
        fields every value gets their broadcast shape as leading dimensions.

    Raises:
        ValueError: invalid parameters, depths, injection, names or nodes; ``phi_points`` (the
            spinful phi average is always the exact harmonic one) or a ``dtype`` other than
            ``"float64"`` and ``"float32"`` (float32 agrees with float64 to
            :data:`FLOAT32_PROFILE_ERROR` 0.1 or more from the singular lines lam = 1 - U and
            lam = -(1 - U)/2, less closer to them).
    """
    shape = check_params(p, spin=True)
    dtype = check_dtype(dtype)
    if phi_points is not None:
        raise ValueError(
            "phi_points is not taken by the spinful model (lam given): its phi average is always the exact "
            "harmonic one (docs/theory.md §12)"
        )
    names = observable_names(observables)
    zc = validate_depths(z)
    rho = incident_density(injection(incident))
    if nodes is None:
        if zc is None:
            raise ValueError("nodes must be given when z is traced (it sets a static size)")
        nodes = api.nodes_for_depth(float(zc.max()))
    nodes = validate_count("nodes", nodes, 2)
    if not shape:
        with precision(dtype, p, z):
            return api.spin_profile(
                p.U, p.r, p.alpha, p.lam, zc if zc is not None else z, rho, observables=names, nodes=nodes
            )
    with precision(dtype, p, z):
        z_arr = jnp.asarray(zc) if zc is not None else jnp.atleast_1d(z)
        flat = batching.call_padded(_profile_points, _flat(p, shape), BATCH, const(rho), z_arr, names=names, n=nodes)
        out = {key: jnp.reshape(val, shape + val.shape[1:]) for key, val in flat.items()}
        named = {
            key: {nm: jnp.moveaxis(val, len(shape), 0)[i] for i, nm in enumerate(names)} for key, val in out.items()
        }
    return api.SpinProfile(z=z_arr, nodes=nodes, **named)


__all__ = ["conversion", "injection", "observable_names", "profile"]
