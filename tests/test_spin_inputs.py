"""Named injections: real p orbitals (quadrupole injection) and spin-polarised products
(docs/theory.md §12, "Named injections")."""

import numpy as np
import pytest

import jaxorb as jo
from jaxorb import incident, spin, transport
from jaxorb.operators import LX, LY, LZ, OPERATORS
from jaxorb.spin.inputs import INCIDENT_HELP, SPIN_STATES, injected_dipole
from jaxorb.spin.operators import MATRICES

L = (LX, LY, LZ)
AXES = {"x": 0, "y": 1, "z": 2}
SPIN_AXIS = {"up": "+z", "down": "-z", **{s: s for s in ("+x", "-x", "+y", "-y", "+z", "-z")}}


def expect(rho: np.ndarray, op: np.ndarray) -> float:
    return float(np.trace(op @ rho).real)


def orbital_moments(rho6: np.ndarray) -> np.ndarray:
    return np.array([expect(rho6, MATRICES[n]) for n in ("Lx", "Ly", "Lz")])


def spin_moments(rho6: np.ndarray) -> np.ndarray:
    return np.array([expect(rho6, MATRICES[n]) for n in ("Sx", "Sy", "Sz")])


def test_p_orbitals_are_the_cartesian_basis_of_the_operator_matrices():
    """|p_x>, |p_y>, |p_z> as columns turn L_k into the Cartesian generators (L_k)_ij = -i eps_kij:
    this fixes their relative phases to those of the L matrices, not only their rays."""
    u = np.stack([incident.state(n).amplitudes for n in ("px", "py", "pz")], axis=1)
    np.testing.assert_allclose(u.conj().T @ u, np.eye(3), atol=1e-15)
    eps = np.zeros((3, 3, 3))
    for i, j, k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        eps[i, j, k], eps[i, k, j] = 1.0, -1.0
    for k in range(3):
        np.testing.assert_allclose(u.conj().T @ L[k] @ u, -1j * eps[k], atol=1e-15)


@pytest.mark.parametrize("name", ["px", "py", "pz"])
def test_p_orbitals_carry_no_dipole_and_the_expected_quadrupoles(name):
    v = incident.state(name).amplitudes
    j = AXES[name[1]]
    np.testing.assert_allclose(incident.dipole_moment(name), 0.0, atol=1e-15)
    np.testing.assert_allclose(L[j] @ v, 0.0, atol=1e-15)  # L_j |p_j> = 0
    sq = np.array([np.vdot(v, op @ op @ v).real for op in L])
    np.testing.assert_allclose(sq, 1.0 - np.eye(3)[j], atol=1e-15)  # <L_k^2> = 1 - delta_jk
    lz2 = np.vdot(v, OPERATORS["Lz2"] @ v).real
    assert lz2 == pytest.approx((3 * sq[2] - sq.sum()) / 2, abs=1e-15)
    assert lz2 == pytest.approx(-1.0 if name == "pz" else 0.5, abs=1e-15)
    # the spinful name: the same orbital state with unpolarised spin
    rho = spin.incident_density(name)
    np.testing.assert_allclose(rho, np.kron(np.outer(v, v.conj()), np.eye(2) / 2), atol=1e-15)
    np.testing.assert_allclose(orbital_moments(rho), 0.0, atol=1e-15)
    np.testing.assert_allclose(spin_moments(rho), 0.0, atol=1e-15)
    assert expect(rho, MATRICES["Lz2"]) == pytest.approx(lz2, abs=1e-15)


@pytest.mark.parametrize("orb", ["x", "y", "z", "m=-1", "px", "pz", "Lz"])
@pytest.mark.parametrize("sp", list(SPIN_STATES))
def test_spin_polarised_names_are_pure_products(orb, sp):
    rho = spin.incident_density(f"{orb},{sp}")
    np.testing.assert_allclose(rho, rho.conj().T, atol=0)
    assert np.trace(rho).real == pytest.approx(1.0, abs=1e-15)
    ev = np.linalg.eigvalsh(rho)
    assert ev.min() > -1e-15 and np.sort(ev)[-2] < 1e-15  # rank 1
    assert np.linalg.matrix_rank(rho, tol=1e-12) == 1
    # <L> that of the orbital name, <S> = +-e/2 along the named spin axis
    np.testing.assert_allclose(orbital_moments(rho), incident.dipole_moment(orb), atol=1e-15)
    axis = SPIN_AXIS[sp]
    want = np.eye(3)[AXES[axis[1]]] * (0.5 if axis[0] == "+" else -0.5)
    np.testing.assert_allclose(spin_moments(rho), want, atol=1e-15)
    # the same state as the explicit spinful 6-vector of the product
    vec = np.kron(incident.state(orb).amplitudes, SPIN_STATES[sp])
    np.testing.assert_allclose(spin.incident_density(vec), rho, atol=1e-15)


@pytest.mark.parametrize("orb", ["z", "x", "pz", "py"])
@pytest.mark.parametrize("pair", [("up", "down"), ("+x", "-x"), ("+y", "-y"), ("+z", "-z")])
def test_opposite_spins_average_to_the_unpolarised_name(orb, pair):
    a, b = (spin.incident_density(f"{orb},{s}") for s in pair)
    np.testing.assert_allclose((a + b) / 2, spin.incident_density(orb), atol=1e-15)


def test_unpolarised_orbital_part_and_spelling():
    rho = spin.incident_density("unpolarised,+y")
    np.testing.assert_allclose(rho, np.kron(np.eye(3) / 3, np.outer(SPIN_STATES["+y"], SPIN_STATES["+y"].conj())))
    assert np.linalg.matrix_rank(rho, tol=1e-12) == 3
    np.testing.assert_allclose(orbital_moments(rho), 0.0, atol=1e-15)
    np.testing.assert_allclose(spin_moments(rho), [0.0, 0.5, 0.0], atol=1e-15)
    np.testing.assert_allclose(spin.incident_density(" PZ , Up "), spin.incident_density("pz,up"), atol=0)
    np.testing.assert_allclose(spin.incident_density("unpolarized,up"), spin.incident_density("unpolarised,up"))


@pytest.mark.parametrize(
    "bad,words",
    [
        ("up", "names only a spin"),
        ("+x", "names only a spin"),
        ("z,w", "unknown spin part"),
        ("z,", "unknown spin part"),
        ("w,up", "unknown orbital part 'w'"),
        ("up,z", "unknown orbital part 'up' .*spin comes second"),
        ("q", "unknown incident"),
    ],
)
def test_bad_names_are_refused_listing_the_grammar(bad, words):
    with pytest.raises(ValueError, match=words) as err:
        spin.incident_density(bad)
    msg = str(err.value)
    assert INCIDENT_HELP in msg
    for part in ("ORBITAL,SPIN", "'px'", "+y", "down", "|m = +1, 0, -1> (x) |up, down>", "|p_x> ="):
        assert part in msg, part


def test_spinless_model_takes_p_orbitals_and_refuses_spin_names():
    assert incident.state(" Pz ").label == "pz"
    assert set(incident.SPIN_DIRECTIONS) == set(SPIN_STATES)
    for bad in ("z,up", "up", "-x"):
        with pytest.raises(ValueError, match="needs the spinful model.*lam") as err:
            incident.state(bad)
        assert "'px', 'py', 'pz'" in str(err.value)


@pytest.mark.parametrize("name", ["px", "pz"])
def test_dipole_normalised_spinless_quantities_refuse_a_state_without_dipole(name):
    p = jo.Params(0.5, 0.5, 0.3)
    calls = (
        lambda: jo.efficiency(p, name),
        lambda: jo.current_ratio(p, name),
        lambda: jo.memory_loss(p, name),
        lambda: jo.mean_torque(p, name),
        lambda: transport.injected_dipole(incident.state(name)),
    )
    for call in calls:
        with pytest.raises(ValueError, match="no orbital dipole") as err:
            call()
        assert "jaxorb.profile" in str(err.value) and "dipole=" in str(err.value)


def test_spinful_dipole_follows_the_orbital_part_and_zero_dipole_is_refused():
    assert np.array_equal(injected_dipole("z,up"), [0.0, 0.0, 1.0])
    assert np.array_equal(injected_dipole("Lx,-y"), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(injected_dipole("m=-1,+x"), [0.0, 0.0, -1.0], atol=1e-15)
    np.testing.assert_allclose(injected_dipole(jo.along((1, 1, 0)).amplitudes), np.array([1, 1, 0]) / np.sqrt(2))
    for name in ("pz", "px,up", "unpolarised,-z"):
        with pytest.raises(ValueError, match="no orbital dipole.*dipole=") as err:
            injected_dipole(name)
        assert "jaxorb.profile" in str(err.value)
        with pytest.raises(ValueError, match="dipole="):
            jo.conversion(jo.Params(0.5, 0.5, 0.3, lam=0.1), name, nodes=4)


TILTED = (-0.5, 2**-0.5, 0.5)  # (|p_x> + |p_z>)/sqrt2: a real orbital along (1, 0, 1), <L> = 0


def test_spinless_profile_of_p_orbitals_equals_their_amplitudes_and_symmetry_predicts_the_dipole_currents():
    p, z = jo.Params(0.5, 0.5, 0.3), [0.0, 2.0]
    for name, amp in (("pz", (0, 1, 0)), ("px", (-1, 0, 1)), (None, TILTED)):
        b = jo.profile(p, z, jo.amplitudes(*amp), nodes=8)
        if name is not None:
            a = jo.profile(p, z, name, nodes=8)
            for field in ("density", "current", "torque"):
                for op in a.density:
                    np.testing.assert_allclose(getattr(a, field)[op], getattr(b, field)[op], rtol=0, atol=1e-15)
        # <L> = 0, yet a tilted orbital drives a dipole current along z x d: exactly the axes that
        # dipole_current_vanishes does not rule out
        rho = incident.density_matrix(jo.amplitudes(*amp))
        for k, op in enumerate(("Lx", "Ly", "Lz")):
            left = abs(float(b.current_left[op]))
            assert left < 1e-14 if incident.dipole_current_vanishes(rho, np.eye(3)[k]) else left > 1e-4, (amp, op)
    assert not incident.dipole_current_vanishes(incident.density_matrix(jo.amplitudes(*TILTED)), (0, 1, 0))


def test_spinful_profile_of_polarised_names():
    """jo.profile with lam routes the new names to the spinful model: the observables are linear in
    rho (up and down average to the unpolarised profile), and the left-layer dipole currents
    vanish exactly where the symmetry of the interface says they must."""
    p, z = jo.Params(0.5, 0.5, 0.3, lam=0.2), [0.0, 2.0]
    names = ("pz,up", "pz,down", "pz", "pz,+x")
    up, down, both, px = (jo.profile(p, z, name, nodes=6) for name in names)
    for op in both.current:
        np.testing.assert_allclose((up.current[op] + down.current[op]) / 2, both.current[op], atol=1e-13)
    assert abs(float(up.current["Sz"][0] - down.current["Sz"][0])) > 1e-3
    for name, prof in zip(names, (up, down, both, px)):
        rho = spin.incident_density(name)
        for k, op in enumerate(("Lx", "Ly", "Lz")):
            left = abs(float(prof.current_left[op]))
            assert left < 1e-14 if incident.dipole_current_vanishes(rho, np.eye(3)[k]) else left > 1e-4, (name, op)


@pytest.mark.parametrize(
    "rho,vanish",
    [
        (incident.density_matrix("pz"), (True, True, True)),
        (incident.density_matrix("px"), (True, True, True)),
        (incident.density_matrix("z"), (True, True, False)),  # rotation about z
        (incident.density_matrix("x"), (False, True, True)),  # the mirror y -> -y
        (incident.density_matrix(jo.amplitudes(*TILTED)), (True, False, True)),
        (spin.incident_density("pz"), (True, True, True)),
        (spin.incident_density("pz,up"), (True, True, False)),
        (spin.incident_density("pz,+x"), (False, True, True)),
        (spin.incident_density("unpolarised,-y"), (True, False, True)),
    ],
)
def test_symmetry_rule_for_the_dipole_currents(rho, vanish):
    assert tuple(incident.dipole_current_vanishes(rho, e) for e in np.eye(3)) == vanish


def test_dipole_override_whose_current_vanishes_by_symmetry_is_refused():
    p, q = jo.Params(0.5, 0.5, 0.3), jo.Params(0.5, 0.5, 0.3, lam=0.1)
    for call in (
        lambda: jo.efficiency(p, "pz", dipole="z"),
        lambda: jo.current_ratio(p, "px", dipole=(1, 1, 0)),
        lambda: jo.memory_loss(p, jo.amplitudes(*TILTED), dipole="x"),
        lambda: jo.conversion(q, "pz", dipole="z", nodes=4),
        lambda: jo.conversion(q, "pz,+x", dipole="y", nodes=4),
    ):
        with pytest.raises(ValueError, match="vanishes .* by the symmetry of the interface") as err:
            call()
        assert "jaxorb.profile" in str(err.value)
    # allowed: the mean torque is no ratio; an axis with a current
    transport._prepare(p, "pz", None, "z", ratio=False)
    transport._prepare(p, jo.amplitudes(*TILTED), None, "y")
    assert np.array_equal(injected_dipole("pz,+x", dipole="x"), [1.0, 0.0, 0.0])


def test_conversion_refuses_a_dipole_without_left_current_at_these_parameters():
    """'pz,up' has a J_Lz(0-) only through the spin-orbit term: at lam = 0 it vanishes and the
    ratio would be noise over ~1e-17; a nonzero lam gives a finite, small-denominator ratio."""
    with pytest.raises(ValueError, match="vanishes at these parameters"):
        jo.conversion(jo.Params(0.5, 0.5, 0.3, lam=0.0), "pz,up", dipole="z", nodes=8)
    with pytest.raises(ValueError, match="flat index 1"):
        jo.conversion(jo.Params(0.5, 0.5, 0.3, lam=[0.2, 0.0]), "pz,up", dipole="z", nodes=8)
    top, left = spin.api.conversion_parts(0.5, 0.5, 0.3, 0.2, *_pz_up_args())
    assert abs(float(left)) > 1e-3
    assert np.isclose(
        float(top / left), float(jo.conversion(jo.Params(0.5, 0.5, 0.3, 0.2), "pz,up", dipole="z", nodes=8))
    )


def _pz_up_args():
    rho, ndip, target, depth, nodes, at_inf = spin.api.conversion_args(
        spin.public.injection("pz,up"), "Sz", "inf", "z", 8
    )
    return np.asarray(rho), np.asarray(ndip), depth, target, nodes, at_inf
