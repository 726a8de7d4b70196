"""Resumable sweep stores: atomic blocks, resume after SIGKILL, refusal of a different sweep."""

import gc
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
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
    assert opened.attrs["complete"] == 1
    assert storage.verify(tmp_path / "s.zarr").complete
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


# ---------------------------------------------------------------------------------------------
# every state a kill can leave resumes

_GRID = dict(U=0.5, r=np.linspace(0, 2, 10), alpha=np.linspace(0, 1, 3), chunk_size=3, quiet=True)  # 10 blocks


def _partial(path, fail_after=4):
    q, _ = counting(fail_after=fail_after)
    with pytest.raises(Exception, match="simulated interruption"):
        jo.sweep([q], out=path, **_GRID)
    return storage.finished_blocks(path)


def _resume_matches_full(tmp_path, path, expected_calls=None):
    full = jo.sweep([counting()[0]], out=tmp_path / "full.zarr", **_GRID)
    q, calls = counting()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", storage.StoreRepairWarning)
        resumed = jo.sweep([q], out=path, **_GRID)
    xr.testing.assert_identical(full, resumed)
    assert store_files(tmp_path / "full.zarr") == store_files(path)
    assert storage.verify(path).complete
    if expected_calls is not None:
        assert calls["n"] == expected_calls
    return calls["n"]


def test_store_without_its_record_folder_resumes(tmp_path):
    """A kill between writing the root attributes and creating the record folder, or a deleted
    record folder, must cost recomputation only."""
    path = tmp_path / "cut.zarr"
    _partial(path)
    shutil.rmtree(path / storage.MARKERS)
    _resume_matches_full(tmp_path, path, expected_calls=10)


def test_complete_store_with_deleted_record_folder_is_recomputed(tmp_path):
    path = tmp_path / "s.zarr"
    jo.sweep([counting()[0]], out=path, **_GRID)
    shutil.rmtree(path / storage.MARKERS)
    report = storage.verify(path)
    assert not report.ok and "no record" in str(report)
    _resume_matches_full(tmp_path, path, expected_calls=10)


def test_kill_while_creating_the_arrays_leaves_a_resumable_state(tmp_path, monkeypatch):
    import zarr

    path = tmp_path / "s.zarr"
    real = zarr.Group.create_array
    made = {"n": 0}

    def dying(self, *a, **k):
        made["n"] += 1
        if made["n"] == 3:
            raise KeyboardInterrupt  # the process dies here
        return real(self, *a, **k)

    monkeypatch.setattr(zarr.Group, "create_array", dying)
    with pytest.raises(KeyboardInterrupt):
        jo.sweep([counting()[0]], out=path, **_GRID)
    monkeypatch.setattr(zarr.Group, "create_array", real)
    _resume_matches_full(tmp_path, path, expected_calls=10)


# ---------------------------------------------------------------------------------------------
# one writer


def test_second_writer_is_refused_naming_the_holder_and_a_dead_holder_is_taken_over(tmp_path):
    path = tmp_path / "s.zarr"
    with storage.Lock(path):  # another sweep writing this store
        with pytest.raises(storage.StoreError, match=rf"another sweep \(pid {os.getpid()} on host "):
            jo.sweep([cheap()], out=path, **_GRID)
    # a lock file left by a killed process (no live flock) does not block
    lock = path.parent / f".{path.name}.lock"
    lock.write_text('{"pid": 999999, "host": "gone", "since": "then"}')
    jo.sweep([cheap()], out=path, **_GRID)
    assert storage.verify(path).complete and not lock.exists()


@pytest.mark.slow
def test_concurrent_writer_process_is_refused(tmp_path):
    path = tmp_path / "s.zarr"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from jaxorb import storage\n"
         "l = storage.Lock(sys.argv[1]).acquire(); print('locked', flush=True); time.sleep(60)", str(path)],
        env=env_with_root(JAX_PLATFORMS="cpu"), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(storage.StoreError, match=rf"pid {holder.pid} on host"):
            jo.sweep([cheap()], out=path, **_GRID)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    jo.sweep([cheap()], out=path, **_GRID)  # the holder died: its lock went with it


# ---------------------------------------------------------------------------------------------
# integrity


def _chunk_files(path, name):
    return sorted(p for p in (path / name).rglob("*") if p.is_file() and p.name != "zarr.json")


@pytest.mark.parametrize("damage", ["delete", "swap", "corrupt", "metadata"])
def test_damaged_store_is_detected_refused_on_open_and_repaired_on_resume(tmp_path, damage):
    path = tmp_path / "s.zarr"
    q, _ = counting()
    jo.sweep([q], out=path, **_GRID)
    chunks = _chunk_files(path, "counted")
    if damage == "delete":
        chunks[3].unlink()
        expect, redo = "differs from its checksum", 1
    elif damage == "swap":
        a, b = chunks[2].read_bytes(), chunks[5].read_bytes()
        chunks[2].write_bytes(b)
        chunks[5].write_bytes(a)
        expect, redo = "differs from its checksum", 2
    elif damage == "corrupt":
        raw = bytearray(chunks[4].read_bytes())
        raw[len(raw) // 2 :] = b"\x00" * (len(raw) - len(raw) // 2)
        chunks[4].write_bytes(bytes(raw))
        expect, redo = "unreadable", 1
    else:
        (path / "counted" / "zarr.json").unlink()
        expect, redo = "variable counted: metadata missing", 10
    report = storage.verify(path)
    assert not report.ok and not report.complete and expect in str(report), str(report)
    with pytest.raises(storage.StoreError, match="damaged") as err:
        storage.open_dataset(path)
    assert "\n" not in str(err.value)
    full = jo.sweep([counting()[0]], out=tmp_path / "full.zarr", **_GRID)
    q2, calls = counting()
    with pytest.warns(storage.StoreRepairWarning, match=f"recomputing {redo} block"):
        resumed = jo.sweep([q2], out=path, **_GRID)
    assert calls["n"] == redo  # only the damaged blocks
    xr.testing.assert_identical(full, resumed)
    assert store_files(tmp_path / "full.zarr") == store_files(path)


def test_verify_report_of_an_unfinished_store(tmp_path):
    path = tmp_path / "cut.zarr"
    finished = _partial(path)
    report = storage.verify(path)
    assert report.ok and not report.complete
    assert (report.blocks_total, report.blocks_done, report.problems) == (10, len(finished), ())
    assert f"{len(finished)}/10 blocks verified" in str(report)
    with pytest.raises(storage.StoreError, match="not a sweep store"):
        storage.verify(tmp_path / "nothing")
    (tmp_path / "x.nc").write_bytes(b"")
    with pytest.raises(storage.StoreError, match="is a file, not a sweep store"):
        storage.verify(tmp_path / "x.nc")


def test_unwritable_store_mid_run_gives_one_clear_message(tmp_path, monkeypatch):
    path = tmp_path / "cut.zarr"
    _partial(path)

    class ReadOnly:
        def __setitem__(self, key, value):
            raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(storage, "open_arrays", lambda p, names: {n: ReadOnly() for n in names})
    with pytest.raises(storage.StoreError, match=r"cannot write block \d+ .*Permission denied.*resume") as err:
        jo.sweep([counting()[0]], out=path, **_GRID)
    assert "\n" not in str(err.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_store_is_refused_before_computing(tmp_path):
    path = tmp_path / "cut.zarr"
    _partial(path)
    for p in [path, *path.rglob("*")]:
        p.chmod(p.stat().st_mode & ~0o222)
    try:
        with pytest.raises(storage.StoreError, match="not writable"):
            jo.sweep([counting()[0]], out=path, **_GRID)
    finally:
        for p in [path, *path.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)


# ---------------------------------------------------------------------------------------------
# Ctrl-C at any moment


def test_ctrl_c_dropped_by_a_gc_callback_is_raised_again():
    """JAX registers garbage-collector callbacks; a KeyboardInterrupt raised inside one is
    printed as "Exception ignored" and dropped. It must come back and stop the program."""
    from jaxorb import interrupts

    interrupts.redeliver_swallowed()  # (pytest swaps the unraisable hook per test)
    fired = []

    def callback(phase, info):
        if phase == "start" and not fired:
            fired.append(True)
            raise KeyboardInterrupt

    gc.callbacks.append(callback)
    try:
        with pytest.raises(KeyboardInterrupt):
            gc.collect()
            deadline = time.time() + 5
            while time.time() < deadline:
                time.sleep(0.001)
    finally:
        gc.callbacks.remove(callback)
    assert fired


def test_ctrl_c_during_a_store_write_completes_the_write_first(tmp_path, monkeypatch):
    path = tmp_path / "s.zarr"
    real = storage.write_block
    written = []

    def write_then_ctrl_c(*a, **k):
        os.kill(os.getpid(), signal.SIGINT)  # arrives in the middle of the write
        real(*a, **k)
        written.append(a[1])

    monkeypatch.setattr(storage, "write_block", write_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        jo.sweep([cheap()], out=path, **_GRID)
    assert written and storage.finished_blocks(path) == set(written)  # the write completed
    monkeypatch.setattr(storage, "write_block", real)
    assert storage.verify(path).ok
    jo.sweep([cheap()], out=path, **_GRID)
    assert storage.verify(path).complete


@pytest.mark.slow
@pytest.mark.parametrize("when", ["importing", "compiling"])
def test_early_ctrl_c_stops_the_run_and_leaves_a_resumable_store(tmp_path, when):
    args = ["--quantity", "eta_yz_x", "--r", "0:6:24", "--alpha", "0:2:20", "--nodes", "4", "--chunk-size", "4"]
    cmd = [sys.executable, "-m", "jaxorb.cli", "sweep", *args, "--quiet"]
    env = env_with_root(JAX_PLATFORMS="cpu")
    cut = tmp_path / "cut.zarr"
    proc = subprocess.Popen([*cmd, "--out", str(cut)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        if when == "importing":
            time.sleep(1.0)
        else:  # the store exists: the first call is being compiled
            deadline = time.time() + 120
            while not (cut / "zarr.json").exists() and time.time() < deadline:
                assert proc.poll() is None, proc.stderr.read()[-3000:]
                time.sleep(0.005)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0, err[-3000:]
    if when == "compiling":
        assert proc.returncode == 130 and "resume" in err, err[-3000:]
    assert not (storage.read_root_attrs(cut) or {}).get(storage.COMPLETE_ATTR)
    resumed = subprocess.run([*cmd, "--out", str(cut)], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    ref = jo.sweep("eta_yz_x", U=0.5, r=np.linspace(0, 6, 24), alpha=np.linspace(0, 2, 20), nodes=4, chunk_size=4,
                   quiet=True)  # fmt: skip
    xr.testing.assert_identical(ref, storage.open_dataset(cut))
