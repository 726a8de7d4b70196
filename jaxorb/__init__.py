"""jaxorb: orbital angular momentum crossing a metal interface, in JAX.

Precision policy: every computing function takes ``dtype`` (``"float64"``, the default, or
``"float32"``; a string or a NumPy dtype) and returns exactly that precision, computing in a
local 64-bit scope when the process runs JAX in 32 bits (asking float64 inside a 32-bit
jit/grad trace is refused, never computed in float32). Importing jaxorb turns on JAX's 64-bit
mode (``jax_enable_x64``) for the process unless the environment variable ``JAX_ENABLE_X64`` is
set, in which case the user's choice stands (as in JAX libraries that default to 64 bits, e.g.
jaxsim).
"""

import os  # noqa: E402

from . import interrupts as _interrupts

# before JAX is imported: a Ctrl-C that lands in one of its garbage-collector callbacks would be
# dropped silently (see jaxorb.interrupts)
_interrupts.redeliver_swallowed()

import jax  # noqa: E402

if "JAX_ENABLE_X64" not in os.environ:
    jax.config.update("jax_enable_x64", True)

from .incident import along, amplitudes  # noqa: E402
from .mechanics import angular_acceleration, cylinder_mass  # noqa: E402
from .operators import DIPOLES, OPERATOR_NAMES, QUADRUPOLES  # noqa: E402
from .optimize import OptimizeResult, maximize, minimize  # noqa: E402
from .params import PARAM_RANGES, Params, domain_text  # noqa: E402
from .profiles import Profile, nodes_for_depth, profile  # noqa: E402
from .quantities import list_quantities  # noqa: E402
from .sweep import sweep  # noqa: E402
from .transport import current_ratio, efficiency, mean_torque, memory_loss  # noqa: E402

__version__ = "0.1.0"


def __getattr__(name: str):
    # the spinful model (jaxorb.spin) is imported on first use: `import jaxorb` costs what it did
    if name == "conversion":
        from .spin.public import conversion

        return conversion
    raise AttributeError(f"module 'jaxorb' has no attribute {name!r}")


__all__ = [
    "DIPOLES",
    "OPERATOR_NAMES",
    "OptimizeResult",
    "PARAM_RANGES",
    "QUADRUPOLES",
    "Params",
    "Profile",
    "along",
    "amplitudes",
    "angular_acceleration",
    "conversion",
    "current_ratio",
    "cylinder_mass",
    "domain_text",
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
