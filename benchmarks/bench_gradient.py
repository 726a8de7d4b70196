"""Target 3: gradient of eta_yz^x with respect to (r, alpha) on a size x size grid at U = 0.5,
against the forward pass (target: <= 3x forward).

Usage: python benchmarks/bench_gradient.py [--size 256] [--repeats 3] [--out DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser, report  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    args = parser(__doc__.splitlines()[0], size=256).parse_args(argv)
    from jaxorb import bench

    rec = bench.bench_gradient(args.size, args.repeats)
    report(rec, args.out, "gradient")
    return rec


if __name__ == "__main__":
    main()
