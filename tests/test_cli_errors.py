"""Every user error on the command line: one line naming the subcommand, a nonzero exit, no
traceback, and nothing compiled before the refusal."""

import json
import os
import subprocess
import sys
import tracemalloc

import pytest
from sweep_helpers import env_with_root

from jaxorb import cli
from jaxorb.bench import CompileCounter

OPT = ["optimize", "--quiet"]
SWEEP = ["sweep", "--quantity", "eta_yz_x", "--quiet"]

CASES = {
    # optimize
    "optimize-bounds-as-list": (OPT + ["--r", "5,1"], "lo:hi"),
    "optimize-bounds-reversed": (OPT + ["--r", "5:1"], "lo < hi"),
    "optimize-bounds-below-range": (OPT + ["--r", "-2:1"], "r must satisfy"),
    "optimize-bound-single-number": (OPT + ["--alpha", "1"], "lo:hi"),
    "optimize-U-too-large": (OPT + ["--U", "1.5"], "U must satisfy"),
    "optimize-U-interval": (OPT + ["--U", "0:1"], "one number"),
    "optimize-steps-0": (OPT + ["--steps", "0"], "--steps"),
    "optimize-objective-unknown": (OPT + ["--objective", "foo"], "unknown quantity"),
    "optimize-objective-depth": (OPT + ["--objective", "current_Lx_z"], "depth"),
    "optimize-starts-0": (OPT + ["--starts", "0"], "--starts"),
    "optimize-starts-negative": (OPT + ["--starts", "-1"], "--starts"),
    "optimize-grid-0": (OPT + ["--grid", "0"], "--grid"),
    "optimize-seed-huge": (OPT + ["--seed", str(2**70)], "--seed"),
    "optimize-seed-text": (OPT + ["--seed", "2**70"], "--seed"),
    "optimize-starts-at-three-values": (OPT + ["--starts-at", "1,2,3"], "one pair"),
    "optimize-starts-at-outside": (OPT + ["--r", "0:2", "--starts-at", "5,1"], "within the bounds"),
    "optimize-nodes-1": (OPT + ["--nodes", "1"], "--nodes"),
    "optimize-grammar-garbage": (OPT + ["--r", "0:x"], "not a number"),
    # sweep
    "sweep-interval-without-points": (SWEEP + ["--r", "0:20"], "lo:hi:n"),
    "sweep-grid-one-point": (SWEEP + ["--r", "0:20:1"], "n in lo:hi:n"),
    "sweep-nan": (SWEEP + ["--alpha", "nan"], "finite"),
    "sweep-U-too-large": (SWEEP + ["--U", "0.5,1.2"], "U must satisfy"),
    "sweep-unknown-quantity": (["sweep", "--quantity", "eta_yz_q"], "unknown quantity"),
    "sweep-z-without-depth-quantity": (SWEEP + ["--z", "1"], "depth quantities"),
    "sweep-z-huge": (["sweep", "--quantity", "current_Lx_z", "--z", "1e300"], "kappa nodes"),
    "sweep-z-negative": (["sweep", "--quantity", "current_Lx_z", "--z", "-1"], "z >= 0"),
    "sweep-too-big-to-print": (SWEEP + ["--r", "0:1:2000"], "--out"),
    "sweep-grid-beyond-memory": (SWEEP + ["--r", "0:1:1000000000000", "--out", "big.zarr"], "fewer points"),
    "sweep-distributed-and-coordinator": (
        SWEEP + ["--distributed", "--coordinator", "localhost:12345", "--num-processes", "2", "--process-id", "0"],
        "use one",
    ),
    "sweep-process-id-out-of-range": (
        SWEEP + ["--coordinator", "localhost:12345", "--num-processes", "2", "--process-id", "5"],
        "--process-id",
    ),
    "sweep-num-processes-without-coordinator": (SWEEP + ["--num-processes", "2"], "--coordinator"),
    "sweep-coordinator-incomplete": (SWEEP + ["--coordinator", "localhost:12345"], "--num-processes"),
    "sweep-coordinator-malformed": (
        SWEEP + ["--coordinator", "localhost", "--num-processes", "2", "--process-id", "0"],
        "HOST:PORT",
    ),
    "sweep-transparency-nan": (SWEEP + ["--transparency", "nan"], "--transparency"),
    "sweep-chunk-size-0": (SWEEP + ["--chunk-size", "0"], "--chunk-size"),
    # bench
    "bench-size-0": (["bench", "--size", "0"], "--size"),
    "bench-size-negative": (["bench", "--size", "-1"], "--size"),
    "bench-depths-0": (["bench", "--depths", "0"], "--depths"),
    "bench-repeats-0": (["bench", "--repeats", "0"], "--repeats"),
    # reproduce, quantities
    "reproduce-unknown-figure": (["reproduce", "--figures", "fig9"], "fig9"),
    "quantities-no-match": (["quantities", "zzz_*"], "no quantity"),
}


def refusal(argv) -> str:
    """The message of a refused command line; nothing may compile before it."""
    with CompileCounter() as compiled, pytest.raises(SystemExit) as exc:
        cli.main(argv)
    message = str(exc.value.code)
    assert compiled.count == 0, (argv, compiled.count)
    assert "\n" not in message.strip() and "Traceback" not in message
    return message


@pytest.mark.parametrize("argv,expected", list(CASES.values()), ids=list(CASES))
def test_user_error_is_one_line_naming_the_subcommand(tmp_path, monkeypatch, argv, expected):
    monkeypatch.chdir(tmp_path)  # default output folders land here, if anything were written
    message = refusal(argv)
    assert message.startswith(f"jaxorb {argv[0]}: "), message
    assert expected in message, message


def test_grid_beyond_the_memory_limit_is_refused_before_allocating(tmp_path, monkeypatch):
    """`--r 0:1:1000000000` used to allocate its points (and more) until the kernel killed it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JAXORB_MEMORY_LIMIT", "1M")  # so that 10^6 points (8 MB) are too many
    tracemalloc.start()
    try:
        message = refusal(SWEEP + ["--r", "0:1:1000000", "--out", "big.zarr"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message.startswith("jaxorb sweep: --r '0:1:1000000'") and "needs about" in message, message
    assert peak < 2**20, peak  # the 8 MB of points were never allocated
    assert not (tmp_path / "big.zarr").exists()


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["reproduce", "--out", "{file}"], "is not a directory"),
        (["bench", "--out", "{file}"], "is not a directory"),
        (["optimize", "--quiet", "--out", "{file}"], "is not a directory"),
        (["reproduce", "--out", "{file}/inside"], "cannot be written"),
        (["plot", "{store}", "--out", "{dir}"], "is a directory"),
        (["plot", "{store}", "--out", "{file}/map.png"], "is not a directory"),
        (["plot", "{store}", "--out", "{dir}/map.unknownformat"], "unknown image format"),
        (["sweep", "--quantity", "eta_yz_x", "--out", "{file}"], "not a directory"),
    ],
    ids=[
        "reproduce-file",
        "bench-file",
        "optimize-file",
        "reproduce-under-file",
        "plot-dir",
        "plot-under-file",
        "plot-format",
        "sweep-file",
    ],
)
def test_unusable_out_is_refused_before_computing(tmp_path, argv, expected):
    file = tmp_path / "taken.txt"
    file.write_text("not a folder")
    store = fake_store(tmp_path / "s.zarr", {"jaxorb_sweep": {}, "complete": True})
    argv = [a.format(file=file, dir=tmp_path, store=store) for a in argv]
    message = refusal(argv)
    assert message.startswith(f"jaxorb {argv[0]}: ") and "out" in message and expected in message, message
    assert file.read_text() == "not a folder"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not bind root")
@pytest.mark.parametrize("command", ["reproduce", "bench", "optimize", "plot"])
def test_read_only_out_is_refused(tmp_path, command):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if command == "plot":
            argv = ["plot", str(fake_store(tmp_path / "s.zarr")), "--out", str(locked / "map.png")]
        else:
            argv = [command, "--out", str(locked / "out")]
        message = refusal(argv)
    finally:
        locked.chmod(0o700)
    assert message.startswith(f"jaxorb {command}: --out") and "cannot be written" in message


def read_only_sys() -> bool:
    """Whether /sys refuses new entries (it does for every user, root included, on Linux)."""
    try:
        os.mkdir("/sys/jaxorb-probe")
    except OSError:
        return os.path.isdir("/sys")
    os.rmdir("/sys/jaxorb-probe")
    return False


@pytest.mark.skipif(not read_only_sys(), reason="needs a read-only /sys")
def test_out_on_a_read_only_file_system_is_refused():
    message = refusal(["reproduce", "--out", "/sys/jaxorb-figures"])
    assert message.startswith("jaxorb reproduce: --out") and "cannot be written" in message


def fake_store(path, attrs=None, raw=None):
    """A directory that looks like a zarr v3 group: foreign (no jaxorb attributes) by default."""
    path.mkdir(parents=True, exist_ok=True)
    meta = path / "zarr.json"
    if raw is not None:
        meta.write_text(raw)
    else:
        meta.write_text(json.dumps({"zarr_format": 3, "node_type": "group", "attributes": attrs or {}}))
    return path


@pytest.mark.parametrize("command", ["plot", "verify"])
@pytest.mark.parametrize(
    "kind,expected",
    [
        ("missing", "does not exist"),
        ("plain-folder", "not a sweep store"),
        ("foreign", "not written by jaxorb sweep"),
        ("not-json", "cannot be read"),
        ("no-arrays", ""),
    ],
)
def test_foreign_or_malformed_store_is_refused(tmp_path, command, kind, expected):
    path = tmp_path / "s.zarr"
    if kind == "plain-folder":
        path.mkdir()
    elif kind == "foreign":
        fake_store(path, {"title": "someone else's"})
    elif kind == "not-json":
        fake_store(path, raw="{ this is not json")
    elif kind == "no-arrays":  # claims to be a jaxorb sweep, holds nothing
        fake_store(path, {"jaxorb_sweep": {"quantities": [["eta_yz_x", "1", "x"]]}, "complete": True})
    argv = [command, str(path)] + (["--out", str(tmp_path / "map.png")] if command == "plot" else [])
    message = refusal(argv)
    assert message.startswith(f"jaxorb {command}: ") and expected in message, message
    assert not (tmp_path / "map.png").exists()


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["optimize", "--steps", "0"], "jaxorb optimize: argument --steps"),
        (["sweep", "--quantity", "x"], "jaxorb sweep: unknown quantity"),
        # a fresh process, where jax.distributed looks for a cluster in the environment
        (["sweep", "--quantity", "eta_yz_x", "--distributed"], "jaxorb sweep: --distributed found no cluster"),
    ],
    ids=["argparse", "validation", "distributed"],
)
@pytest.mark.slow
def test_console_error_has_no_traceback(argv, expected):
    res = subprocess.run(
        [sys.executable, "-m", "jaxorb", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in env_with_root().items() if not k.startswith(("SLURM_", "OMPI_", "PMI_"))},
    )
    assert res.returncode != 0 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), res.stderr
