"""Target 1: eta_yz^x, eta_x2-y2^x, eta_z2^z and delta_z on a size x size (r, alpha) grid at U = 0.5,
against the vectorised NumPy baseline (target: <= 5 s for 256 x 256 and >= 50x NumPy, 1e-10).

Usage: python benchmarks/bench_grid.py [--size 256] [--repeats 3] [--out DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser, report  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0], size=256)
    p.add_argument("--baseline-points", type=int, default=64, help="points the NumPy baseline is timed on")
    p.add_argument("--check-points", type=int, default=32, help="random points checked against the reference")
    p.add_argument("--reference-nodes", type=int, default=None, help="nodes per segment of the reference")
    args = p.parse_args(argv)
    from jaxorb import bench

    kw = {} if args.reference_nodes is None else {"reference_nodes": args.reference_nodes}
    rec = bench.bench_grid(args.size, args.repeats, args.baseline_points, args.check_points, **kw)
    report(rec, args.out, "grid")
    return rec


if __name__ == "__main__":
    main()
