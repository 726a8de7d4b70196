"""The spinful kappa rule: its node allocation, exactness on the disk, and convergence where the
crystal field is strong (docs/theory.md §12)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from jaxorb import spin
from jaxorb.spin import bands, quadrature


def test_segment_nodes_give_four_n_longest_first():
    for n in range(1, 70):
        counts = quadrature.segment_nodes(n)
        assert sum(counts) == 4 * n and list(counts) == sorted(counts, reverse=True) and counts[1] == n
    assert quadrature.segment_nodes(64) == (96, 64, 48, 48)


@pytest.mark.parametrize(
    "U,r,lam",
    [
        (0.5, 10.0, 0.4),  # two branch points close to 0, one long piece above them
        (0.3, 0.5, 0.0),  # lam = 0: two branch points coincide (a zero-width piece)
        (0.3, 0.0, -0.3),  # r = 0: the same
        (-1.0, 0.5, 0.2),  # a band propagating beyond k_F: a piece collapsed onto kappa = 1
        (0.9, 2.0, -0.05),
    ],
)
def test_rule_is_exact_on_the_disk_and_gives_the_longest_piece_most_nodes(U, r, lam):
    n = 16
    kappa, weight = (np.asarray(x) for x in quadrature.kappa_rule(U, r, lam, n))
    assert kappa.shape == weight.shape == (4 * n,)
    # 2 int_0^1 kappa^(2j + 1) dkappa: smooth in theta on every piece
    for j in range(3):
        assert abs(np.sum(weight * kappa ** (2 * j)) - 1.0 / (j + 1)) < 1e-12
    assert np.all(weight >= 0) and np.all((kappa >= 0) & (kappa <= 1))
    edges = np.r_[0.0, np.asarray(bands.breakpoints(U, r, lam)), 1.0]
    longest = int(np.argmax(np.diff(edges)))
    # (nodes of an empty piece at k_F are parked inside with zero weight)
    inside = (kappa > edges[longest]) & (kappa < edges[longest + 1]) & (weight > 0)
    assert inside.sum() == quadrature.segment_nodes(n)[0]


@pytest.mark.slow
def test_conversion_converges_where_the_crystal_field_is_strong():
    """At r = 10, lam = 0.4 the piece above the two small branch points holds a broad peak: with
    24 nodes per piece on average the conversion is within 1e-9 of 96 (with 24 on every piece,
    3e-7)."""
    rho = spin.incident_density("z")

    def ratio(n):
        f = jax.jit(lambda p: spin.fast.interface_currents(0.5, p[0], 0.3, p[1], rho, ("Lz", "Sz"), n))
        c = f(np.array([10.0, 0.4]))
        return np.array([c["inf"][1] / c["left"][0], c["right"][1] / c["left"][0]])

    assert np.abs(ratio(24) - ratio(96)).max() < 2e-9
