"""The interface boundary conditions (docs/theory.md §4) against a lattice of the same Hamiltonian.

The continuum boundary conditions follow from one Hermitian ordering of the position-dependent
crystal field,

    H = k_z C(z) k_z + (1/2){r(z) M, k_z} + r(z) A^2 + U(z) + kappa^2 + alpha K delta(z).

A finite-difference chain of that operator (C and the r of the M term at bond midpoints, step
functions with weight 1/2 on the interface site, alpha K / a there) with exact semi-infinite
leads knows nothing of the boundary conditions; its reflection amplitudes must converge to the
continuum ones as O(a^2), and Richardson extrapolation of two lattice constants must agree with
the continuum solve to far better than the distance to any other ordering. Everything here is
plain NumPy/SciPy except :func:`_reference_reflection`, the package's reference solve.
"""

import jax
import numpy as np
import pytest
import scipy.linalg

from jaxorb import reference
from jaxorb.operators import LX, LY, LZ

I3 = np.eye(3)
LZ2 = (LZ @ LZ).real
#: Lattice constants (in 1/k_F) of the convergence test: the error ratios between successive
#: ones measure the order, the last two are extrapolated.
SPACINGS = (0.02, 0.01, 0.005)


_solve_basis = jax.jit(jax.vmap(reference.amplitudes, (None,) * 5 + (0,)))


def _reference_reflection(U, r, alpha, kappa, phi):
    """The package's reference solve: 3x3 reflection matrix, column j for incident |m_j>."""
    return np.asarray(_solve_basis(U, r, alpha, kappa, phi, I3 + 0j)[0]).T


def _local(kappa, phi):
    """A, M = {A, L_z}, K = L_x k_y - L_y k_x at transverse momentum kappa (cos phi, sin phi)."""
    kx, ky = kappa * np.cos(phi), kappa * np.sin(phi)
    a = kx * LX + ky * LY
    return a, a @ LZ + LZ @ a, LX * ky - LY * kx


def _step(z):
    """Heaviside step with the value 1/2 at z = 0."""
    return np.where(z > 0, 1.0, np.where(z < 0, 0.0, 0.5))


def _right_modes(c, rm, b, a):
    """Right-going or decaying modes of the homogeneous right layer, on a lattice or in the continuum.

    The bulk equation for psi_n = u lambda^n on the chain, with lambda = 1 + a w, is the
    quadratic eigenvalue problem (-C - (i/2) a r M) w^2 + (-i r M + a B) w + B = 0 with
    B = kappa^2 + U + r A^2 - E: written in w it stays well scaled as a -> 0, where it becomes the
    continuum's C q^2 + r M q + B = 0 with w = i q. Solved by companion linearisation.

    Returns:
        (u, w): u (3, 3) eigenvectors as columns, w (3,) with |1 + a w| < 1 (decaying into
        z > 0) or |1 + a w| = 1 and positive group velocity.
    """
    q2 = -c - 0.5j * a * rm
    q1 = -1j * rm + a * b
    zero = np.zeros((3, 3))
    w, v = scipy.linalg.eig(np.block([[zero, I3], [-b, -q1]]), np.block([[I3, zero], [zero, q2]]))
    u = v[:3]
    growth = 2.0 * w.real + a * np.abs(w) ** 2  # (|lambda|^2 - 1) / a
    keep = []
    for j in range(6):
        if growth[j] < -1e-9:
            keep.append(j)
        elif abs(growth[j]) <= 1e-9:
            # dH/dtheta at lambda = exp(i theta): sin(theta)/a = Im w, cos(theta) = 1 + a Re w
            vel = u[:, j].conj() @ (2.0 * c * w[j].imag + rm * (1.0 + a * w[j].real)) @ u[:, j]
            if vel.real > 0:
                keep.append(j)
    assert len(keep) == 3, growth
    return u[:, keep], w[keep]


def chain_reflection(U, r, alpha, kappa, phi, a, sites=4, energy=1.0, ordering=None):
    """Reflection matrix of the tight-binding chain with lattice constant a.

    Sites z_n = n a, n = -sites..sites, between two exact semi-infinite leads entered as
    self-energies: the right lead's transfer matrix F = U diag(lambda) U^-1 over its right-going
    and decaying modes, the left lead's reflected wave lambda_N^-n (the left layer is
    isotropic). The incident wave has unit amplitude at site 0, like the continuum's at z = 0.

    Args:
        ordering: None for (1/2){r M, k_z} with r at bond midpoints (second order); or a matrix
            X for X k_z r + r k_z X^H with r on the sites and central differences (first order
            at the interface), whose bulk is the same whenever X + X^H = M.

    Returns:
        (3, 3) complex array, column j for incident |m_j>, amplitudes referred to z = 0.
    """
    A, M, K = _local(kappa, phi)
    a2 = A @ A
    n = np.arange(-sites, sites + 1)
    on_site = _step(n * a)
    on_bond = _step((n[:-1] + 0.5) * a)
    size = len(n)
    h = np.zeros((size, 3, size, 3), complex)
    for i in range(size):
        h[i, :, i] = (kappa**2 + U * on_site[i] - energy) * I3 + r * on_site[i] * a2
    h[sites, :, sites] += alpha * K / a

    def bond(c, i):
        """Hopping T_{i, i+1} of k_z C k_z plus the M term across one bond."""
        if ordering is None:
            return -c / a**2 - 0.5j * r * on_bond[i] * M / a
        r_here, r_next = r * on_site[i], r * on_site[i + 1]
        return -c / a**2 - 0.5j * (r_next * ordering + r_here * ordering.conj().T) / a

    on_site = np.append(on_site, 1.0)  # the first lead site, for the outer bond
    for i in range(size - 1):
        c = I3 + r * on_bond[i] * LZ2
        hop = bond(c, i)
        h[i, :, i + 1] += hop
        h[i + 1, :, i] += hop.conj().T
        h[i, :, i] += c / a**2
        h[i + 1, :, i + 1] += c / a**2
    # right lead: the outer bond's diagonal part and psi_{n+1} = F psi_n
    c_r = I3 + r * LZ2
    u, w = _right_modes(c_r, r * M, (kappa**2 + U - energy) * I3 + r * a2, a)
    transfer = u @ np.diag(1.0 + a * w) @ np.linalg.inv(u)
    on_bond = np.append(on_bond, 1.0)
    h[-1, :, -1] += c_r / a**2 + bond(c_r, size - 1) @ transfer
    # left lead: lambda_N = exp(i theta_N) with 4 sin^2(theta_N / 2) / a^2 = E - kappa^2
    b_n = kappa**2 - energy
    lam = 1.0 + 0.5 * a * (a * b_n + 1j * np.sqrt(-4.0 * b_n - (a * b_n) ** 2))
    hop_l = -I3 / a**2
    h[0, :, 0] += I3 / a**2 + hop_l * lam
    # psi_{-s-1} = lam psi_{-s} + in (lam^{-s-1} - lam^{1-s}): the incident part is the source
    source = np.zeros((size, 3, 3), complex)
    source[0] = -hop_l * (lam ** (-sites - 1) - lam ** (1 - sites))
    psi = np.linalg.solve(h.reshape(3 * size, 3 * size), source.reshape(3 * size, 3))
    return (psi[:3] - I3 * lam ** (-sites)) / lam**sites


def continuum_reflection(U, r, alpha, kappa, phi, jump):
    """Continuum 6x6 solve with the boundary condition C psi_R' + i r X psi = psi_L' + alpha K psi.

    ``jump`` is X: M/2 for the symmetric ordering (1/2){r M, k_z}, L_z A for L_z A k_z r + h.c.,
    A L_z for its mirror, 0 for dropping the interface term. Modes are numeric (the a = 0 limit
    of :func:`_right_modes`), independent of the package's analytic ones.

    Returns:
        (rho, t, u, q): reflection (3, 3), transmission onto the modes (3, 3), modes (3, 3), q (3,).
    """
    A, M, K = _local(kappa, phi)
    c = I3 + r * LZ2
    u, w = _right_modes(c, r * M, (kappa**2 + U - 1.0) * I3 + r * A @ A, 0.0)
    q_n = np.sqrt(1.0 - kappa**2)
    mat = np.block([[I3, -u], [1j * q_n * I3 - alpha * K, c @ (u * w) + 1j * r * jump @ u]])
    x = np.linalg.solve(mat, np.vstack([-I3, 1j * q_n * I3 + alpha * K]))
    return x[:3], x[3:], u, -1j * w


def _orderings(kappa, phi):
    """The alternatives to the symmetric jump term X = M/2, by name."""
    A, _, _ = _local(kappa, phi)
    return {"L_z A k_z r": LZ @ A, "A L_z k_z r": A @ LZ, "no interface term": np.zeros((3, 3))}


def _points(n_per_regime=2, seed=7):
    """Random (U, r, alpha, kappa, phi), at least 0.05 from every branch point, covering the
    channel regimes: all modes propagating; helicity +-1 evanescent; helicity 0 evanescent
    (r < 0); all evanescent."""
    rng = np.random.default_rng(seed)
    found = {regime: [] for regime in range(4)}
    while any(len(v) < n_per_regime for v in found.values()):
        U, r = rng.uniform(-0.5, 0.85), rng.uniform(-0.6, 4.0)
        alpha, kappa, phi = rng.uniform(-2.0, 2.0), rng.uniform(0.05, 0.95), rng.uniform(0.0, 2 * np.pi)
        k_r = np.sqrt(1.0 - U)
        k_t = k_r / np.sqrt(1.0 + r)
        if min(abs(kappa - k_t), abs(kappa - k_r), 1.0 - kappa) < 0.05:
            continue
        regime = int(kappa > k_t) + 2 * int(kappa > k_r)
        if len(found[regime]) < n_per_regime:
            found[regime].append((U, r, alpha, kappa, phi))
    return [p for k in sorted(found) for p in found[k]]


POINTS = _points()


def _richardson(fine, coarse):
    """Removes the a^2 term of two results at spacings a and 2a."""
    return (4.0 * fine - coarse) / 3.0


@pytest.fixture(scope="module")
def lattice_limits():
    """Per point: the reference reflection matrix, the lattice ones at SPACINGS, the extrapolation."""
    out = []
    for p in POINTS:
        lattice = [chain_reflection(*p, a) for a in SPACINGS]
        out.append((_reference_reflection(*p), lattice, _richardson(lattice[-1], lattice[-2])))
    return out


def test_lattice_converges_to_boundary_conditions_at_second_order(lattice_limits):
    for p, (ref, lattice, limit) in zip(POINTS, lattice_limits):
        err = [np.abs(x - ref).max() for x in lattice]
        ratios = [e0 / e1 for e0, e1 in zip(err, err[1:])]
        assert all(3.7 < x < 4.3 for x in ratios), (p, err)
        assert err[-1] < 1e-4, (p, err)
        assert np.abs(limit - ref).max() < 1e-8, (p, np.abs(limit - ref).max())


def test_chain_length_does_not_matter():
    """The leads are exact: the sites between them only move where the interface is read off."""
    for p in POINTS[::3]:
        short, long = chain_reflection(*p, 0.01, sites=1), chain_reflection(*p, 0.01, sites=12)
        assert np.abs(short - long).max() < 1e-11


def test_numeric_modes_reproduce_reference():
    for p in POINTS:
        _, M, _ = _local(p[3], p[4])
        rho = continuum_reflection(*p, 0.5 * M)[0]
        assert np.abs(rho - _reference_reflection(*p)).max() < 1e-12


def test_other_orderings_are_far_from_lattice_limit(lattice_limits):
    """Other Hermitian orderings (and dropping the interface term) give visibly different
    amplitudes: the lattice discriminates between them by orders of magnitude."""
    distances = {name: [] for name in _orderings(0.5, 0.0)}
    for p, (ref, _, limit) in zip(POINTS, lattice_limits):
        agreement = np.abs(limit - ref).max()
        for name, jump in _orderings(p[3], p[4]).items():
            d = np.abs(continuum_reflection(*p, jump)[0] - limit).max()
            assert d > 1e4 * agreement, (p, name, d, agreement)
            distances[name].append(d)
    for name, d in distances.items():
        assert max(d) > 0.1, (name, d)


def test_each_ordering_has_its_own_lattice_limit():
    """The chain of each Hermitian ordering (r on sites) converges, at first order, to that
    ordering's boundary condition and stays far from the others': the lattice resolves the
    ordering, it does not favour one."""
    for p in POINTS:
        A, M, _ = _local(p[3], p[4])
        candidates = {"symmetric": 0.5 * M, **_orderings(p[3], p[4])}
        del candidates["no interface term"]  # not Hermitian: no lattice of its own
        limits = {name: continuum_reflection(*p, x)[0] for name, x in candidates.items()}
        for name, x in candidates.items():
            err = [np.abs(chain_reflection(*p, a, ordering=x) - limits[name]).max() for a in SPACINGS]
            assert all(1.8 < e0 / e1 < 2.2 for e0, e1 in zip(err, err[1:])), (p, name, err)
            others = [np.abs(limits[o] - limits[name]).max() for o in limits if o != name]
            assert err[-1] < 0.1 * min(others), (p, name, err, others)


def _currents(p, jump, incident, op):
    """Current of op left and right of z = 0 (2m = 1 units, docs/theory.md §5)."""
    U, r, _, kappa, phi = p
    _, M, _ = _local(kappa, phi)
    rho, t, u, q = continuum_reflection(*p, jump)
    c = I3 + r * LZ2
    refl, psi = rho @ incident, u @ (t @ incident)
    dpsi = u @ (1j * q * (t @ incident))
    q_n = np.sqrt(1.0 - kappa**2)
    left = 2 * q_n * (incident.conj() @ op @ incident - refl.conj() @ op @ refl).real
    oc, om = op @ c + c @ op, op @ M + M @ op
    right = (psi.conj() @ oc @ (-1j * dpsi)).real + 0.5 * r * (psi.conj() @ om @ psi).real
    return left, right


def _predicted_jump(p, jump, incident, op):
    """J_R(0+) - J_L(0-) for an O commuting with C, from the boundary condition alone:
    -r psi^H (O X + X^H O) psi + (r/2) psi^H {O, M} psi - i alpha psi^H [O, K] psi at z = 0."""
    U, r, alpha, kappa, phi = p
    _, M, K = _local(kappa, phi)
    psi = incident + continuum_reflection(*p, jump)[0] @ incident
    form = -r * (op @ jump + jump.conj().T @ op) + 0.5 * r * (op @ M + M @ op) - 1j * alpha * (op @ K - K @ op)
    return (psi.conj() @ form @ psi).real


def test_current_jumps_follow_from_the_ordering(rng):
    """With the jump term i r X, X = s L_z A + (1 - s) A L_z (Hermitian for every real s), the
    probability current is conserved for every s and alpha, and the L_z current at alpha = 0
    jumps by -r (s - 1/2) psi^H A psi: only the symmetric s = 1/2 keeps it continuous. Dropping
    the term (X = 0) breaks probability conservation."""
    for p in POINTS:
        inc = rng.normal(size=3) + 1j * rng.normal(size=3)
        inc /= np.linalg.norm(inc)
        U, r, alpha, kappa, phi = p
        A, M, _ = _local(kappa, phi)
        p0 = (U, r, 0.0, kappa, phi)
        for s in (0.0, 0.3, 0.5, 1.0, None):
            jump = np.zeros((3, 3)) if s is None else s * LZ @ A + (1 - s) * A @ LZ
            for point in (p, p0):
                for op in (I3, LZ, LZ2):
                    left, right = _currents(point, jump, inc, op)
                    assert abs(right - left - _predicted_jump(point, jump, inc, op)) < 1e-12
            left, right = _currents(p, jump, inc, I3)
            jump_one = right - left
            left, right = _currents(p0, jump, inc, LZ)
            jump_lz = right - left
            if s is None:
                assert abs(jump_one) > 1e-3 * abs(r) * kappa
                continue
            assert abs(jump_one) < 1e-12
            psi0 = inc + continuum_reflection(*p0, jump)[0] @ inc
            assert abs(jump_lz + r * (s - 0.5) * (psi0.conj() @ A @ psi0).real) < 1e-12
            if s == 0.5:
                assert abs(jump_lz) < 1e-12
            else:
                assert abs(jump_lz) > 1e-6
