"""Sweeps to netCDF: netCDF-safe attributes, every installed engine, out="*.nc" with resume."""

import importlib.util

import numpy as np
import pytest
import xarray as xr
from sweep_helpers import cheap
from test_storage import counting

import jaxorb as jo
from jaxorb import storage


def _installed(engine):
    need = {"scipy": "scipy", "netcdf4": "netCDF4", "h5netcdf": "h5py"}[engine]
    return importlib.util.find_spec(need) is not None


ENGINES = [
    pytest.param(e, marks=pytest.mark.skipif(not _installed(e), reason=f"{e} not installed"))
    for e in ("scipy", "netcdf4", "h5netcdf")
]
KW = dict(U=0.5, r=np.linspace(0, 2, 5), alpha=np.linspace(0, 1, 3), nodes=4, quiet=True)


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    """A store of a registry quantity (its real metadata) and a test quantity (one compilation)."""
    store = tmp_path_factory.mktemp("nc") / "s.zarr"
    jo.sweep(["eta_yz_x", cheap("a")], out=store, **KW)
    return store


@pytest.fixture(scope="module")
def real_sweep():
    """An in-memory sweep (the registry's metadata is covered by ``real_store``)."""
    return jo.sweep([cheap("a"), cheap("b")], **KW)


def _same(a, b):
    xr.testing.assert_allclose(a, b, rtol=0, atol=0)
    for name in list(a.data_vars) + list(a.coords):
        assert a[name].attrs == b[name].attrs, name
    assert a.attrs == b.attrs


@pytest.mark.parametrize("engine", ENGINES)
def test_in_memory_sweep_round_trips_through_netcdf(real_sweep, tmp_path, engine):
    path = tmp_path / f"m_{engine}.nc"
    real_sweep.to_netcdf(path, engine=engine)
    with xr.open_dataset(path, engine=engine) as back:
        back = back.load()
    np.testing.assert_array_equal(back["a"].values, real_sweep["a"].values)
    assert back.attrs["quantities"] == "a b"
    assert back["r"].attrs == real_sweep["r"].attrs and back["b"].attrs == real_sweep["b"].attrs


@pytest.mark.parametrize("engine", ENGINES)
def test_store_opened_with_xarray_writes_netcdf(real_store, tmp_path, engine):
    path = tmp_path / f"s_{engine}.nc"
    xr.open_zarr(real_store).to_netcdf(path, engine=engine)
    with xr.open_dataset(path, engine=engine) as back:
        np.testing.assert_array_equal(back["eta_yz_x"].values, xr.open_zarr(real_store)["eta_yz_x"].values)
        assert back.attrs["complete"] == 1
        assert back["eta_yz_x"].attrs["long_name"] == xr.open_zarr(real_store)["eta_yz_x"].attrs["long_name"]


def test_out_nc_writes_netcdf_resumes_through_a_side_store_and_then_is_done(tmp_path):
    grid = dict(U=0.5, r=np.linspace(0, 2, 10), alpha=np.linspace(0, 1, 3), chunk_size=3, quiet=True)
    path = tmp_path / "map.nc"
    side = tmp_path / "map.nc.partial.zarr"
    q, _ = counting(fail_after=4)
    with pytest.raises(Exception, match="simulated interruption"):
        jo.sweep([q], out=path, **grid)
    assert not path.exists() and side.is_dir()
    finished = storage.finished_blocks(side)
    q2, calls = counting()
    ds = jo.sweep([q2], out=path, **grid)
    assert calls["n"] == 10 - len(finished)  # resumed from the side store
    assert path.is_file() and not side.exists()
    mem = jo.sweep([counting()[0]], **grid)
    _same(mem, ds)
    q3, calls3 = counting()
    again = jo.sweep([q3], out=path, **grid)
    assert calls3["n"] == 0
    _same(mem, again)
    with pytest.raises(ValueError, match="different sweep"):
        jo.sweep([counting()[0]], out=path, **(grid | dict(U=0.4)))
    with pytest.raises(ValueError, match="no complex type"):
        jo.sweep([cheap("cx", complex_=True)], out=tmp_path / "c.nc", **grid)


@pytest.mark.slow
def test_cli_sweep_out_nc_writes_netcdf(tmp_path):
    from jaxorb import cli

    path = tmp_path / "line.nc"
    args = ["sweep", "--quantity", "eta_yz_x", "--r", "0:2:5", "--nodes", "4", "--out", str(path), "--quiet"]
    assert cli.main(args) == 0
    with xr.open_dataset(path) as back:
        ref = jo.sweep("eta_yz_x", r=np.linspace(0, 2, 5), nodes=4, quiet=True)
        np.testing.assert_array_equal(back["eta_yz_x"].values, ref["eta_yz_x"].values)
        assert back["r"].attrs["units"] == "hbar^2/2m"
    assert not (tmp_path / "line.nc.partial.zarr").exists()
