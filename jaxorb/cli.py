"""Command line: ``jaxorb reproduce | optimize | sweep | plot``."""

from __future__ import annotations

import argparse
import sys

import numpy as np


def _reproduce(args) -> int:
    from . import plotting

    which = tuple(args.figures.split(",")) if args.figures else tuple(plotting.FIGURES)
    unknown = [w for w in which if w not in plotting.FIGURES]
    if unknown:
        raise SystemExit(f"--figures: unknown {unknown}; choose from {', '.join(plotting.FIGURES)}")
    plotting.reproduce(args.out, which, progress=(lambda *_: None) if args.quiet else print)
    return 0


def _pair(text: str, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError as err:
        raise SystemExit(f"--{name} must be 'lo,hi' (e.g. 0,20); got {text!r}") from err
    return lo, hi


def _optimize(args) -> int:
    import json
    from pathlib import Path

    import jax

    from . import __version__, optimize
    from .params import Params

    bounds = {"r": _pair(args.r, "r"), "alpha": _pair(args.alpha, "alpha")}
    run = optimize.minimize if args.minimize else optimize.maximize
    kw = dict(bounds=bounds, steps=args.steps, seed=args.seed, nodes=args.nodes, progress=not args.quiet)
    if args.starts_at:
        pts = np.array([[float(v) for v in p.split(",")] for p in args.starts_at.split(";")])
        res = run(args.objective, Params(args.U, pts[:, 0], pts[:, 1]), **kw)
    else:
        key = jax.random.PRNGKey(args.seed)
        lo = np.array([bounds["r"][0], bounds["alpha"][0]])
        hi = np.array([bounds["r"][1], bounds["alpha"][1]])
        x0 = np.asarray(jax.random.uniform(key, (args.starts, 2), minval=lo, maxval=hi))
        res = run(args.objective, Params(args.U, x0[:, 0], x0[:, 1]), **kw)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    grid = optimize.landscape(args.objective, args.U, bounds, (args.grid, args.grid), nodes=args.nodes)
    files = optimize.plot_landscape(res, grid, out / "landscape")
    record = res.to_json() | {
        "jaxorb": __version__,
        "jax": jax.__version__,
        "device": str(jax.devices()[0]),
        "seed": args.seed,
        "nodes": args.nodes,
    }
    record["landscape"] = {"r": grid[0].tolist(), "alpha": grid[1].tolist(), "values": grid[2].tolist()}
    (out / "optimize.json").write_text(json.dumps(record))
    kind = "minimum" if args.minimize else "maximum"
    print(
        f"{kind} of {res.objective} at U = {args.U}: {res.value:.10g} at r = {res.params.r:.6f}, alpha = {res.params.alpha:.6f}"
    )
    print(
        f"|grad| there = {res.grad_norm:.3g}; {res.steps} steps x {len(res.values)} starts in {res.wall_time_s:.1f} s"
    )
    print(f"wrote {out / 'optimize.json'}, {', '.join(files)}")
    return 0


def parse_axis(text: str, name: str):
    """An axis from the command line: ``lo:hi:n`` (n points, ends included), ``a,b,c`` or ``v``."""
    try:
        if ":" in text:
            lo, hi, n = text.split(":")
            if int(n) < 1:
                raise ValueError
            return np.linspace(float(lo), float(hi), int(n))
        if "," in text:
            return np.array([float(x) for x in text.split(",")])
        return float(text)
    except ValueError as err:
        raise SystemExit(f"--{name} must be 'lo:hi:n' (e.g. 0:20:256), 'a,b,c' or a number; got {text!r}") from err


def _sweep(args) -> int:
    import time

    import jax

    if args.distributed or args.coordinator:
        kw = {}
        if args.coordinator:
            kw = dict(
                coordinator_address=args.coordinator, num_processes=args.num_processes, process_id=args.process_id
            )
        jax.distributed.initialize(**kw)
    from .sweep import sweep

    axes = {name: parse_axis(getattr(args, name), name) for name in ("U", "r", "alpha")}
    if args.z is not None:
        axes["z"] = parse_axis(args.z, "z")
    t0 = time.perf_counter()
    try:
        ds = sweep(
            args.quantity,
            **axes,
            out=args.out,
            overwrite=args.overwrite,
            chunk_size=args.chunk_size,
            quiet=True if args.quiet else None,
            nodes=args.nodes,
            transparency=args.transparency,
        )
    except ValueError as err:
        raise SystemExit(f"jaxorb sweep: {err}") from err
    except KeyboardInterrupt:
        print(
            f"\njaxorb sweep: interrupted; the finished blocks are saved in {args.out}: "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    wall = time.perf_counter() - t0
    if jax.process_index() == 0 and not args.quiet:
        npts = int(np.prod([ds.sizes[d] for d in ds.dims])) if ds.dims else 1
        shape = ", ".join(f"{d}: {n}" for d, n in ds.sizes.items())
        print(f"wrote {args.out}: {', '.join(ds.data_vars)} on ({shape}) = {npts} points in {wall:.1f} s")
    return 0


def _plot(args) -> int:
    from pathlib import Path

    from . import plotting, storage

    store = Path(args.store)
    if not (store / "zarr.json").is_file():
        raise SystemExit(f"jaxorb plot: {str(store)!r} is not a sweep store (no zarr.json); run `jaxorb sweep` first")
    if not (storage.read_root_attrs(store) or {}).get(storage.COMPLETE_ATTR):
        print(f"note: {store} is incomplete (blocks still missing are blank); re-run the sweep to finish it")
    ds = storage.open_dataset(store)
    out = args.out or str(store.with_suffix(".png"))
    try:
        path = plotting.plot_sweep(ds, out, args.quantity or None)
    except ValueError as err:
        raise SystemExit(f"jaxorb plot: {err}") from err
    print(f"wrote {path}")
    return 0


def _bench(args) -> int:
    from . import bench

    progress = (lambda *_: None) if args.quiet else print
    records = bench.run_all(args.size, args.out, repeats=args.repeats, nz=args.depths, progress=progress)
    print(bench.table(records))
    print()
    print(bench.device_table(records))
    if args.out:
        print(f"wrote {args.out}/bench-all.json")
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
    opt = sub.add_parser("optimize", help="maximise (or minimise) a quantity over (r, alpha_R) with optax")
    opt.add_argument(
        "--objective", default="eta_yz_x", help="quantity name, e.g. eta_yz_x, eta_z2_z, delta_z (default: %(default)s)"
    )
    opt.add_argument("--r", default="0,20", help="bounds lo,hi for r in hbar^2/2m (default: %(default)s)")
    opt.add_argument("--alpha", default="0,3", help="bounds lo,hi for alpha_R in hbar^2/2m (default: %(default)s)")
    opt.add_argument("--U", type=float, default=0.5, help="fixed potential step in E_F (default: %(default)s)")
    opt.add_argument("--starts", type=int, default=4, help="random starts (default: %(default)s)")
    opt.add_argument("--starts-at", default="", help="explicit starts 'r,alpha;r,alpha;...' instead of random ones")
    opt.add_argument("--steps", type=int, default=300, help="optimiser steps (default: %(default)s)")
    opt.add_argument("--seed", type=int, default=0, help="PRNG seed of the starts (default: %(default)s)")
    opt.add_argument(
        "--nodes", type=int, default=None, help="kappa nodes per segment (default: the graded rule, ~1e-12)"
    )
    opt.add_argument("--grid", type=int, default=41, help="landscape grid points per axis (default: %(default)s)")
    opt.add_argument("--minimize", action="store_true", help="minimise instead of maximise")
    opt.add_argument("--out", default="jaxorb-optimize", help="output directory (default: %(default)s)")
    opt.add_argument("--quiet", action="store_true", help="no progress lines")
    opt.set_defaults(func=_optimize)

    sw = sub.add_parser(
        "sweep",
        help="evaluate quantities on a parameter grid into a resumable zarr store",
        description="Evaluate quantities on the Cartesian product of the axes and write them, block by "
        "block, to a zarr store (open it with xarray.open_zarr). Re-running the same command after an "
        "interruption resumes. Axes: 'lo:hi:n' (n points), 'a,b,c' or a single number. Multi-process: "
        "start one copy per process with --distributed (SLURM/Open MPI detected) or with --coordinator "
        "host:port --num-processes P --process-id k.",
    )
    sw.add_argument(
        "--quantity",
        action="append",
        required=True,
        help="quantity name (repeatable), e.g. eta_yz_x, eta_z2_z, delta_z, c_z, current_Lx_z",
    )
    sw.add_argument("--U", default="0.5", help="potential step in E_F, U < 1 (default: %(default)s)")
    sw.add_argument("--r", default="0.5", help="crystal field in hbar^2/2m, r > -1 (default: %(default)s)")
    sw.add_argument("--alpha", default="0", help="Rashba alpha_R in hbar^2/2m (default: %(default)s)")
    sw.add_argument("--z", default=None, help="depth in 1/k_F for depth quantities (default: 0)")
    sw.add_argument("--out", required=True, help="output zarr store, e.g. map.zarr")
    sw.add_argument("--overwrite", action="store_true", help="replace a store holding a different sweep")
    sw.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    sw.add_argument(
        "--nodes",
        type=int,
        default=None,
        help="kappa nodes per segment (default: graded rule; depth quantities 24+ceil(z/4))",
    )
    sw.add_argument("--chunk-size", type=int, default=None, help="max points per block (default: per device type)")
    sw.add_argument("--transparency", type=float, default=2.0, help="p for delta_* (default: %(default)s)")
    sw.add_argument("--distributed", action="store_true", help="jax.distributed.initialize() from the environment")
    sw.add_argument("--coordinator", default=None, help="host:port of process 0 (explicit jax.distributed)")
    sw.add_argument("--num-processes", type=int, default=None, help="number of processes (with --coordinator)")
    sw.add_argument("--process-id", type=int, default=None, help="this process's index (with --coordinator)")
    sw.set_defaults(func=_sweep)

    pl = sub.add_parser("plot", help="draw a sweep store: heatmaps for 2-D grids, lines for 1-D")
    pl.add_argument("store", help="a store written by `jaxorb sweep`, e.g. map.zarr")
    pl.add_argument("--out", default=None, help="image file (default: the store's name with .png)")
    pl.add_argument("--quantity", action="append", default=None, help="variable(s) to draw (default: all)")
    pl.set_defaults(func=_plot)

    ben = sub.add_parser("bench", help="run the performance benchmarks on every available device (CPU, GPU)")
    ben.add_argument("--size", type=int, default=256, help="(r, alpha) grid points per axis (default: %(default)s)")
    ben.add_argument("--depths", type=int, default=2000, help="depths of the Fig. 1 workload (default: %(default)s)")
    ben.add_argument("--repeats", type=int, default=3, help="timed runs, median reported (default: %(default)s)")
    ben.add_argument("--out", default="jaxorb-bench", help="directory for the JSON records (default: %(default)s)")
    ben.add_argument("--quiet", action="store_true", help="no progress lines")
    ben.set_defaults(func=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
