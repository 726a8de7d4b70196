"""Target 2: the Fig. 1 workload, 8 observables x 3 injections x nz depths up to z = 100
(density, current, torque; target <= 0.2 s, converged to 1e-8).

Usage: python benchmarks/bench_fig1.py [--depths 2000] [--repeats 5] [--out DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser, report  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0], repeats=5)
    p.add_argument("--depths", "--size", type=int, default=2000, dest="depths", help="depths (default: %(default)s)")
    args = p.parse_args(argv)
    from jaxorb import bench

    rec = bench.bench_fig1(args.depths, args.repeats)
    report(rec, args.out, "fig1")
    return rec


if __name__ == "__main__":
    main()
