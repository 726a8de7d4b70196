"""Shared command-line handling of the benchmark scripts."""

from __future__ import annotations

import argparse
from pathlib import Path


def parser(description: str, size: int | None = None, repeats: int = 3) -> argparse.ArgumentParser:
    """Options common to every benchmark script: ``--size``, ``--repeats``, ``--out``."""
    p = argparse.ArgumentParser(description=description)
    if size is not None:
        p.add_argument("--size", type=int, default=size, help="grid points per axis (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=repeats, help="timed runs, median reported (default: %(default)s)")
    p.add_argument("--out", default="bench-results", help="directory for the JSON record (default: %(default)s)")
    return p


def report(record: dict, out: str, name: str) -> Path:
    """Print the table of one record and write it as ``<out>/<name>.json``."""
    from jaxorb import bench

    print(bench.table([record]))
    path = bench.write_json(record, Path(out) / f"{name}.json")
    print(f"wrote {path}")
    return path
