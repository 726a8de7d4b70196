"""Input validation: clear ValueErrors naming the parameter, raised before any compilation."""

import numpy as np
import pytest

import jaxorb as jo
from jaxorb import profiles, transport

BAD = [
    (dict(p=jo.Params(U=1.0)), "U <= 0.99 "),
    (dict(p=jo.Params(U=1.5)), "U = 1.5 "),
    (dict(p=jo.Params(r=-1.0)), "-0.99 <= r"),
    (dict(p=jo.Params(r=-3.0)), "-0.99 <= r"),
    (dict(p=jo.Params(alpha=1e300)), "alpha <= 10 "),
    (dict(p=jo.Params(U=-1e300)), "-100 <= U"),
    (dict(p=jo.Params(r=1e300)), "r <= 100"),
    (dict(p=jo.Params(U=[0.5], r=[0.5, 0.6], alpha=[0.1, 0.2, 0.3])), "broadcast"),
    (dict(p=jo.Params(r=[[0.5, 0.6], [0.7]])), "r must be a real number or a rectangular array"),
    (dict(p=jo.Params(alpha="a")), "alpha must be a real number"),
    (dict(z=[]), "at least one depth"),
    (dict(p=jo.Params(U=np.nan)), "U must be finite"),
    (dict(p=jo.Params(alpha=np.inf)), "alpha must be finite"),
    (dict(p=jo.Params(r=np.array([0.5, np.nan]))), "r must be finite"),
    (dict(p=jo.Params(U=0.5 + 1j)), "U must be real"),
    (dict(incident=[0, 0, 0]), "nonzero"),
    (dict(incident=[1, 0]), "3-vector"),
    (dict(incident="w"), "incident"),
    (dict(z=-1.0), "z >= 0"),
    (dict(z=[0.0, np.nan]), "finite"),
    (dict(z=np.zeros((2, 2))), "1-D"),
    (dict(observables=("Lx", "Lw")), "Lx"),
    (dict(nodes=1), "nodes"),
    (dict(nodes=2.5), "nodes"),
    (dict(phi_points=0), "phi_points"),
    (dict(dtype="float16"), "dtype"),
]


@pytest.mark.parametrize("kwargs,match", BAD)
def test_profile_rejects_bad_input_before_compiling(kwargs, match):
    args = dict(p=jo.Params(), z=np.array([0.0, 1.0]), incident="x")
    args.update(kwargs)
    before = profiles.profile_arrays._cache_size()
    with pytest.raises(ValueError, match=match):
        jo.profile(args.pop("p"), args.pop("z"), args.pop("incident"), **args)
    assert profiles.profile_arrays._cache_size() == before


def test_transport_rejects_before_compiling():
    before = transport._run_core._cache_size()
    with pytest.raises(ValueError, match="U <= 0.99 "):
        jo.efficiency(jo.Params(U=2.0), "x", "Lyz")
    with pytest.raises(ValueError, match="-0.99 <= r"):
        jo.memory_loss(jo.Params(r=-1.5), "z")
    assert transport._run_core._cache_size() == before


def test_params_is_a_pytree():
    import jax

    leaves = jax.tree_util.tree_leaves(jo.Params(0.1, 0.2, 0.3))
    assert leaves == [0.1, 0.2, 0.3]
    doubled = jax.tree_util.tree_map(lambda x: 2 * x, jo.Params(0.1, 0.2, 0.3))
    assert isinstance(doubled, jo.Params) and doubled.r == 0.4


def test_negative_U_and_r_are_valid():
    prof = jo.profile(jo.Params(U=-0.5, r=-0.4, alpha=1.0), [0.0, 2.0], "x")
    assert all(np.all(np.isfinite(v)) for v in prof.density.values())


def test_errors_print_plain_numbers():
    """U = 1.5, never np.float64(1.5), in every range message."""
    for p in (jo.Params(U=np.float64(1.5)), jo.Params(U=np.array([0.2, 1.5])), jo.Params(r=np.float32(-2.0))):
        with pytest.raises(ValueError) as err:
            jo.efficiency(p)
        assert "np.float" not in str(err.value) and "array(" not in str(err.value)
    with pytest.raises(ValueError, match=r"got U = 1\.5 "):
        jo.efficiency(jo.Params(U=np.float64(1.5)))


def test_one_domain_definition():
    """check_param, domain_text and Params agree on every edge: the edge is valid, beyond is not."""
    from jaxorb import params

    for name, rng in params.PARAM_RANGES.items():
        assert name in params.domain_text(name) and params.fmt(rng.high) in params.domain_text(name)
        params.check_param(name, rng.high)
        with pytest.raises(ValueError, match=name):
            params.check_param(name, np.nextafter(rng.high, np.inf))
        if rng.low_open:
            with pytest.raises(ValueError, match=name):
                params.check_param(name, rng.low)
            params.check_param(name, np.nextafter(rng.low, np.inf))
        else:
            params.check_param(name, rng.low)
            with pytest.raises(ValueError, match=name):
                params.check_param(name, np.nextafter(rng.low, -np.inf))
    assert params.check_params(jo.Params(U=[0.1, 0.2], r=0.3, alpha=[[0.0], [1.0]])) == (2, 2)


@pytest.mark.parametrize("value", [[1.0, 2.0], np.array([[1.0], [3.0]])])
@pytest.mark.slow
def test_memory_loss_broadcasts_transparency(value):
    """An array of transparencies broadcasts against the parameters (it used to crash the
    Newton iteration's carry)."""
    p = jo.Params(0.5, [0.5, 1.0], 0.3)
    got = jo.memory_loss(p, "z", value)
    assert got.shape == np.broadcast_shapes((2,), np.shape(value))
    for idx in np.ndindex(got.shape):
        one = jo.memory_loss(jo.Params(0.5, p.r[idx[-1]], 0.3), "z", float(np.broadcast_to(value, got.shape)[idx]))
        assert np.isclose(got[idx], one, rtol=1e-12)


@pytest.mark.parametrize(
    "value,match",
    [
        ([1.0, 2.0, 3.0], "transparency must broadcast"),
        ("a", "transparency must be a real"),
        (0.0, "transparency > 0"),
        (np.nan, "transparency must be finite"),
    ],
)
def test_memory_loss_rejects_bad_transparency(value, match):
    with pytest.raises(ValueError, match=match):
        jo.memory_loss(jo.Params(0.5, [0.5, 1.0], 0.3), "z", value)


@pytest.mark.parametrize("dipole", [[1.0 + 1j, 0.0, 0.0], [0.0, 0.0, 0.0], [np.nan, 0.0, 0.0], "w", [1.0, 0.0]])
def test_bad_dipole_is_refused(dipole):
    with pytest.raises(ValueError, match="dipole"):
        jo.efficiency(jo.Params(), jo.amplitudes(0, 1, 0), dipole=dipole)


@pytest.mark.parametrize("z_max", [np.nan, np.inf, -1.0, "a", [1.0, -2.0]])
def test_nodes_for_depth_rejects(z_max):
    with pytest.raises(ValueError, match="z_max"):
        jo.nodes_for_depth(z_max)


def test_resource_limits_refuse_with_size_and_advice():
    """Inputs whose working set is hundreds of GiB are refused before anything is allocated."""
    cases = [
        lambda: jo.mean_torque(jo.Params(), "z", thickness_kF=1e6),
        lambda: jo.profile(jo.Params(), 1e6),
        lambda: jo.efficiency(jo.Params(), "x", nodes=10**6),
    ]
    for call in cases:
        with pytest.raises(ValueError, match=r"needs about [0-9.e+]+ [GT]iB .*: .*(fewer|smaller)"):
            call()


def test_memory_limit_is_configurable(monkeypatch):
    from jaxorb import params

    monkeypatch.setenv("JAXORB_MEMORY_LIMIT", "1M")
    assert params.memory_limit() == 2**20
    with pytest.raises(ValueError, match="needs about"):
        jo.profile(jo.Params(), np.linspace(0.0, 10.0, 2000))
    monkeypatch.setenv("JAXORB_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="JAXORB_MEMORY_LIMIT"):
        params.memory_limit()


@pytest.mark.slow
def test_profile_broadcasts_array_parameters():
    """Array-valued Params used to fail with a TypeError; every field gets the broadcast shape
    as leading dimensions and equals the point-by-point profile."""
    p = jo.Params(0.5, [[0.5], [1.0]], [0.0, 0.3])
    z = [0.0, 2.0]
    prof = jo.profile(p, z, "x", nodes=12, observables=("Lx", "Lyz"))
    assert prof.density["Lx"].shape == (2, 2, 2) and prof.current_left["Lyz"].shape == (2, 2)
    one = jo.profile(jo.Params(0.5, 1.0, 0.3), z, "x", nodes=12, observables=("Lx", "Lyz"))
    assert np.allclose(prof.current["Lyz"][1, 1], one.current["Lyz"], rtol=1e-12, atol=1e-15)
    assert np.allclose(prof.current_inf["Lx"][1, 1], one.current_inf["Lx"], rtol=1e-12, atol=1e-15)


def test_checks_do_not_copy_a_float64_array():
    """A long sweep axis is checked in place: neither converted nor copied."""
    from jaxorb import params

    r = np.linspace(0.0, 1.0, 1000)
    assert params.check_real("r", r, "any real r") is r
    assert params.check_param("r", r) is r
    r[500] = np.nan
    with pytest.raises(ValueError, match="r must be finite"):
        params.check_param("r", r)
