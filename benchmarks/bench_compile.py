"""Target 4: compile time of the whole pipeline (grid, gradient, Fig. 1; target <= 10 s) and no
recompilation when only parameter values change (also through the public API).

Usage: python benchmarks/bench_compile.py [--size 8] [--out DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser, report  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0], size=8, repeats=1)
    p.add_argument("--depths", type=int, default=200, help="depths of the Fig. 1 pipeline (default: %(default)s)")
    args = p.parse_args(argv)
    from jaxorb import bench

    rec = bench.bench_compile(args.size, args.depths)
    report(rec, args.out, "compile")
    return rec


if __name__ == "__main__":
    main()
