"""Shared test setup.

* The tests run in float64, whatever the environment says.
* Compiled programs are shared between tests and between the subprocesses the tests start
  (the CLI, the examples): XLA's persistent compilation cache is pointed at a directory made
  fresh for this session (or at ``$JAX_COMPILATION_CACHE_DIR`` when the caller set one), so a
  pipeline compiled once is loaded, not compiled again, by every later test that builds the same
  program. The in-memory caches are dropped after each test module and the freed memory is
  returned to the system, which keeps the peak memory of one long pytest process near that of
  its largest module.
* XLA compiles with its classic CPU loop emitter and LLVM optimisation level 0 (below), unless
  ``JAXORB_TEST_XLA_DEFAULTS=1``.
"""

import ctypes
import ctypes.util
import gc
import os
import shutil
import tempfile

_OWN_CACHE = "JAX_COMPILATION_CACHE_DIR" not in os.environ
if _OWN_CACHE:
    os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="jaxorb-tests-xla-")
# The suite is bound by compile time: XLA's classic CPU loop emitter compiles these programs about
# a quarter faster than its newer fusion emitters, and LLVM at level 0 halves what is left for the
# largest programs (the spinful conversion gradient: 13.2 -> 6.1 s; the whole suite 493 -> 428 s:
# the tests run small workloads, so the slower code costs little).
# Values agree to rounding, and a result that depends on how the compiler rounds is a bug the
# tests should see. Subprocesses inherit the flags. JAXORB_TEST_XLA_DEFAULTS=1 runs the suite with
# XLA's defaults instead.
_TEST_FLAGS = {"xla_cpu_use_fusion_emitters": "false", "xla_backend_optimization_level": "0"}
if not os.environ.get("JAXORB_TEST_XLA_DEFAULTS"):
    _flags = os.environ.get("XLA_FLAGS", "")
    for _name, _value in _TEST_FLAGS.items():
        if _name not in _flags:
            _flags += f" --{_name}={_value}"
    os.environ["XLA_FLAGS"] = _flags.strip()
# every program, however quick to compile, so subprocesses find what this process built
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jaxorb  # noqa: E402,F401

assert jax.config.jax_enable_x64


def pytest_sessionfinish(session, exitstatus):
    if _OWN_CACHE:
        shutil.rmtree(os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)


_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if os.name == "posix" else None


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    yield
    jax.clear_caches()
    gc.collect()
    # glibc keeps freed compiler memory in its arenas; hand it back so the process stays small
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def random_params(rng, n):
    """n random valid (U, r, alpha) triples over a broad part of the domain."""
    U = rng.uniform(-0.8, 0.9, n)
    r = rng.uniform(-0.7, 6.0, n)
    alpha = rng.uniform(-2.0, 2.0, n)
    return list(zip(U, r, alpha))
