"""Command line: ``jaxorb reproduce | sweep | plot | optimize | bench``."""

from __future__ import annotations

import argparse
import sys


def _reproduce(args) -> int:
    from . import plotting

    which = tuple(args.figures.split(",")) if args.figures else tuple(plotting.FIGURES)
    unknown = [w for w in which if w not in plotting.FIGURES]
    if unknown:
        raise SystemExit(f"--figures: unknown {unknown}; choose from {', '.join(plotting.FIGURES)}")
    plotting.reproduce(args.out, which, progress=(lambda *_: None) if args.quiet else print)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxorb", description="Orbital angular momentum across a metal interface (JAX)."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="compute and draw the paper's figures (PNG, PDF, summary.json)")
    rep.add_argument("--out", default="jaxorb-figures", help="output directory (default: %(default)s)")
    rep.add_argument("--figures", default="", help="comma-separated subset, e.g. fig1,fig3 (default: all)")
    rep.add_argument("--quiet", action="store_true", help="no progress messages")
    rep.set_defaults(func=_reproduce)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
