"""Straightforward NumPy reference for the spinful model, independent of the analytic modes.

Per (kappa, phi): the six right-layer modes from the quadratic eigenvalue problem
(k_z^2 C + k_z r M + D) u = 0 (companion linearisation, 12x12 eigenproblem), then one 12x12 solve
of the boundary conditions (docs/theory.md §4, every block (x) I2) for the six basis incident
states, wavefunctions evaluated at each depth, equally spaced phi points, Gauss-Legendre in kappa.
"""

from __future__ import annotations

import numpy as np

from jaxorb.operators import LX, LY, LZ, OPERATORS

I2 = np.eye(2)
SX = np.array([[0, 1], [1, 0]], dtype=complex)
SY = np.array([[0, -1j], [1j, 0]], dtype=complex)
SZ = np.array([[1, 0], [0, -1]], dtype=complex)
L6 = [np.kron(m, I2) for m in (LX, LY, LZ)]
S6 = [np.kron(np.eye(3), s) / 2 for s in (SX, SY, SZ)]
LS = sum(2 * a @ b for a, b in zip(L6, S6))
OPS = {name: np.kron(m, I2) for name, m in OPERATORS.items()}
OPS.update({"Sx": S6[0], "Sy": S6[1], "Sz": S6[2]})
JZ = np.diag(L6[2] + S6[2]).real


def rotation(phi):
    """R(phi) = exp(-i phi J_z), diagonal in the basis."""
    return np.diag(np.exp(-1j * phi * JZ))


def hamiltonian_parts(U, r, lam, kappa, phi):
    """H_R - E_F = k_z^2 C + k_z B + D at transverse momentum kappa (cos phi, sin phi)."""
    kx, ky = kappa * np.cos(phi), kappa * np.sin(phi)
    a = kx * L6[0] + ky * L6[1]
    c = np.eye(6) + r * L6[2] @ L6[2]
    b = r * (a @ L6[2] + L6[2] @ a)
    d = (kappa**2 + U - 1.0) * np.eye(6) + r * a @ a + lam * LS
    return c, b, d


def numeric_modes(U, r, lam, kappa, phi, tol=1e-9):
    """Six outgoing modes (Re q > 0 propagating or Im q > 0 evanescent) from the 12x12 companion."""
    c, b, d = hamiltonian_parts(U, r, lam, kappa, phi)
    cinv = np.linalg.inv(c)
    comp = np.block([[np.zeros((6, 6)), np.eye(6)], [-cinv @ d, -cinv @ b]])
    val, vec = np.linalg.eig(comp)
    keep = (val.imag > tol) | ((np.abs(val.imag) <= tol) & (val.real > 0))
    if keep.sum() != 6:
        raise RuntimeError(f"expected 6 outgoing modes, found {keep.sum()} at kappa={kappa}")
    q = np.where(np.abs(val[keep].imag) <= tol, val[keep].real + 0j, val[keep])
    return vec[:6, keep], q


def solve_point(U, r, alpha, lam, kappa, phi):
    """One 12x12 solve at (kappa, phi) for the six basis incident states.

    Returns:
        (refl, trans, u, q, q_n): refl (6, 6) on |m, s>, trans (6, 6) onto the modes.
    """
    u, q = numeric_modes(U, r, lam, kappa, phi)
    kx, ky = kappa * np.cos(phi), kappa * np.sin(phi)
    a = kx * L6[0] + ky * L6[1]
    m = a @ L6[2] + L6[2] @ a
    k = L6[0] * ky - L6[1] * kx
    c = np.eye(6) + r * L6[2] @ L6[2]
    q_n = np.sqrt(1.0 - kappa**2)
    w = 1j * (c @ u) * q[None, :] + 0.5j * r * (m @ u)
    big = np.block([[np.eye(6), -u], [1j * q_n * np.eye(6) - alpha * k, w]])
    rhs = np.vstack([-np.eye(6), 1j * q_n * np.eye(6) + alpha * k])
    x = np.linalg.solve(big, rhs)
    return x[:6], x[6:], u, q, q_n


def kappa_rule(U, r, lam, n):
    """Gauss-Legendre in theta with kappa = a + (b - a) sin^2 theta on [0, 1] split at the bands;
    the segments, longest first, get n + 2m, n, n - m, n - m nodes (m = n // 4)."""
    xh = (1 - U - lam) / (1 + r)
    roots = np.roots([1 + r, (U - 1) * (1 + r) + (U - lam - 1), (U - lam - 1) * (U - 1) - 2 * lam**2]).real
    ks = np.sort(np.clip(np.sqrt(np.clip(np.r_[xh, roots], 0, None)), 0, 1))
    edges = np.r_[0.0, ks, 1.0]
    m = n // 4
    counts = dict(zip(np.argsort(-np.diff(edges), kind="stable"), (n + 2 * m, n, n - m, n - m)))
    kap, wts = [], []
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        if hi - lo <= 0:
            continue
        x, wg = np.polynomial.legendre.leggauss(counts[i])
        th, wt = 0.25 * np.pi * (x + 1), 0.25 * np.pi * wg
        kk = lo + (hi - lo) * np.sin(th) ** 2
        kap.append(kk)
        wts.append(2 * kk * (hi - lo) * np.sin(2 * th) * wt)
    return np.concatenate(kap), np.concatenate(wts)


def point_observables(U, r, alpha, lam, kappa, phi, rho_in, z, names):
    """Densities, currents, dJ/dz, spin-orbit torques at depths z; left and z -> inf currents."""
    refl, trans, u, q, q_n = solve_point(U, r, alpha, lam, kappa, phi)
    kx, ky = kappa * np.cos(phi), kappa * np.sin(phi)
    a = kx * L6[0] + ky * L6[1]
    m = a @ L6[2] + L6[2] @ a
    c = np.eye(6) + r * L6[2] @ L6[2]
    out = {key: [] for key in ("density", "current", "torque", "torque_soc", "current_left", "current_inf")}
    # psi(z) for each incident basis state: columns; rho enters as Tr[X Psi rho Psi^H]
    ph = np.exp(1j * np.outer(z, q))  # (nz, 6)
    psi = np.einsum("ib,zb,ba->zia", u, ph, trans)
    dpsi = np.einsum("ib,zb,ba->zia", u, ph * 1j * q, trans)
    ddpsi = np.einsum("ib,zb,ba->zia", u, ph * (1j * q) ** 2, trans)

    def form(x, f, g):
        return np.einsum("zia,ij,zjb,ba->z", f.conj(), x, g, rho_in)

    equal = np.abs(q[:, None] - q[None, :]) < 1e-9
    real = np.abs(q.imag) < 1e-12
    keep = equal & real[:, None] & real[None, :]
    mode_t = trans @ rho_in @ trans.conj().T  # (b', b) weights of mode pairs
    for name in names:
        o = OPS[name]
        oc, om = o @ c + c @ o, o @ m + m @ o
        out["density"].append(form(o, psi, psi).real)
        j = (form(oc, psi, -1j * dpsi)).real + 0.5 * r * form(om, psi, psi).real
        out["current"].append(0.5 * j)
        dj = (form(oc, dpsi, -1j * dpsi) + form(oc, psi, -1j * ddpsi)).real + r * form(om, dpsi, psi).real
        out["torque"].append(0.5 * dj)
        soc = 0.5j * lam * (LS @ o - o @ LS)
        out["torque_soc"].append(form(soc, psi, psi).real)
        out["current_left"].append(q_n * (np.trace(o @ rho_in) - np.trace(o @ refl @ rho_in @ refl.conj().T)).real)
        pair = u.conj().T @ oc @ u * q[None, :] + 0.5 * r * u.conj().T @ om @ u  # (b, b')
        jinf = 0.25 * np.sum(np.where(keep, (pair + pair.conj().T) * mode_t.T, 0.0))
        out["current_inf"].append(jinf.real)
    return {key: np.array(val) for key, val in out.items()}


def averaged(U, r, alpha, lam, rho_in, z, names, n=32, n_phi=8):
    """Fermi-disk averages of :func:`point_observables` (phi: n_phi equally spaced points)."""
    kap, wk = kappa_rule(U, r, lam, n)
    total = None
    for kk, w in zip(kap, wk):
        for phi in 2 * np.pi * np.arange(n_phi) / n_phi:
            val = point_observables(U, r, alpha, lam, kk, phi, rho_in, np.asarray(z, dtype=float), names)
            val = {key: w * v / n_phi for key, v in val.items()}
            total = val if total is None else {key: total[key] + val[key] for key in total}
    return total
