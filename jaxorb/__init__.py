"""jaxorb: orbital angular momentum crossing a metal interface, in JAX.

Importing jaxorb turns on JAX's 64-bit mode (``jax_enable_x64``): the solver's default is
float64 and results are converged to ~1e-10. Ask for float32 per call with ``dtype="float32"``.
"""

import jax

jax.config.update("jax_enable_x64", True)

from .mechanics import angular_acceleration, cylinder_mass  # noqa: E402
from .operators import DIPOLES, OPERATOR_NAMES, QUADRUPOLES  # noqa: E402
from .optimize import OptimizeResult, maximize, minimize  # noqa: E402
from .params import Params  # noqa: E402
from .profiles import Profile, nodes_for_depth, profile  # noqa: E402
from .quantities import list_quantities  # noqa: E402
from .sweep import sweep  # noqa: E402
from .transport import current_ratio, efficiency, mean_torque, memory_loss  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "DIPOLES",
    "OPERATOR_NAMES",
    "OptimizeResult",
    "QUADRUPOLES",
    "Params",
    "Profile",
    "angular_acceleration",
    "current_ratio",
    "cylinder_mass",
    "efficiency",
    "list_quantities",
    "maximize",
    "mean_torque",
    "memory_loss",
    "minimize",
    "nodes_for_depth",
    "profile",
    "sweep",
]
