"""Everything the spinful model takes from the orbital package, in one place.

Only constant orbital matrices and the incident orbital states are shared; the spinful bands,
solve, quadrature and observables are self-contained.
"""

from __future__ import annotations

from ..operators import INCIDENT_STATES, LX, LY, LZ, OPERATOR_NAMES, OPERATORS, SQRT2, const

__all__ = ["INCIDENT_STATES", "LX", "LY", "LZ", "OPERATORS", "OPERATOR_NAMES", "SQRT2", "const"]
