"""Jitted quantities shared by every test module: each is traced and compiled once per process
(after the per-module cache release, the session's persistent XLA cache reloads it).

``value(name, nodes)(U, r, alpha, z)`` and ``gradient(name, nodes)(U, r, alpha, z)`` -> the
(d/dU, d/dr, d/dalpha) tuple; ``nodes`` as in :func:`jaxorb.quantities.get`.
"""

import functools

import jax

from jaxorb import quantities


@functools.cache
def value(name: str, nodes: int | None = None):
    return jax.jit(quantities.get(name, n=nodes).fn)


@functools.cache
def gradient(name: str, nodes: int | None = None):
    return jax.jit(jax.grad(quantities.get(name, n=nodes).fn, argnums=(0, 1, 2)))
