"""Fermi-averaged surface currents of the fast path: node sums, packed currents and their
derivatives (docs/theory.md §5, §6).

The currents at z = 0 of several observables and incident states come from one closed-form solve
per kappa node (:mod:`jaxorb.fast.schur`) and the exact phi average (:mod:`jaxorb.fast.forms`),
summed over the kappa rule (:func:`jaxorb.quadrature.make_rule`). :func:`reduce_currents`
differentiates a small function of them by the hand-written adjoint
(:func:`jaxorb.fast.adjoint.currents_vjp`) or by forward mode.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..operators import OPERATORS
from ..quadrature import make_rule
from .adjoint import currents_vjp
from .derivatives import forward_jacobian, pushforward
from .forms import const_rho, left_current, right_current_terms
from .schur import solve


def node_sum(values):
    """Sums over the last (kappa node) axis of several per-node real arrays, two at a time.

    Each pair is packed into one complex array (a + i b) and summed by a dot product with ones:
    one elementwise consumer per pair keeps the per-node graph in a single vectorised loop
    fusion, where separate sums would each recompute it (XLA CPU does not fuse sibling outputs)
    and a plain reduction would absorb it into a scalar, unvectorised kernel (measured 2x and
    3x slower, docs/performance.md).

    Args:
        values: list of real arrays (..., K) (traced; same shape).

    Returns:
        list of arrays (...,), the sums, in order.
    """
    out = []
    for i in range(0, len(values), 2):
        pair = values[i : i + 2]
        ones = jnp.ones(pair[0].shape[-1], dtype=pair[0].dtype)
        if len(pair) == 1:
            out.append(jnp.einsum("...k,k->...", pair[0], ones))
            continue
        z = jax.lax.complex(*jnp.broadcast_arrays(pair[0], pair[1]))
        s = jnp.einsum("...k,k->...", z, ones.astype(z.dtype))
        out += [jnp.real(s), jnp.imag(s)]
    return out


def _raw_currents(U, r, alpha, rho, right_ops, left_ops, nodes):
    """(len(right_ops) + len(left_ops),) Fermi-averaged currents at z = 0 of one incident
    state (or batch of them), no custom derivative: :func:`packed_currents`."""
    specs = tuple(("right", n, rho) for n in right_ops) + tuple(("left", n, rho) for n in left_ops)
    return packed_currents(U, r, alpha, specs, nodes)


def packed_currents(U, r, alpha, specs, nodes=None):
    """Fermi-averaged surface currents of several incident states from one solve, no custom
    derivative (differentiate through :func:`reduce_currents` instead).

    One solve serves every incident state (rotation covariance, docs/theory.md §6), and the node
    sums are packed two per loop fusion (:func:`node_sum`), each fusion recomputing the cheap
    per-node solve. Packing right currents of all states first and left currents after makes
    the left-left pairs skip D and the current rows: 6 currents of two injections take three
    fusions instead of four (one pair and one single per injection; docs/performance.md).

    Args:
        U, r, alpha: scalars.
        specs: tuple of (side, op_name, rho) with side "right" or "left" and rho the incident
            density matrix: a (3, 3) NumPy constant (zeros skipped at trace time) or a
            (..., 3, 3) array.
        nodes: kappa rule, see :func:`jaxorb.quadrature.make_rule`.

    Returns:
        (len(specs), ...) currents at z = 0 in the order of ``specs``, public units.
    """
    rule = make_rule(U, r, nodes)
    sol = solve(U, r, alpha, rule.kappa, rule.q_n)
    order = [i for i, sp in enumerate(specs) if sp[0] == "right"] + [
        i for i, sp in enumerate(specs) if sp[0] != "right"
    ]
    values = []
    for i in order:
        side, name, rho = specs[i]
        if side == "right":
            values.append(0.5 * rule.weight * right_current_terms(sol, r, rule.kappa, OPERATORS[name], rho).re)
        elif side == "left":
            values.append(rule.weight * left_current(sol, OPERATORS[name], rho))
        else:
            raise ValueError(f"side must be 'right' or 'left', got {side!r}")
    sums = node_sum(values)
    out = [None] * len(specs)
    for k, i in enumerate(order):
        out[i] = sums[k]
    return jnp.stack(out)


def reduce_currents(U, r, alpha, rho, right_ops, left_ops, nodes, combine, *extra):
    """combine(right, left, *extra) of the Fermi-averaged surface currents, differentiable.

    The quantities of the package (efficiencies, current ratios, memory loss) are small
    functions of a few currents; differentiating at this level lets ``jax.grad`` of a scalar
    quantity cost one hand-written reverse pass (:func:`jaxorb.fast.adjoint.currents_vjp`, with the
    cotangents of all currents folded together) instead of one forward-mode pass per parameter.

    Derivatives (a ``custom_jvp``, so forward and reverse mode both work): with a constant
    ``rho`` and at most as many output values as perturbed parameters, the Jacobian rows come
    from the adjoint, one per output value; otherwise from forward-mode pushforwards
    (:func:`forward_jacobian`). Tangents of ``extra`` (and of a traced ``rho``) are ignored.

    Args:
        U, r, alpha: scalars.
        rho: incident density matrix, (3, 3) NumPy constant or (..., 3, 3) array.
        right_ops, left_ops: operator names (static).
        nodes: kappa rule, see :func:`jaxorb.quadrature.make_rule`.
        combine: f(right: tuple, left: tuple, *extra) -> array (small; any shape).
        *extra: arrays passed to ``combine`` (e.g. dipole components).

    Returns:
        combine's value.
    """
    nr = len(right_ops)

    def split(cur):
        return tuple(cur[i] for i in range(nr)), tuple(cur[i] for i in range(nr, nr + len(left_ops)))

    if not const_rho(rho):

        def value_rho(U, r, alpha, rho_arg, *ex):
            return combine(*split(_raw_currents(U, r, alpha, rho_arg, right_ops, left_ops, nodes)), *ex)

        return forward_jacobian(value_rho)(U, r, alpha, jnp.asarray(rho), *extra)

    def value(U, r, alpha, *ex):
        return combine(*split(_raw_currents(U, r, alpha, rho, right_ops, left_ops, nodes)), *ex)

    g = jax.custom_jvp(value)

    def rule(primals, tangents):
        params, ex = tuple(jnp.asarray(p) for p in primals[:3]), primals[3:]
        live = [i for i in range(3) if not isinstance(tangents[i], jax.custom_derivatives.SymbolicZero)]
        y = value(*params, *ex)  # the same currents as in adjoint_rows: XLA computes them once
        if not live:
            return y, jnp.zeros_like(y)
        if y.size > len(live):
            return pushforward(value, primals, tangents)

        with_u = 0 in live

        def adjoint_rows(U, r, alpha, *ex):
            """(y.size, 3) Jacobian of combine's value by the adjoint, one row per value (the U
            column is zero unless U is perturbed: it is never used then)."""
            cur = _raw_currents(U, r, alpha, rho, right_ops, left_ops, nodes)
            y, pull = jax.vjp(lambda c: combine(*split(c), *ex), cur)
            rows = []
            # rows unrolled, not vmapped: a batched cotangent would split the per-node graph into
            # a shared forward part and a batched backward part, which XLA then materialises
            for e in np.eye(y.size).reshape((y.size,) + y.shape):
                (ct,) = pull(jnp.asarray(e, dtype=y.dtype))
                rows.append(jnp.stack(currents_vjp(U, r, alpha, rho, right_ops, left_ops, nodes, ct, with_u)))
            return jnp.stack(rows)

        # Second derivatives differentiate these rows: by forward-over-forward mode of the plain
        # currents (reverse mode through the adjoint's own graph compiled for minutes)
        adjoint_rows = jax.custom_jvp(adjoint_rows)

        def rows_jvp(primals, tangents):
            def forward_rows(U, r, alpha, *ex):
                # only the columns the first-order tangent uses (the others multiply zeros)
                cols = jax.jacfwd(lambda *p: value(*p, *ex).reshape(-1), argnums=tuple(live))(U, r, alpha)
                full = [jnp.zeros(y.size, dtype=y.dtype)] * 3
                for k, i in enumerate(live):
                    full[i] = cols[k]
                return jnp.stack(full, axis=-1)

            p, ex_ = primals[:3], primals[3:]
            _, d_rows = jax.jvp(lambda *q: forward_rows(*q, *ex_), p, tuple(tangents[:3]))
            return adjoint_rows(*primals), d_rows

        adjoint_rows.defjvp(rows_jvp)
        jac = adjoint_rows(*params, *ex)  # (y.size, 3)
        tan = sum(jac[:, i] * tangents[i] for i in live)
        return y, tan.reshape(y.shape)

    g.defjvp(rule, symbolic_zeros=True)
    return g(U, r, alpha, *extra)


def surface_currents(U, r, alpha, rho, right_ops=(), left_ops=(), nodes=None):
    """Fermi-averaged right- and left-layer currents at z = 0 (docs/theory.md §5, §6), public units.

    Args:
        U, r, alpha: scalars.
        rho: incident density matrix, (3, 3) NumPy constant (fastest) or (..., 3, 3) array.
        right_ops, left_ops: operator names (static).
        nodes: kappa rule, see :func:`jaxorb.quadrature.make_rule`.

    Returns:
        (right, left): tuples of arrays of shape () or (...,), one per name.
    """
    vals = reduce_currents(U, r, alpha, rho, right_ops, left_ops, nodes, lambda rt, lt: jnp.stack(rt + lt))
    return tuple(vals[: len(right_ops)]), tuple(vals[len(right_ops) :])
