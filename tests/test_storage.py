"""Resumable sweep stores: atomic blocks, resume after SIGKILL, refusal of a different sweep."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from sweep_helpers import cheap, env_with_root

import jaxorb as jo
from jaxorb import storage
from jaxorb.quantities import Quantity


def counting(name="counted", fail_after=None):
    """A cheap quantity that counts its batched evaluations (one per block) and can fail."""
    calls = {"n": 0}

    def host(r):
        calls["n"] += 1
        if fail_after is not None and calls["n"] > fail_after:
            raise RuntimeError("simulated interruption")
        return np.asarray(r) * 2.0

    def fn(U, r, alpha, z=0.0):
        doubled = jax.pure_callback(
            host, jax.ShapeDtypeStruct(jnp.shape(r), jnp.float64), r, vmap_method="broadcast_all"
        )
        return doubled + U + alpha

    return Quantity(name, fn, "1", "counted test quantity", False), calls


def store_files(path: Path) -> dict:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_store_opens_with_xarray_and_supports_complex(tmp_path):
    kw = dict(U=0.5, r=np.linspace(0, 2, 6), alpha=np.linspace(0, 1, 4), chunk_size=8, quiet=True)
    qs = [cheap("re"), cheap("cx", complex_=True)]
    mem = jo.sweep(qs, **kw)
    disk = jo.sweep(qs, out=tmp_path / "s.zarr", **kw)
    xr.testing.assert_identical(mem, disk)
    opened = xr.open_zarr(tmp_path / "s.zarr")
    assert opened["cx"].dtype == np.complex128 and opened["re"].dtype == np.float64
    np.testing.assert_array_equal(opened["cx"].values, mem["cx"].values)
    assert opened.attrs["complete"] is True
    assert not (tmp_path / "s.zarr" / storage.MARKERS).exists()  # markers removed when complete
    assert list(disk.data_vars) == ["re", "cx"]


def test_resume_skips_finished_blocks_and_matches_uninterrupted(tmp_path):
    kw = dict(U=0.5, r=np.linspace(0, 2, 10), alpha=np.linspace(0, 1, 3), chunk_size=3, quiet=True)
    # 10 blocks of (1, 3)
    full = jo.sweep([counting()[0]], out=tmp_path / "full.zarr", **kw)
    q, calls = counting(fail_after=4)
    with pytest.raises(Exception, match="simulated interruption"):
        jo.sweep([q], out=tmp_path / "cut.zarr", **kw)
    finished = storage.finished_blocks(tmp_path / "cut.zarr")
    assert 1 <= len(finished) <= 4
    q2, calls2 = counting()
    resumed = jo.sweep([q2], out=tmp_path / "cut.zarr", **kw)
    assert calls2["n"] == 10 - len(finished)  # only the unfinished blocks were computed
    xr.testing.assert_identical(full, resumed)
    assert store_files(tmp_path / "full.zarr") == store_files(tmp_path / "cut.zarr")
    q3, calls3 = counting()
    jo.sweep([q3], out=tmp_path / "cut.zarr", **kw)  # complete: nothing to do
    assert calls3["n"] == 0


def test_different_sweep_into_same_path_is_refused(tmp_path):
    path = tmp_path / "s.zarr"
    kw = dict(U=0.5, r=np.linspace(0, 2, 6), quiet=True)
    jo.sweep([cheap()], alpha=np.linspace(0, 1, 4), out=path, **kw)
    with pytest.raises(ValueError, match=r"different sweep: axes \(alpha\).*overwrite"):
        jo.sweep([cheap()], alpha=np.linspace(0, 1, 5), out=path, **kw)
    with pytest.raises(ValueError, match="quantities"):
        jo.sweep([cheap("other")], alpha=np.linspace(0, 1, 4), out=path, **kw)
    with pytest.raises(ValueError, match="blocks"):
        jo.sweep([cheap()], alpha=np.linspace(0, 1, 4), out=path, chunk_size=2, **kw)
    ds = jo.sweep([cheap()], alpha=np.linspace(0, 1, 5), out=path, overwrite=True, **kw)
    assert ds.sizes["alpha"] == 5 and xr.open_zarr(path).sizes["alpha"] == 5
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a zarr store"):
        jo.sweep([cheap()], alpha=0.0, out=other, overwrite=True, **kw)
    assert (other / "keep.txt").read_text() == "mine"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_interrupt_mid_run_then_resume_gives_the_uninterrupted_store(tmp_path, sig):
    args = ["--quantity", "eta_yz_x", "--quantity", "delta_z", "--r", "0:6:24", "--alpha", "0:2:20"]
    args += ["--nodes", "4", "--chunk-size", "4", "--quiet"]
    cmd = [sys.executable, "-m", "jaxorb.cli", "sweep", *args]
    env = env_with_root(JAX_PLATFORMS="cpu")
    cut = tmp_path / "cut.zarr"
    proc = subprocess.Popen([*cmd, "--out", str(cut)], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    try:
        while time.time() < deadline:  # 120 blocks; kill once some (not all) are committed
            # finished_blocks, not the marker directory's entry count: a marker is written to a
            # temporary name first, which a raw count would take for a committed block
            if len(storage.finished_blocks(cut)) >= 10:
                break
            assert proc.poll() is None, proc.stderr.read()[-3000:]
            time.sleep(0.01)
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:  # Ctrl-C: a clean exit with a message saying how to resume
        assert proc.returncode == 130 and "resume" in proc.stderr.read()
    done = len(storage.finished_blocks(cut))
    assert 10 <= done < 120, done
    with pytest.raises(ValueError, match="different sweep"):
        jo.sweep(["eta_yz_x", "delta_z"], U=0.5, r=np.linspace(0, 6, 24), alpha=np.linspace(0, 2, 21), nodes=4, out=cut)
    resumed = subprocess.run([*cmd, "--out", str(cut)], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    full = tmp_path / "full.zarr"
    ref = jo.sweep(
        ["eta_yz_x", "delta_z"],
        U=0.5,
        r=np.linspace(0, 6, 24),
        alpha=np.linspace(0, 2, 20),
        nodes=4,
        chunk_size=4,
        out=full,
        quiet=True,
    )
    xr.testing.assert_identical(ref, storage.open_dataset(cut))
    assert store_files(full) == store_files(cut)


def test_zero_and_one_dimensional_stores(tmp_path):
    zero = jo.sweep([cheap()], U=0.5, r=1.0, alpha=0.0, out=tmp_path / "p.zarr", quiet=True)
    assert zero["cheap"].shape == () and float(zero["cheap"]) == pytest.approx(np.sin(1.0) + 0.5)
    one = jo.sweep([cheap()], U=np.linspace(-0.5, 0.9, 11), r=1.0, alpha=0.0, out=tmp_path / "l.zarr", quiet=True)
    assert one["cheap"].dims == ("U",) and xr.open_zarr(tmp_path / "l.zarr")["cheap"].shape == (11,)


def test_finalize_removes_temporary_files_of_an_interrupted_write(tmp_path):
    """zarr writes a chunk to ``<chunk>.<uuid>.partial`` then renames it; SIGKILL between the two
    leaves the temporary file. The resumed sweep rewrites the block; finalize must drop the
    leftover so the store equals an uninterrupted one file by file."""
    out = tmp_path / "s.zarr"
    ds = jo.sweep([cheap("a")], U=0.5, r=np.linspace(0, 1, 6), alpha=np.linspace(0, 1, 4), out=out, quiet=True)
    files = store_files(out)
    chunk = next(p for p in out.rglob("*") if p.is_file() and p.parent.name == "0" and "a" in p.parts)
    stale = chunk.with_suffix(".0123456789abcdef.partial")
    stale.write_bytes(b"")
    storage.finalize(out)
    assert not stale.exists()
    assert store_files(out) == files
    xr.testing.assert_identical(ds, storage.open_dataset(out))
