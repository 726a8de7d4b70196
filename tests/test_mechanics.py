"""SI conversion: the paper's cylinder arithmetic."""

import numpy as np
import pytest

import jaxorb as jo


def test_paper_chain():
    """c = -0.306 -> about -870 rad/s^2 for k_F = 1e10 1/m, D = 10 nm, Al cylinder R = 1 nm."""
    assert abs(jo.cylinder_mass() - 8.48e-23) < 0.01e-23
    w = jo.angular_acceleration(-0.306)
    assert abs(w + 870) < 5
    # linear in c, inverse in D and M (R cancels)
    assert np.isclose(jo.angular_acceleration(-0.612), 2 * w)
    assert np.isclose(jo.angular_acceleration(-0.306, thickness_m=20e-9, mass=8.48e-23), w / 2, rtol=2e-3)


@pytest.mark.slow
def test_anchor_chain():
    """c = -0.27471 (U = r = 0.5, alpha = 0, |L_z>) -> about -781 rad/s^2."""
    c = jo.mean_torque(jo.Params(0.5, 0.5, 0.0), "z")
    assert abs(jo.angular_acceleration(c) + 781) < 1


BAD_SI = [
    (dict(k_F=0.0), "k_F"),
    (dict(thickness_m=-1e-9), "thickness_m"),
    (dict(mass=0.0), "mass"),
    (dict(k_F=np.nan), "k_F"),
    (dict(k_F=np.inf), "k_F"),
    (dict(thickness_m="10nm"), "thickness_m"),
    (dict(mass=np.inf), "mass"),
    (dict(c="a"), "c must be a real"),
    (dict(c=np.nan), "c must be finite"),
    (dict(c=1j), "c must be real"),
]


@pytest.mark.parametrize("kw,match", BAD_SI)
def test_bad_si_input(kw, match):
    args = dict(c=-0.3)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        jo.angular_acceleration(args.pop("c"), **args)


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(radius_m=np.nan), "radius_m"),
        (dict(radius_m=-1e-9), "radius_m"),
        (dict(height_m=np.inf), "height_m"),
        (dict(height_m="1"), "height_m"),
        (dict(density=0.0), "density"),
    ],
)
def test_bad_cylinder_input(kw, match):
    with pytest.raises(ValueError, match=match):
        jo.cylinder_mass(**kw)


@pytest.mark.slow
def test_thickness_units_cannot_be_mixed_up():
    """mean_torque's thickness is in 1/k_F (thickness_kF), angular_acceleration's in metres
    (thickness_m): the bare word is refused where it would be read in the other unit."""
    with pytest.raises(ValueError, match="thickness_m"):
        jo.angular_acceleration(-0.3, thickness=10e-9)
    p = jo.Params(0.5, 0.5, 0.0)
    with pytest.warns(FutureWarning, match="thickness_kF"):
        old = jo.mean_torque(p, "z", thickness=10.0)
    assert np.isclose(old, jo.mean_torque(p, "z", thickness_kF=10.0), rtol=1e-12)
    # the paper's 10 nm layer at k_F = 1e10 / m is D = 100 / k_F; the default cylinder is the paper's
    k_F, d_m = 1e10, 10e-9
    assert np.isclose(jo.angular_acceleration(-0.3, k_F=k_F, thickness_m=d_m), jo.angular_acceleration(-0.3))


@pytest.mark.slow
def test_mean_torque_takes_an_array_of_thicknesses():
    p = jo.Params(0.5, 0.5, 0.0)
    d = np.array([0.0, 10.0, np.inf])
    got = jo.mean_torque(p, "z", thickness_kF=d)
    assert got.shape == (3,)
    assert got[0] == 0.0  # c(0) = J(0) - J(0)
    assert np.isclose(got[1], jo.mean_torque(p, "z", 10.0), rtol=1e-12)
    assert np.isclose(got[2], jo.mean_torque(p, "z"), rtol=1e-6)
    # broadcast against array parameters, point by point
    mixed = jo.mean_torque(jo.Params(0.5, [0.5, 0.5, 1.0], 0.0), "z", thickness_kF=d)
    assert np.allclose(mixed[:2], got[:2], rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="thickness_kF"):
        jo.mean_torque(p, "z", thickness_kF=[-1.0, 2.0])
    with pytest.raises(ValueError, match="thickness_kF"):
        jo.mean_torque(p, "z", thickness_kF="10")
    with pytest.raises(ValueError, match="thickness_kF"):
        jo.mean_torque(jo.Params(0.5, [0.5, 1.0], 0.0), "z", thickness_kF=[1.0, 2.0, 3.0])
