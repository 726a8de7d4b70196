"""Points per device and call of ``jo.sweep`` on CPU: 16 (the former cap for depth quantities)
against 64, 256 (the default) and 1024, in one run, interleaved.

On a size x size (r, alpha) grid at U = 0.5, an interface set (eta_yz_x, eta_z2_z, delta_z) and a
depth quantity (current_Lz_z at z = 5) are swept in memory, compiled once per setting; the timed
runs alternate between the settings so that load changes hit them alike. Prints a table (median
and minimum seconds, ratio of medians to the default) and writes JSON.

Usage: python benchmarks/bench_sweep_calls.py [--size 128] [--repeats 5] [--out DIR]
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser  # noqa: E402

SETTINGS = (16, 64, 256, 1024)
CASES = {"interface": (["eta_yz_x", "eta_z2_z", "delta_z"], {}), "depth": (["current_Lz_z"], {"z": 5.0})}


def main(argv=None) -> dict:
    args = parser(__doc__.splitlines()[0], size=128, repeats=5).parse_args(argv)
    import jax
    import numpy as np

    import jaxorb as jo

    sweep_mod = importlib.import_module("jaxorb.sweep")
    default = sweep_mod.CPU_POINTS_PER_DEVICE
    grid = dict(U=0.5, r=np.linspace(0, 20, args.size), alpha=np.linspace(0, 3, args.size), quiet=True)
    rows = []
    for case, (names, extra) in CASES.items():
        times = {p: [] for p in SETTINGS}
        for p in SETTINGS:  # compile each setting
            sweep_mod.CPU_POINTS_PER_DEVICE = p
            jo.sweep(names, **grid, **extra)
        for _ in range(args.repeats):
            for p in SETTINGS:
                sweep_mod.CPU_POINTS_PER_DEVICE = p
                t = time.perf_counter()
                jo.sweep(names, **grid, **extra)
                times[p].append(time.perf_counter() - t)
        sweep_mod.CPU_POINTS_PER_DEVICE = default
        ref = float(np.median(times[default]))
        for p in SETTINGS:
            med = float(np.median(times[p]))
            rows.append(dict(case=case, points_per_call=p, median_s=med, min_s=min(times[p]), vs_default=med / ref))
    print(f"{'case':10} {'pts/call':>8} {'median s':>9} {'min s':>7} {'/ default':>9}")
    for r in rows:
        print(f"{r['case']:10} {r['points_per_call']:8d} {r['median_s']:9.3f} {r['min_s']:7.3f} {r['vs_default']:9.2f}")
    record = dict(
        benchmark="sweep_calls",
        size=args.size,
        repeats=args.repeats,
        device=jax.devices()[0].device_kind,
        machine=platform.machine(),
        jax=jax.__version__,
        rows=rows,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep_calls.json").write_text(json.dumps(record, indent=1))
    print(f"wrote {out / 'sweep_calls.json'}")
    return record


if __name__ == "__main__":
    main()
