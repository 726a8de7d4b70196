"""The vectorised NumPy baselines of the grid target and the spinful target (``jaxorb bench``,
bench_grid.py, bench_spin.py).

The grid quantities with the same quadrature written in NumPy, vectorised over every parameter
point, kappa node and phi point: stacked 6x6 boundary systems (docs/theory.md §4) solved by
``numpy.linalg.solve``, no Python loops over points or nodes. It is what plain NumPy gives for
this workload, the comparison of the grid target's speed-up; :func:`jaxorb.bench.numpy_baseline`
loads it from a source checkout. :func:`spin_conversion` does the same for the spinful model
(docs/theory.md §12) with stacked 12x12 systems.
"""

from __future__ import annotations

import numpy as np

from jaxorb.operators import INCIDENT_STATES, L2, LX, LY, LZ, OPERATORS, SQRT2


def _sqrt_branch(x):
    """q = sqrt(x) for x >= 0, i sqrt(-x) otherwise (docs/theory.md §3)."""
    return np.where(x >= 0, np.sqrt(np.abs(x)), 1j * np.sqrt(np.abs(x)))


def interface_quantities(
    U: float, r: np.ndarray, alpha: np.ndarray, kappa: np.ndarray, weight: np.ndarray, n_phi: int = 8, p: float = 2.0
) -> dict[str, np.ndarray]:
    """The grid quantities with NumPy, vectorised over points, kappa nodes and phi points.

    Builds the 6x6 boundary system of docs/theory.md §4 at every (point, kappa, phi) with both
    incident states (|L_x>, |L_z>) as right-hand sides, solves them with one stacked
    ``numpy.linalg.solve``, forms the currents of docs/theory.md §5 at z = 0 and averages them with the
    kappa rule of the fast path and the equally spaced phi rule (§6).

    Args:
        U: potential step (scalar). r, alpha: (P,) parameters.
        kappa, weight: (P, K) kappa nodes and weights (the fast path's rule, :func:`kappa_nodes`).
        n_phi: phi points (exact from 5; 8 is the package's reference rule).
        p: transparency of the memory-loss equation (paper Eq. 9).

    Returns:
        dict name -> (P,) for :data:`GRID_NAMES`.
    """
    r = np.asarray(r, float)[:, None, None]
    alpha = np.asarray(alpha, float)[:, None, None]
    phi = 2 * np.pi * np.arange(n_phi) / n_phi
    kap = np.asarray(kappa)[:, :, None]
    k_r = np.sqrt(1.0 - U)
    k_t = k_r / np.sqrt(1.0 + r)
    q_t = _sqrt_branch((k_t - kap) * (k_t + kap))
    q_r = _sqrt_branch((k_r - kap) * (k_r + kap))
    q_n = np.sqrt(np.maximum(1.0 - kap * kap, 0.0))
    e = np.exp(1j * phi)  # (F,)
    beta = kap / (q_t + k_t)
    b2 = beta * beta
    norm = 1.0 / (1.0 + b2)
    shape = np.broadcast_shapes(beta.shape, e.shape)
    u = np.zeros(shape + (3, 3), complex)
    # columns +, -, 0 at azimuth phi (paper Eq. 4 phases)
    u[..., 0, 0] = norm
    u[..., 1, 0] = SQRT2 * beta * norm * e
    u[..., 2, 0] = b2 * norm * e * e
    u[..., 0, 1] = b2 * norm
    u[..., 1, 1] = -SQRT2 * beta * norm * e
    u[..., 2, 1] = norm * e * e
    u[..., 0, 2] = -kap / (SQRT2 * k_r) / e
    u[..., 1, 2] = q_r / k_r
    u[..., 2, 2] = kap / (SQRT2 * k_r) * e
    q = np.stack(np.broadcast_arrays(q_t, q_t, q_r), axis=-1)  # (P, K, 1, 3)
    kx = (kap * np.cos(phi))[..., None, None]
    ky = (kap * np.sin(phi))[..., None, None]
    a_op = kx * LX + ky * LY
    m_op = a_op @ LZ + LZ @ a_op
    k_op = LX * ky - LY * kx
    rr = r[..., None, None]
    c_op = np.eye(3) + rr * np.diag(L2)
    w_mat = 1j * (c_op @ u) * q[..., None, :] + 0.5j * rr * (m_op @ u)
    iqn = (1j * q_n)[..., None, None] * np.eye(3)
    al = alpha[..., None, None]
    big = np.zeros(shape + (6, 6), complex)
    big[..., :3, :3] = np.eye(3)
    big[..., :3, 3:] = -u
    big[..., 3:, :3] = iqn - al * k_op
    big[..., 3:, 3:] = w_mat
    inc = np.stack([INCIDENT_STATES["x"], INCIDENT_STATES["z"]], axis=-1)  # (3, 2)
    rhs = np.concatenate([np.broadcast_to(-inc, shape + (3, 2)), (iqn + al * k_op) @ inc], axis=-2)
    x = np.linalg.solve(big, rhs)  # (P, K, F, 6, 2)
    rho, t = x[..., :3, :], x[..., 3:, :]
    psi = u @ t
    dpsi = u @ (1j * q[..., :, None] * t)
    avg = np.asarray(weight)[:, :, None] / n_phi  # (P, K, 1)

    def right(op, j):
        oc = op @ c_op + c_op @ op
        om = op @ m_op + m_op @ op
        ps, dps = psi[..., j], dpsi[..., j]
        kin = np.einsum("...i,...ij,...j->...", ps.conj(), oc, -1j * dps).real
        cf = np.einsum("...i,...ij,...j->...", ps.conj(), om, ps).real
        return (0.5 * (kin + 0.5 * r * cf) * avg).sum(axis=(1, 2))

    def left(op, j):
        vin = inc[:, j]
        ref = rho[..., j]
        val = np.vdot(vin, op @ vin).real - np.einsum("...i,ij,...j->...", ref.conj(), op, ref).real
        return (q_n * val * avg).sum(axis=(1, 2))

    jl_x = left(LX, 0)
    jl_z = left(LZ, 1)
    ratio = jl_z / right(LZ, 1)
    return {
        "eta_yz_x": right(OPERATORS["Lyz"], 0) / jl_x,
        "eta_x2-y2_x": right(OPERATORS["Lx2-y2"], 0) / jl_x,
        "eta_z2_z": right(OPERATORS["Lz2"], 1) / jl_z,
        "delta_z": _memory_loss(ratio, p),
    }


def _memory_loss(ratio: np.ndarray, p: float) -> np.ndarray:
    """delta >= 0 with cosh(delta) + p delta sinh(delta) = ratio, vectorised Newton (Eq. 9)."""
    valid = ratio >= 1.0 - 1e-12
    x = np.where(valid & (ratio > 1.0 + 1e-12), ratio, 1.0)
    d = np.arccosh(x)
    for _ in range(60):
        g = np.cosh(d) + p * d * np.sinh(d) - x
        dg = (1.0 + p) * np.sinh(d) + p * d * np.cosh(d)
        d = np.where(dg > 0, d - g / np.where(dg > 0, dg, 1.0), d)
    return np.where(valid, np.maximum(d, 0.0), np.nan)


def spin_conversion(
    U: float,
    alpha: float,
    r: np.ndarray,
    kappa: np.ndarray,
    weight: np.ndarray,
    u0: np.ndarray,
    q: np.ndarray,
    q_n: np.ndarray,
    n_phi: int = 8,
) -> np.ndarray:
    """J_Sz(inf) / J_Lz(0-) for |L_z> with unpolarised spin, vectorised over points, kappa nodes
    and phi points: one stacked 12x12 boundary solve per (point, kappa, phi), no symmetry used
    (docs/theory.md §4, §12).

    Args:
        U, alpha: scalars. r: (P,). kappa, weight: (P, K) the fast path's kappa rule.
        u0, q, q_n: (P, K, 6, 6), (P, K, 6), (P, K) the analytic modes at phi = 0
            (:func:`jaxorb.spin.bands.modes`), rotated here to every phi by R(phi) = exp(-i phi J_z).
        n_phi: phi points (8 is the reference rule).

    Returns:
        (P,) the conversion ratio.
    """
    from jaxorb.spin.operators import JZ_QUANTUM, MATRICES, orbital

    del U  # enters through the modes and the rule
    r = np.asarray(r, float)
    kappa, weight, u0, q, q_n = (np.asarray(x) for x in (kappa, weight, u0, q, q_n))
    phi = 2 * np.pi * np.arange(n_phi) / n_phi
    rot = np.exp(-1j * phi[:, None] * JZ_QUANTUM[None, :])  # (F, 6) diagonal of R(phi)
    u = rot[None, None, :, :, None] * u0[:, :, None]  # (P, K, F, 6, 6)
    kap = kappa[:, :, None, None, None]
    kx, ky = kap * np.cos(phi)[None, None, :, None, None], kap * np.sin(phi)[None, None, :, None, None]
    lx, ly, lz = orbital(LX), orbital(LY), orbital(LZ)
    a_op = kx * lx + ky * ly
    m_op = a_op @ lz + lz @ a_op
    k_op = lx * ky - ly * kx
    rr = r[:, None, None, None, None]
    c_op = np.eye(6) + rr * (lz @ lz)
    qq = q[:, :, None, None, :]
    w_mat = 1j * (c_op @ u) * qq + 0.5j * rr * (m_op @ u)
    iqn = (1j * q_n)[:, :, None, None, None] * np.eye(6)
    shape = u.shape[:-2]
    big = np.zeros(shape + (12, 12), complex)
    big[..., :6, :6] = np.eye(6)
    big[..., :6, 6:] = -u
    big[..., 6:, :6] = iqn - alpha * k_op
    big[..., 6:, 6:] = w_mat
    inc = np.zeros((6, 2), complex)
    inc[0, 0] = inc[1, 1] = 1.0  # |+1, up>, |+1, down>: |L_z> with unpolarised spin
    rhs = np.concatenate([np.broadcast_to(-inc, shape + (6, 2)), (iqn + alpha * k_op) @ inc], axis=-2)
    x = np.linalg.solve(big, rhs)
    refl, t = x[..., :6, :], x[..., 6:, :]
    avg = weight[:, :, None] / n_phi
    lzo, szo = MATRICES["Lz"], MATRICES["Sz"]
    left = (
        q_n[:, :, None]
        * (1.0 - 0.5 * np.einsum("...ia,ij,...ja->...", refl.conj(), lzo, refl, optimize=True).real)
        * avg
    ).sum(axis=(1, 2))
    # far field: pairs of propagating modes with equal q (docs/theory.md §7)
    same = (q[..., :, None] == q[..., None, :]) & (q.imag[..., :, None] == 0) & (q.imag[..., None, :] == 0)
    oc = szo @ c_op + c_op @ szo
    om = szo @ m_op + m_op @ szo
    uh = np.conj(u).swapaxes(-1, -2)
    pair = uh @ oc @ u * qq + 0.5 * rr * (uh @ om @ u)
    tt = (t @ np.conj(t).swapaxes(-1, -2)).swapaxes(-1, -2) * 0.5  # (b', b) weights, spin averaged
    val = 0.25 * (pair + np.conj(pair).swapaxes(-1, -2)) * tt.swapaxes(-1, -2)
    jinf = (np.where(same[:, :, None], val, 0.0).sum(axis=(-1, -2)).real * avg).sum(axis=(1, 2))
    return jinf / left
