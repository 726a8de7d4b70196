"""Command line: ``jaxorb reproduce | optimize | sweep | plot | verify | quantities | bench``.

Parameter values follow one grammar in every subcommand (:data:`GRAMMAR`, shown by
``jaxorb --help``), so the same text never means two things. Every user error is one line,
``jaxorb <subcommand>: <what is wrong>``, on stderr with a nonzero exit status, and is found
before anything is compiled. Set ``JAXORB_TRACEBACK=1`` to see the traceback instead.
"""

import argparse
import math
import os
import re
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import NamedTuple

import numpy as np

GRAMMAR = """\
values (the same grammar in every subcommand):
  V          one number: the parameter is fixed at V            e.g. --U 0.5
  A,B,C      a list of values                                   e.g. --r 0.5,1,2
  lo:hi:n    n points from lo to hi, both ends included (n >= 2) e.g. --r 0:20:256
  lo:hi      the interval from lo to hi (bounds of a search)    e.g. --r 0:20
jaxorb sweep takes V, A,B,C and lo:hi:n (points to evaluate); jaxorb optimize takes the bounds
lo:hi for r and alpha (lo:hi:n also sets the landscape's points on that axis), and for lam with
the spinful objectives (conv_*), and V for U.
Quantity names: `jaxorb quantities` lists them with units and meanings."""

#: Largest grid printed by ``jaxorb sweep`` without ``--out`` (larger ones need a store).
PRINT_POINTS = 1000
#: Depth quantities need kappa nodes growing like z / 4 per segment; beyond this many the
#: evaluation is refused rather than allocating without bound.
MAX_DEPTH_NODES = 100_000
_TRACEBACK_ENV = "JAXORB_TRACEBACK"


class UsageError(Exception):
    """A user error on the command line, reported as one line naming the subcommand."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors that start with the (sub)command's name, and values of the
    grammar that start with a minus sign (``--r -0.5:2``) taken as values, not options."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d[\d.eE+:,-]*$")

    def error(self, message: str):
        raise SystemExit(f"{self.prog}: {message} (see {self.prog} --help)")


# ---------------------------------------------------------------------------------------------
# The value grammar


class Values(NamedTuple):
    """A parsed value: ``form`` is "number", "list", "grid" or "interval"; ``values`` is a
    0-d array (number), the points (list, grid) or (lo, hi) (interval); ``n`` the grid's points."""

    form: str
    values: np.ndarray
    n: int | None = None


def _number(text: str, option: str, whole: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise UsageError(f"{option} {whole!r}: {text.strip()!r} is not a number {_forms_hint()}") from None
    if not math.isfinite(x):
        raise UsageError(f"{option} {whole!r}: values must be finite numbers")
    return x


def _forms_hint() -> str:
    return "(values are V, A,B,C, lo:hi:n or lo:hi; see jaxorb --help)"


def _check_grid_memory(n: int, option: str, text: str) -> None:
    """Refuse a lo:hi:n grid whose points alone (8 bytes each) exceed the memory limit, before
    they are allocated."""
    from .params import check_memory

    try:
        check_memory(f"{option} {text!r} ({n} points)", 8.0 * n, "give fewer points (a smaller n)")
    except ValueError as err:
        raise UsageError(str(err)) from None


def parse_values(text: str, option: str) -> Values:
    """Parse ``text`` by :data:`GRAMMAR` (``option`` names the flag in messages).

    Raises:
        UsageError: not a value of the grammar.
    """
    text = text.strip()
    if not text:
        raise UsageError(f"{option} is empty {_forms_hint()}")
    if ":" in text:
        parts = text.split(":")
        if len(parts) not in (2, 3) or "," in text:
            raise UsageError(f"{option} {text!r} is neither lo:hi nor lo:hi:n {_forms_hint()}")
        lo, hi = (_number(p, option, text) for p in parts[:2])
        if not lo < hi:
            raise UsageError(f"{option} {text!r}: lo < hi is needed; got lo = {lo:g}, hi = {hi:g}")
        if len(parts) == 2:
            return Values("interval", np.array([lo, hi]))
        try:
            n = int(parts[2])
        except ValueError:
            n = 0
        if n < 2:
            raise UsageError(f"{option} {text!r}: n in lo:hi:n must be an integer >= 2 (one point: give V)")
        _check_grid_memory(n, option, text)
        return Values("grid", np.linspace(lo, hi, n), n)
    if "," in text:
        return Values("list", np.array([_number(p, option, text) for p in text.split(",")]))
    return Values("number", np.asarray(_number(text, option, text)))


_SAYS = {
    "number": "fixes the parameter at one value",
    "list": "is a list of values",
    "grid": "is a grid of points",
    "interval": "is an interval (bounds) without a number of points",
}


def _expect(v: Values, text: str, option: str, allowed: tuple[str, ...], usage: str) -> Values:
    if v.form not in allowed:
        raise UsageError(f"{option} {text!r} {_SAYS[v.form]}; {usage}")
    return v


def _sweep_axis(text: str, option: str) -> np.ndarray:
    v = parse_values(text, option)
    usage = "a sweep needs the points to evaluate: lo:hi:n (e.g. 0:20:256), A,B,C or one number"
    return _expect(v, text, option, ("number", "list", "grid"), usage).values


def _bounds(text: str, option: str) -> Values:
    v = parse_values(text, option)
    usage = "optimize searches an interval: give its bounds lo:hi (e.g. 0:20), or lo:hi:n to also set the landscape's points"
    return _expect(v, text, option, ("interval", "grid"), usage)


def _fixed(text: str, option: str) -> float:
    v = parse_values(text, option)
    return float(_expect(v, text, option, ("number",), "it is fixed here: give one number").values)


def _starts_at(text: str, size: int = 2) -> np.ndarray:
    """``r,alpha;r,alpha;...`` -> (S, 2), or ``r,alpha,lam;...`` -> (S, 3) with ``size`` 3."""
    what = "one pair r,alpha (e.g. 1,0.5;3,1)" if size == 2 else "one triple r,alpha,lam (e.g. 1,0.5,0.1;3,1,-0.1)"
    pts = []
    for item in text.split(";"):
        vals = parse_values(item, "--starts-at")
        if vals.form != "list" or vals.values.size != size:
            raise UsageError(f"--starts-at {text!r}: each start is {what}; got {item!r}")
        pts.append(vals.values)
    return np.array(pts)


# ---------------------------------------------------------------------------------------------
# Checks shared by the subcommands


def _int_at_least(minimum: int, limit: int | None = None):
    """argparse type: an integer >= minimum (and < limit)."""
    bound = f">= {minimum}" + ("" if limit is None else f" and < 2**{int(math.log2(limit))}")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer {bound}; got {text!r}") from None
        if value < minimum or (limit is not None and value >= limit):
            raise argparse.ArgumentTypeError(f"must be an integer {bound}; got {value}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}")
    return value


def _out_dir(path: str, option: str = "--out") -> Path:
    """Create the output directory now and check it can be written, before any computing."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{option} {str(p)!r} exists and is not a directory; choose another path")
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=p):
            pass
    except OSError as err:
        raise UsageError(
            f"{option} {str(p)!r} cannot be written ({err.strerror or err}); choose another path"
        ) from None
    return p


def _out_file(path: str, option: str = "--out") -> Path:
    """An image file that can be written: a known format and a writable folder."""
    from matplotlib.backend_bases import FigureCanvasBase

    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{option} {str(p)!r} is a directory; give an image file such as map.png")
    formats = FigureCanvasBase.get_supported_filetypes()
    if p.suffix.lower().lstrip(".") not in formats:
        raise UsageError(f"{option} {str(p)!r}: unknown image format; use one of .{', .'.join(sorted(formats))}")
    _out_dir(str(p.parent) if str(p.parent) else ".", option=f"{option} folder")
    if p.exists() and not os.access(p, os.W_OK):
        raise UsageError(f"{option} {str(p)!r} exists and cannot be written; choose another path")
    return p


def _check_params(**values) -> None:
    """Each of U, r, alpha (and lam) given within its range (the API's own check)."""
    from .params import check_param

    for name, value in values.items():
        check_param(name, value)


# ---------------------------------------------------------------------------------------------
# Subcommands


def _reproduce(args) -> int:
    from . import plotting

    which = tuple(w.strip() for w in args.figures.split(",")) if args.figures else tuple(plotting.FIGURES)
    unknown = [w for w in which if w not in plotting.FIGURES]
    if unknown:
        raise UsageError(f"--figures: unknown {', '.join(unknown)}; choose from {', '.join(plotting.FIGURES)}")
    out = _out_dir(args.out)
    plotting.reproduce(out, which, progress=(lambda *_: None) if args.quiet else print)
    return 0


def _optimize(args) -> int:
    import json

    import jax

    from . import __version__, optimize, plotting, quantities
    from .params import Params

    name = quantities.info(args.objective)
    if name.uses_z:
        raise UsageError(f"--objective {args.objective} depends on a depth z; choose an interface quantity")
    if args.lam is not None and not name.uses_lam:
        raise UsageError(
            f"--lam is taken only by the spinful objectives ({quantities.SPIN_HELP}); {args.objective} does not take it"
        )
    axes = optimize.SPIN_AXES if name.uses_lam else optimize.AXES
    r, alpha = _bounds(args.r, "--r"), _bounds(args.alpha, "--alpha")
    U = _fixed(args.U, "--U")
    _check_params(U=U)
    given = {"r": tuple(r.values[[0, -1]]), "alpha": tuple(alpha.values[[0, -1]])}
    if name.uses_lam:
        lo, hi = optimize.DEFAULT_LAM_BOUNDS
        given["lam"] = tuple(_bounds(args.lam or f"{lo}:{hi}", "--lam").values[[0, -1]])
    bounds = optimize.check_bounds(given, axes)
    optimize.check_lam_bounds(U, bounds)
    shape = (r.n or args.grid, alpha.n or args.grid)
    x0 = _starts_at(args.starts_at, len(axes)) if args.starts_at else None
    out = _out_dir(args.out)
    if x0 is None:
        x0 = optimize.random_starts(bounds, args.starts, args.seed, axes)
    run = optimize.minimize if args.minimize else optimize.maximize
    res = run(
        args.objective,
        Params(U, *(x0[:, k] for k in range(len(axes)))),
        bounds=bounds,
        steps=args.steps,
        seed=args.seed,
        nodes=args.nodes,
        progress=not args.quiet,
    )
    grid = optimize.landscape(args.objective, U, bounds, shape, nodes=args.nodes, lam=res.params.lam)
    files = plotting.plot_landscape(res, grid, out / "landscape")
    record = res.to_json() | {
        "jaxorb": __version__,
        "jax": jax.__version__,
        "device": str(jax.devices()[0]),
        "seed": args.seed,
        "nodes": args.nodes,
    }
    record["landscape"] = {"r": grid[0].tolist(), "alpha": grid[1].tolist(), "values": grid[2].tolist()}
    (out / "optimize.json").write_text(json.dumps(record))
    p = res.params
    at = ", ".join(f"{k} = {getattr(p, k):.6f}" for k in axes)
    print(f"{res.kind} of {res.objective} at U = {U:g}: {res.value:.10g} at {at}")
    for axis, side in res.on_bound.items():
        value = res.bounds[axis][0 if side == "lower" else 1]
        print(
            f"the {res.kind} sits on the {side} bound {axis} = {value:g}: it is the best point within the "
            f"bounds, the objective still {'rises' if res.kind == 'maximum' else 'falls'} beyond it "
            f"(widen --{axis} to look further)"
        )
    print(
        f"|grad| there = {res.grad_norm:.3g}; {res.steps} steps x {len(res.values)} starts in {res.wall_time_s:.1f} s"
    )
    print(f"wrote {out / 'optimize.json'}, {', '.join(files)}")
    return 0


def _check_distributed(args) -> dict | None:
    """Keyword arguments of jax.distributed.initialize (None: not distributed), checked."""
    explicit = {"--num-processes": args.num_processes, "--process-id": args.process_id}
    if args.coordinator is None:
        given = [k for k, v in explicit.items() if v is not None]
        if given:
            verb = "needs" if len(given) == 1 else "need"
            raise UsageError(f"{' and '.join(given)} {verb} --coordinator HOST:PORT (the address of process 0)")
        return {} if args.distributed else None
    if args.distributed:
        raise UsageError(
            "--distributed detects the cluster from the environment and --coordinator gives it explicitly: use one"
        )
    host, _, port = args.coordinator.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--coordinator must be HOST:PORT (e.g. localhost:12345); got {args.coordinator!r}")
    missing = [k for k, v in explicit.items() if v is None]
    if missing:
        raise UsageError(f"--coordinator needs {' and '.join(missing)} as well")
    if not 0 <= args.process_id < args.num_processes:
        raise UsageError(
            f"--process-id must satisfy 0 <= process id < --num-processes = {args.num_processes}; got {args.process_id}"
        )
    return dict(coordinator_address=args.coordinator, num_processes=args.num_processes, process_id=args.process_id)


def _sweep_axes(args, uses_z: bool) -> dict:
    from . import profiles
    from .params import validate_depths
    from .spin import api as spin_api

    axes = {name: _sweep_axis(getattr(args, name), f"--{name}") for name in ("U", "r", "alpha")}
    if args.lam is not None:
        axes["lam"] = _sweep_axis(args.lam, "--lam")
    _check_params(**axes)
    if args.z is not None:
        if not uses_z:
            raise UsageError("--z is only used by depth quantities (density_*, current_*, torque_*, cD_*)")
        axes["z"] = _sweep_axis(args.z, "--z")
        z = validate_depths(axes["z"])
        # the spinful depth quantities (with --lam) follow the spinful model's own rule
        rule = profiles.nodes_for_depth if args.lam is None else spin_api.nodes_for_depth
        need = rule(float(z.max())) if args.nodes is None else args.nodes
        if need > MAX_DEPTH_NODES:
            raise UsageError(
                f"--z up to {float(z.max()):g} 1/k_F needs {need:.3g} kappa nodes per segment (about z/4); more than "
                f"{MAX_DEPTH_NODES} is refused: the depth profile has decayed to its z -> inf value long before"
            )
    return axes


def _print_result(ds) -> None:
    """A small in-memory sweep as text: fixed parameters, then one row per point."""
    fixed = [f"{k} = {float(c):g} {c.attrs.get('units', '')}".rstrip() for k, c in ds.coords.items() if c.ndim == 0]
    if fixed:
        print("# " + ", ".join(fixed))
    if not ds.dims:
        for name, da in ds.data_vars.items():
            print(f"{name} = {complex(da) if np.iscomplexobj(da) else float(da):.12g} ({da.attrs.get('units', '')})")
        return
    heads = [f"{d} [{ds[d].attrs.get('units', '')}]" for d in ds.dims]
    heads += [f"{n} [{v.attrs.get('units', '')}]" for n, v in ds.data_vars.items()]
    cols = [ds[d].broadcast_like(ds).values.ravel() for d in ds.dims]
    cols += [v.transpose(*ds.dims).values.ravel() for v in ds.data_vars.values()]
    rows = [heads] + [[f"{c[i]:.12g}" for c in cols] for i in range(len(cols[0]))]
    widths = [max(len(row[k]) for row in rows) for k in range(len(heads))]
    for row in rows:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths)))


def _distributed_init(dist: dict) -> None:
    import jax

    try:
        jax.distributed.initialize(**dist)
    except (ValueError, RuntimeError) as err:
        how = "" if dist else " found no cluster environment (SLURM, Open MPI, ...):"
        raise UsageError(
            f"--distributed{how} {str(err).strip().rstrip('.')}; start one copy per process under srun/mpirun, "
            "or give --coordinator HOST:PORT --num-processes P --process-id K"
        ) from None


def _run_sweep(args, axes: dict):
    """(dataset, whether a damaged store was repaired); the library's warnings as one line each."""
    import warnings

    from . import storage
    from .sweep import sweep

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
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
    for w in caught:
        print(f"warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    return ds, any(issubclass(w.category, storage.StoreRepairWarning) for w in caught)


def _sweep(args) -> int:
    import time

    from . import quantities, storage

    infos = [quantities.info(q) for q in args.quantity]
    axes = _sweep_axes(args, any(q.uses_z for q in infos))
    points = math.prod(np.size(v) for v in axes.values())
    if args.out is None and points > PRINT_POINTS:
        raise UsageError(
            f"without --out the result is printed, which suits at most {PRINT_POINTS} points; this grid has {points}: "
            "give --out map.zarr to write a resumable store"
        )
    dist = _check_distributed(args)
    before = storage.read_root_attrs(Path(args.out)) if args.out else None
    if args.out:
        _out_dir(str(Path(args.out).parent) if str(Path(args.out).parent) else ".", "--out folder")
    if dist is not None:
        _distributed_init(dist)
    import jax

    t0 = time.perf_counter()
    try:
        ds, repaired = _run_sweep(args, axes)
    except KeyboardInterrupt:
        where = f"the finished blocks are saved in {args.out}: run the same command again to resume"
        print(f"\njaxorb sweep: interrupted; {where if args.out else 'nothing was saved'}", file=sys.stderr)
        return 130
    wall = time.perf_counter() - t0
    if jax.process_index() != 0:
        return 0
    if args.out is None:
        _print_result(ds)
    elif not args.quiet:
        fp, after = storage.FINGERPRINT_ATTR, storage.read_root_attrs(Path(args.out)) or {}
        unchanged = bool(before) and before.get(storage.COMPLETE_ATTR) and before.get(fp) == after.get(fp)
        shape = ", ".join(f"{d}: {n}" for d, n in ds.sizes.items())
        what = f"{', '.join(ds.data_vars)} on ({shape})"
        if unchanged and not repaired:
            print(f"nothing computed: {args.out} already holds this sweep, complete ({what})")
        else:
            print(f"wrote {args.out}: {what} = {math.prod(ds.sizes.values())} points in {wall:.1f} s")
    return 0


def _open_store(path: str):
    """A sweep written by jaxorb (zarr store or netCDF file), checked; one-line errors otherwise."""
    from . import storage

    store = Path(path)
    if not store.exists():
        raise UsageError(f"{path!r} does not exist; write one with `jaxorb sweep --out {path}`")
    if store.is_file():
        if store.suffix != ".nc":
            raise UsageError(f"{path!r} is neither a sweep store (a folder) nor a netCDF file (.nc)")
        return store, None
    if not (store / "zarr.json").is_file():
        raise UsageError(f"{path!r} is not a sweep store (no zarr.json); write one with `jaxorb sweep`")
    attrs = storage.read_root_attrs(store)
    if attrs is None:
        raise UsageError(f"{path!r}: its zarr.json cannot be read (not JSON); the store is damaged")
    if storage.FINGERPRINT_ATTR not in attrs:
        raise UsageError(f"{path!r} is a zarr store not written by jaxorb sweep")
    return store, attrs


def _plot(args) -> int:
    from . import plotting, storage

    store, attrs = _open_store(args.store)
    out = _out_file(args.out or str(store.with_suffix(".png")))
    try:  # verifies a store first: damaged blocks are refused, missing ones are blank
        ds = storage.open_dataset(store)
    except storage.StoreError:
        raise
    except Exception as err:  # a malformed store can fail anywhere inside zarr / xarray
        raise UsageError(f"{args.store} cannot be read as a sweep ({type(err).__name__}: {err})") from None
    if attrs is not None and not attrs.get(storage.COMPLETE_ATTR):
        note = "blocks still missing are blank; re-run the sweep to finish it"
        print(f"note: {store} is incomplete ({note})", file=sys.stderr)
    select = _selection(args.select or [])
    path = plotting.plot_sweep(ds, out, args.quantity or None, select=select or None, report=print)
    print(f"wrote {path}")
    return 0


def _selection(items: list[str]) -> dict[str, float]:
    """``["U=0.5", "alpha=1"]`` -> ``{"U": 0.5, "alpha": 1.0}`` (``--select``, repeatable)."""
    select = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--select {item!r}: give AXIS=VALUE, e.g. --select U=0.5")
        select[name.strip()] = _number(value, "--select", item)
    return select


def _verify(args) -> int:
    from . import storage

    store, attrs = _open_store(args.store)
    if attrs is None:
        raise UsageError(f"{args.store} is a netCDF file: only zarr stores carry block checksums to verify")
    try:
        report = storage.verify(store)
    except storage.StoreError:
        raise
    except Exception as err:  # a malformed store can fail anywhere inside zarr
        raise UsageError(f"{args.store} cannot be read as a sweep ({type(err).__name__}: {err})") from None
    print(report)
    if not report.ok:
        n = len(report.problems)
        raise UsageError(f"{args.store} is damaged ({n} problem{'s' * (n != 1)}); re-run the same sweep to repair it")
    return 0


def _quantities(args) -> int:
    from . import quantities

    items = quantities.list_quantities(args.pattern)
    if not items:
        raise UsageError(f"no quantity matches {args.pattern!r}; try `jaxorb quantities` for the full list")
    rows = [("name", "also", "unit", "depth z", "meaning")]
    rows += [(q.name, ", ".join(q.aliases), q.unit, "yes" if q.uses_z else "", q.description) for q in items]
    widths = [max(len(r[k]) for r in rows) for k in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4])
    return 0


def _bench(args) -> int:
    from . import bench

    if args.out:
        _out_dir(args.out)
    progress = (lambda *_: None) if args.quiet else print
    records = bench.run_all(args.size, args.out or None, repeats=args.repeats, nz=args.depths, progress=progress)
    print(bench.table(records))
    print()
    print(bench.device_table(records))
    if args.out:
        print(f"wrote {args.out}/bench-all.json")
    return 0


# ---------------------------------------------------------------------------------------------
# The parser


def _add_optimize(sub) -> None:
    from .params import domain_text

    opt = sub.add_parser(
        "optimize",
        help="maximise (or minimise) a quantity over (r, alpha_R) with optax",
        description=textwrap.fill(
            "Maximise a quantity over r and alpha_R within bounds, at fixed U, from several starts (JSON record "
            "+ landscape plot). Says when the optimum sits on a bound. A spinful objective (conv_*, conv0_*) "
            "varies the spin-orbit strength lam as well (--lam bounds); its landscape is drawn at the optimum's lam.",
            96,
        ),
        epilog=GRAMMAR,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    opt.add_argument(
        "--objective",
        default="eta_Lyz_x",
        help="quantity name, e.g. eta_Lyz_x, eta_Lz2_z, delta_z (`jaxorb quantities`; default: %(default)s)",
    )
    opt.add_argument("--r", default="0:20", help=f"bounds lo:hi of r, within {domain_text('r')} (default: %(default)s)")
    opt.add_argument(
        "--alpha", default="0:3", help=f"bounds lo:hi of alpha, within {domain_text('alpha')} (default: %(default)s)"
    )
    opt.add_argument(
        "--lam",
        default=None,
        help=f"bounds lo:hi of lam for the spinful objectives (conv_*), within {domain_text('lam')}, on one "
        "side of lam = 1 - U and lam = -(1 - U)/2 (default: -0.2:0.2)",
    )
    opt.add_argument("--U", default="0.5", help=f"the fixed U, {domain_text('U')} (default: %(default)s)")
    opt.add_argument("--starts", type=_int_at_least(1), default=4, help="random starts (default: %(default)s)")
    opt.add_argument(
        "--starts-at",
        default="",
        help="explicit starts 'r,alpha;r,alpha;...' ('r,alpha,lam;...' for a spinful objective) instead of random ones",
    )
    opt.add_argument("--steps", type=_int_at_least(1), default=300, help="optimiser steps (default: %(default)s)")
    opt.add_argument(
        "--seed", type=_int_at_least(0, 2**63), default=0, help="PRNG seed of the starts (default: %(default)s)"
    )
    opt.add_argument(
        "--nodes",
        type=_int_at_least(2),
        default=None,
        help="kappa nodes per segment (default: the graded rule, ~1e-12)",
    )
    opt.add_argument(
        "--grid",
        type=_int_at_least(2),
        default=41,
        help="landscape points per axis unless --r/--alpha give lo:hi:n (default: %(default)s)",
    )
    opt.add_argument("--minimize", action="store_true", help="minimise instead of maximise")
    opt.add_argument("--out", default="jaxorb-optimize", help="output directory (default: %(default)s)")
    opt.add_argument("--quiet", action="store_true", help="no progress lines")
    opt.set_defaults(func=_optimize)


def _add_sweep(sub) -> None:
    from .params import domain_text

    sw = sub.add_parser(
        "sweep",
        help="evaluate quantities on a parameter grid, printed or into a resumable zarr store",
        description=textwrap.fill(
            "Evaluate quantities on the Cartesian product of the axes. With --out, write them block by block "
            "to a zarr store (open it with xarray.open_zarr) or a netCDF file (.nc); re-running the same command "
            "after an interruption resumes, and on a complete store computes nothing. Without --out, print up to "
            f"{PRINT_POINTS} points. Multi-process: start one copy per process with --distributed (SLURM/Open MPI "
            "detected) or with --coordinator host:port --num-processes P --process-id k.",
            96,
        ),
        epilog=GRAMMAR,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sw.add_argument(
        "--quantity",
        action="append",
        required=True,
        help="quantity name (repeatable), e.g. eta_Lyz_x, eta_Lz2_z, delta_z, c_z, current_Lx_z, conv_Sz_z "
        "(spinful: with --lam) (`jaxorb quantities`)",
    )
    sw.add_argument("--U", default="0.5", help=f"{domain_text('U')} (default: %(default)s)")
    sw.add_argument("--r", default="0.5", help=f"{domain_text('r')} (default: %(default)s)")
    sw.add_argument("--alpha", default="0", help=f"{domain_text('alpha')} (default: %(default)s)")
    sw.add_argument(
        "--lam",
        default=None,
        help=f"{domain_text('lam')}, only for the spinful quantities (conv_*, conv0_*, density_S*, current_S*, "
        "torque_S*), which need it (no default)",
    )
    sw.add_argument("--z", default=None, help="depth in 1/k_F for depth quantities, z >= 0 (default: 0)")
    sw.add_argument(
        "--out",
        default=None,
        help="output: a zarr store (map.zarr) or netCDF file (map.nc) (default: print the result)",
    )
    sw.add_argument("--overwrite", action="store_true", help="replace a store holding a different sweep")
    sw.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    sw.add_argument(
        "--nodes",
        type=_int_at_least(2),
        default=None,
        help="kappa nodes per segment (default: graded rule; depth quantities 24+ceil(z/4))",
    )
    sw.add_argument(
        "--chunk-size", type=_int_at_least(1), default=None, help="max points per block (default: per device type)"
    )
    sw.add_argument(
        "--transparency", type=_positive_float, default=2.0, help="p > 0 for delta_* (default: %(default)s)"
    )
    sw.add_argument("--distributed", action="store_true", help="jax.distributed.initialize() from the environment")
    sw.add_argument("--coordinator", default=None, help="host:port of process 0 (explicit jax.distributed)")
    sw.add_argument(
        "--num-processes", type=_int_at_least(1), default=None, help="number of processes (with --coordinator)"
    )
    sw.add_argument(
        "--process-id", type=_int_at_least(0), default=None, help="this process's index (with --coordinator)"
    )
    sw.set_defaults(func=_sweep)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="jaxorb",
        description="Orbital angular momentum across a metal interface (JAX).",
        epilog=GRAMMAR,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"jaxorb {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rep = sub.add_parser(
        "reproduce", help="compute and draw the paper's figures and the spin-orbit one (PNG, PDF, summary.json)"
    )
    rep.add_argument("--out", default="jaxorb-figures", help="output directory (default: %(default)s)")
    rep.add_argument(
        "--figures", default="", help="comma-separated subset of fig1, fig2, fig3, fig4, figspin (default: all)"
    )
    rep.add_argument("--quiet", action="store_true", help="no progress messages")
    rep.set_defaults(func=_reproduce)
    _add_optimize(sub)
    _add_sweep(sub)

    pl = sub.add_parser("plot", help="draw a sweep store: heatmaps for 2-D grids, lines for 1-D")
    pl.add_argument("store", help="a store written by `jaxorb sweep`, e.g. map.zarr")
    pl.add_argument("--out", default=None, help="image file (default: the store's name with .png)")
    pl.add_argument("--quantity", action="append", default=None, help="variable(s) to draw (default: all)")
    pl.add_argument(
        "--select",
        action="append",
        default=None,
        metavar="AXIS=VALUE",
        help="fix an axis at the sweep value nearest to VALUE, e.g. U=0.5 (repeatable); "
        "a 3-D sweep without it is drawn as one row of panels per value of its first axis",
    )
    pl.set_defaults(func=_plot)

    ver = sub.add_parser("verify", help="check a sweep store: complete, undamaged, every block's checksum")
    ver.add_argument("store", help="a store written by `jaxorb sweep`, e.g. map.zarr")
    ver.set_defaults(func=_verify)

    qs = sub.add_parser("quantities", help="list every quantity name with its unit and meaning")
    qs.add_argument("pattern", nargs="?", default=None, help="shell-style filter, e.g. 'eta_*' or '*_Lyz_x'")
    qs.set_defaults(func=_quantities)

    ben = sub.add_parser("bench", help="run the performance benchmarks on every available device (CPU, GPU)")
    ben.add_argument(
        "--size",
        type=_int_at_least(2),
        default=256,
        help="points per axis of the (r, alpha) and spinful (r, lam) grids (default: %(default)s)",
    )
    ben.add_argument(
        "--depths", type=_int_at_least(2), default=2000, help="depths of the Fig. 1 workload (default: %(default)s)"
    )
    ben.add_argument(
        "--repeats", type=_int_at_least(1), default=3, help="timed runs, median reported (default: %(default)s)"
    )
    ben.add_argument("--out", default="jaxorb-bench", help="directory for the JSON records (default: %(default)s)")
    ben.add_argument("--quiet", action="store_true", help="no progress lines")
    ben.set_defaults(func=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; a user error exits with one line ``jaxorb <command>: <message>``."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, ValueError, OSError) as err:
        if os.environ.get(_TRACEBACK_ENV):
            raise
        message = " ".join(str(err).split()) or type(err).__name__
        raise SystemExit(f"jaxorb {args.command}: {message}") from None
    except KeyboardInterrupt:
        print(f"\njaxorb {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
