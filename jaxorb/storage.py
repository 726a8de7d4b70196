"""Resumable, self-describing on-disk sweep results (a zarr v3 store that xarray opens).

Layout of a store written by :func:`jaxorb.sweep` (``out="map.zarr"``)::

    map.zarr/
      zarr.json            root group: attributes (units, solver settings, versions, the sweep's
                           fingerprint) and consolidated metadata
      r/, alpha/, ...      one coordinate array per parameter (``dimension_names`` = itself);
                           scalar parameters are 0-d arrays listed in each variable's
                           ``coordinates`` attribute
      eta_yz_x/, ...       one array per quantity, shape of the grid, zarr chunks = sweep blocks
      _jaxorb_chunks/      while running: one empty marker file per finished block

A block is committed in two steps: its values are written (zarr's local store writes every chunk
file to a temporary name and renames it into place), then a marker file is created the same way
(:func:`os.replace`). A block without a marker is recomputed on resume, so a sweep killed at any
instant (Ctrl-C, SIGKILL) resumes to exactly the store an uninterrupted run writes (bit for bit
when resumed with the same number of local devices; with another device count the calls hold a
different number of points per device, which can change the last bit of some values). When every
block is done the root attribute ``complete`` is set, the metadata re-consolidated and the marker
directory removed.

``xr.open_zarr("map.zarr")`` opens the result (complex quantities are stored as complex128).
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

MARKERS = "_jaxorb_chunks"
FINGERPRINT_ATTR = "jaxorb_sweep"
BLOCK_ATTR = "jaxorb_block_shape"
COMPLETE_ATTR = "complete"


def _zarr():
    import zarr

    return zarr


def _consolidate(path: Path) -> None:
    with warnings.catch_warnings():
        # zarr warns that consolidated metadata is not (yet) in the v3 spec; xarray relies on it.
        warnings.simplefilter("ignore")
        _zarr().consolidate_metadata(str(path))


def read_root_attrs(path: Path) -> dict | None:
    """Root attributes of a zarr v3 store at ``path``, or None when it is not one."""
    meta = path / "zarr.json"
    if not meta.is_file():
        return None
    try:
        return dict(json.loads(meta.read_text()).get("attributes", {}))
    except (OSError, ValueError):
        return None


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
        ``"resume"`` (same sweep; finished blocks are kept) or ``"done"`` (same sweep, complete).

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
    stored = attrs.get(FINGERPRINT_ATTR)
    if stored is None:
        if overwrite:
            return "create", None
        raise ValueError(
            f"out={str(path)!r} is a zarr store not written by jaxorb.sweep; pass overwrite=True "
            "(CLI: --overwrite) to replace it"
        )
    stored_block = tuple(attrs.get(BLOCK_ATTR, ()))
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
    """Create an empty sweep store (any previous store at ``path`` is removed).

    Args:
        path: directory of the store.
        dims: names of the grid dimensions, in order (their coordinates are 1-D in ``coords``).
        coords: every parameter: a 1-D array for a dimension, a 0-d array for a fixed value.
        coord_attrs: attributes (``units``, ``long_name``) per coordinate.
        variables: per quantity, its dtype and attributes; arrays have the grid's shape.
        block_shape: zarr chunk shape (= the sweep's block shape), one entry per dim.
        attrs: root attributes (solver settings, versions; JSON-serialisable).
        fingerprint: stored under ``jaxorb_sweep`` to recognise the same sweep on resume.
    """
    zarr = _zarr()
    path = Path(path)
    if path.exists():
        shutil.rmtree(path)
    root = zarr.open_group(str(path), mode="w", zarr_format=3)
    scalars = [name for name, v in coords.items() if np.ndim(v) == 0]
    shape = tuple(len(coords[d]) for d in dims)
    for name, value in coords.items():
        value = np.asarray(value)
        arr = root.create_array(
            name,
            shape=value.shape,
            chunks=value.shape if value.ndim else (),
            dtype=value.dtype,
            dimension_names=[name] if value.ndim else [],
            attributes=dict(coord_attrs.get(name, {})),
        )
        arr[...] = value
    for name, (dtype, vattrs) in variables.items():
        dtype = np.dtype(dtype)
        fill = complex(np.nan, np.nan) if dtype.kind == "c" else (np.nan if dtype.kind == "f" else 0)
        va = dict(vattrs)
        if scalars:
            va["coordinates"] = " ".join(scalars)
        root.create_array(
            name,
            shape=shape,
            chunks=tuple(block_shape),
            dtype=dtype,
            fill_value=fill,
            dimension_names=list(dims),
            attributes=va,
        )
    root.attrs.update(json.loads(json.dumps({**attrs, FINGERPRINT_ATTR: fingerprint, BLOCK_ATTR: list(block_shape)})))
    _consolidate(path)
    (path / MARKERS).mkdir()


def finished_blocks(path: str | os.PathLike) -> set[int]:
    """Indices of the blocks committed so far (empty for a fresh store)."""
    markers = Path(path) / MARKERS
    if not markers.is_dir():
        return set()
    return {int(p.name) for p in markers.iterdir() if p.name.isdigit()}


def write_block(
    path: str | os.PathLike, index: int, region: tuple[slice, ...], values: Mapping[str, np.ndarray], arrays=None
) -> None:
    """Write one block's values by region, then commit it with an atomic marker file.

    Args:
        path: the store.
        index: the block's number (flat index in the block grid).
        region: one slice per grid dimension.
        values: per quantity, an array shaped like the region.
        arrays: optional cache {name: zarr.Array} (opened once by the caller).
    """
    path = Path(path)
    if arrays is None:
        arrays = open_arrays(path, values)
    for name, v in values.items():
        arrays[name][region] = v
    marker = path / MARKERS / str(index)
    tmp = path / MARKERS / f".{index}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, marker)


def open_arrays(path: str | os.PathLike, names: Iterable[str]) -> dict:
    """{name: zarr.Array} for writing blocks."""
    root = _zarr().open_group(str(path), mode="r+", zarr_format=3, use_consolidated=False)
    return {name: root[name] for name in names}


def finalize(path: str | os.PathLike) -> None:
    """Mark the store complete, re-consolidate its metadata, drop the block markers and any temporary
    files an interrupted write left (idempotent; call when no process is writing)."""
    zarr = _zarr()
    path = Path(path)
    root = zarr.open_group(str(path), mode="r+", zarr_format=3, use_consolidated=False)
    if not root.attrs.get(COMPLETE_ATTR):
        root.attrs[COMPLETE_ATTR] = True
    _consolidate(path)
    shutil.rmtree(path / MARKERS, ignore_errors=True)
    # A process killed inside zarr's own write-then-rename leaves its temporary ``*.partial``
    # file behind (the block was not marked, so it has been rewritten since). Every process is
    # past its last write when this runs, so none of these is in flight.
    for stale in path.rglob("*.partial"):
        stale.unlink(missing_ok=True)


def open_dataset(path: str | os.PathLike, load: bool = True):
    """The sweep at ``path`` as an :class:`xarray.Dataset` (loaded into memory by default)."""
    import xarray as xr

    ds = xr.open_zarr(str(path), chunks=None, consolidated=True)
    for key in (FINGERPRINT_ATTR, BLOCK_ATTR, COMPLETE_ATTR):
        ds.attrs.pop(key, None)
    order = [n for n in ds.attrs.get("quantities", []) if n in ds.data_vars]
    if order:  # the order the quantities were asked in (zarr lists members alphabetically)
        ds = ds[order + [n for n in ds.data_vars if n not in order]]
    return ds.load() if load else ds


__all__ = ["check", "create", "finalize", "finished_blocks", "open_arrays", "open_dataset", "write_block"]
