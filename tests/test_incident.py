"""Incident states: physical names, directions and explicit |m> amplitudes, and their errors."""

import numpy as np
import pytest

import jaxorb as jo
from jaxorb import incident, transport
from jaxorb.operators import LX, LY, LZ


def moment(state):
    vec = incident.incident_vector(state)
    return np.array([np.vdot(vec, op @ vec).real for op in (LX, LY, LZ)])


@pytest.mark.parametrize(
    "direction", [(1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 0, -1), (1, 1, 0), (0.3, -0.2, 0.9), (-1, 0, 0)]
)
def test_along_is_the_dipole_along_the_direction(direction):
    """<L> of along(n) is n / |n|: a unit dipole pointing where the physicist said."""
    n = np.asarray(direction, float) / np.linalg.norm(direction)
    assert np.allclose(moment(jo.along(direction)), n, atol=1e-14)


def test_named_states_are_the_axis_dipoles_and_basis_states():
    for axis, n in zip("xyz", np.eye(3)):
        assert np.allclose(moment(axis), n, atol=1e-15)
        rho_name = incident.density_matrix(axis)
        assert np.allclose(rho_name, incident.density_matrix(jo.along(n)), atol=1e-15)
    assert np.allclose(incident.incident_vector("m=+1"), [1, 0, 0])
    assert np.allclose(incident.incident_vector("m=0"), [0, 1, 0])
    assert np.allclose(incident.incident_vector("m=-1"), [0, 0, 1])
    assert np.allclose(incident.incident_vector(jo.amplitudes(0, 2, 0)), [0, 1, 0])


def test_bare_vector_is_read_as_amplitudes_and_says_so():
    """[1, 0, 0] is |m=+1> (the dipole along z), not x: it still works, with a warning that says
    which reading was taken and how to say the other."""
    with pytest.warns(incident.AmbiguousIncidentWarning, match=r"m=\+1.*along"):
        vec = incident.incident_vector([1, 0, 0])
    assert np.allclose(vec, [1, 0, 0])
    with pytest.warns(incident.AmbiguousIncidentWarning):
        eta_bare = jo.efficiency(jo.Params(0.5, 0.5, 0.3), [0.5, 1 / np.sqrt(2), 0.5], "Lyz")
    assert np.isclose(eta_bare, jo.efficiency(jo.Params(0.5, 0.5, 0.3), jo.along((1, 0, 0)), "Lyz"), rtol=1e-12)


def test_extreme_but_valid_amplitudes_are_normalised():
    """1e300 entries used to overflow the norm (profile all zeros), 1e-300 to underflow it
    ("zero vector")."""
    big = incident.incident_vector(jo.amplitudes(1e300, 1e300, 0))
    assert np.allclose(big, [1 / np.sqrt(2), 1 / np.sqrt(2), 0])
    tiny = incident.incident_vector(jo.amplitudes(1e-300, 0, 0))
    assert np.allclose(tiny, [1, 0, 0])
    assert np.allclose(moment(jo.along((1e-300, 0, 0))), [1, 0, 0])
    assert np.allclose(moment(jo.along((1e300, 1e300, 0))), [1 / np.sqrt(2), 1 / np.sqrt(2), 0])


@pytest.mark.parametrize(
    "bad,match",
    [
        ("w", "m=\\+1"),
        ("xx", "along"),
        ([1, 0], "3-vector"),
        ([[1, 0, 0]], "3-vector"),
        ([0, 0, 0], "nonzero"),
        ([np.nan, 0, 0], "finite"),
        (["a", "b", "c"], "incident"),
    ],
)
def test_bad_incident_names_the_basis(bad, match):
    with pytest.raises(ValueError, match=match):
        incident.state(bad)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: jo.along((0, 0, 0)), "direction must be nonzero"),
        (lambda: jo.along((1j, 0, 0)), "direction must be real"),
        (lambda: jo.along("x"), "direction must be a real 3-vector"),
        (lambda: jo.along((np.inf, 0, 0)), "finite"),
        (lambda: jo.amplitudes(0, 0, 0), "nonzero"),
        (lambda: jo.amplitudes("a", 0, 0), "amplitudes"),
    ],
)
def test_constructors_refuse(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_injected_dipole_follows_the_state():
    assert np.allclose(transport.injected_dipole(jo.along((0, 1, 1))), np.array([0, 1, 1]) / np.sqrt(2))
    assert np.allclose(transport.injected_dipole("y"), [0, 1, 0])
    with pytest.raises(ValueError, match="no orbital dipole"):
        transport.injected_dipole("m=0")
    assert np.allclose(transport.injected_dipole("m=0", dipole=(0, 0, 1e-300)), [0, 0, 1])
