"""Angular-momentum algebra, observables and incident states (docs/theory.md §2, §5)."""

import numpy as np
import pytest

from jaxorb import incident
from jaxorb import operators as ops


def comm(a, b):
    return a @ b - b @ a


def test_angular_momentum_algebra():
    lx, ly, lz = ops.LX, ops.LY, ops.LZ
    assert np.allclose(comm(lx, ly), 1j * lz)
    assert np.allclose(comm(ly, lz), 1j * lx)
    assert np.allclose(comm(lz, lx), 1j * ly)
    assert np.allclose(lx @ lx + ly @ ly + lz @ lz, 2 * np.eye(3))  # L(L+1) = 2
    for name, op in ops.OPERATORS.items():
        assert np.allclose(op, op.conj().T), name


def test_incident_dipoles_are_unit_moments():
    """<L_i|L_j|L_i> = delta_ij (paper, below Eq. 2), torsional quadrupoles vanish on them."""
    for i, key in enumerate("xyz"):
        v = ops.INCIDENT_STATES[key]
        assert np.isclose(np.linalg.norm(v), 1.0)
        for j, op in enumerate((ops.LX, ops.LY, ops.LZ)):
            assert np.isclose(np.vdot(v, op @ v).real, float(i == j))
        for q in ("Lxy", "Lyz", "Lzx"):
            assert abs(np.vdot(v, ops.OPERATORS[q] @ v)) < 1e-15
        # polarisation quadrupoles are intrinsic to a dipole injection
        assert abs(np.vdot(v, ops.OPERATORS["Lz2"] @ v)) > 0.1


def test_angular_bands_reconstruct_rotation():
    """R^H O R = sum_d O^(d) e^{i d phi} with R = exp(-i phi L_z)."""
    phi = 0.731
    rot = np.diag(np.exp(-1j * phi * ops.M_QUANTUM))
    for op in ops.OPERATORS.values():
        bands = ops.angular_bands(op)
        recon = sum(bands[d + 2] * np.exp(1j * d * phi) for d in range(-2, 3))
        assert np.allclose(rot.conj().T @ op @ rot, recon)


def test_incident_vector_normalises_and_rejects():
    v = ops.incident_vector(incident.amplitudes(2.0, 0.0, 0.0))
    assert np.allclose(v, [1, 0, 0])
    assert np.allclose(ops.incident_vector("Lx"), ops.INCIDENT_STATES["x"])
    for bad in ("w", [0, 0, 0], [1, 2], [np.nan, 0, 0], [[1, 0, 0]]):
        with pytest.raises(ValueError, match="incident"):
            ops.incident_vector(bad)


def test_operator_name_check():
    assert ops.check_operator_name("Lyz") == "Lyz"
    with pytest.raises(ValueError, match="Lx Ly|Lx, Ly"):
        ops.check_operator_name("Lq")
