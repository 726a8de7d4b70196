"""Flop and byte counts per parameter point of the compiled pipelines (docs/performance.md).

Compiles jit(vmap(f)) over one batch of points for the grid quantities, the eta_yz^x forward
pass and its gradient with respect to (r, alpha), and counts the elementwise arithmetic in the
optimised HLO, weighted as real flops: complex multiply 6, complex add/subtract 2, real
multiply/add/subtract 1, divides separately, square roots and other transcendentals separately.
Dot products (the sums over kappa nodes) count 2 (real) or 8 (complex) flops per multiply-add.
Bytes are XLA's own "bytes accessed" estimate (what crosses fusion boundaries). Prints a table and
writes JSON.

Usage: python benchmarks/flop_count.py [--points 256] [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxorb import bench, quantities  # float64: jaxorb enables jax_enable_x64 on import

_INSTR = re.compile(r"= (c128|c64|f64|f32)\[([\d,]*)\]\S* ([a-z-]+)\((.*)")
_TRANSCENDENTAL = {"sqrt", "rsqrt", "sine", "cosine", "exponential", "log", "power", "tanh", "atan2"}


def _size(dims: str) -> int:
    return int(np.prod([int(d) for d in dims.split(",") if d])) if dims else 1


def count(hlo: str) -> dict:
    """Weighted operation counts of an optimised HLO module (text)."""
    out = {"flops": 0, "divides": 0, "transcendentals": 0}
    shapes: dict = {}
    for line in hlo.splitlines():
        m = re.match(r"\s*(?:ROOT )?(%\S+) = (\w+)\[([\d,]*)\]", line)
        if m:
            shapes[m.group(1)] = (m.group(2), m.group(3))
    for line in hlo.splitlines():
        m = _INSTR.search(line)
        if not m:
            continue
        dtype, dims, op, rest = m.groups()
        n, cplx = _size(dims), dtype.startswith("c")
        if op == "multiply":
            out["flops"] += n * (6 if cplx else 1)
        elif op in ("add", "subtract"):
            out["flops"] += n * (2 if cplx else 1)
        elif op == "divide":
            out["divides"] += n
        elif op in _TRANSCENDENTAL:
            out["transcendentals"] += n
        elif op == "dot":
            lhs = re.match(r"\s*(%[\w.-]+)", rest)
            k = 1
            if lhs and lhs.group(1) in shapes:
                lhs_n = _size(shapes[lhs.group(1)][1])
                k = max(lhs_n // max(n, 1), 1)
            out["flops"] += n * k * (8 if cplx else 2)
    return out


def pipelines(points: int) -> dict:
    r, a = (jnp.asarray(x[:points]) for x in bench.grid_points(int(np.ceil(np.sqrt(points)))))
    U = jnp.asarray(bench.GRID_U)
    grid = quantities.joint(tuple(bench.GRID_NAMES))
    eta = quantities.get("eta_yz_x").fn
    grad = jax.grad(lambda rr, aa, U: eta(U, rr, aa, 0.0), argnums=(0, 1))
    return {
        "grid (4 quantities)": (jax.vmap(lambda rr, aa: grid(U, rr, aa, 0.0)), (r, a)),
        "eta_yz^x forward": (jax.vmap(lambda rr, aa: eta(U, rr, aa, 0.0)), (r, a)),
        "eta_yz^x gradient (r, alpha)": (jax.vmap(lambda rr, aa: grad(rr, aa, U)), (r, a)),
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=256)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = {}
    for name, (f, xs) in pipelines(args.points).items():
        compiled = jax.jit(f).lower(*xs).compile()
        c = count(compiled.as_text())
        cost = compiled.cost_analysis()
        cost = cost[0] if isinstance(cost, list) else cost
        p = xs[0].shape[0]
        rows[name] = {
            "real_flops_per_point": c["flops"] / p,
            "divides_per_point": c["divides"] / p,
            "transcendentals_per_point": c["transcendentals"] / p,
            "bytes_per_point": float(cost.get("bytes accessed", np.nan)) / p,
        }
    print(f"{'pipeline':32s} {'real flops':>11s} {'divides':>8s} {'transc.':>8s} {'bytes':>9s}  (per point)")
    for name, v in rows.items():
        print(
            f"{name:32s} {v['real_flops_per_point']:11.3g} {v['divides_per_point']:8.0f} "
            f"{v['transcendentals_per_point']:8.0f} {v['bytes_per_point']:9.3g}"
        )
    ratio = (
        rows["eta_yz^x gradient (r, alpha)"]["real_flops_per_point"] / rows["eta_yz^x forward"]["real_flops_per_point"]
    )
    print(f"gradient / forward flops: {ratio:.2f}")
    rec = {"env": bench.environment(None, "float64"), "points": args.points, "rows": rows, "gradient_flop_ratio": ratio}
    if args.out is not None:
        print(f"wrote {bench.write_json(rec, args.out / 'flop_count.json')}")
    return rec


if __name__ == "__main__":
    sys.exit(main() and 0)
