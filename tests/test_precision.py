"""Precision policy: every computing function returns the dtype it was asked for, never less,
whatever the process-wide JAX setting; importing jaxorb respects an explicit JAX_ENABLE_X64."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import numpy as np
import pytest

import jaxorb as jo

ROOT = Path(__file__).resolve().parents[1]
P = jo.Params(0.5, [0.5, 2.0], 0.3)

CALLS = {
    "efficiency": lambda p, **kw: jo.efficiency(p, "x", "Lyz", **kw),
    "current_ratio": lambda p, **kw: jo.current_ratio(p, "z", **kw),
    "memory_loss": lambda p, **kw: jo.memory_loss(p, "z", 2.0, **kw),
    "mean_torque": lambda p, **kw: jo.mean_torque(p, "z", **kw),
    "profile": lambda p, **kw: jo.profile(p, [0.0, 5.0], "x", **kw).current["Lyz"],
}

#: float32 against float64 on these points, absolute and relative (measured: <= 6e-7).
FLOAT32_ERROR = 5e-6


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in ("mean_torque", "profile") else n for n in sorted(CALLS)]
)
@pytest.mark.slow
def test_dtype_is_honoured_in_both_process_modes(name):
    """With x64 switched off after import, float64 is still float64 (it used to come back
    float32), and float32 given as a NumPy dtype is float32 and agrees to FLOAT32_ERROR."""
    call = CALLS[name]
    ref = np.asarray(call(P))
    assert ref.dtype == np.float64
    with jax.enable_x64(False):
        again = call(P, dtype="float64")
        low = call(P, dtype=np.float32)
    assert again.dtype == np.float64 and np.allclose(np.asarray(again), ref, rtol=1e-13, atol=0)
    assert low.dtype == np.float32
    assert np.allclose(np.asarray(low), ref, rtol=FLOAT32_ERROR, atol=FLOAT32_ERROR)
    assert call(P, dtype=np.dtype("float32")).dtype == np.float32


@pytest.mark.parametrize("dtype", ["float16", "int32", np.complex64, "double-ish", 3])
def test_bad_dtype_is_refused(dtype):
    with pytest.raises(ValueError, match="dtype"):
        jo.efficiency(jo.Params(), dtype=dtype)


def test_float64_inside_a_32bit_trace_is_refused():
    with jax.enable_x64(False):
        with pytest.raises(ValueError, match="jax_enable_x64"):
            jax.jit(lambda a: jo.efficiency(jo.Params(0.5, 0.5, a)))(0.3)


@pytest.mark.slow
def test_import_respects_an_explicit_JAX_ENABLE_X64():
    """JAX_ENABLE_X64=0 stays off for the user's code after importing jaxorb, and jaxorb still
    computes float64 when asked; without the variable, importing turns x64 on."""
    script = textwrap.dedent(
        """
        import jax, jax.numpy as jnp
        import jaxorb as jo
        assert not jax.config.jax_enable_x64
        assert jnp.ones(2).dtype == jnp.float32
        e = jo.efficiency(jo.Params(0.5, 0.5, 0.3), "x", "Lyz", nodes=4)
        assert e.dtype == "float64", e.dtype
        print("ok")
        """
    )
    env = dict(os.environ, JAX_ENABLE_X64="0", JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr
    env.pop("JAX_ENABLE_X64")
    check = "import jax, jaxorb; assert jax.config.jax_enable_x64; print('ok')"
    out = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr
