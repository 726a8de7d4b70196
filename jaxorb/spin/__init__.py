"""Spin and spin-orbit coupling: the spinful right layer H_R = k^2 + U + r (L.k)^2 + lam L.sigma
(docs/theory.md §12).

Public functions are pure in (U, r, alpha, lam) with static node counts:
:func:`spin_profile` (densities, currents, torques and their spin-orbit part for the eleven
observables Lx Ly Lz Lxy Lyz Lzx Lx2-y2 Lz2 Sx Sy Sz) and :func:`conversion`
(J_Sz(inf) / J_Lz(0-) and its relatives).
"""

from .api import SpinProfile, conversion, conversion_core, nodes_for_depth, profile_arrays, spin_profile
from .inputs import incident_density
from .operators import NAMES, SPIN_NAMES

__all__ = [
    "NAMES",
    "SPIN_NAMES",
    "SpinProfile",
    "conversion",
    "conversion_core",
    "incident_density",
    "nodes_for_depth",
    "profile_arrays",
    "spin_profile",
]
