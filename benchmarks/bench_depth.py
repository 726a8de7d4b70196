"""Depth quantities and mean torques: one quantity at a time against the whole profile, in one run.

On a size x size (r, alpha) grid at U = 0.5, each quantity is computed twice on the same kappa
rule (:func:`jaxorb.quadrature.depth_rule`), both mapped over the points in batches of
``jaxorb.bench.BATCH``:

* single: ``jaxorb.fast.depth_average`` / ``transport._mean_torque_core`` (closed-form 3x3 solve,
  unrolled phi-average forms of one observable, one node sum): what ``jaxorb.quantities`` and
  ``jo.mean_torque`` use;
* profile: ``profiles.profile_arrays`` for that observable (the same solve, tensor contractions
  over every mode pair), what ``jo.profile`` uses.

Prints a table (median times, us per point, speed-up, max abs difference) and writes JSON.

Usage: python benchmarks/bench_depth.py [--size 64] [--repeats 3] [--out DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser  # noqa: E402

Z = 5.0  # depth of the density / current / torque quantities, 1/k_F
D = 10.0  # thickness of c(D)


def cases():
    """name -> (single f(U, r, alpha), profile f(U, r, alpha)), scalar parameters."""
    import jax.numpy as jnp

    from jaxorb import profiles, quadrature, transport
    from jaxorb.fast import depth_average

    n = quadrature.DEFAULT_NODES
    n_d = profiles.nodes_for_depth(D)

    def depth(kind, op, j):
        rho = profiles.density_matrix(j)

        def single(U, r, a):
            return depth_average(U, r, a, Z, rho, op, kind, n)

        def base(U, r, a):
            return profiles.profile_arrays(U, r, a, jnp.asarray(rho), jnp.array([Z]), names=(op,), n=n)[kind][0, 0]

        return single, base

    def torque(j, d, nodes):
        rho, ndip = profiles.density_matrix(j), transport.injected_dipole(j)

        def single(U, r, a):
            return transport._mean_torque_core(U, r, a, rho, ndip, jnp.asarray(d), nodes)

        def base(U, r, a):
            z = jnp.array([0.0, 0.0 if d == float("inf") else d])
            out = profiles.profile_arrays(U, r, a, jnp.asarray(rho), z, names=("Lx", "Ly", "Lz"), n=nodes)
            far = out["current_inf"] if d == float("inf") else out["current"][:, 1]
            return jnp.dot(far - out["current"][:, 0], jnp.asarray(ndip))

        return single, base

    return {
        "c_z": torque("z", float("inf"), n),
        f"cD_z (D = {D:g})": torque("z", D, n_d),
        f"current_Lz_z (z = {Z:g})": depth("current", "Lz", "z"),
        f"density_Lx_x (z = {Z:g})": depth("density", "Lx", "x"),
        f"torque_Lz_z (z = {Z:g})": depth("torque", "Lz", "z"),
    }


def main(argv: list[str] | None = None) -> dict:
    args = parser(__doc__.splitlines()[0], size=64).parse_args(argv)
    import jax
    import jax.numpy as jnp
    import numpy as np

    from jaxorb import bench

    r, a = (jnp.asarray(x) for x in bench.grid_points(args.size))
    U = jnp.asarray(bench.GRID_U)
    rows = {}
    for name, (single, base) in cases().items():
        timed = {}
        for label, f in (("fast", single), ("baseline", base)):
            g = jax.jit(lambda r_, a_, f=f: jax.lax.map(lambda x: f(U, x[0], x[1]), (r_, a_), batch_size=bench.BATCH))
            vals = np.asarray(jax.block_until_ready(g(r, a)))
            t, times = bench.median_time(lambda g=g: g(r, a), args.repeats)
            timed[label] = (t, times, vals)
        (tf, tfs, vf), (tb, tbs, vb) = timed["fast"], timed["baseline"]
        rows[name] = {
            "fast_median_s": tf,
            "baseline_median_s": tb,
            "fast_us_per_point": tf / r.size * 1e6,
            "baseline_us_per_point": tb / r.size * 1e6,
            "speedup": tb / tf,
            "max_abs_diff": float(np.abs(vf - vb).max()),
            "fast_times_s": tfs,
            "baseline_times_s": tbs,
        }
    print(f"{'quantity':26s} {'fast us/pt':>11s} {'baseline us/pt':>15s} {'speed-up':>9s} {'max |diff|':>11s}")
    for name, v in rows.items():
        print(
            f"{name:26s} {v['fast_us_per_point']:11.2f} {v['baseline_us_per_point']:15.1f} "
            f"{v['speedup']:8.0f}x {v['max_abs_diff']:11.1e}"
        )
    rec = {
        "target": "depth",
        "env": bench.environment(None, "float64"),
        "U": bench.GRID_U,
        "size": args.size,
        "points": int(r.size),
        "z": Z,
        "thickness": D,
        "rows": rows,
        "load_after": bench.load_average(),
    }
    print(f"wrote {bench.write_json(rec, Path(args.out) / 'depth.json')}")
    return rec


if __name__ == "__main__":
    main()
