"""Design the interface: maximise dipole-to-quadrupole conversion, then minimise memory loss at a
fixed transmission, with exact gradients and optax.

Run:  python examples/optimize_efficiency.py [--steps 300]

Physics of the results (U = 0.5 E_F):

* eta_yz^x = Q_yz,R(0) / J_x,L(0) converts an injected L_x current into the torsional quadrupole
  current L_yz. It needs the crystal field r (eta_yz^x = 0 at r = 0: r (L.k)^2 is what mixes
  L_x with L_yz, paper Eq. 6), and the interfacial Rashba alpha_R mostly quenches it. Over
  r in [0, 20], alpha in [0, 3] the maximum sits on the bound r = 20 at alpha = 0; there is a
  sharp local maximum near r = 3.4, where an interface state touches kappa = k_F, which
  gradient ascent from the left of it finds instead: that is why the optimiser runs several
  starts.
* The memory loss delta of |L_z> vanishes at alpha = 0 (J_L(0) = J_R(0) exactly) and grows
  with alpha. Holding the L_z current that crosses the interface at T = J_R(0)/J_in = 0.5 (a
  penalty term), the best design keeps alpha = 0 and tunes the crystal field alone until T = 0.5
  (between r = 6 and 8 here): the interface then reflects orbital current without losing
  orbital memory. Starts that reach the T = 0.5 valley at alpha > 0 slide along it slowly,
  which is why several starts are run and the best kept.
"""

from __future__ import annotations

import argparse

import jax.numpy as jnp
import numpy as np

import jaxorb as jo
from jaxorb import quantities


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--starts", type=int, default=6)
    args = ap.parse_args()

    print("1) maximise eta_yz^x over r in [0, 20], alpha in [0, 3] at U = 0.5")
    res = jo.maximize("eta_yz_x", bounds={"r": (0, 20), "alpha": (0, 3)}, starts=args.starts, steps=args.steps, seed=0)
    for (r0, a0), (r1, a1), v in zip(res.starts, res.finals, res.values):
        print(f"   start r = {r0:6.3f}, alpha = {a0:5.3f}  ->  r = {r1:8.4f}, alpha = {a1:6.4f}: eta = {v:.6f}")
    print(
        f"   best: eta_yz^x = {res.value:.6f} at r = {res.params.r:.4f}, alpha = {res.params.alpha:.4f} ({res.wall_time_s:.1f} s)"
    )

    print("2) minimise delta(|L_z>, transparency 2) while holding the transmitted L_z current at T = 0.5")
    delta = quantities.get("delta_z").fn
    current = quantities.get("current_Lz_z").fn
    j_in = 2.0 / 3.0  # disk average of q_N: the incident L_z current of a unit |L_z> state
    target, weight = 0.5, 100.0

    def objective(p):
        t = current(p.U, p.r, p.alpha, 0.0) / j_in
        return -(delta(p.U, p.r, p.alpha, 0.0) + weight * (t - target) ** 2)

    res2 = jo.maximize(
        objective,
        jo.Params(0.5, jnp.array([3.0, 6.0, 8.0, 9.0]), jnp.array([0.1, 0.3, 0.2, 1.0])),
        bounds={"r": (0, 10), "alpha": (0, 3)},
        steps=args.steps,
    )
    p = res2.params
    t = float(current(p.U, p.r, p.alpha, 0.0)) / j_in
    print(
        f"   best: r = {p.r:.4f}, alpha = {p.alpha:.4f}: delta = {float(delta(p.U, p.r, p.alpha, 0.0)):.4f}, T = {t:.4f}"
    )
    r_line = np.linspace(0, 10, 6)
    t0 = np.asarray([float(current(0.5, r, 0.0, 0.0)) for r in r_line]) / j_in
    print(f"   for reference, T at alpha = 0 for r = {r_line.tolist()}: {np.round(t0, 3).tolist()}")


if __name__ == "__main__":
    main()
