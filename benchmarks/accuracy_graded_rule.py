"""Accuracy of kappa rules for the interface quantities, against a refined graded rule.

Prints, per parameter domain, the max abs difference of eta_yz^x, eta_x2-y2^x, eta_z2^z and
J_L/J_R (|L_z>) between each rule and the reference (inner 128, 16 levels x 20 nodes); see
docs/performance.md. Rules are given as inner,levels,level_nodes (graded) or an int (nodes per
segment of the plain rule).

Usage: python benchmarks/accuracy_graded_rule.py [--points 400] [RULE ...]   e.g. 32,4,16 24
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np

from jaxorb import fast, profiles

REFERENCE = (128, 16, 20)
CHECK = (96, 14, 16)


def quantities(U, r, a, nodes):
    rx, rz = profiles.density_matrix("x"), profiles.density_matrix("z")
    (yz, x2), (lx,) = fast.surface_currents(U, r, a, rx, ("Lyz", "Lx2-y2"), ("Lx",), nodes)
    (z2, lzr), (lzl,) = fast.surface_currents(U, r, a, rz, ("Lz2", "Lz"), ("Lz",), nodes)
    return jnp.stack([yz / lx, x2 / lx, z2 / lzl, lzl / lzr])


def domains(rng, n):
    r_mr = rng.uniform(0.05, 0.9, n)
    return {
        "grid": (np.full(n, 0.5), rng.uniform(0.05, 10, n), rng.uniform(0, 3, n)),
        "kink": (np.full(n, 0.5), rng.uniform(3.3, 3.6, n), rng.uniform(0, 0.05, n)),
        "broad": (rng.uniform(-0.8, 0.9, n), rng.uniform(-0.7, 6, n), rng.uniform(-2, 2, n)),
        "U~0": (rng.uniform(-1e-3, 1e-3, n), rng.uniform(0.05, 6, n), rng.uniform(-2, 2, n)),
        "U~-r": (-r_mr + rng.uniform(-1e-3, 1e-3, n), r_mr, rng.uniform(-2, 2, n)),
        "big r": (rng.uniform(-0.8, 0.9, n), rng.uniform(6, 20, n), rng.uniform(-3, 3, n)),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--points", type=int, default=400)
    p.add_argument("rules", nargs="*", default=["32,4,16"])
    args = p.parse_args(argv)
    rules = [tuple(int(x) for x in s.split(",")) if "," in s else int(s) for s in args.rules]
    rng = np.random.default_rng(1)
    for name, (U, r, a) in domains(rng, args.points).items():

        def run(nodes, U=U, r=r, a=a):
            f = jax.jit(jax.vmap(lambda u, rr, aa: quantities(u, rr, aa, nodes)))
            return np.asarray(f(jnp.asarray(U), jnp.asarray(r), jnp.asarray(a)))

        ref = run(REFERENCE)
        line = f"{name:6} reference vs {CHECK}: {np.nanmax(np.abs(run(CHECK) - ref)):.1e}"
        for rule in rules:
            line += f" | {rule}: {np.nanmax(np.abs(run(rule) - ref)):.1e}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
