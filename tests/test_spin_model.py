"""Spinful model: bands, modes, the interface solve and the Fermi-averaged observables against an
independent NumPy reference, conservation laws, symmetry, limits, anchors and input checks."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import spin
from jaxorb.spin import api, bands, interface
from jaxorb.spin.operators import NAMES

sys.path.insert(0, str(Path(__file__).resolve().parent))
import spin_reference as ref  # noqa: E402

#: One depth grid and node count for every averaged check: the jitted core compiles once.
Z = np.array([0.0, 0.4, 1.2999, 1.3, 1.3001, 6.0])
NODES = 24
H = 1e-4
#: Compiled once for every parameter set (eager dispatch of the same graphs compiled op by op).
MODES = jax.jit(bands.modes)
SOLVE = jax.jit(interface.solve)


def prof(U, r, alpha, lam, rho, n=NODES):
    out = api.profile_arrays(U, r, alpha, lam, jnp.asarray(rho), Z, n=n)
    return {k: np.asarray(v) for k, v in out.items()}


def idx(name):
    return NAMES.index(name)


def random_state(rng, dim=6):
    v = rng.normal(size=dim) + 1j * rng.normal(size=dim)
    return v / np.linalg.norm(v)


def random_density(rng, dim=6, rank=None):
    a = rng.normal(size=(dim, rank or dim)) + 1j * rng.normal(size=(dim, rank or dim))
    rho = a @ a.conj().T
    return rho / np.trace(rho).real


PARAMS = [(0.4, 0.8, 0.6, 0.25), (0.7, 0.25, 0.2, -0.2), (-0.3, 2.5, -1.1, 0.45), (0.2, -0.4, 0.9, -0.6)]


# ---------------------------------------------------------------------------------------------
# Bands and modes


@pytest.mark.parametrize("U,r,alpha,lam", PARAMS + [(0.5, 0.5, 0.0, 0.0), (0.5, 0.0, 0.0, 0.3)])
def test_modes_solve_the_hamiltonian_on_the_outgoing_branch(U, r, alpha, lam):
    kappa = np.array([0.0, 1e-9, 0.2, 0.55, 0.8, 0.97])
    md = MODES(U, r, lam, kappa)
    u, q = np.asarray(md.u), np.asarray(md.q)
    assert np.all(np.isfinite(u)) and np.all(np.isfinite(q))
    assert np.all(q.real >= 0) and np.all(q.imag >= 0)
    x = np.asarray(bands.band_squares(U, r, lam))
    np.testing.assert_allclose(q**2, (x[list(bands.MODE_BAND)] - kappa[:, None] ** 2) + 0j, atol=1e-14)
    for k, kap in enumerate(kappa):
        for b in range(6):
            c, bb, d = ref.hamiltonian_parts(U, r, lam, kap, 0.0)
            res = (q[k, b] ** 2 * c + q[k, b] * bb + d) @ u[k, :, b]
            assert np.linalg.norm(res) < 1e-13 * np.linalg.norm(u[k, :, b])
        # six independent modes: no defective collapse
        assert np.linalg.cond(u[k]) < 1e4


def test_band_squares_are_fermi_surfaces_of_the_bulk():
    for U, r, _, lam in PARAMS:
        for x in np.asarray(bands.band_squares(U, r, lam)):
            c, b, d = ref.hamiltonian_parts(U, r, lam, 0.0, 0.0)
            k = np.sqrt(x + 0j)
            ev = np.linalg.eigvals(k**2 * c + k * b + d)
            assert np.min(np.abs(ev)) < 1e-12


def test_directional_breakpoints_order_coinciding_points_by_their_tangents():
    # at lam = 0 (r != 0) the 3/2 band and band b share one branch point; a step in lam splits
    # them, and each end of the zero-width segment between them must follow the band that is
    # there after the step: ties ordered by tangent, whatever the band index
    point = (0.3, 0.5, 0.0)

    def f(lam):
        return bands.breakpoints(point[0], point[1], lam, directional=True)

    for sign in (1.0, -1.0):
        val, tan = jax.jvp(f, (point[2],), (sign,))
        h = 1e-7
        step = (np.asarray(f(point[2] + sign * h)) - np.asarray(val)) / h
        np.testing.assert_allclose(np.asarray(tan), step, atol=1e-6)
        assert np.all(np.diff(np.asarray(tan)[:2]) >= 0)
    # the plain sort keeps index order: a negative step gets the ends swapped
    _, tan = jax.jvp(lambda lam: bands.breakpoints(0.3, 0.5, lam), (0.0,), (-1.0,))
    assert np.asarray(tan)[0] > np.asarray(tan)[1]


# ---------------------------------------------------------------------------------------------
# Against the independent reference


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_amplitudes_match_reference_per_kappa_and_phi(seed):
    rng = np.random.default_rng(seed)
    U, r, lam = rng.uniform(-0.5, 0.9), rng.uniform(-0.6, 4.0), rng.uniform(-0.6, 0.6)
    alpha = rng.uniform(-2, 2)
    kappa = rng.uniform(0.02, 0.98, 5)
    resp = SOLVE(U, r, alpha, lam, jnp.asarray(kappa))
    for k, kap in enumerate(kappa):
        u, q = np.asarray(resp.modes.u[k]), np.asarray(resp.modes.q[k])
        for phi in rng.uniform(0, 2 * np.pi, 2):
            rot = ref.rotation(phi)
            refl_fast = rot @ np.asarray(resp.refl[k]) @ rot.conj().T
            dpsi_fast = rot @ u @ np.diag(1j * q) @ np.asarray(resp.trans[k]) @ rot.conj().T
            refl, trans, un, qn, _ = ref.solve_point(U, r, alpha, lam, kap, phi)
            np.testing.assert_allclose(refl_fast, refl, atol=1e-10)
            np.testing.assert_allclose(dpsi_fast, un @ np.diag(1j * qn) @ trans, atol=1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("seed,incident", [(3, "pure"), (4, "y")])
def test_averaged_observables_match_reference(seed, incident):
    rng = np.random.default_rng(seed)
    U, r, lam = rng.uniform(-0.5, 0.9), rng.uniform(-0.6, 4.0), rng.uniform(-0.6, 0.6)
    alpha = rng.uniform(-2, 2)
    rho = np.outer(*(lambda v: (v, v.conj()))(random_state(rng))) if incident == "pure" else spin.incident_density("y")
    n = 8
    fast = prof(U, r, alpha, lam, rho, n=n)
    slow = ref.averaged(U, r, alpha, lam, rho, Z, NAMES, n=n, n_phi=7)
    for key, val in slow.items():
        np.testing.assert_allclose(fast[key], val, atol=1e-10, err_msg=key)


def test_phi_integrand_is_a_trig_polynomial_of_degree_five():
    """With spin, J_z covariance keeps the phi integrand a trigonometric polynomial: 6 equally
    spaced points are exact for a general spinful injection, 3 are not."""
    rng = np.random.default_rng(7)
    v = random_state(rng)
    rho = np.outer(v, v.conj())

    def mean(n_phi):
        vals = [
            ref.point_observables(0.3, 1.2, 0.7, 0.3, 0.45, p, rho, np.array([0.5]), NAMES)["density"]
            for p in 0.37 + 2 * np.pi * np.arange(n_phi) / n_phi
        ]
        return np.mean(vals, axis=0)

    exact = mean(16)
    np.testing.assert_allclose(mean(6), exact, atol=1e-13)
    assert np.abs(mean(3) - exact).max() > 1e-4


# ---------------------------------------------------------------------------------------------
# Conservation, continuity, torques


@pytest.mark.parametrize("U,r,alpha,lam", PARAMS)
@pytest.mark.slow
def test_probability_current_conserved(U, r, alpha, lam):
    rng = np.random.default_rng(11)
    rho = random_density(rng)
    out = api.profile_arrays(U, r, alpha, lam, jnp.asarray(rho), jnp.asarray(Z), names=("1",), n=NODES)
    right = np.asarray(out["current"])[0]
    np.testing.assert_allclose(right, float(out["current_left"][0]), atol=1e-12)


@pytest.mark.parametrize("U,r,alpha,lam", PARAMS)
@pytest.mark.slow
def test_spin_currents_continuous_lz_only_at_zero_alpha(U, r, alpha, lam):
    rng = np.random.default_rng(5)
    rho = random_density(rng, rank=2)
    out = prof(U, r, alpha, lam, rho)
    for name in ("Sx", "Sy", "Sz"):
        assert abs(out["current"][idx(name), 0] - out["current_left"][idx(name)]) < 1e-11
    jump = abs(out["current"][idx("Lz"), 0] - out["current_left"][idx("Lz")])
    assert jump > 1e-4  # alpha != 0 makes the L_z current jump, so the check below can fail
    out0 = prof(U, r, 0.0, lam, rho)
    assert abs(out0["current"][idx("Lz"), 0] - out0["current_left"][idx("Lz")]) < 1e-11


@pytest.mark.parametrize("U,r,alpha,lam", PARAMS[:2])
def test_torque_is_depth_derivative_and_soc_parts_cancel(U, r, alpha, lam):
    rng = np.random.default_rng(9)
    rho = random_density(rng)
    out = prof(U, r, alpha, lam, rho)
    fd = (out["current"][:, 4] - out["current"][:, 2]) / (Z[4] - Z[2])
    np.testing.assert_allclose(out["torque"][:, 3], fd, atol=1e-8)
    tau, soc = out["torque"], out["torque_soc"]
    for axis in "xyz":
        np.testing.assert_allclose(soc[idx("L" + axis)], -soc[idx("S" + axis)], atol=1e-13)
        # spin commutes with the crystal field: its torque is all spin-orbit
        np.testing.assert_allclose(tau[idx("S" + axis)], soc[idx("S" + axis)], atol=1e-12)
    # d(J_Lz + J_Sz)/dz is the crystal-field torque on L_z
    np.testing.assert_allclose(tau[idx("Lz")] + tau[idx("Sz")], tau[idx("Lz")] - soc[idx("Lz")], atol=1e-12)
    assert np.abs(soc[idx("Sz")]).max() > 1e-4


def test_rotation_covariance_ly_is_lx_rotated():
    U, r, alpha, lam = PARAMS[0]
    x = prof(U, r, alpha, lam, spin.incident_density("x"))
    y = prof(U, r, alpha, lam, spin.incident_density("y"))
    for key in ("density", "current", "torque", "torque_soc", "current_left", "current_inf"):
        for a, b, sign in (
            ("Lx", "Ly", 1),
            ("Sx", "Sy", 1),
            ("Lz", "Lz", 1),
            ("Sz", "Sz", 1),
            ("Lx2-y2", "Lx2-y2", -1),
        ):
            np.testing.assert_allclose(y[key][idx(b)], sign * x[key][idx(a)], atol=1e-12, err_msg=key)
        np.testing.assert_allclose(y[key][idx("Lzx")], -x[key][idx("Lyz")], atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Limits and anchors


@pytest.mark.parametrize("incident", ["x", "z"])
@pytest.mark.slow
def test_lam_zero_reproduces_spinless_model(incident):
    U, r, alpha = 0.35, 1.7, 0.8
    out = prof(U, r, alpha, 0.0, spin.incident_density(incident))
    p = jo.profile(jo.Params(U, r, alpha), Z, incident)
    for name in jo.OPERATOR_NAMES:
        i = idx(name)
        np.testing.assert_allclose(out["density"][i], np.asarray(p.density[name]), atol=1e-9)
        np.testing.assert_allclose(out["current"][i], np.asarray(p.current[name]), atol=1e-9)
        np.testing.assert_allclose(out["torque"][i], np.asarray(p.torque[name]), atol=1e-9)
        np.testing.assert_allclose(out["current_left"][i], float(p.current_left[name]), atol=1e-9)
        np.testing.assert_allclose(out["current_inf"][i], float(p.current_inf[name]), atol=1e-9)
    for name in ("Sx", "Sy", "Sz"):
        for key in ("density", "current", "torque", "current_left", "current_inf"):
            assert np.abs(out[key][idx(name)]).max() < 1e-13
    assert np.abs(out["torque_soc"]).max() == 0.0
    if incident == "x":
        eta = float(jo.efficiency(jo.Params(U, r, alpha), "x", "Lyz"))
        assert abs(out["current"][idx("Lyz"), 0] / out["current_left"][idx("Lx")] - eta) < 1e-9


@pytest.mark.parametrize(
    "U,r,lam,alpha,incident,to,value",
    [
        (0.5, 0.5, 0.1, 0.0, "z", "Sz", 0.0098330),
        (0.7, 0.25, -0.2, 0.2, "z", "Sz", 0.2136613),
        (0.7, 0.25, -0.2, 0.2, "x", "Sx", 0.1707253),
    ],
)
def test_conversion_anchors(U, r, lam, alpha, incident, to, value):
    out = prof(U, r, alpha, lam, spin.incident_density(incident))
    ratio = out["current_inf"][idx(to)] / out["current_left"][idx("L" + incident)]
    assert abs(ratio - value) < 1e-6


def test_interface_spin_current_and_non_commuting_limit_at_r_zero():
    """Reflection makes an interface spin current about ten times the far-field one; at r = 0 the
    far-field conversion tends to 2/9 as lam -> 0 (either sign) but is 0 at lam = 0."""
    rho = spin.incident_density("z")

    def ratios(U, r, alpha, lam):
        out = prof(U, r, alpha, lam, rho)
        left = out["current_left"][idx("Lz")]
        return out["current"][idx("Sz"), 0] / left, out["current_inf"][idx("Sz")] / left

    at0, far = ratios(0.5, 0.5, 0.0, 0.1)
    assert abs(at0 - (-0.107)) < 1e-3 and abs(at0 / far) > 10
    assert abs(ratios(0.5, 0.5, 0.0, 0.05)[1] - (-0.012)) < 1e-3
    assert abs(ratios(0.5, 0.5, 0.0, -0.05)[1] - 0.075) < 1e-3
    for lam in (1e-3, -1e-3):
        assert abs(ratios(0.5, 0.0, 0.0, lam)[1] - 2 / 9) < 2e-3
    assert abs(ratios(0.5, 0.0, 0.0, 0.0)[1]) < 1e-14


@pytest.mark.slow
def test_quadrature_converged_at_interface_and_far_field():
    U, r, alpha, lam = PARAMS[2]
    rho = spin.incident_density("z")
    a, b = prof(U, r, alpha, lam, rho), prof(U, r, alpha, lam, rho, n=2 * NODES)
    for key in ("current_left", "current_inf"):
        np.testing.assert_allclose(a[key], b[key], atol=1e-10)
    np.testing.assert_allclose(a["current"][:, 0], b["current"][:, 0], atol=1e-10)


@pytest.mark.slow
def test_public_functions_agree_with_the_core():
    U, r, alpha, lam = 0.7, 0.25, 0.2, -0.2
    assert abs(float(spin.conversion(U, r, alpha, lam, "z", "Sz", nodes=NODES)) - 0.2136613) < 1e-6
    prof_ = spin.spin_profile(U, r, alpha, lam, Z, "z", nodes=NODES)
    depth = float(spin.conversion(U, r, alpha, lam, "z", "Sz", at=float(Z[3]), nodes=NODES))
    assert abs(depth - float(prof_.current["Sz"][3] / prof_.current_left["Lz"])) < 1e-12
    assert set(prof_.torque_soc) == set(NAMES)


# ---------------------------------------------------------------------------------------------
# Injection as a density matrix


def test_density_matrix_is_weighted_sum_of_pure_injections():
    U, r, alpha, lam = PARAMS[1]
    rng = np.random.default_rng(21)
    rho = random_density(rng, rank=3)
    mixed = prof(U, r, alpha, lam, spin.incident_density(rho))
    w, v = np.linalg.eigh(rho)
    total = None
    for p, vec in zip(w, v.T):
        if p < 1e-14:
            continue
        part = prof(U, r, alpha, lam, spin.incident_density(vec))
        total = {k: p * val for k, val in part.items()} if total is None else {k: total[k] + p * part[k] for k in part}
    for key in mixed:
        np.testing.assert_allclose(mixed[key], total[key], atol=1e-12, err_msg=key)


def test_orbital_injections_have_unpolarised_spin():
    v = np.array([0.3, 0.5j, -0.2])
    rho = spin.incident_density(v)
    vn = v / np.linalg.norm(v)
    np.testing.assert_allclose(rho, np.kron(np.outer(vn, vn.conj()), np.eye(2) / 2))
    np.testing.assert_allclose(spin.incident_density(np.outer(vn, vn.conj())), rho)
    np.testing.assert_allclose(np.trace(spin.incident_density("z")), 1.0)


@pytest.mark.parametrize(
    "bad,words",
    [
        (np.array([[0.5, 0.1], [0.1, 0.5]]), "shape"),
        (np.diag([0.7, 0.2, 0.2]), "trace 1"),
        (np.array([[0.5, 0.3j, 0], [0.3j, 0.5, 0], [0, 0, 0]]), "Hermitian"),
        (np.diag([1.2, -0.2, 0, 0, 0, 0]), "positive semidefinite"),
        (np.zeros(6), "nonzero"),
        ("w", "unknown incident"),
        (np.array([np.nan, 0, 0]), "finite"),
    ],
)
def test_bad_injection_is_refused_naming_the_basis(bad, words):
    with pytest.raises(ValueError, match=words) as err:
        spin.spin_profile(0.5, 0.5, 0.0, 0.1, 0.0, bad)
    assert "|m = +1, 0, -1>" in str(err.value) or "|m = +1>" in str(err.value)


@pytest.mark.parametrize(
    "args,words",
    [
        ((1.0, 0.5, 0.0, 0.1), "U must satisfy"),
        ((0.5, -1.0, 0.0, 0.1), "r must satisfy"),
        ((0.5, 0.5, np.inf, 0.1), "alpha must be finite"),
        ((0.5, 0.5, 0.0, np.nan), "lam must be finite"),
        ((0.5, 0.5, 0.0, 0.5), "lam = 1 - U"),
        ((0.5, 0.5, 0.0, -0.25), "lam = -"),
    ],
)
def test_bad_parameters_are_refused(args, words):
    with pytest.raises(ValueError, match=words):
        spin.conversion(*args)
    with pytest.raises(ValueError, match=words):
        spin.spin_profile(*args, [0.0, 1.0])


def test_bad_conversion_arguments_are_refused():
    with pytest.raises(ValueError, match="observable must be one of"):
        spin.conversion(0.5, 0.5, 0.0, 0.1, to="Sw")
    with pytest.raises(ValueError, match="at must be"):
        spin.conversion(0.5, 0.5, 0.0, 0.1, at="far")
    with pytest.raises(ValueError, match="z must satisfy"):
        spin.conversion(0.5, 0.5, 0.0, 0.1, at=-1.0)


# ---------------------------------------------------------------------------------------------
# Gradients


def _conversion(U, r, alpha, lam):
    return api.conversion_core(
        U, r, alpha, lam, jnp.asarray(spin.incident_density("z")), jnp.array([0.0, 0.0, 1.0]), 0.0, "Sz", 8, True
    )


_GRAD = jax.jit(jax.grad(_conversion, argnums=(0, 1, 2, 3)))


@pytest.mark.slow
def test_conversion_gradients_match_central_differences_and_stay_finite():
    h = 1e-5
    for point in [(0.5, 0.5, 0.3, 0.1), (0.3, 2.0, -0.7, -0.3), (0.5, 1e-3, 0.3, 0.2), (0.5, 0.5, 0.3, 1e-3)]:
        grad = np.asarray(_GRAD(*point))
        for i in range(4):
            up, dn = list(point), list(point)
            up[i] += h
            dn[i] -= h
            fd = (float(_conversion(*up)) - float(_conversion(*dn))) / (2 * h)
            assert abs(grad[i] - fd) < 1e-6 * max(1.0, abs(fd)), (point, i, grad[i], fd)
    # exactly degenerate points (r = 0 or lam = 0: a 1/2 band meets the 3/2 band) stay finite
    for point in [(0.5, 0.5, 0.3, 0.0), (0.5, 0.0, 0.3, 0.2), (0.5, 0.0, 0.3, 0.0)]:
        assert np.all(np.isfinite(np.asarray(_GRAD(*point))))
