"""Dense parameter sweeps: vmapped, chunked, sharded over every local device and every process.

:func:`sweep` evaluates named quantities (:mod:`jaxorb.quantities`) on the Cartesian product of
the parameter axes U, r, alpha (and z for depth quantities) and returns an
:class:`xarray.Dataset`. How the work is laid out:

* The grid is cut into rectangular **blocks** (the trailing axes whole, one axis split) of at most
  ``chunk_size`` points: the unit of storage, progress and resume. Each block is flattened,
  padded and evaluated by fixed-size calls of one jitted, vmapped function, compiled once for all
  blocks, so memory stays bounded by the block size whatever the grid.
* Each call is **sharded** over all local devices (``NamedSharding`` on the batch axis): 4 GPUs,
  or 4 forced CPU host devices, share every call. On CPU a call holds 256 points per device for
  the interface quantities (closed-form fast path of :mod:`jaxorb.surface`; 64-1024 measured
  within noise) and 16 when a depth quantity runs batched LAPACK solves (small batches measured
  ~1.7x faster than 128 there); on accelerators 4096.
* With ``jax.distributed`` initialised, process k of P evaluates blocks k, k + P, k + 2P, ... and
  writes them by region into the shared store (``out=``); without ``out`` the blocks are
  gathered so that every process returns the full dataset.
* With ``out=PATH`` every block is committed atomically (:mod:`jaxorb.storage`); re-running the
  same call after an interruption skips the finished blocks.

Launching on several processes (any launcher JAX supports: SLURM, Open MPI, or explicit)::

    # every process runs the same script, which starts with
    import jax; jax.distributed.initialize()          # SLURM / Open MPI: detected
    # or jax.distributed.initialize("host0:1234", num_processes=2, process_id=k)
    import jaxorb as jo
    jo.sweep(["eta_yz_x"], r=..., alpha=..., U=0.5, out="/shared/map.zarr")

or ``jaxorb sweep --distributed ...`` (see ``jaxorb sweep --help``). ``out`` must be on a file
system every process sees.

CPU note: with several forced CPU host devices, jaxlib's batched LAPACK LU can deadlock when the
per-device batch is large enough for it to split the work between threads (batch x 648 flop >=
2e5). On CPU with more than one local device each device therefore gets at most
``LAPACK_SAFE_SYSTEMS // (3 * nodes)`` points per call (a few points at the default nodes) when
a depth quantity is swept; the fast path of the interface quantities uses no LAPACK.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import jax
import jaxlib
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from . import quadrature, storage
from . import quantities as _quantities
from .params import validate_count
from .progress import Progress

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

AXES = ("U", "r", "alpha", "z")
UNITS = {"U": "E_F", "r": "hbar^2/2m", "alpha": "hbar^2/2m", "z": "1/k_F"}
LONG_NAMES = {
    "U": "potential step U of the right layer",
    "r": "crystal-field strength r",
    "alpha": "interfacial orbital Rashba strength alpha_R",
    "z": "depth z into the right layer (thickness D for cD_*)",
}
#: Batched 6x6 solves per device and call kept below jaxlib's threshold for splitting a batched
#: LAPACK call over threads (batch x 648 flop >= 2e5), where several CPU devices can deadlock.
LAPACK_SAFE_SYSTEMS = 300
#: Points per device and call: CPU with the depth-profile (LAPACK) path, CPU with only the
#: closed-form fast path (no LAPACK, no deadlock risk; larger calls amortise dispatch),
#: accelerators.
CPU_POINTS_PER_DEVICE = 16
CPU_POINTS_PER_DEVICE_FAST = 256
ACCELERATOR_POINTS_PER_DEVICE = 4096
#: Default block (stored chunk) size on CPU, in points; on accelerators a block is one call.
CPU_BLOCK_POINTS = 1024


def _axis(name: str, value) -> np.ndarray:
    """A parameter as a float64 array: 0-d (fixed value) or 1-D (a grid axis), validated."""
    allowed = {
        "U": "U < 1 in E_F",
        "r": "r > -1 in hbar^2/2m",
        "alpha": "any finite alpha_R in hbar^2/2m",
        "z": "z >= 0 in 1/k_F",
    }[name]
    try:
        arr = np.asarray(value)
    except Exception as err:  # pragma: no cover - exotic inputs
        raise ValueError(f"{name} must be a number or a 1-D array ({allowed}); got {value!r}") from err
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a number or a 1-D array of values ({allowed}); got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty ({allowed})")
    if np.iscomplexobj(arr) or not np.issubdtype(arr.dtype, np.number) or arr.dtype == bool:
        raise ValueError(f"{name} must be real ({allowed}); got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite ({allowed}); got a non-finite value")
    if name == "U" and np.any(arr >= 1):
        raise ValueError(f"U must satisfy {allowed} (U >= 1 leaves no propagating states); got U = {arr.max()!r}")
    if name == "r" and np.any(arr <= -1):
        raise ValueError(f"r must satisfy {allowed}; got r = {arr.min()!r}")
    if name == "z" and np.any(arr < 0):
        raise ValueError(f"z must satisfy {allowed} (depth into the right layer); got z = {arr.min()!r}")
    return arr


def _as_list(quantities) -> list:
    return [quantities] if isinstance(quantities, (str, _quantities.Quantity)) else list(quantities)


def _resolve(quantities, nodes: int | None, transparency: float) -> tuple[_quantities.Quantity, ...]:
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


def _default_points_per_device(platform: str, n_devices: int, nodes: int, lapack: bool = True) -> int:
    if platform == "cpu":
        if not lapack:
            return CPU_POINTS_PER_DEVICE_FAST
        return CPU_POINTS_PER_DEVICE if n_devices == 1 else min(CPU_POINTS_PER_DEVICE, _cpu_device_cap(nodes))
    return ACCELERATOR_POINTS_PER_DEVICE


def _cpu_device_cap(nodes: int) -> int:
    return max(1, LAPACK_SAFE_SYSTEMS // (3 * nodes))


#: Name prefixes of the registry quantities that one shared fast-path solve per injection
#: serves (:func:`jaxorb.quantities.joint`); the others are evaluated one by one.
_JOINT_PREFIXES = ("eta_", "ratio_", "delta_")
#: Name prefixes of quantities evaluated by the depth-profile path (batched LAPACK solves).
_LAPACK_PREFIXES = ("density_", "current_", "torque_")


def _uses_lapack(qs) -> bool:
    """Whether a call of these quantities runs batched LAPACK solves (unknown Quantity objects
    are assumed to)."""
    return any(q.name.startswith(_LAPACK_PREFIXES) or not _is_registry(q) for q in qs)


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
):
    """The jitted, vmapped, sharded call evaluating ``qs`` at ``size`` points (cached).

    The quantities named in ``joint`` (interface quantities of the registry) are evaluated
    together by :func:`jaxorb.quantities.joint` with ``joint_nodes`` (one fast-path solve per
    injection serves all of them); the others by their own ``fn``.

    Returns:
        ``(f, sharding)``: ``f(U, r, alpha, z)`` with four (size,) float64 arrays placed with
        ``sharding`` returns a tuple of (size,) arrays, one per quantity.
    """
    mesh = Mesh(np.array(devices), ("batch",))
    sharding = NamedSharding(mesh, PartitionSpec("batch"))

    shared = _quantities.joint(joint, joint_nodes, transparency) if joint else None

    def point(U, r, alpha, z):
        vals = dict(zip(joint, shared(U, r, alpha, z))) if joint else {}
        return tuple(vals[q.name] if q.name in vals else q.fn(U, r, alpha, z) for q in qs)

    f = jax.jit(jax.vmap(point), in_shardings=(sharding,) * 4, out_shardings=sharding)
    return f, sharding


def _digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr, dtype="<f8").tobytes()).hexdigest()[:32]


def _barrier(name: str) -> None:
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


class _Plan:
    """Grid, blocks and the per-block inputs."""

    def __init__(self, dims, coords, block, size):
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

    def inputs(self, i: int) -> tuple[list[np.ndarray], tuple[int, ...]]:
        region = self.region(i)
        sub = [self.coords[d][s] for d, s in zip(self.dims, region)]
        rshape = tuple(len(x) for x in sub)
        grids = np.meshgrid(*sub, indexing="ij") if sub else []
        m = math.prod(rshape)
        cols = []
        for name in AXES:
            if name in self.dims:
                col = grids[self.dims.index(name)].ravel()
            else:
                col = np.full(m, float(self.coords.get(name, 0.0)))
            cols.append(np.pad(col, (0, self.size - m), mode="edge"))  # pad with a valid point
        return cols, rshape


def sweep(
    quantities: str | Sequence[str | _quantities.Quantity],
    *,
    U,
    r,
    alpha,
    z=None,
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    chunk_size: int | None = None,
    quiet: bool | None = None,
    nodes: int | None = None,
    transparency: float = 2.0,
) -> xr.Dataset:
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
            dimension of the grid).
        r: crystal field in hbar^2/2m (r > -1), number or 1-D array.
        alpha: interfacial Rashba strength alpha_R in hbar^2/2m, number or 1-D array.
        z: depth in 1/k_F (z >= 0), only for depth quantities (``density_*``, ``current_*``,
            ``torque_*``; thickness D of ``cD_*``); default 0.
        out: directory of a zarr store to write block by block (resumable), on a local or
            shared file system (all processes must see it); None keeps the result in memory.
        overwrite: replace a store at ``out`` that holds a different sweep (otherwise refused).
        chunk_size: maximum grid points per block (the unit written, resumed and shown by the
            progress bar); default 1024 on CPU, one call (4096 per device) on accelerators.
            Calls hold 256 points per device on CPU for interface quantities (closed-form
            solve), 16 when a depth quantity needs LAPACK solves (a few with several CPU
            devices, see the module note), and 4096 on accelerators; fewer when the block is
            smaller.
        quiet: progress bar on stderr: None shows it on a terminal only; True never; False always.
        nodes: kappa nodes per segment for every quantity (Gauss-Legendre); default None:
            the graded rule of :mod:`jaxorb.surface` for interface quantities (as the public
            API's defaults) and :func:`jaxorb.nodes_for_depth` of the largest z for depth
            quantities (``density_*``, ``current_*``, ``torque_*``, ``cD_*``).
        transparency: p of the memory-loss equation (``delta_*`` quantities), > 0.

    Returns:
        :class:`xarray.Dataset` with one variable per quantity, dims = the array-valued
        parameters in the order U, r, alpha, z (shape (len U, len r, len alpha, len z) restricted
        to those), number-valued parameters as scalar coordinates; ``units`` and ``long_name``
        on every variable and coordinate; solver settings and versions in ``attrs``. ``delta_*``
        is NaN where J_L(0)/J_R(0) < 1 (no real memory loss exists there).

    Raises:
        ValueError: unknown quantity, invalid or non-finite axis values, z given without a depth
            quantity, or ``out`` holding a different sweep (without ``overwrite``). Raised before
            anything is compiled.
    """
    import xarray as xr

    from . import __version__, profiles

    if transparency is None or not np.isfinite(float(transparency)) or float(transparency) <= 0:
        raise ValueError(f"transparency must satisfy transparency > 0 (p = rho_R l_R / AR_I); got {transparency!r}")
    transparency = float(transparency)
    axes = {"U": _axis("U", U), "r": _axis("r", r), "alpha": _axis("alpha", alpha)}
    if z is not None:
        axes["z"] = _axis("z", z)
    # resolve names once with default nodes to learn which ones need z, then with the final nodes
    probe = _resolve(quantities, quadrature.DEFAULT_NODES, transparency)
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
    if graded:
        depth_nodes = profiles.nodes_for_depth(float(np.max(axes["z"]))) if uses_z else quadrature.DEFAULT_NODES
    else:
        nodes = depth_nodes = validate_count("nodes", nodes, 2)
    qs = tuple(
        _resolve(q, depth_nodes if p.uses_z or p.name.startswith(_LAPACK_PREFIXES) else nodes, transparency)[0]
        if not isinstance(q, _quantities.Quantity)
        else q
        for q, p in zip(_as_list(quantities), probe)
    )
    joint = tuple(q.name for q in qs if _is_registry(q) and q.name.startswith(_JOINT_PREFIXES))
    nodes_attr = "graded" if graded else nodes
    if chunk_size is not None:
        chunk_size = validate_count("chunk_size", chunk_size, 1)
    if out is not None:
        out = os.fspath(out)

    dims = tuple(a for a in AXES if a in axes and axes[a].ndim == 1)
    coords = {a: axes[a] for a in AXES if a in axes}
    shape = tuple(len(coords[d]) for d in dims)
    devices = tuple(jax.local_devices())
    n_dev = len(devices)
    platform = devices[0].platform
    call = _default_points_per_device(platform, n_dev, depth_nodes, _uses_lapack(qs)) * n_dev
    if chunk_size is None:
        target = max(CPU_BLOCK_POINTS, call) if platform == "cpu" else call
    else:
        target = chunk_size
    block = block_shape(shape, target)

    fingerprint = {
        "quantities": [[q.name, q.unit, q.description] for q in qs],
        "dims": list(dims),
        "axes": {
            a: (
                {"size": int(v.size), "first": float(v[0]), "last": float(v[-1]), "sha256": _digest(v)}
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
    attrs = {
        "title": "jaxorb sweep: " + ", ".join(q.name for q in qs),
        "quantities": [q.name for q in qs],
        "grid": "Cartesian product of the dimension coordinates; scalar coordinates are fixed",
        "units_system": "hbar = 2m = k_F = E_F = 1 (lengths in 1/k_F, energies in E_F)",
        "nodes": nodes_attr,
        "depth_nodes": depth_nodes,
        "nodes_description": "kappa rule of the Fermi-disk quadrature for interface quantities (eta, ratio, "
        "delta, c, cD): 'graded' = jaxorb.surface.graded_rule (branch-split Gauss segments, last segment "
        "graded toward kappa = k_F), or Gauss-Legendre nodes per segment; depth_nodes: Gauss-Legendre nodes "
        "per segment for density/current/torque quantities",
        "phi_rule": "exact phi average (rotation covariance)",
        "transparency": transparency,
        "dtype": "float64",
        "jaxorb_version": __version__,
        "jax_version": jax.__version__,
        "jaxlib_version": jaxlib.__version__,
    }
    coord_attrs = {a: {"units": UNITS[a], "long_name": LONG_NAMES[a]} for a in coords}

    pc, pi = jax.process_count(), jax.process_index()
    action = "create"
    if out is not None:
        action, stored_block = storage.check(out, fingerprint, None if chunk_size is None else block, overwrite)
        if action != "create" and stored_block is not None:
            block = tuple(stored_block)
    call = min(call, -(-max(math.prod(block), 1) // n_dev) * n_dev)  # points per call
    size = -(-max(math.prod(block), 1) // call) * call  # a block padded to whole calls
    plan = _Plan(dims, coords, block, size)
    f, sharding = evaluator(qs, devices, call, joint, None if graded else nodes, transparency)
    out_types = jax.eval_shape(f, *(jax.ShapeDtypeStruct((call,), np.float64, sharding=sharding),) * 4)
    dtypes = {q.name: np.dtype(t.dtype) for q, t in zip(qs, out_types)}
    variables = {q.name: (dtypes[q.name], {"units": q.unit, "long_name": q.description}) for q in qs}

    if out is not None:
        _barrier("jaxorb-sweep-checked")
        if pi == 0 and action == "create":
            storage.create(
                out,
                dims=dims,
                coords=coords,
                coord_attrs=coord_attrs,
                variables=variables,
                block_shape=block,
                attrs=attrs,
                fingerprint=fingerprint,
            )
        _barrier("jaxorb-sweep-created")
        done = set(range(plan.count)) if action == "done" else storage.finished_blocks(out)
        arrays = storage.open_arrays(out, [q.name for q in qs]) if action != "done" else None
        results = None
    else:
        done = set()
        arrays = None
        results = {q.name: np.full(shape, np.nan, dtype=dtypes[q.name]) for q in qs}

    mine = [i for i in range(plan.count) if i % pc == pi]
    todo = [i for i in mine if i not in done]
    label = "jaxorb sweep" if pc == 1 else f"jaxorb sweep [process {pi}/{pc}]"
    total = sum(plan.points(i) for i in mine)
    initial = total - sum(plan.points(i) for i in todo)

    def finish(i, outs):
        region = plan.region(i)
        m = plan.points(i)
        rshape = tuple(s.stop - s.start for s in region)
        vals = {q.name: np.concatenate([np.asarray(o[j]) for o in outs])[:m].reshape(rshape) for j, q in enumerate(qs)}
        if out is not None:
            storage.write_block(out, i, region, vals, arrays)
        else:
            for name, v in vals.items():
                results[name][region] = v
        bar.update(m)

    with Progress(total, label, initial=initial, quiet=quiet) as bar:
        pending = None
        for i in todo:
            cols, _ = plan.inputs(i)
            outs = [  # dispatched asynchronously, one fixed-size call after the other
                f(*(jax.device_put(c[k : k + call], sharding) for c in cols)) for k in range(0, size, call)
            ]
            if pending is not None:
                finish(*pending)  # write the previous block while this one computes
            pending = (i, outs)
        if pending is not None:
            finish(*pending)

    if out is not None:
        _barrier("jaxorb-sweep-written")
        if pi == 0:
            storage.finalize(out)
        _barrier("jaxorb-sweep-finalized")
        return storage.open_dataset(out)

    if pc > 1:
        from jax.experimental import multihost_utils

        for name in results:
            gathered = np.asarray(multihost_utils.process_allgather(results[name]))
            for i in range(plan.count):
                region = plan.region(i)
                results[name][region] = gathered[(i % pc, *region)]
    ds = xr.Dataset(
        {q.name: (dims, results[q.name], variables[q.name][1]) for q in qs},
        coords={a: ((a,) if v.ndim else (), v, coord_attrs[a]) for a, v in coords.items()},
        attrs=attrs,
    )
    return ds


__all__ = ["AXES", "UNITS", "block_shape", "evaluator", "sweep"]
