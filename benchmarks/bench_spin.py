"""Spinful model: J_Sz(inf) / J_Lz(0-) for |L_z> injection (unpolarised spin) on a size x size
(r, lam) grid at U = 0.5, alpha = 0.3, against today's eta_yz^x map and a vectorised NumPy
implementation with stacked 12x12 solves, in the same run (:func:`jaxorb.bench.bench_spin`).

Targets (2-core CPU, float64): <= 4x the time of the eta_yz^x map of the same size, >= 100x NumPy,
gradient with respect to (r, alpha, lam) <= 5x the forward pass, compile <= 10 s, converged to
1e-10 (checked against twice the nodes on a regular 33 x 33 subgrid, edges included).

Prints one line per target (measured value, target, met or not) and writes ``spin.json`` with
every number, the load average after the run and the environment.

Usage: python benchmarks/bench_spin.py [--size 256] [--repeats 3] [--nodes 24] [--out DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    from jaxorb import bench

    p = parser(__doc__.splitlines()[0], size=256)
    p.add_argument("--nodes", type=int, default=bench.SPIN_NODES, help="kappa nodes per segment (default: %(default)s)")
    p.add_argument("--baseline-points", type=int, default=16, help="points the NumPy baseline is timed on")
    p.add_argument(
        "--check-points", type=int, default=16, help="random points checked against the general spinful path"
    )
    p.add_argument(
        "--convergence-grid",
        type=int,
        default=33,
        help="points per axis of the subgrid checked against twice the nodes",
    )
    p.add_argument("--no-gradient", action="store_true", help="skip the gradient timing")
    args = p.parse_args(argv)

    load_before = bench.load_average()
    rec = bench.bench_spin(
        args.size,
        args.repeats,
        baseline_points=args.baseline_points,
        check_points=args.check_points,
        convergence_grid=args.convergence_grid,
        nodes=args.nodes,
        gradient=not args.no_gradient,
    )
    rec["load_before"] = load_before
    print(bench.table([rec]))
    print(f"\n{'target':<28} {'measured':>12}  {'goal':>10}  met")
    for name, t in rec["targets"].items():
        val = "-" if t["value"] is None else format(t["value"], "12.4g")
        print(f"{name:<28} {val:>12}  {t['target']:>10}  {t['met']}")
    path = bench.write_json(rec, Path(args.out) / "spin.json")
    print(f"wrote {path}")
    return rec


if __name__ == "__main__":
    main()
