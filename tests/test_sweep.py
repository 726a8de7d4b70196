"""jo.sweep: values, layout, validation, devices, processes, memory and the domain edges."""

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib.mathtext
import numpy as np
import pytest
import xarray as xr
from sweep_helpers import cheap, env_with_root, free_port

import jaxorb as jo
from jaxorb import cli, plotting, quantities, storage

sweep_mod = importlib.import_module("jaxorb.sweep")  # the module (jaxorb.sweep is the function)

# ---------------------------------------------------------------------------------------------
# values


@pytest.mark.slow
def test_sweep_equals_public_api_point_by_point():
    U = np.array([0.2, 0.5])
    r = np.array([0.0, 1.5, 4.0])
    alpha = np.array([0.0, 0.7])
    ds = jo.sweep(["eta_yz_x", "delta_z", "ratio_x"], U=U, r=r, alpha=alpha, nodes=4, chunk_size=5, quiet=True)
    assert ds["eta_yz_x"].dims == ("U", "r", "alpha") and ds["eta_yz_x"].shape == (2, 3, 2)
    for name in ("eta_yz_x", "delta_z", "ratio_x"):  # mathtext labels for figures drawn from the data
        assert ds[name].attrs["label"] == quantities.info(name).label
        matplotlib.mathtext.MathTextParser("agg").parse(ds[name].attrs["label"])
    for i, u in enumerate(U):
        for j, rr in enumerate(r):
            for k, a in enumerate(alpha):
                p = jo.Params(float(u), float(rr), float(a))
                np.testing.assert_allclose(
                    ds["eta_yz_x"].values[i, j, k], jo.efficiency(p, "x", "Lyz", nodes=4), rtol=0, atol=1e-12
                )
                np.testing.assert_allclose(
                    ds["delta_z"].values[i, j, k], jo.memory_loss(p, "z", nodes=4), rtol=0, atol=1e-12
                )
                np.testing.assert_allclose(
                    ds["ratio_x"].values[i, j, k], jo.current_ratio(p, "x", nodes=4), rtol=0, atol=1e-12
                )


def test_depth_quantity_along_z_matches_profile():
    z = np.array([0.0, 1.5, 4.0])
    ds = jo.sweep("current_Lx_x", U=0.5, r=np.array([0.5, 2.0]), alpha=0.3, z=z, nodes=6, quiet=True)
    assert ds["current_Lx_x"].dims == ("r", "z") and float(ds["alpha"]) == 0.3
    assert ds["z"].attrs["units"] == "1/k_F" and ds.attrs["nodes"] == 6
    for j, rr in enumerate([0.5, 2.0]):
        prof = jo.profile(jo.Params(0.5, rr, 0.3), z, incident="x", nodes=6)
        np.testing.assert_allclose(ds["current_Lx_x"].values[j], np.asarray(prof.current["Lx"]), rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# layout, metadata, compilation


def test_dataset_layout_units_and_versions():
    ds = jo.sweep([cheap("a"), cheap("b")], U=0.5, r=np.linspace(0, 2, 7), alpha=np.linspace(0, 1, 5), quiet=True)
    assert isinstance(ds, xr.Dataset)
    assert dict(ds.sizes) == {"r": 7, "alpha": 5}
    assert ds["U"].ndim == 0 and float(ds["U"]) == 0.5 and ds["U"].attrs["units"] == "E_F"
    assert ds["r"].attrs["units"] == "hbar^2/2m" and ds["alpha"].attrs["units"] == "hbar^2/2m"
    assert ds["a"].attrs["units"] == "1" and "test quantity" in ds["a"].attrs["long_name"]
    for key in ("jaxorb_version", "jax_version", "jaxlib_version", "nodes", "transparency", "quantities"):
        assert key in ds.attrs
    rr, aa = np.meshgrid(ds.r.values, ds.alpha.values, indexing="ij")
    np.testing.assert_allclose(ds["a"].values, np.sin(rr) * np.cos(aa) + 0.5, rtol=1e-14)


def test_one_compilation_for_all_chunks_with_padded_last_chunk():
    import jax

    devices = tuple(jax.local_devices())
    assert len(devices) == 1
    q = cheap("compile_once")
    r, alpha = np.linspace(0, 1, 10), np.linspace(0, 1, 7)
    # blocks of (2, 7) = 14 points over 10 rows: 5 blocks, each one call of 14 points
    ds = jo.sweep([q], U=0.1, r=r, alpha=alpha, chunk_size=16, quiet=True)
    assert sweep_mod.block_shape((10, 7), 16) == (2, 7)
    f, _ = sweep_mod.evaluator((q,), devices, 14, (), None, 2.0)
    assert f._cache_size() == 1
    # blocks of (38, 7) = 266 points: 2 calls of 256 points each (the last padded), one compilation
    q2 = cheap("compile_once_calls")
    r2 = np.linspace(0, 1, 75)
    assert sweep_mod.block_shape((75, 7), 300) == (38, 7)
    ds2 = jo.sweep([q2], U=0.1, r=r2, alpha=alpha, chunk_size=300, quiet=True)
    f2, _ = sweep_mod.evaluator((q2,), devices, sweep_mod.CPU_POINTS_PER_DEVICE, (), None, 2.0)
    assert f2._cache_size() == 1
    for d, rr in ((ds["compile_once"], r), (ds2["compile_once_calls"], r2)):
        grid_r, grid_a = np.meshgrid(rr, alpha, indexing="ij")
        np.testing.assert_allclose(d.values, np.sin(grid_r) * np.cos(grid_a) + 0.1, rtol=1e-14)


def test_block_shape():
    assert sweep_mod.block_shape((256, 256), 128) == (1, 128)
    assert sweep_mod.block_shape((256, 300), 128) == (1, 100)
    assert sweep_mod.block_shape((4, 5, 6), 60) == (2, 5, 6)
    assert sweep_mod.block_shape((3,), 100) == (3,)
    assert sweep_mod.block_shape((), 10) == ()


def test_all_scalar_parameters_give_a_0d_dataset():
    ds = jo.sweep(cheap(), U=0.5, r=1.0, alpha=0.0, quiet=True)
    assert ds["cheap"].shape == () and float(ds["cheap"]) == pytest.approx(np.sin(1.0) + 0.5)


# ---------------------------------------------------------------------------------------------
# validation before compiling


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(quantities=["eta_nope_x"]), "unknown quantity"),
        (dict(quantities=[]), "at least one"),
        (dict(quantities=["eta_yz_x", "eta_yz_x"]), "distinct"),
        (dict(r=[0.0, np.nan]), "r must be finite"),
        (dict(alpha=[0.0, np.inf]), "alpha must be finite"),
        (dict(U=[0.5, 1.0]), "U must satisfy"),
        (dict(r=[-1.0, 0.0]), "r must satisfy"),
        (dict(quantities=["current_Lx_x"], z=[-0.5, 1.0]), "z must satisfy"),
        (dict(z=[0.0, 1.0]), "only used by depth quantities"),
        (dict(r=np.zeros((2, 2))), "1-D"),
        (dict(alpha=[]), "must not be empty"),
        (dict(U=[0.5 + 1j]), "real"),
        (dict(transparency=0.0), "transparency"),
        (dict(nodes=1), "nodes"),
        (dict(chunk_size=0), "chunk_size"),
        (dict(quantities=5), "quantities must be a name"),
        (dict(transparency="a"), "transparency must be a real number"),
    ],
)
def test_invalid_input_raises_before_compiling(kwargs, match, monkeypatch):
    def no_compile(*a, **k):
        raise AssertionError("compiled before validating")

    monkeypatch.setattr(sweep_mod, "evaluator", no_compile)
    args = dict(quantities=["eta_yz_x"], U=0.5, r=[0.0, 1.0], alpha=0.0) | kwargs
    with pytest.raises(ValueError, match=match):
        jo.sweep(args.pop("quantities"), **args, quiet=True)


def test_result_larger_than_memory_is_refused_before_allocating(monkeypatch, tmp_path):
    monkeypatch.setattr(sweep_mod, "available_memory", lambda: 2**20)  # 1 MiB free
    with pytest.raises(ValueError, match=r"needs about .* GiB to hold the result in memory.*out='map.zarr'"):
        jo.sweep([cheap()], U=0.5, r=np.linspace(0, 1, 400), alpha=np.linspace(0, 1, 400), quiet=True)
    # a store holds only the blocks in flight: refused only when one block is too large
    with pytest.raises(ValueError, match="for the blocks in flight.*smaller chunk_size"):
        jo.sweep([cheap()], U=0.5, r=np.linspace(0, 1, 400), alpha=np.linspace(0, 1, 400), chunk_size=100_000,
                 out=tmp_path / "big.zarr", quiet=True)  # fmt: skip
    assert not (tmp_path / "big.zarr").exists()


def test_long_axis_is_validated_without_a_copy_up_to_its_last_value():
    r = np.linspace(0, 1, 3_000_000)
    assert sweep_mod._axis("r", r) is r  # 24 MB here; a 10^9-point axis must not be doubled
    r[-1] = -2.0
    with pytest.raises(ValueError, match="r must satisfy"):
        sweep_mod._axis("r", r)


def test_defaults_agree_with_the_command_line(tmp_path):
    """jo.sweep and `jaxorb sweep` fill in the same U, r, alpha when they are not given."""
    store = tmp_path / "d.zarr"
    assert cli.main(["sweep", "--quantity", "eta_yz_x", "--nodes", "4", "--out", str(store), "--quiet"]) == 0
    from_cli = storage.open_dataset(store)
    from_api = jo.sweep("eta_yz_x", nodes=4, quiet=True)
    xr.testing.assert_identical(from_cli, from_api)
    assert (float(from_api["U"]), float(from_api["r"]), float(from_api["alpha"])) == (0.5, 0.5, 0.0)


# ---------------------------------------------------------------------------------------------
# CLI and plots


def test_cli_sweep_and_plot(tmp_path, capsys):
    store = tmp_path / "map.zarr"
    assert cli.main(["sweep", "--quantity", "eta_yz_x", "--r", "0:4:5", "--alpha", "0:1:3", "--nodes", "4"]
                    + ["--out", str(store), "--quiet"]) == 0  # fmt: skip
    ds = xr.open_zarr(store)
    assert dict(ds.sizes) == {"r": 5, "alpha": 3} and float(ds["U"]) == 0.5
    ref = jo.efficiency(jo.Params(0.5, 2.0, 0.5), "x", "Lyz", nodes=4)
    assert float(ds["eta_yz_x"].sel(r=2.0, alpha=0.5)) == pytest.approx(float(ref), abs=1e-12)
    assert ds["eta_yz_x"].attrs["label"] == r"$\eta_{yz}^{x}$"  # the label survives the store
    assert cli.main(["plot", str(store), "--out", str(tmp_path / "map.png")]) == 0
    assert (tmp_path / "map.png").stat().st_size > 5000
    with pytest.raises(SystemExit, match="different sweep"):
        cli.main(["sweep", "--quantity", "eta_yz_x", "--r", "0:4:6", "--alpha", "0:1:3", "--nodes", "4"]
                 + ["--out", str(store), "--quiet"])  # fmt: skip
    with pytest.raises(SystemExit, match="lo:hi:n"):
        cli.main(["sweep", "--quantity", "eta_yz_x", "--r", "0:4", "--out", str(store)])


def test_plot_sweep_1d_lines_and_2d_heatmap(tmp_path):
    ds1 = jo.sweep([cheap("a"), cheap("b", complex_=True)], U=0.5, r=np.linspace(0, 3, 9), alpha=0.2, quiet=True)
    fig = plotting.plot_sweep(ds1)
    ax = fig.axes[0]
    assert "crystal field" in ax.get_xlabel() and len(ax.lines) == 1
    ds2 = jo.sweep(cheap(), U=np.array([0.1, 0.5]), r=np.linspace(0, 3, 4), alpha=np.linspace(0, 1, 3), quiet=True)
    path = plotting.plot_sweep(ds2, tmp_path / "x.png")  # 3-D: drawn at the first U
    assert Path(path).stat().st_size > 5000
    with pytest.raises(ValueError, match="not in the sweep"):
        plotting.plot_sweep(ds2, quantities=["nope"])


# ---------------------------------------------------------------------------------------------
# several devices, several processes

_DEVICES_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np, jax, jaxorb as jo
    n = int(sys.argv[2])
    assert len(jax.local_devices()) == n, jax.local_devices()
    kw = dict(U=0.5, r=np.linspace(0, 6, 9), alpha=np.linspace(0, 2, 7), nodes=4, quiet=True)
    ds = jo.sweep(["eta_yz_x", "delta_z"], **kw)  # default blocks for this device count
    same = jo.sweep(["eta_yz_x", "delta_z"], chunk_size=4 * n, **kw)  # 4 points per device and call
    # a depth quantity with 256 points per device and call (no LAPACK: no batch cap needed)
    deep = jo.sweep("current_Lx_x", U=0.5, r=np.linspace(0, 6, 40), alpha=np.linspace(0, 2, 30), z=1.0,
                    nodes=4, quiet=True)
    np.savez(sys.argv[1], eta=ds["eta_yz_x"].values, delta=ds["delta_z"].values,
             eta4=same["eta_yz_x"].values, delta4=same["delta_z"].values, deep=deep["current_Lx_x"].values)
    """
)


def _xla_flags(*extra: str) -> str:
    """This process's XLA flags (the ones the results compared with were compiled with) without a
    forced device count, plus ``extra``."""
    own = [f for f in os.environ.get("XLA_FLAGS", "").split() if "device_count" not in f]
    return " ".join([*own, *extra])


@pytest.mark.slow
def test_one_device_and_four_forced_cpu_devices_agree(tmp_path):
    res = {}
    for n in (1, 4):
        out = tmp_path / f"d{n}.npz"
        proc = subprocess.run(
            [sys.executable, "-c", _DEVICES_SCRIPT, str(out), str(n)],
            env=env_with_root(XLA_FLAGS=_xla_flags(f"--xla_force_host_platform_device_count={n}"), JAX_PLATFORMS="cpu"),
            capture_output=True,
            text=True,
            timeout=300,  # a LAPACK deadlock fails here instead of stalling CI
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        res[n] = np.load(out)
    np.testing.assert_allclose(res[1]["deep"], res[4]["deep"], rtol=1e-13, atol=1e-15)
    for key in ("eta", "delta"):
        # the same per-device batch: bit for bit
        np.testing.assert_array_equal(res[1][key + "4"], res[4][key + "4"])
        # different per-device batches vectorise differently: equal to the last bit or two
        np.testing.assert_allclose(res[1][key], res[4][key], rtol=1e-14, atol=1e-16)
        np.testing.assert_allclose(res[1][key], res[1][key + "4"], rtol=1e-14, atol=1e-16)


_DIST_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np, jax
    port, pid, store, npz = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    jax.distributed.initialize(coordinator_address=f"localhost:{port}", num_processes=2, process_id=pid)
    import jaxorb as jo
    assert jax.process_count() == 2
    kw = dict(U=0.5, r=np.linspace(0, 6, 9), alpha=np.linspace(0, 2, 7), nodes=4, chunk_size=8, quiet=True)
    ds = jo.sweep(["eta_yz_x", "delta_z"], out=store, **kw)      # written by region into one store
    mem = jo.sweep(["eta_yz_x", "delta_z"], **kw)                # gathered in memory
    np.savez(npz, eta=mem["eta_yz_x"].values, delta=mem["delta_z"].values,
             eta_store=ds["eta_yz_x"].values)
    jax.distributed.shutdown()
    """
)


@pytest.mark.slow
def test_two_processes_with_jax_distributed_match_one_process(tmp_path):
    port = free_port()
    store = tmp_path / "dist.zarr"
    env = env_with_root(JAX_PLATFORMS="cpu", XLA_FLAGS=_xla_flags())
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _DIST_SCRIPT, str(port), str(k), str(store), str(tmp_path / f"p{k}.npz")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    try:
        outs = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    one = jo.sweep(  # the same blocks in one process
        ["eta_yz_x", "delta_z"],
        U=0.5,
        r=np.linspace(0, 6, 9),
        alpha=np.linspace(0, 2, 7),
        nodes=4,
        chunk_size=8,
        quiet=True,
    )
    two = storage.open_dataset(store)
    xr.testing.assert_identical(one, two)
    np.testing.assert_array_equal(two["eta_yz_x"].values, one["eta_yz_x"].values)
    np.testing.assert_array_equal(two["delta_z"].values, one["delta_z"].values)
    for k in range(2):
        got = np.load(tmp_path / f"p{k}.npz")
        np.testing.assert_array_equal(got["eta"], one["eta_yz_x"].values)
        np.testing.assert_array_equal(got["delta"], one["delta_z"].values)
        np.testing.assert_array_equal(got["eta_store"], one["eta_yz_x"].values)


# ---------------------------------------------------------------------------------------------
# memory

_MEMORY_SCRIPT = textwrap.dedent(
    """
    import resource, sys, numpy as np, jax.numpy as jnp, jaxorb as jo
    from jaxorb.quantities import Quantity
    q = Quantity("cheap", lambda U, r, a, z=0.0: jnp.sin(r) * jnp.cos(a) + U, "1", "cheap", False)
    ds = jo.sweep([q], U=0.5, r=np.linspace(0, 20, 1024), alpha=np.linspace(0, 3, 1024),
                  out=sys.argv[1], chunk_size=16384, quiet=True)
    assert ds["cheap"].shape == (1024, 1024) and bool(np.isfinite(ds["cheap"].values).all())
    # VmHWM: peak RSS of this process image (ru_maxrss would include the forking parent's)
    try:
        hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
        print("peak_rss_mb", int(hwm) / 1024)
    except OSError:
        print("peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    """
)


@pytest.mark.slow
def test_1024x1024_sweep_has_bounded_peak_memory(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT, str(tmp_path / "big.zarr")],
        env=env_with_root(JAX_PLATFORMS="cpu"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    peak = float(proc.stdout.split("peak_rss_mb")[1])
    assert peak < 1000, f"peak RSS {peak:.0f} MB"
    print(f"peak RSS of the 1024x1024 sweep: {peak:.0f} MB")


# ---------------------------------------------------------------------------------------------
# the edges of the valid domain


@pytest.mark.slow
def test_domain_edges_give_no_nan_or_inf_except_delta_below_ratio_one():
    from jaxorb.params import PARAM_RANGES

    edge = {k: (v.low, v.high) for k, v in PARAM_RANGES.items()}
    U = np.array([-0.9, 0.0, 1e-8, 0.5, 0.99, edge["U"][1]])
    r = np.array([-0.99, 0.0, 1e-8, 0.5, 20.0, edge["r"][1]])
    alpha = np.array([edge["alpha"][0], -10.0, 0.0, 1e-8, 1.0, 10.0, edge["alpha"][1]])
    names = ["eta_yz_x", "eta_z2_z", "ratio_x", "ratio_z", "delta_x", "delta_z", "c_z"]
    ds = jo.sweep(names, U=U, r=r, alpha=alpha, quiet=True)
    for name in ("eta_yz_x", "eta_z2_z", "ratio_x", "ratio_z", "c_z"):
        assert np.all(np.isfinite(ds[name].values)), name
    for j in "xz":
        d, ratio = ds[f"delta_{j}"].values, ds[f"ratio_{j}"].values
        assert np.all(np.isfinite(d[ratio >= 1])) and np.all(d[ratio >= 1] >= 0)
        assert np.all(np.isnan(d[ratio < 1 - 1e-12]))
