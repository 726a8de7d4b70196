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
    assert np.isclose(jo.angular_acceleration(-0.306, thickness=20e-9, mass=8.48e-23), w / 2, rtol=2e-3)


def test_anchor_chain():
    """PHYSICS.md §10: c = -0.27471 -> about -781 rad/s^2."""
    c = jo.mean_torque(jo.Params(0.5, 0.5, 0.0), "z")
    assert abs(jo.angular_acceleration(c) + 781) < 1


@pytest.mark.parametrize("kw", [dict(k_F=0.0), dict(thickness=-1e-9), dict(mass=0.0), dict(k_F=np.nan)])
def test_bad_si_input(kw):
    with pytest.raises(ValueError):
        jo.angular_acceleration(-0.3, **kw)
