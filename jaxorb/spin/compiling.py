"""How the derivative programs of the spinful model are compiled.

The spinful fast path differentiates through :func:`jaxorb.fast.derivatives.forward_jacobian`: every
operation of the per-node pipeline carries one tangent per parameter direction, and XLA fuses
those into very large elementwise loops. On CPU, XLA's classic loop emitter compiles and runs
such loops faster than its newer fusion emitters: for the gradient of J_Sz(inf)/J_Lz(0-) with
respect to (r, alpha, lam) on 256 x 256 points (24 nodes per segment, 2-core x86-64, jax 0.10.2)
3.5x less run time and a third less compile time (docs/performance.md, "Spinful model"). The
forward programs, and the spinless gradient, run faster with the default emitters, so the
option is given per program, at the top-level ``jax.jit`` of a derivative program only (JAX
refuses compiler options on a nested jit).
"""

from __future__ import annotations

from collections.abc import Callable

import jax

#: XLA compiler options for a top-level jitted derivative of the spinful model on CPU.
CPU_DERIVATIVE_OPTIONS = {"xla_cpu_use_fusion_emitters": False}


def derivative_compiler_options() -> dict | None:
    """The compiler options for a spinful derivative program on the default backend: the
    CPU-only :data:`CPU_DERIVATIVE_OPTIONS` when that backend is the CPU, else None."""
    return dict(CPU_DERIVATIVE_OPTIONS) if jax.default_backend() == "cpu" else None


def jit_derivative(fun: Callable, **jit_kwargs) -> Callable:
    """``jax.jit(fun, **jit_kwargs)`` with :func:`derivative_compiler_options`.

    For top-level programs that differentiate the spinful model (``fun`` contains a
    ``jax.grad``/``jax.jacrev``/``jax.jvp`` of it); values are those of plain ``jax.jit``.
    """
    return jax.jit(fun, compiler_options=derivative_compiler_options(), **jit_kwargs)
