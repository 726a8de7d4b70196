"""Input validation: clear ValueErrors naming the parameter, raised before any compilation."""

import numpy as np
import pytest

import jaxorb as jo
from jaxorb import profiles, transport

BAD = [
    (dict(p=jo.Params(U=1.0)), "U < 1"),
    (dict(p=jo.Params(U=1.5)), "U < 1"),
    (dict(p=jo.Params(r=-1.0)), "r > -1"),
    (dict(p=jo.Params(r=-3.0)), "r > -1"),
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
    before = transport.surface_currents._cache_size()
    with pytest.raises(ValueError, match="U < 1"):
        jo.efficiency(jo.Params(U=2.0), "x", "Lyz")
    with pytest.raises(ValueError, match="r > -1"):
        jo.memory_loss(jo.Params(r=-1.5), "z")
    assert transport.surface_currents._cache_size() == before


def test_params_is_a_pytree():
    import jax

    leaves = jax.tree_util.tree_leaves(jo.Params(0.1, 0.2, 0.3))
    assert leaves == [0.1, 0.2, 0.3]
    doubled = jax.tree_util.tree_map(lambda x: 2 * x, jo.Params(0.1, 0.2, 0.3))
    assert isinstance(doubled, jo.Params) and doubled.r == 0.4


def test_negative_U_and_r_are_valid():
    prof = jo.profile(jo.Params(U=-0.5, r=-0.4, alpha=1.0), [0.0, 2.0], "x")
    assert all(np.all(np.isfinite(v)) for v in prof.density.values())
