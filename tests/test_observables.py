"""Densities, currents and torques: continuity, selection rules and limits (docs/theory.md §5, §7, §9)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import operators as ops
from jaxorb import quadrature, reference

Z = np.array([0.0, 0.7, 3.0, 11.0])


def point_fields(U, r, alpha, kappa, phi, inc, z):
    rho, t, md = reference.solve(U, r, alpha, kappa, phi, inc)
    a, m, _, c = reference.local_operators(kappa * np.cos(phi), kappa * np.sin(phi), r)
    psi, dpsi, ddpsi = reference.wavefunctions(t, md, jnp.asarray(z))
    return psi, dpsi, ddpsi, a, m, c


def test_current_derivative_is_torque_pointwise(rng):
    """dJ/dz (finite differences in z) equals the analytic derivative, and for L_z the full
    commutator torque -i r <[L_z, A^2]> + r Im(psi^H G psi') (docs/theory.md §7), per (kappa, phi)."""
    h = 1e-4
    for _ in range(25):
        U, r, alpha = rng.uniform(-0.5, 0.9), rng.uniform(0.05, 6), rng.uniform(-2, 2)
        kappa, phi = rng.uniform(0, 1), rng.uniform(0, 2 * np.pi)
        inc = rng.normal(size=3) + 1j * rng.normal(size=3)
        z = rng.uniform(0.1, 5.0)
        zs = np.array([z - h, z, z + h])
        psi, dpsi, ddpsi, a, m, c = point_fields(U, r, alpha, kappa, phi, inc, zs)
        for op in ops.OPERATORS.values():
            j = np.asarray(reference.current_right(psi, dpsi, op, c, m, r))
            fd = (j[2] - j[0]) / (2 * h)
            an = float(reference.current_derivative(psi, dpsi, ddpsi, op, c, m, r)[1])
            assert abs(fd - an) < 1e-6 * max(1, abs(an))
        tau = float(reference.torque_lz_commutator(psi[1], dpsi[1], a, m, r))
        an = float(reference.current_derivative(psi, dpsi, ddpsi, ops.LZ, c, m, r)[1])
        assert abs(tau - an) < 1e-12 * max(1, abs(an))


def test_a2_term_alone_is_not_the_torque(rng):
    """The paper's Eq. 11 (A^2 term only) differs from dJ/dz pointwise."""
    diffs = []
    for _ in range(10):
        kappa, phi = rng.uniform(0.1, 0.5), rng.uniform(0, 2 * np.pi)
        psi, dpsi, ddpsi, a, m, c = point_fields(0.5, 0.5, 0.0, kappa, phi, ops.INCIDENT_STATES["z"], np.array([2.0]))
        full = float(reference.torque_lz_commutator(psi[0], dpsi[0], a, m, 0.5))
        a2 = float(reference.torque_lz_a2(psi[0], a, 0.5))
        diffs.append(abs(full - a2))
    assert max(diffs) > 1e-3


def _commutator_torque_lz(U, r, alpha, kappa, phi, inc):
    rho, t, md = reference.solve(U, r, alpha, kappa, phi, inc)
    a, m, _, _ = reference.local_operators(kappa * jnp.cos(phi), kappa * jnp.sin(phi), r)
    psi, dpsi, _ = reference.wavefunctions(t, md, jnp.array([2.0]))
    return reference.torque_lz_commutator(psi[0], dpsi[0], a, m, r)


#: (n_kappa,) x (n_phi,) -> (n_kappa, n_phi) commutator torque on L_z at z = 2, per (kappa, phi)
commutator_torque_lz = jax.jit(
    jax.vmap(jax.vmap(_commutator_torque_lz, (None,) * 4 + (0, None)), (None,) * 3 + (0, None, None))
)


@pytest.mark.parametrize("params", [(0.5, 0.5, 0.0), (0.3, 1.5, 0.8), (0.7, 4.0, -1.2)])
@pytest.mark.slow
def test_averaged_continuity(params):
    """After the Fermi average: tau = dJ/dz (finite differences of the averaged current), and for
    |L_z> the averaged commutator torque equals the profile's torque."""
    p = jo.Params(*params)
    h = 1e-4
    z = np.array([2.0 - h, 2.0, 2.0 + h])
    for inc in ("x", "z"):
        prof = jo.profile(p, z, inc, nodes=40)
        for name in ops.OPERATOR_NAMES:
            fd = (prof.current[name][2] - prof.current[name][0]) / (2 * h)
            assert abs(fd - prof.torque[name][1]) < 1e-8
    kappa, wk = quadrature.kappa_rule(p.U, p.r, 40)
    phi, wp = quadrature.phi_rule(6)
    tau = commutator_torque_lz(*params, jnp.asarray(kappa), jnp.asarray(phi), jnp.asarray(ops.INCIDENT_STATES["z"]))
    total = float(jnp.asarray(wk) @ tau @ jnp.asarray(wp))
    prof = jo.profile(p, np.array([2.0]), "z", nodes=40)
    assert abs(total - prof.torque["Lz"][0]) < 1e-10


@pytest.mark.parametrize("alpha", [0.0, 0.8])
def test_selection_rules(alpha):
    """|L_x> gives only L_x among dipoles and only L_yz among torsional quadrupoles; |L_y>
    mirrors it with <L_y^y> = <L_x^x>; |L_z> gives no torsional quadrupole; L_x2-y2 is opposite
    for x and y; polarisation quadrupoles accompany every injection."""
    p = jo.Params(0.5, 0.5, alpha)
    px, py, pz = (jo.profile(p, Z, inc) for inc in "xyz")
    for field in ("density", "current"):
        fx, fy, fz = getattr(px, field), getattr(py, field), getattr(pz, field)
        for name in ("Ly", "Lz", "Lxy", "Lzx"):
            assert np.abs(fx[name]).max() < 1e-14, (field, name)
        for name in ("Lx", "Lz", "Lxy", "Lyz"):
            assert np.abs(fy[name]).max() < 1e-14, (field, name)
        for name in ("Lx", "Ly", "Lxy", "Lyz", "Lzx"):
            assert np.abs(fz[name]).max() < 1e-14, (field, name)
        assert np.abs(fx["Lyz"]).max() > 1e-2 and np.abs(fy["Lzx"]).max() > 1e-2
        assert np.allclose(fy["Ly"], fx["Lx"], atol=1e-13)
        assert np.allclose(fy["Lx2-y2"], -fx["Lx2-y2"], atol=1e-13)
        assert np.abs(fx["Lx2-y2"]).max() > 1e-2
        assert np.allclose(fy["Lz2"], fx["Lz2"], atol=1e-13)
        for f in (fx, fy, fz):
            assert np.abs(f["Lz2"]).max() > 1e-2
    # densities of L_x2-y2 under |L_x> and |L_y>: <L_x|L_x2-y2|L_x> = +1/4, <L_y|..|L_y> = -1/4
    assert px.density["Lx2-y2"][0] > 0 and py.density["Lx2-y2"][0] < 0


@pytest.mark.slow
def test_no_crystal_field_limits():
    """r = 0: no torsional quadrupole (at alpha = 0: the interfacial Rashba term alone does
    create some), every current constant in z and c = 0 (H_R commutes with every L-operator)."""
    z = np.linspace(0, 40, 9)
    for inc in "xyz":
        prof = jo.profile(jo.Params(0.5, 0.0, 0.0), z, inc)
        for name in ("Lxy", "Lyz", "Lzx"):
            assert np.abs(prof.density[name]).max() < 1e-14
            assert np.abs(prof.current[name]).max() < 1e-14
        prof = jo.profile(jo.Params(0.5, 0.0, 0.6), z, inc)
        for name in ops.OPERATOR_NAMES:
            j = prof.current[name]
            assert np.abs(j - j[0]).max() < 1e-12
            assert abs(prof.current_inf[name] - j[0]) < 1e-12
            assert np.abs(prof.torque[name]).max() < 1e-12
    for p in (jo.Params(0.5, 0.0, 0.0), jo.Params(0.5, 0.0, 0.6), jo.Params(-0.4, 0.0, 1.5)):
        for inc in "xyz":
            assert jo.mean_torque(p, inc) == 0.0


def test_free_interface_transmits_everything():
    """U = r = alpha = 0: no reflection, so J_L(0) = incident current and the densities are
    those of the incident state at every depth."""
    p = jo.Params(0.0, 0.0, 0.0)
    prof = jo.profile(p, np.array([0.0, 5.0]), "x")
    # disk average of q_N = 2 int_0^1 kappa sqrt(1 - kappa^2) dkappa = 2/3
    assert abs(prof.current_left["Lx"] - 2 / 3) < 1e-12
    assert abs(prof.current["Lx"][0] - 2 / 3) < 1e-12
    assert np.allclose(prof.density["Lx"], 1.0, atol=1e-12)
