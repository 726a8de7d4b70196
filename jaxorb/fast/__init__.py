"""The fast path: closed-form interface solve, exact phi average, Fermi sums and derivatives.

One concern per module:

* :mod:`~jaxorb.fast.complexmath`: complex products folded at trace time (structural zeros,
  real and imaginary constants in real arithmetic).
* :mod:`~jaxorb.fast.schur`: the 3x3 Schur-complement interface solve per kappa node
  (docs/theory.md §4).
* :mod:`~jaxorb.fast.forms`: exact phi averages of the densities and currents (§5, §6).
* :mod:`~jaxorb.fast.currents`: Fermi-averaged surface currents, packed node sums, and their
  differentiable reductions.
* :mod:`~jaxorb.fast.depth`: quantities at depth z as sums of exponentials (§6, §7).
* :mod:`~jaxorb.fast.derivatives`: forward-mode derivative rules.
* :mod:`~jaxorb.fast.adjoint`: the hand-written reverse pass of the surface currents.

The kappa rules (graded and plain) live in :mod:`jaxorb.quadrature`. Shapes: functions take
scalar U, r, alpha (vmap for grids) and return arrays over the kappa nodes K, summed where the
name says so. Units of docs/theory.md §1.
"""

from .adjoint import currents_vjp
from .currents import node_sum, packed_currents, reduce_currents, surface_currents
from .depth import current_change, depth_average
from .derivatives import forward_jacobian
from .schur import Solution, solve

__all__ = [
    "Solution",
    "current_change",
    "currents_vjp",
    "depth_average",
    "forward_jacobian",
    "node_sum",
    "packed_currents",
    "reduce_currents",
    "solve",
    "surface_currents",
]
