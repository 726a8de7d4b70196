"""Resumable, self-verifying on-disk sweep results (a zarr v3 store that xarray opens).

Layout of a store written by :func:`jaxorb.sweep` (``out="map.zarr"``)::

    map.zarr/
      zarr.json            root group: attributes (units, solver settings, versions, the sweep's
                           fingerprint as JSON text) and consolidated metadata
      r/, alpha/, ...      one coordinate array per parameter (``dimension_names`` = itself);
                           scalar parameters are 0-d arrays listed in each variable's
                           ``coordinates`` attribute
      eta_yz_x/, ...       one array per quantity, shape of the grid, zarr chunks = sweep blocks
      _jaxorb_chunks/      one record per finished block: the SHA-256 of each variable's values
    .map.zarr.lock         next to the store while a sweep writes it (holder's pid and host)

Guarantees:

* **Atomic blocks.** A block is committed in two steps: its values are written (zarr writes every
  chunk file to a temporary name and renames it into place), then its record, holding the
  checksum of every variable's values in the block, is created the same way (:func:`os.replace`).
  A block without a record is recomputed on resume.
* **Atomic creation.** The empty store is built under a temporary name next to ``out`` and
  renamed into place, so a kill while it is created leaves either nothing or a whole store.
* **Every interrupted state resumes.** A sweep killed at any instant (Ctrl-C, SIGKILL) resumes
  to exactly the store an uninterrupted run writes (bit for bit with the same number of local
  devices; with another device count the calls hold a different number of points per device,
  which can change the last bit of some values). A deleted record directory only costs
  recomputation.
* **Verified.** :func:`verify` checks the coordinates against the fingerprint, every variable's
  metadata and every recorded block against its checksums (a deleted, swapped or corrupted chunk
  is found). A resumed sweep verifies first and recomputes what is missing or damaged;
  :func:`open_dataset` refuses a damaged store with a one-line :class:`StoreError`.
* **One writer.** A sweep holds an exclusive lock (``flock``) on ``.<name>.lock`` next to the
  store; a second sweep into the same store is refused with a message naming the holder. The
  kernel drops the lock when its process dies, so a killed run leaves no stale lock. (On a
  network file system without ``flock`` support the lock cannot see writers on other hosts.)
  With ``jax.distributed`` the processes of one sweep write together; process 0 holds the lock.

All attributes are netCDF-safe (strings, numbers, integer lists; structured metadata as JSON
text), so ``xr.open_zarr("map.zarr").to_netcdf("map.nc")`` works with every netCDF engine.
"""

import dataclasses
import hashlib
import json
import math
import os
import shutil
import socket
import time
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

MARKERS = "_jaxorb_chunks"
FINGERPRINT_ATTR = "jaxorb_sweep"
BLOCK_ATTR = "jaxorb_block_shape"
COMPLETE_ATTR = "complete"
#: Coordinate arrays are stored in pieces of this many values (bounded memory for long axes).
COORD_CHUNK = 1 << 20
#: Arrays up to this many bytes are read whole when verifying (else block by block).
_READ_WHOLE_BYTES = 1 << 28


class StoreError(ValueError):
    """A sweep store that cannot be used as it is (damaged, locked, read-only, foreign)."""


class StoreRepairWarning(UserWarning):
    """A resumed sweep found damaged or missing blocks and recomputes them."""


def _zarr():
    import zarr

    return zarr


def _consolidate(path: Path) -> None:
    with warnings.catch_warnings():
        # zarr warns that consolidated metadata is not (yet) in the v3 spec; xarray relies on it.
        warnings.simplefilter("ignore")
        _zarr().consolidate_metadata(str(path))


def digest(values: np.ndarray) -> str:
    """Checksum of an array's values: SHA-256 (32 hex digits) of its C-order little-endian bytes,
    hashed in pieces (no full copy of a large array)."""
    arr = np.asarray(values)
    arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    h = hashlib.sha256()
    flat = arr.reshape(-1)
    step = max(1, (1 << 24) // max(arr.itemsize, 1))
    for k in range(0, flat.size, step):
        h.update(np.ascontiguousarray(flat[k : k + step]).tobytes())
    h.update(str(arr.shape).encode())
    return h.hexdigest()[:32]


def read_root_attrs(path: Path) -> dict | None:
    """Root attributes of a zarr v3 store at ``path``, or None when it is not one."""
    meta = Path(path) / "zarr.json"
    if not meta.is_file():
        return None
    try:
        return dict(json.loads(meta.read_text()).get("attributes", {}))
    except (OSError, ValueError):
        return None


def _fingerprint(attrs: Mapping) -> dict | None:
    fp = attrs.get(FINGERPRINT_ATTR)
    if isinstance(fp, str):
        try:
            fp = json.loads(fp)
        except ValueError:
            return None
    return fp if isinstance(fp, dict) else None


def _describe_difference(old: Mapping, new: Mapping) -> str:
    keys = sorted(set(old) | set(new))
    diffs = [k for k in keys if old.get(k) != new.get(k)]
    parts = []
    for k in diffs:
        a, b = old.get(k), new.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            inner = sorted(kk for kk in set(a) | set(b) if a.get(kk) != b.get(kk))
            parts.append(f"{k} ({', '.join(inner)})")
        else:
            parts.append(f"{k} (stored {a!r}, requested {b!r})")
    return "; ".join(parts)


def _sibling(path: Path, suffix: str) -> Path:
    return path.parent / f".{path.name}.{suffix}"


def check(
    path: str | os.PathLike, fingerprint: Mapping[str, Any], block_shape: tuple[int, ...] | None, overwrite: bool
):
    """Decide what to do with ``path`` before a sweep (read-only; every process may call it).

    Args:
        path: the store's directory.
        fingerprint: JSON-serialisable description of the sweep (quantities, axes, settings).
        block_shape: requested block (zarr chunk) shape, or None to accept the stored one.
        overwrite: replace a store of a different sweep instead of refusing.

    Returns:
        ``(action, stored_block_shape)``: action is ``"create"`` (absent or to be replaced),
        ``"resume"`` (same sweep; finished blocks are verified and kept) or ``"done"`` (same
        sweep, marked complete; still verified before it is trusted).

    Raises:
        ValueError: ``path`` holds something else (a file, a non-empty directory that is not a
            zarr store) or a different sweep and ``overwrite`` is False.
    """
    path = Path(path)
    if not path.exists():
        return "create", None
    if not path.is_dir():
        raise ValueError(f"out={str(path)!r} exists and is not a directory; choose another path")
    attrs = read_root_attrs(path)
    if attrs is None:
        if any(path.iterdir()):
            raise ValueError(
                f"out={str(path)!r} is a non-empty directory that is not a zarr store; refusing to write "
                "into it (even with overwrite); choose another path"
            )
        return "create", None
    stored = _fingerprint(attrs)
    if stored is None:
        if overwrite:
            return "create", None
        raise ValueError(
            f"out={str(path)!r} is a zarr store not written by jaxorb.sweep; pass overwrite=True "
            "(CLI: --overwrite) to replace it"
        )
    stored_block = _block_attr(attrs)
    fp = json.loads(json.dumps(fingerprint))  # normalise tuples -> lists as stored
    if stored != fp:
        if overwrite:
            return "create", None
        raise ValueError(
            f"out={str(path)!r} holds a different sweep: {_describe_difference(stored, fp)}. "
            "Resuming needs the same quantities, axes and settings; pass overwrite=True "
            "(CLI: --overwrite) to replace it, or choose another path"
        )
    if block_shape is not None and tuple(block_shape) != stored_block:
        if overwrite:
            return "create", None
        raise ValueError(
            f"out={str(path)!r} was written in blocks of {stored_block} points, the request asks for "
            f"{tuple(block_shape)}; resume with chunk_size=None (the stored blocks are reused) or pass "
            "overwrite=True (CLI: --overwrite)"
        )
    return ("done" if attrs.get(COMPLETE_ATTR) else "resume"), stored_block


def _block_attr(attrs: Mapping) -> tuple[int, ...]:
    block = attrs.get(BLOCK_ATTR, ())
    if isinstance(block, str):
        block = json.loads(block)
    return tuple(int(b) for b in block)


# ---------------------------------------------------------------------------------------------
# the writer's lock


class Lock:
    """Exclusive lock of one store by one sweep (``flock`` on ``.<name>.lock`` next to it).

    Refuses (:class:`StoreError`) when another live process holds it, naming that process's pid
    and host. The kernel releases the lock when its holder dies, so a lock file left by a killed
    run is taken over silently.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.file = _sibling(self.path, "lock")
        self.fd: int | None = None

    def acquire(self) -> "Lock":
        import fcntl

        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"out={str(self.path)!r}: cannot create its directory ({err.strerror})") from None
        while True:
            try:
                fd = os.open(self.file, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as err:
                raise StoreError(
                    f"out={str(self.path)!r}: cannot create the lock file {self.file.name!r} next to it "
                    f"({err.strerror}); is the directory read-only?"
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise StoreError(
                    f"out={str(self.path)!r} is being written by another sweep ({holder}); wait for it to "
                    "finish or choose another path"
                ) from None
            # the previous holder may have unlinked the file between our open and flock
            try:
                same = os.stat(self.file).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            self.file.unlink(missing_ok=True)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> "Lock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        return f"pid {info['pid']} on host {info['host']}, since {info['since']}"
    except (OSError, ValueError, KeyError):
        return "holder unknown"


# ---------------------------------------------------------------------------------------------
# creating and writing


def create(
    path: str | os.PathLike,
    *,
    dims: tuple[str, ...],
    coords: Mapping[str, np.ndarray],
    coord_attrs: Mapping[str, Mapping[str, Any]],
    variables: Mapping[str, tuple[np.dtype, Mapping[str, Any]]],
    block_shape: tuple[int, ...],
    attrs: Mapping[str, Any],
    fingerprint: Mapping[str, Any],
) -> None:
    """Create an empty sweep store atomically (any previous store at ``path`` is replaced).

    The store is built under a temporary name next to ``path`` and renamed into place. Call it
    while holding the store's :class:`Lock`.

    Args:
        path: directory of the store.
        dims: names of the grid dimensions, in order (their coordinates are 1-D in ``coords``).
        coords: every parameter: a 1-D array for a dimension, a 0-d array for a fixed value.
        coord_attrs: attributes (``units``, ``long_name``) per coordinate.
        variables: per quantity, its dtype and attributes; arrays have the grid's shape.
        block_shape: zarr chunk shape (= the sweep's block shape), one entry per dim.
        attrs: root attributes (netCDF-safe: strings, numbers).
        fingerprint: stored as JSON text under ``jaxorb_sweep`` to recognise the same sweep.
    """
    zarr = _zarr()
    path = Path(path)
    tmp = _sibling(path, "creating")
    try:
        if tmp.exists():  # left by a run killed while creating (we hold the lock: not in use)
            shutil.rmtree(tmp)
        root = zarr.open_group(str(tmp), mode="w", zarr_format=3)
        for name, value in coords.items():
            _write_coord(root, name, np.asarray(value), coord_attrs.get(name, {}))
        shape = tuple(len(coords[d]) for d in dims)
        scalars = [name for name, v in coords.items() if np.ndim(v) == 0]
        for name, (dtype, vattrs) in variables.items():
            _create_variable(root, name, shape, dims, block_shape, dtype, vattrs, scalars)
        root.attrs.update(
            {
                **attrs,
                FINGERPRINT_ATTR: json.dumps(fingerprint, sort_keys=True),
                BLOCK_ATTR: [int(b) for b in block_shape],
                COMPLETE_ATTR: 0,
            }
        )
        _consolidate(tmp)
        (tmp / MARKERS).mkdir()
        if path.exists():
            shutil.rmtree(path)
        os.rename(tmp, path)
    except PermissionError as err:
        raise StoreError(f"out={str(path)!r}: cannot create the store ({err.strerror}: {err.filename})") from None


def _write_coord(root, name: str, value: np.ndarray, cattrs: Mapping[str, Any]):
    arr = root.create_array(
        name,
        shape=value.shape,
        chunks=(min(value.size, COORD_CHUNK),) if value.ndim else (),
        dtype=value.dtype,
        dimension_names=[name] if value.ndim else [],
        attributes=dict(cattrs),
        overwrite=True,
    )
    if value.ndim:
        for k in range(0, value.size, COORD_CHUNK):
            arr[k : k + COORD_CHUNK] = value[k : k + COORD_CHUNK]
    else:
        arr[...] = value
    return arr


def _create_variable(root, name, shape, dims, block_shape, dtype, vattrs, scalars):
    dtype = np.dtype(dtype)
    fill = complex(np.nan, np.nan) if dtype.kind == "c" else (np.nan if dtype.kind == "f" else 0)
    va = dict(vattrs)
    if scalars:
        va["coordinates"] = " ".join(scalars)
    return root.create_array(
        name,
        shape=shape,
        chunks=tuple(block_shape),
        dtype=dtype,
        fill_value=fill,
        dimension_names=list(dims),
        attributes=va,
        overwrite=True,
    )


def _read_record(file: Path) -> dict | None:
    try:
        rec = json.loads(file.read_text())
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and isinstance(rec.get("sha256"), dict) else None


def _records(path: Path) -> dict[int, Path]:
    markers = path / MARKERS
    if not markers.is_dir():
        return {}
    return {int(p.name): p for p in markers.iterdir() if p.name.isdigit()}


def finished_blocks(path: str | os.PathLike) -> set[int]:
    """Indices of the blocks committed so far (empty for a fresh store)."""
    return set(_records(Path(path)))


def write_block(
    path: str | os.PathLike, index: int, region: tuple[slice, ...], values: Mapping[str, np.ndarray], arrays=None
) -> None:
    """Write one block's values by region, then commit it with an atomic record of their checksums.

    Args:
        path: the store.
        index: the block's number (flat index in the block grid).
        region: one slice per grid dimension.
        values: per quantity, an array shaped like the region.
        arrays: optional cache {name: zarr.Array} (opened once by the caller).

    Raises:
        StoreError: the store cannot be written (read-only, disk full, removed).
    """
    path = Path(path)
    try:
        if arrays is None:
            arrays = open_arrays(path, values)
        for name, v in values.items():
            arrays[name][region] = v
        markers = path / MARKERS
        markers.mkdir(exist_ok=True)  # recreated if someone deleted it mid-run
        record = json.dumps({"sha256": {name: digest(v) for name, v in sorted(values.items())}}, sort_keys=True)
        tmp = markers / f".{index}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(record)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, markers / str(index))
    except OSError as err:
        raise StoreError(
            f"cannot write block {index} to {str(path)!r} ({err.strerror or type(err).__name__}); the finished "
            "blocks are kept: make the store writable and run the same sweep again to resume"
        ) from None


def open_arrays(path: str | os.PathLike, names: Iterable[str]) -> dict:
    """{name: zarr.Array} for writing blocks."""
    root = _zarr().open_group(str(path), mode="r+", zarr_format=3, use_consolidated=False)
    return {name: root[name] for name in names}


def check_writable(path: str | os.PathLike) -> None:
    """Raise :class:`StoreError` with one line when the store at ``path`` cannot be written."""
    path = Path(path)
    for where in (path, path / MARKERS):
        if not where.is_dir():
            continue
        probe = where / f".probe.{os.getpid()}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as err:
            raise StoreError(
                f"out={str(path)!r} is not writable ({err.strerror}: {where}); make it writable "
                "(e.g. chmod -R u+w) to resume, or choose another path"
            ) from None


def finalize(path: str | os.PathLike) -> None:
    """Mark the store complete, re-consolidate its metadata and drop any temporary files an
    interrupted write left (idempotent; call when no process is writing)."""
    zarr = _zarr()
    path = Path(path)
    # A process killed inside zarr's own write-then-rename leaves its temporary ``*.partial``
    # file behind (the block was not recorded, so it has been rewritten since); likewise a
    # record's temporary file. Every process is past its last write when this runs.
    for stale in path.rglob("*.partial"):
        stale.unlink(missing_ok=True)
    for stale in (path / MARKERS).glob(".*.tmp"):
        stale.unlink(missing_ok=True)
    root = zarr.open_group(str(path), mode="r+", zarr_format=3, use_consolidated=False)
    if root.attrs.get(COMPLETE_ATTR) != 1:
        root.attrs[COMPLETE_ATTR] = 1
    _consolidate(path)


# ---------------------------------------------------------------------------------------------
# verification and repair


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify` found in a store.

    Attributes:
        path: the store.
        ok: no problem found (an unfinished but intact store is ok).
        complete: every block is recorded and verified (the sweep finished).
        blocks_total: blocks of the sweep's grid.
        blocks_done: blocks whose record is present and whose values match their checksums.
        problems: one line per problem found.
        damaged_blocks: blocks recorded as finished whose values are missing or wrong.
        missing_variables: quantities whose array metadata is missing or wrong.
        bad_coordinates: coordinates missing or differing from the fingerprint.
    """

    path: str
    ok: bool
    complete: bool
    blocks_total: int
    blocks_done: int
    problems: tuple[str, ...] = ()
    damaged_blocks: tuple[int, ...] = ()
    missing_variables: tuple[str, ...] = ()
    bad_coordinates: tuple[str, ...] = ()

    def __str__(self) -> str:
        state = "complete" if self.complete else "incomplete"
        head = (
            f"{self.path}: {'ok' if self.ok else 'DAMAGED'}, {state}, "
            f"{self.blocks_done}/{self.blocks_total} blocks verified"
        )
        if not self.problems:
            return head
        lines = [head, *("  " + p for p in self.problems[:20])]
        if len(self.problems) > 20:
            lines.append(f"  ... and {len(self.problems) - 20} more")
        if not self.ok:
            lines.append("  re-running the same sweep recomputes the damaged blocks")
        return "\n".join(lines)


def _block_regions(shape: tuple[int, ...], block: tuple[int, ...]):
    nblocks = tuple(-(-n // b) for n, b in zip(shape, block))
    for i in range(math.prod(nblocks)):
        idx = np.unravel_index(i, nblocks) if shape else ()
        yield i, tuple(slice(k * b, min((k + 1) * b, n)) for k, b, n in zip(idx, block, shape))


def _axis_matches(arr, spec: Mapping) -> bool:
    values = np.asarray(arr[...])
    if "value" in spec:
        return values.shape == () and float(values) == spec["value"]
    return values.ndim == 1 and values.size == spec["size"] and digest(values) == spec["sha256"]


def verify(path: str | os.PathLike) -> VerifyReport:
    """Check a sweep store: coordinates, variable metadata and every recorded block's checksums.

    Reads every finished block once (I/O bound: about the store's size).

    Args:
        path: a store written by :func:`jaxorb.sweep` (``out=``).

    Returns:
        :class:`VerifyReport`; ``str(report)`` is a readable summary.

    Raises:
        StoreError: ``path`` is not a store written by :func:`jaxorb.sweep` (absent, not a zarr
            store, root metadata missing or unreadable), so there is nothing to verify against.
    """
    zarr = _zarr()
    path = Path(path)
    if path.is_file():
        raise StoreError(
            f"{str(path)!r} is a file, not a sweep store (a zarr directory); verify checks stores "
            "(a netCDF file written by jaxorb.sweep carries no block checksums)"
        )
    if not path.is_dir():
        raise StoreError(f"{str(path)!r} is not a sweep store (no such directory)")
    attrs = read_root_attrs(path)
    if attrs is None:
        raise StoreError(f"{str(path)!r} is not a sweep store (no readable zarr.json); it cannot be verified")
    fp = _fingerprint(attrs)
    if fp is None:
        raise StoreError(f"{str(path)!r} is a zarr store not written by jaxorb.sweep (no sweep fingerprint)")
    dims = tuple(fp["dims"])
    shape = tuple(int(fp["axes"][d]["size"]) for d in dims)
    block = _block_attr(attrs)
    names = [q[0] for q in fp["quantities"]]
    problems: list[str] = []
    try:
        root = zarr.open_group(str(path), mode="r", zarr_format=3, use_consolidated=False)
    except Exception as err:  # noqa: BLE001 - any failure here is a damaged root
        raise StoreError(f"{str(path)!r}: root group unreadable ({type(err).__name__}: {err})") from None

    bad_coords = []
    for name, spec in fp["axes"].items():
        try:
            if not _axis_matches(root[name], spec):
                bad_coords.append(name)
                problems.append(f"coordinate {name}: values differ from the ones the sweep recorded")
        except Exception as err:  # noqa: BLE001
            bad_coords.append(name)
            problems.append(f"coordinate {name}: unreadable ({type(err).__name__})")

    arrays, missing = {}, []
    for name in names:
        try:
            arr = root[name]
            if tuple(arr.shape) != shape or tuple(arr.chunks) != block:
                raise ValueError(f"shape {arr.shape} / chunks {arr.chunks}")
            arrays[name] = arr
        except Exception as err:  # noqa: BLE001
            missing.append(name)
            reason = "metadata missing" if isinstance(err, KeyError) else f"metadata wrong ({err})"
            problems.append(f"variable {name}: {reason}; all its blocks must be recomputed")

    records = _records(path)
    whole = {}
    for name, arr in arrays.items():
        if arr.nbytes <= _READ_WHOLE_BYTES:
            try:
                whole[name] = np.asarray(arr[...])
            except Exception:  # noqa: BLE001 - a corrupted chunk: fall back to block by block
                pass
    total = 0
    done, damaged = 0, []
    for i, region in _block_regions(shape, block):
        total += 1
        if i not in records:
            continue
        rec = _read_record(records[i])
        why = None
        if rec is None:
            why = "its record is unreadable"
        elif missing:
            why = "a variable is missing"
        else:
            for name, arr in arrays.items():
                try:
                    vals = whole[name][region] if name in whole else np.asarray(arr[region])
                except Exception as err:  # noqa: BLE001
                    why = f"{name} unreadable ({type(err).__name__}: {str(err)[:60]})"
                    break
                if rec["sha256"].get(name) != digest(vals):
                    why = f"{name} differs from its checksum (chunk missing, moved or altered)"
                    break
        if why is None:
            done += 1
        else:
            damaged.append(i)
            if not missing:
                problems.append(f"block {i} {_region_text(dims, region)}: {why}")
    if attrs.get(COMPLETE_ATTR) and done + len(damaged) < total:
        problems.append(f"marked complete but {total - done - len(damaged)} blocks have no record")
    extra = sorted(set(records) - set(range(total)))
    if extra:
        problems.append(f"records of blocks outside the grid: {extra[:5]}")
    return VerifyReport(
        str(path),
        ok=not problems,
        complete=not problems and done == total,
        blocks_total=total,
        blocks_done=done,
        problems=tuple(problems),
        damaged_blocks=tuple(damaged),
        missing_variables=tuple(missing),
        bad_coordinates=tuple(bad_coords),
    )


def _region_text(dims, region) -> str:
    return "(" + ", ".join(f"{d}[{s.start}:{s.stop}]" for d, s in zip(dims, region)) + ")"


def repair(
    path: str | os.PathLike,
    report: VerifyReport,
    *,
    coords: Mapping[str, np.ndarray],
    coord_attrs: Mapping[str, Mapping[str, Any]],
    variables: Mapping[str, tuple[np.dtype, Mapping[str, Any]]],
) -> int:
    """Make a damaged store resumable: rewrite bad coordinates, recreate missing variables and
    drop the records of damaged blocks (the sweep then recomputes them). Call under the lock.

    Returns:
        the number of blocks that will be recomputed because of the damage.
    """
    zarr = _zarr()
    path = Path(path)
    root = zarr.open_group(str(path), mode="r+", zarr_format=3, use_consolidated=False)
    root.attrs[COMPLETE_ATTR] = 0
    for name in report.bad_coordinates:
        _write_coord(root, name, np.asarray(coords[name]), coord_attrs.get(name, {}))
    markers = path / MARKERS
    markers.mkdir(exist_ok=True)
    redo = set(report.damaged_blocks)
    if report.missing_variables:
        fp = _fingerprint(read_root_attrs(path))
        dims = tuple(fp["dims"])
        shape = tuple(len(coords[d]) for d in dims)
        block = _block_attr(read_root_attrs(path))
        scalars = [n for n, v in coords.items() if np.ndim(v) == 0]
        for name in report.missing_variables:
            dtype, vattrs = variables[name]
            _create_variable(root, name, shape, dims, block, dtype, vattrs, scalars)
        redo |= finished_blocks(path)  # every block lacks the recreated variables' values
    for i in redo:
        (markers / str(i)).unlink(missing_ok=True)
    return len(redo)


# ---------------------------------------------------------------------------------------------
# reading


def open_dataset(path: str | os.PathLike, load: bool = True, verify_store: bool = True):
    """The sweep at ``path`` as an :class:`xarray.Dataset` (loaded into memory by default).

    Args:
        path: a zarr store written by :func:`jaxorb.sweep`, or a netCDF file it wrote.
        load: read the values into memory.
        verify_store: check the store first (:func:`verify`); an unfinished but intact store
            opens (its missing blocks are NaN).

    Raises:
        StoreError: the store is damaged (the message says what; re-running the sweep repairs
            it) or is not a sweep store.
    """
    import xarray as xr

    path = Path(path)
    if path.is_file():  # netCDF written by sweep(out="*.nc")
        ds = xr.open_dataset(path)
        ds.attrs.pop(FINGERPRINT_ATTR, None)
        return _ordered(ds.load() if load else ds)
    if verify_store:
        report = verify(path)
        if not report.ok:
            more = f" (and {len(report.problems) - 1} more problems)" if len(report.problems) > 1 else ""
            raise StoreError(
                f"{str(path)!r} is damaged: {report.problems[0]}{more}; run the same sweep again to repair it"
            )
    ds = xr.open_zarr(str(path), chunks=None, consolidated=True)
    for key in (FINGERPRINT_ATTR, BLOCK_ATTR, COMPLETE_ATTR):
        ds.attrs.pop(key, None)
    return _ordered(ds.load() if load else ds)


def _ordered(ds):
    names = ds.attrs.get("quantities", "")
    names = names.split() if isinstance(names, str) else list(names)
    order = [n for n in names if n in ds.data_vars]
    if order:  # the order the quantities were asked in (zarr lists members alphabetically)
        ds = ds[order + [n for n in ds.data_vars if n not in order]]
    return ds


__all__ = [
    "Lock",
    "StoreError",
    "StoreRepairWarning",
    "VerifyReport",
    "check",
    "check_writable",
    "create",
    "digest",
    "finalize",
    "finished_blocks",
    "open_arrays",
    "open_dataset",
    "repair",
    "verify",
    "write_block",
]
