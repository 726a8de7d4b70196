"""Dense parameter sweeps: vmapped, chunked, sharded over every local device and every process.

:func:`sweep` evaluates named quantities (:mod:`jaxorb.quantities`) on the Cartesian product of
the parameter axes U, r, alpha (lam for the spinful quantities ``conv_*``, ``conv0_*``,
``density_S<j>_<j>``, ..., z for depth quantities) and returns an
:class:`xarray.Dataset`. How the work is laid out:

* The grid is cut into rectangular **blocks** (the trailing axes whole, one axis split) of at most
  ``chunk_size`` points: the unit of storage, progress and resume. Each block is flattened,
  padded and evaluated by fixed-size calls of one jitted, vmapped function, compiled once for all
  blocks, so memory stays bounded by the block size whatever the grid.
* Each call is **sharded** over all local devices (``NamedSharding`` on the batch axis): 4 GPUs,
  or 4 forced CPU host devices, share every call. A call holds 256 points per device on CPU
  (every registry quantity, interface and depth alike, runs the closed-form solve of
  :mod:`jaxorb.fast`: no LAPACK; ``benchmarks/bench_sweep_calls.py``: 16-point calls take
  2-4x as long, 1024 is no faster) and 4096 on accelerators.
* With ``jax.distributed`` initialised, process k of P evaluates blocks k, k + P, k + 2P, ... and
  writes them by region into the shared store (``out=``); without ``out`` the blocks are
  gathered so that every process returns the full dataset.
* With ``out=PATH`` every block is committed atomically with a checksum of its values
  (:mod:`jaxorb.storage`); re-running the same call after an interruption verifies the store and
  computes only the blocks missing or damaged. ``out="map.nc"`` writes netCDF the same way
  through a side store ``map.nc.partial.zarr`` (resumable), converted when complete.
* Before anything is allocated the memory the result needs is estimated; a sweep that cannot
  fit is refused with the size it needs.

Launching on several processes (any launcher JAX supports: SLURM, Open MPI, or explicit)::

    # every process runs the same script, which starts with
    import jax; jax.distributed.initialize()          # SLURM / Open MPI: detected
    # or jax.distributed.initialize("host0:1234", num_processes=2, process_id=k)
    import jaxorb as jo
    jo.sweep(["eta_yz_x"], r=..., alpha=..., U=0.5, out="/shared/map.zarr")

or ``jaxorb sweep --distributed ...`` (see ``jaxorb sweep --help``). ``out`` must be on a file
system every process sees.
"""

import contextlib
import dataclasses
import functools
import json
import math
import os
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jax
import jaxlib
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from . import interrupts, params, quadrature, storage
from . import quantities as _quantities
from .params import validate_count
from .progress import Progress

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

AXES = ("U", "r", "alpha", "z")
#: The axes of a sweep of the spinful quantities (``conv_*``, ``density_S<j>_<j>``, ..., docs/theory.md §12): the spin-orbit
#: strength lam joins the parameters (inputs and dimensions in this order).
SPIN_AXES = ("U", "r", "alpha", "lam", "z")
#: Values a parameter takes when it is not given (the same as ``jaxorb sweep``'s defaults).
DEFAULTS = {"U": 0.5, "r": 0.5, "alpha": 0.0}
UNITS = {"U": "E_F", "r": "hbar^2/2m", "alpha": "hbar^2/2m", "lam": "E_F", "z": "1/k_F"}
LONG_NAMES = {
    "U": "potential step U of the right layer",
    "r": "crystal-field strength r",
    "alpha": "interfacial orbital Rashba strength alpha_R",
    "lam": "spin-orbit strength lambda of the right layer",
    "z": "depth z into the right layer (thickness D for cD_*)",
}
#: Points per device and call on CPU (no quantity of the registry runs LAPACK; larger calls
#: amortise dispatch) and on accelerators.
CPU_POINTS_PER_DEVICE = 256
ACCELERATOR_POINTS_PER_DEVICE = 4096
#: Default block (stored chunk) size on CPU, in points; on accelerators a block is one call.
CPU_BLOCK_POINTS = 1024
#: File name endings written as netCDF (through a resumable zarr side store).
NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf")


def _axis(name: str, value) -> np.ndarray:
    """A parameter as a float64 array: 0-d (fixed value) or 1-D (a grid axis), validated.

    The shape is checked here, the values by :mod:`jaxorb.params` (the one home of the ranges).
    """
    allowed = "z >= 0 in 1/k_F" if name == "z" else params.domain_text(name)
    if isinstance(value, str):
        raise ValueError(f"{name} must be a number or a 1-D array ({allowed}); got the string {value!r}")
    try:
        shape = np.shape(value)
    except Exception as err:  # a ragged nested list
        raise ValueError(f"{name} must be a number or a 1-D array ({allowed}); got {value!r}") from err
    if len(shape) > 1:
        raise ValueError(f"{name} must be a number or a 1-D array of values ({allowed}); got shape {shape}")
    if math.prod(shape) == 0:
        raise ValueError(f"{name} must not be empty ({allowed})")
    if name == "z":
        arr = params.validate_depths(value)
        return arr if shape else arr.reshape(())
    arr = np.asarray(value)
    if arr.dtype == np.float64 and arr.size > _CHECK_PIECE:  # no full-size copy of a long axis
        for k in range(0, arr.size, _CHECK_PIECE):
            params.check_param(name, arr[k : k + _CHECK_PIECE])
        return arr
    return params.check_param(name, arr)


#: Long axes are validated in pieces of this many values (bounded extra memory).
_CHECK_PIECE = 1 << 20


def _as_list(quantities) -> list:
    return [quantities] if isinstance(quantities, (str, _quantities.Quantity)) else list(quantities)


def _resolve(quantities, nodes: int | None, transparency: float) -> tuple[_quantities.Quantity, ...]:
    if not isinstance(quantities, (str, _quantities.Quantity, list, tuple)):
        raise ValueError(f"quantities must be a name or a list of names ({_quantities.NAMES_HELP}); got {quantities!r}")
    items = _as_list(quantities)
    if not items:
        raise ValueError("quantities must name at least one quantity, e.g. ['eta_yz_x']")
    out = []
    for item in items:
        if isinstance(item, _quantities.Quantity):
            out.append(item)
        elif isinstance(item, str):
            out.append(_quantities.get(item, nodes, transparency))
        else:
            raise ValueError(f"quantities must be names ({_quantities.NAMES_HELP}); got {item!r}")
    names = [q.name for q in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"quantities must be distinct; repeated: {dup}")
    return tuple(out)


def block_shape(shape: tuple[int, ...], target: int) -> tuple[int, ...]:
    """Rectangular block of at most ``target`` points (trailing axes whole, one axis split evenly).

    Args:
        shape: grid shape.
        target: maximum points per block (>= 1).

    Returns:
        block shape, same length as ``shape``.
    """
    block = [1] * len(shape)
    prod = 1
    for i in reversed(range(len(shape))):
        if prod * shape[i] <= target:
            block[i] = shape[i]
            prod *= shape[i]
        else:
            per = max(1, target // prod)
            pieces = -(-shape[i] // per)
            block[i] = -(-shape[i] // pieces)
            break
    return tuple(block)


def _points_per_device(platform: str) -> int:
    return CPU_POINTS_PER_DEVICE if platform == "cpu" else ACCELERATOR_POINTS_PER_DEVICE


#: Name prefixes of the registry quantities that one shared fast-path solve per injection
#: serves (:func:`jaxorb.quantities.joint`: the spinless interface quantities, and the spinful
#: conversions with one :func:`jaxorb.spin.fast.interface_rows` per injection); the others
#: are evaluated one by one.
_JOINT_PREFIXES = ("eta_", "ratio_", "delta_", "conv_", "conv0_")
#: Name prefixes of the depth-resolved quantities (their kappa rule follows the deepest z).
_DEPTH_PREFIXES = ("density_", "current_", "torque_")


def _is_registry(q: _quantities.Quantity) -> bool:
    return isinstance(q.name, str) and _quantities._PATTERN.match(q.name) is not None


@functools.lru_cache(maxsize=16)
def evaluator(
    qs: tuple[_quantities.Quantity, ...],
    devices: tuple,
    size: int,
    joint: tuple[str, ...] = (),
    joint_nodes: int | None = None,
    transparency: float = 2.0,
    axes: tuple[str, ...] = AXES,
):
    """The jitted, vmapped, sharded call evaluating ``qs`` at ``size`` points (cached).

    The quantities named in ``joint`` (interface quantities of the registry) are evaluated
    together by :func:`jaxorb.quantities.joint` with ``joint_nodes`` (one fast-path solve per
    injection serves all of them); the others by their own ``fn``. With ``axes`` =
    :data:`SPIN_AXES` the spinful quantities get lam: ``fn(U, r, alpha, z, lam)`` (and the
    joint function lam as well).

    Returns:
        ``(f, sharding)``: ``f(U, r, alpha, z)`` (or one (size,) array per name of ``axes``, in
        that order) with (size,) float64 arrays placed with ``sharding`` returns a tuple of
        (size,) arrays, one per quantity.
    """
    mesh = Mesh(np.array(devices), ("batch",))
    sharding = NamedSharding(mesh, PartitionSpec("batch"))

    shared = _quantities.joint(joint, joint_nodes, transparency) if joint else None

    def point(*columns):
        kw = dict(zip(axes, columns))
        U, r, alpha, z = kw["U"], kw["r"], kw["alpha"], kw["z"]
        lam = (kw["lam"],) if "lam" in kw else ()
        vals = dict(zip(joint, shared(U, r, alpha, z, *lam))) if joint else {}
        return tuple(
            vals[q.name]
            if q.name in vals
            else (q.fn(U, r, alpha, z, kw["lam"]) if q.uses_lam else q.fn(U, r, alpha, z))
            for q in qs
        )

    f = jax.jit(jax.vmap(point), in_shardings=(sharding,) * len(axes), out_shardings=sharding)
    return f, sharding


def _barrier(name: str) -> None:
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


# ---------------------------------------------------------------------------------------------
# plan: what to compute (validated on the host, nothing compiled)


@dataclasses.dataclass
class _Request:
    """A validated sweep: quantities, axes, settings and the metadata written with the result."""

    qs: tuple
    joint: tuple[str, ...]
    joint_nodes: int | None
    transparency: float
    axes: tuple[str, ...]
    dims: tuple[str, ...]
    coords: dict[str, np.ndarray]
    shape: tuple[int, ...]
    chunk_size: int | None
    fingerprint: dict
    attrs: dict
    coord_attrs: dict


def _check_lam(probe, lam) -> bool:
    """Whether the sweep is of the spinful model: every quantity takes lam and lam is given, or
    none does and lam is not; ValueError naming the quantities otherwise (nothing compiled)."""
    spinful = [q.name for q in probe if q.uses_lam]
    spinless = [q.name for q in probe if not q.uses_lam]
    if lam is not None and spinless:
        raise ValueError(
            f"lam (spin-orbit strength) is taken only by the spinful quantities, {_quantities.SPIN_HELP}; "
            f"{spinless} do not take it: sweep them without lam, in a separate call"
        )
    if lam is None and spinful:
        raise ValueError(
            f"{spinful} are quantities of the spinful model and need lam: pass lam= (CLI: --lam) as a "
            f"number or a 1-D array, {params.domain_text('lam')}"
        )
    return bool(spinful)


def _check_singular(U: np.ndarray, lam: np.ndarray) -> None:
    """Refuse a grid containing lam = 1 - U or lam = -(1 - U)/2 (the singular points of the
    spinful model, :func:`jaxorb.spin.inputs.check_singular`) without forming the U x lam grid."""
    from .spin.inputs import SINGULAR_TOL, check_singular, singular_lams

    u, la = np.ravel(U), np.sort(np.ravel(lam))
    for _, target in singular_lams(u):
        i = np.searchsorted(la, target)  # la[i - 1] < target <= la[i]: the two nearest values
        below, above = la[np.clip(i - 1, 0, la.size - 1)], la[np.clip(i, 0, la.size - 1)]
        nearest = np.where(np.abs(below - target) <= np.abs(above - target), below, above)
        bad = np.abs(nearest - target) <= SINGULAR_TOL
        if np.any(bad):
            k = int(np.argmax(bad))
            check_singular(u[k], nearest[k])


def _request(quantities, U, r, alpha, z, nodes, transparency, chunk_size, lam=None) -> _Request:
    from . import __version__, profiles

    if isinstance(transparency, bool) or params.check_transparency(transparency).ndim:
        raise ValueError(f"transparency must be one number > 0 (p = rho_R l_R / AR_I); got {transparency!r}")
    transparency = float(transparency)
    axes = {"U": _axis("U", U), "r": _axis("r", r), "alpha": _axis("alpha", alpha)}
    if z is not None:
        axes["z"] = _axis("z", z)
    # resolve names once with default nodes to learn which ones need z, then with the final nodes
    probe = _resolve(quantities, quadrature.DEFAULT_NODES, transparency)
    order = SPIN_AXES if _check_lam(probe, lam) else AXES
    if lam is not None:
        axes["lam"] = _axis("lam", lam)
        _check_singular(axes["U"], axes["lam"])
    uses_z = any(q.uses_z for q in probe)
    if z is not None and not uses_z:
        raise ValueError(
            "z is only used by depth quantities (density_*, current_*, torque_*, cD_*); none of "
            f"{[q.name for q in probe]} depends on z"
        )
    if uses_z and z is None:
        axes["z"] = np.asarray(0.0)
    # Interface quantities default to the graded kappa rule of the fast path (1e-10 also near
    # interface-state kinks); depth quantities to Gauss nodes enough for the deepest z.
    graded = nodes is None
    if graded and uses_z and order == SPIN_AXES:
        from .spin import api as spin_api  # the spinful rule's nodes for the deepest z

        depth_nodes = spin_api.nodes_for_depth(float(np.max(axes["z"])))
    elif graded:
        depth_nodes = profiles.nodes_for_depth(float(np.max(axes["z"]))) if uses_z else quadrature.DEFAULT_NODES
    else:
        nodes = depth_nodes = validate_count("nodes", nodes, 2)
    qs = tuple(
        _resolve(q, depth_nodes if p.uses_z or p.name.startswith(_DEPTH_PREFIXES) else nodes, transparency)[0]
        if not isinstance(q, _quantities.Quantity)
        else q
        for q, p in zip(_as_list(quantities), probe)
    )
    joint = tuple(q.name for q in qs if _is_registry(q) and q.name.startswith(_JOINT_PREFIXES))
    nodes_attr = "graded" if graded else nodes
    if order == SPIN_AXES and graded:
        from .spin import quadrature as spin_quadrature

        nodes_attr = spin_quadrature.DEFAULT_NODES  # the spinful rule's default: no graded rule there
    if chunk_size is not None:
        chunk_size = validate_count("chunk_size", chunk_size, 1)

    dims = tuple(a for a in order if a in axes and axes[a].ndim == 1)
    coords = {a: axes[a] for a in order if a in axes}
    fingerprint = {
        "quantities": [[q.name, q.unit, q.description] for q in qs],
        "dims": list(dims),
        "axes": {
            a: (
                {"size": int(v.size), "first": float(v[0]), "last": float(v[-1]), "sha256": storage.digest(v)}
                if v.ndim
                else {"value": float(v)}
            )
            for a, v in coords.items()
        },
        "nodes": nodes_attr,
        "depth_nodes": depth_nodes,
        "transparency": transparency,
        "jaxorb_version": __version__,  # a resumed store must come from the same solver
    }
    attrs = {  # netCDF-safe: strings and numbers only
        "title": "jaxorb sweep: " + ", ".join(q.name for q in qs),
        "quantities": " ".join(q.name for q in qs),
        "grid": "Cartesian product of the dimension coordinates; scalar coordinates are fixed",
        "units_system": "hbar = 2m = k_F = E_F = 1 (lengths in 1/k_F, energies in E_F)",
        "nodes": nodes_attr,
        "depth_nodes": depth_nodes,
        "nodes_description": "kappa rule of the Fermi-disk quadrature for interface quantities (eta, ratio, "
        "delta, c, cD): 'graded' = jaxorb.quadrature.graded_rule (branch-split Gauss segments, last segment "
        "graded toward kappa = k_F), or Gauss-Legendre nodes per segment; depth_nodes: Gauss-Legendre nodes "
        "per segment for density/current/torque quantities",
        "phi_rule": "exact phi average (rotation covariance)",
        "transparency": transparency,
        "dtype": "float64",
        "jaxorb_version": __version__,
        "jax_version": jax.__version__,
        "jaxlib_version": jaxlib.__version__,
    }
    if order == SPIN_AXES:
        attrs["model"] = "spinful: H_R + lam L.sigma (docs/theory.md §12), |L_j> injected with unpolarised spin"
        attrs["nodes_description"] = (
            "mean Gauss-Legendre nodes per segment of the spinful kappa rule (jaxorb.spin.quadrature.kappa_rule: "
            "four segments split at the band edges, clustered at both ends, 4 nodes times this in all, the longer "
            "segments getting more)"
        )
        if uses_z:
            attrs["nodes_description"] += (
                " for the conversions; depth_nodes: the same rule's nodes per segment for the spin density/current/"
                "torque quantities (default jaxorb.spin.api.nodes_for_depth of the deepest z)"
            )
    return _Request(
        qs=qs,
        joint=joint,
        joint_nodes=None if graded else nodes,
        transparency=transparency,
        axes=order,
        dims=dims,
        coords=coords,
        shape=tuple(len(coords[d]) for d in dims),
        chunk_size=chunk_size,
        fingerprint=fingerprint,
        attrs=attrs,
        coord_attrs={a: {"units": UNITS[a], "long_name": LONG_NAMES[a]} for a in coords},
    )


class _Plan:
    """Grid, blocks and the per-block inputs."""

    def __init__(self, dims, coords, block, size, axes=AXES):
        self.axes = axes
        self.dims = dims
        self.coords = coords
        self.shape = tuple(len(coords[d]) for d in dims)
        self.block = tuple(block)
        self.nblocks = tuple(-(-n // b) for n, b in zip(self.shape, self.block))
        self.count = math.prod(self.nblocks)
        self.size = size

    def region(self, i: int) -> tuple[slice, ...]:
        idx = np.unravel_index(i, self.nblocks) if self.dims else ()
        return tuple(slice(k * b, min((k + 1) * b, n)) for k, b, n in zip(idx, self.block, self.shape))

    def points(self, i: int) -> int:
        return math.prod(s.stop - s.start for s in self.region(i))

    def inputs(self, i: int) -> list[np.ndarray]:
        region = self.region(i)
        sub = [self.coords[d][s] for d, s in zip(self.dims, region)]
        grids = np.meshgrid(*sub, indexing="ij") if sub else []
        m = math.prod(len(x) for x in sub)
        cols = []
        for name in self.axes:
            if name in self.dims:
                col = grids[self.dims.index(name)].ravel()
            else:
                col = np.full(m, float(self.coords.get(name, 0.0)))
            cols.append(np.pad(col, (0, self.size - m), mode="edge"))  # pad with a valid point
        return cols


@dataclasses.dataclass
class _Engine:
    """The compiled call and how blocks map onto it."""

    f: Any
    sharding: Any
    call: int  # points per call
    plan: _Plan
    variables: dict  # name -> (dtype, attrs)


def _default_block(req: _Request, devices) -> tuple[int, ...]:
    call = _points_per_device(devices[0].platform) * len(devices)
    if req.chunk_size is not None:
        target = req.chunk_size
    else:
        target = max(CPU_BLOCK_POINTS, call) if devices[0].platform == "cpu" else call
    return block_shape(req.shape, target)


def _variable_attrs(q: _quantities.Quantity) -> dict:
    """units, long_name and (mathtext, for figures drawn from the data) label: plain strings, so
    the attributes stay netCDF-safe."""
    attrs = {"units": q.unit, "long_name": q.description}
    if q.label:
        attrs["label"] = str(q.label)
    return attrs


def _engine(req: _Request, devices, block) -> _Engine:
    n_dev = len(devices)
    call = _points_per_device(devices[0].platform) * n_dev
    call = min(call, -(-max(math.prod(block), 1) // n_dev) * n_dev)  # points per call
    size = -(-max(math.prod(block), 1) // call) * call  # a block padded to whole calls
    # the spinless call keeps its exact cache key (and compiled function)
    spin = () if req.axes == AXES else (req.axes,)
    f, sharding = evaluator(req.qs, devices, call, req.joint, req.joint_nodes, req.transparency, *spin)
    out_types = jax.eval_shape(f, *(jax.ShapeDtypeStruct((call,), np.float64, sharding=sharding),) * len(req.axes))
    variables = {q.name: (np.dtype(t.dtype), _variable_attrs(q)) for q, t in zip(req.qs, out_types)}
    return _Engine(f, sharding, call, _Plan(req.dims, req.coords, block, size, req.axes), variables)


# ---------------------------------------------------------------------------------------------
# memory


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation, None if unknown: MemAvailable on Linux,
    lowered to what the cgroup (v2) limit leaves when a container sets one."""
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
            pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
        if limit.isdigit():
            left = max(int(limit) - used, 0)
            avail = left if avail is None else min(avail, left)
    except (OSError, ValueError):
        pass
    return avail


def _check_memory(req: _Request, eng: _Engine, where: str) -> None:
    """Refuse, before allocating, a sweep whose result cannot fit in memory.

    In memory (``where="memory"``) the whole result is held (gathered once more per process
    with jax.distributed); a netCDF file is converted one variable at a time; a zarr store holds
    only the blocks in flight.
    """
    npts = math.prod(req.shape)
    sizes = [dt.itemsize for dt, _ in eng.variables.values()]
    inflight = 3 * eng.plan.size * (len(req.axes) * 8 + sum(sizes))
    if where == "memory":
        held = npts * sum(sizes) * (1 + (jax.process_count() > 1))
    elif where == "netcdf":
        held = npts * max(sizes)
    else:
        held = 0
    need = held + inflight
    avail = available_memory()
    if avail is None or need <= avail:
        return
    gib = 1024**3
    what = {
        "memory": f"to hold the result in memory ({npts:,} points x {len(sizes)} quantities)",
        "netcdf": f"to convert the result to netCDF one variable at a time ({npts:,} points)",
        "store": "for the blocks in flight",
    }[where]
    advice = {
        "memory": "pass out='map.zarr' (CLI: --out map.zarr) to write it block by block in bounded memory, "
        "or use fewer points",
        "netcdf": "write a zarr store instead (out='map.zarr'), whose memory is bounded by the block size, "
        "or use fewer points",
        "store": "pass a smaller chunk_size (CLI: --chunk-size)",
    }[where]
    raise ValueError(
        f"sweep needs about {need / gib:.3g} GiB {what}, more than the {avail / gib:.3g} GiB available; {advice}"
    )


# ---------------------------------------------------------------------------------------------
# evaluate blocks


def _evaluate(eng: _Engine, todo, finish) -> None:
    """Evaluate the blocks ``todo`` in order, calling ``finish(i, values)`` for each.

    Block i + 1 is dispatched (asynchronously) before block i is finished, so writing a block
    overlaps computing the next.
    """
    plan, call = eng.plan, eng.call
    names = list(eng.variables)
    pending = None
    for i in todo:
        cols = plan.inputs(i)
        outs = [
            eng.f(*(jax.device_put(c[k : k + call], eng.sharding) for c in cols)) for k in range(0, plan.size, call)
        ]
        if pending is not None:
            finish(*_collect(plan, names, *pending))
        pending = (i, outs)
    if pending is not None:
        finish(*_collect(plan, names, *pending))


def _collect(plan: _Plan, names, i, outs):
    region = plan.region(i)
    m = plan.points(i)
    rshape = tuple(s.stop - s.start for s in region)
    vals = {n: np.concatenate([np.asarray(o[j]) for o in outs])[:m].reshape(rshape) for j, n in enumerate(names)}
    return i, vals


def _progress(plan: _Plan, todo, quiet):
    pc, pi = jax.process_count(), jax.process_index()
    mine = range(pi, plan.count, pc)
    total = sum(plan.points(i) for i in mine)
    label = "jaxorb sweep" if pc == 1 else f"jaxorb sweep [process {pi}/{pc}]"
    return Progress(total, label, initial=total - sum(plan.points(i) for i in todo), quiet=quiet)


# ---------------------------------------------------------------------------------------------
# write: in memory, zarr store, netCDF


def _in_memory(req: _Request, quiet, guard) -> "xr.Dataset":
    import xarray as xr

    devices = tuple(jax.local_devices())
    eng = _engine(req, devices, _default_block(req, devices))
    _check_memory(req, eng, "memory")
    plan = eng.plan
    pc, pi = jax.process_count(), jax.process_index()
    results = {n: np.full(req.shape, np.nan, dtype=dt) for n, (dt, _) in eng.variables.items()}
    todo = list(range(pi, plan.count, pc))
    with _progress(plan, todo, quiet) as bar:

        def finish(i, vals):
            region = plan.region(i)
            for name, v in vals.items():
                results[name][region] = v
            bar.update(plan.points(i))

        _evaluate(eng, todo, finish)
    if pc > 1:
        from jax.experimental import multihost_utils

        for name in results:
            gathered = np.asarray(multihost_utils.process_allgather(results[name]))
            for i in range(plan.count):
                region = plan.region(i)
                results[name][region] = gathered[(i % pc, *region)]
    return xr.Dataset(
        {n: (req.dims, results[n], eng.variables[n][1]) for n in results},
        coords={a: ((a,) if v.ndim else (), v, req.coord_attrs[a]) for a, v in req.coords.items()},
        attrs=req.attrs,
    )


@contextlib.contextmanager
def _locked(out: str):
    """The store's lock in process 0 (None when the directory cannot be written at all)."""
    if jax.process_index() != 0:
        yield None
        return
    lock = storage.Lock(out)
    try:
        lock.acquire()
    except storage.StoreError:
        if not Path(out).parent.exists() or os.access(Path(out).parent, os.W_OK):
            raise
        lock = None  # read-only directory: fine for a complete store, refused below otherwise
    try:
        yield lock
    finally:
        if lock is not None:
            lock.release()


def _to_store(req: _Request, out: str, overwrite: bool, quiet, guard, after=None) -> "xr.Dataset | None":
    """Write the sweep into the zarr store ``out`` (create, or verify, repair and resume).

    ``after``: called by process 0 once the store is complete, still under its lock; the
    dataset is then not opened (None is returned).
    """
    devices = tuple(jax.local_devices())
    requested = None if req.chunk_size is None else _default_block(req, devices)
    pi = jax.process_index()
    with _locked(out) as lock:
        action, stored_block = storage.check(out, req.fingerprint, requested, overwrite)
        block = tuple(stored_block) if action != "create" and stored_block is not None else _default_block(req, devices)
        eng = _engine(req, devices, block)
        _check_memory(req, eng, "store")
        if pi == 0:
            action = _prepare_store(req, eng, out, action, lock, guard)
        _barrier("jaxorb-sweep-prepared")
        if pi != 0:  # process 0 verified (and possibly repaired) the store; follow its verdict
            action = "done" if (storage.read_root_attrs(Path(out)) or {}).get(storage.COMPLETE_ATTR) == 1 else "resume"
        plan = eng.plan
        if action != "done":
            done = storage.finished_blocks(out)
            todo = [i for i in range(pi, plan.count, jax.process_count()) if i not in done]
            arrays = storage.open_arrays(out, list(eng.variables))
            with _progress(plan, todo, quiet) as bar:

                def finish(i, vals):
                    with guard.critical():
                        storage.write_block(out, i, plan.region(i), vals, arrays)
                    bar.update(plan.points(i))

                _evaluate(eng, todo, finish)
            _barrier("jaxorb-sweep-written")
            if pi == 0:
                with guard.critical():
                    storage.finalize(out)
            _barrier("jaxorb-sweep-finalized")
        if after is not None:
            if pi == 0:
                after()
            return None
    return storage.open_dataset(out, verify_store=False)


def _prepare_store(req: _Request, eng: _Engine, out: str, action: str, lock, guard) -> str:
    """Process 0: create the store, or verify it and repair what is damaged. Returns
    ``"done"`` when the store is complete and intact (nothing to compute)."""
    if action == "create":
        if lock is None:
            storage.check_writable(Path(out).parent)
        with guard.critical():
            storage.create(
                out,
                dims=req.dims,
                coords=req.coords,
                coord_attrs=req.coord_attrs,
                variables=eng.variables,
                block_shape=eng.plan.block,
                attrs=req.attrs,
                fingerprint=req.fingerprint,
            )
        return "resume"
    report = storage.verify(out)
    if report.ok and report.complete:
        return "done"
    if lock is None:
        storage.check_writable(Path(out).parent)
    storage.check_writable(out)
    if not report.ok:
        with guard.critical():
            n = storage.repair(out, report, coords=req.coords, coord_attrs=req.coord_attrs, variables=eng.variables)
        warnings.warn(
            f"jaxorb sweep: {out}: {len(report.problems)} problem(s) found ({report.problems[0]}); "
            f"recomputing {n} block(s)",
            storage.StoreRepairWarning,
            stacklevel=4,
        )
    return "resume"


def _to_netcdf(req: _Request, out: str, overwrite: bool, quiet, guard) -> "xr.Dataset":
    """Compute into the side store ``<out>.partial.zarr`` (resumable), then convert it to netCDF
    under a temporary name renamed into place, and remove the side store."""
    import xarray as xr

    path = Path(out)
    side = str(path) + ".partial.zarr"
    fp_text = json.dumps(req.fingerprint, sort_keys=True)
    if path.exists():
        try:
            with xr.open_dataset(path) as old:
                stored = old.attrs.get(storage.FINGERPRINT_ATTR)
        except Exception:  # noqa: BLE001 - anything unreadable is not ours
            stored = None
        if stored is not None and json.loads(stored) == json.loads(fp_text):
            if jax.process_index() == 0 and Path(side).is_dir():  # left by a kill after the rename
                with storage.Lock(side):
                    shutil.rmtree(side)
            return storage.open_dataset(path)
        if not overwrite:
            what = "a different sweep" if stored is not None else "a file not written by jaxorb.sweep"
            raise ValueError(f"out={out!r} holds {what}; pass overwrite=True (CLI: --overwrite) or choose another path")
    devices = tuple(jax.local_devices())
    eng = _engine(req, devices, _default_block(req, devices))
    complex_ = [n for n, (dt, _) in eng.variables.items() if dt.kind == "c"]
    if complex_:
        raise ValueError(f"netCDF has no complex type; {complex_} are complex: write a zarr store (out='map.zarr')")
    _check_memory(req, eng, "netcdf")

    def convert():
        ds = storage.open_dataset(side, load=False, verify_store=False)
        ds.attrs[storage.FINGERPRINT_ATTR] = fp_text
        for stale in path.parent.glob(f".{path.name}.*.tmp"):  # a conversion killed midway
            stale.unlink(missing_ok=True)
        tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
        ds.to_netcdf(tmp)
        ds.close()
        with guard.critical():
            os.replace(tmp, path)
            shutil.rmtree(side)

    _to_store(req, side, overwrite, quiet, guard, after=convert)
    _barrier("jaxorb-sweep-netcdf")
    return storage.open_dataset(path)


# No return annotation (it is an xarray.Dataset): naming the type would make `import jaxorb`
# import xarray, about 0.6 s more; the docstring states it.
def sweep(
    quantities: str | Sequence[str | _quantities.Quantity],
    *,
    U=DEFAULTS["U"],
    r=DEFAULTS["r"],
    alpha=DEFAULTS["alpha"],
    lam=None,
    z=None,
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    chunk_size: int | None = None,
    quiet: bool | None = None,
    nodes: int | None = None,
    transparency: float = 2.0,
):
    """Evaluate quantities on the Cartesian product of parameter axes.

    Example::

        ds = jo.sweep(["eta_yz_x", "eta_z2_z", "delta_z"], r=np.linspace(0, 20, 256),
                      alpha=np.linspace(0, 3, 256), U=0.5)
        ds["eta_yz_x"].sel(r=3.4, alpha=0.0, method="nearest")

    Args:
        quantities: one name or a list of names (:mod:`jaxorb.quantities`: ``eta_yz_x``,
            ``delta_z``, ``c_z``, ``ratio_x``, ``current_Lx_z``, ...), or
            :class:`~jaxorb.quantities.Quantity` objects.
        U: potential step in E_F (U < 1): a number (a scalar coordinate) or a 1-D array (a
            dimension of the grid); default 0.5 (as ``jaxorb sweep``).
        r: crystal field in hbar^2/2m (r > -1), number or 1-D array; default 0.5.
        alpha: interfacial Rashba strength alpha_R in hbar^2/2m, number or 1-D array; default 0.
        lam: spin-orbit strength in E_F (docs/theory.md §12), number or 1-D array, only for the
            spinful quantities (``conv_Sz_z``, ``conv0_Sx_x``, ``current_Sz_z``, ...), which need
            it; no default.
            Grids crossing lam = 1 - U or lam = -(1 - U)/2 (singular points) are refused.
        z: depth in 1/k_F (z >= 0), only for depth quantities (``density_*``, ``current_*``,
            ``torque_*``; thickness D of ``cD_*``); default 0.
        out: where to write, block by block and resumable: a zarr store directory (e.g.
            ``"map.zarr"``), or a netCDF file (``"map.nc"``: computed through the resumable side
            store ``map.nc.partial.zarr``, converted when complete); on a local or shared file
            system (all processes must see it). None keeps the result in memory.
        overwrite: replace a store at ``out`` that holds a different sweep (otherwise refused).
        chunk_size: maximum grid points per block (the unit written, resumed and shown by the
            progress bar); default 1024 on CPU, one call (4096 per device) on accelerators.
            Calls hold 256 points per device on CPU and 4096 on accelerators; fewer when the
            block is smaller.
        quiet: progress bar on stderr: None shows it on a terminal only; True never; False always.
        nodes: kappa nodes per segment for every quantity (Gauss-Legendre); default None:
            the graded rule (:func:`jaxorb.quadrature.graded_rule`) for interface quantities (as the public
            API's defaults) and :func:`jaxorb.nodes_for_depth` of the largest z for depth
            quantities (``density_*``, ``current_*``, ``torque_*``, ``cD_*``). With lam: the
            spinful rule, 64 nodes per segment (:data:`jaxorb.spin.quadrature.DEFAULT_NODES`),
            :func:`jaxorb.spin.api.nodes_for_depth` of the largest z for the spinful depth
            quantities.
        transparency: p of the memory-loss equation (``delta_*`` quantities), > 0.

    Returns:
        :class:`xarray.Dataset` with one variable per quantity, dims = the array-valued
        parameters in the order U, r, alpha, lam, z (shape (len U, len r, len alpha, len z)
        restricted to those), number-valued parameters as scalar coordinates; ``units`` and ``long_name``
        on every variable and coordinate; solver settings and versions in ``attrs`` (strings
        and numbers: the dataset writes to netCDF as is). ``delta_*`` is NaN where
        J_L(0)/J_R(0) < 1 (no real memory loss exists there).

    Raises:
        ValueError: unknown quantity, invalid or non-finite axis values, z given without a depth
            quantity, lam given with a quantity that does not take it (or missing for one that
            does), a lam grid through a singular point, ``out`` holding a different sweep (without ``overwrite``), or a result
            larger than the memory available. Raised before anything is compiled.
        jaxorb.storage.StoreError: (a ValueError) the store is locked by another sweep, cannot
            be written (read-only) or cannot be repaired.
        KeyboardInterrupt: Ctrl-C, at any moment; store writes in progress complete first, so
            the store resumes.
    """
    req = _request(quantities, U, r, alpha, z, nodes, transparency, chunk_size, lam)
    with interrupts.Guard() as guard:
        if out is None:
            return _in_memory(req, quiet, guard)
        out = os.fspath(out)
        if out.lower().endswith(NETCDF_SUFFIXES):
            return _to_netcdf(req, out, overwrite, quiet, guard)
        return _to_store(req, out, overwrite, quiet, guard)


__all__ = ["AXES", "DEFAULTS", "SPIN_AXES", "UNITS", "available_memory", "block_shape", "evaluator", "sweep"]
