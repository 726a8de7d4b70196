"""Mapping a per-point core over flat arrays of parameter points, with few compiled programs.

The public functions broadcast their parameters, flatten them to P points and map a jitted
per-point core over them in batches (which bounds the working set). A jitted program is compiled
once per shape of its arguments, so two rules here keep the number of programs small:

* P is padded, with copies of the first point, to a bucket size (:func:`bucket`): the next power
  of two up to the batch size, then the next multiple of the batch size. Calls with 5, 7 or 8
  points share one program, and so do calls with 300 and 500 points.
* the map has no remainder: ``jax.lax.map`` with a batch size that does not divide P compiles the
  core twice, once for the full batches and once vmapped over the remainder.

The padded points' results are dropped, so values and derivatives are those of the P points
(a padded copy of point 0 has point 0's finite derivative, and its zero cotangent adds nothing).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def bucket(points: int, batch: int) -> int:
    """Padded number of points: ``points`` itself if 0 or 1, else the next power of two up to
    ``batch`` (capped at ``batch``), else the next multiple of ``batch``."""
    if points <= 1:
        return points
    if points <= batch:
        return min(1 << (points - 1).bit_length(), batch)
    return -(-points // batch) * batch


def pad_points(arrays, batch: int):
    """Pad flat (P, ...) arrays along axis 0 to ``bucket(P, batch)`` rows by repeating row 0.

    Returns:
        (padded arrays as a tuple, P).
    """
    arrays = tuple(arrays)
    points = arrays[0].shape[0]
    extra = bucket(points, batch) - points
    if extra == 0:
        return arrays, points
    # concrete points are padded on the host (no eager device op per array), traced ones in jnp
    xp = jnp if any(isinstance(a, jax.core.Tracer) for a in arrays) else np
    arrays = tuple(xp.asarray(a) for a in arrays)
    return tuple(xp.concatenate([a, xp.broadcast_to(a[:1], (extra, *a.shape[1:]))]) for a in arrays), points


def first_points(tree, points: int):
    """The first ``points`` rows (axis 0) of every leaf: the results of the unpadded points."""
    return jax.tree_util.tree_map(lambda x: x if x.shape[0] == points else x[:points], tree)


def call_padded(fn, arrays, batch: int, *rest, **kwargs):
    """``fn(*padded arrays, *rest, **kwargs)`` on the flat point arrays padded to their bucket,
    with the padded points' results dropped.

    Args:
        fn: typically a jitted function mapping a per-point core over its leading arrays with
            ``jax.lax.map(..., batch_size=batch)`` (no remainder on padded arrays).
        arrays: flat (P, ...) arrays, one row per point (equal P).
        batch: the map's batch size.
    """
    padded, points = pad_points(arrays, batch)
    return first_points(fn(*padded, *rest, **kwargs), points)
