"""Helpers shared by test_sweep.py and test_storage.py."""

import os
import socket
from pathlib import Path

import jax.numpy as jnp

from jaxorb.quantities import Quantity

ROOT = Path(__file__).resolve().parents[1]


def env_with_root(**extra):
    """Environment for subprocesses: this checkout first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.update(extra)
    return env


def cheap(name="cheap", complex_=False):
    """A quantity that costs nothing to compile or evaluate (for layout and scaling tests)."""

    def fn(U, r, alpha, z=0.0):
        v = jnp.sin(r) * jnp.cos(alpha) + U
        return v + 1j * alpha * r if complex_ else v

    return Quantity(name, fn, "1", f"test quantity {name}", False)


def free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]
