"""optax maximisation over (r, alpha_R): known optimum, bounds, determinism, bad input."""

import json

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxorb as jo
from jaxorb import cli
from jaxorb.bench import CompileCounter

BOX = {"r": (0.5, 1.0), "alpha": (0.2, 1.2)}


def eta(r, a):
    return np.asarray(jo.efficiency(jo.Params(0.5, r, a), "x", "Lyz"))


def scanned_optimum():
    """Fine-grid scan: eta_yz^x grows with r on this box, so the maximum sits on r = 1 at an
    interior alpha, located by a coarse scan then a 1e-5 grid around it."""
    a = np.linspace(*BOX["alpha"], 101)
    r = np.linspace(*BOX["r"], 11)
    grid = eta(r[:, None], a[None, :])
    i, j = np.unravel_index(np.argmax(grid), grid.shape)
    assert i == len(r) - 1 and 0 < j < len(a) - 1  # on the r bound, interior in alpha
    fine = np.linspace(a[j] - 0.01, a[j] + 0.01, 2001)
    vals = eta(1.0, fine)
    return 1.0, fine[np.argmax(vals)], vals.max()


@pytest.mark.slow
def test_finds_known_maximum_from_most_starts():
    r_star, a_star, v_star = scanned_optimum()
    res = jo.maximize("eta_yz_x", bounds=BOX, starts=4, steps=200, seed=0, progress=False)
    hits = np.sum((np.abs(res.finals[:, 0] - r_star) < 1e-4) & (np.abs(res.finals[:, 1] - a_star) < 1e-4))
    assert hits >= 3, (res.finals, r_star, a_star)
    assert abs(res.value - v_star) < 1e-8
    for key in ("r", "alpha"):
        lo, hi = BOX[key]
        assert np.all(res.history[key] >= lo) and np.all(res.history[key] <= hi)
    assert res.history["r"].shape == (201, 4) and res.history["value"].shape == (201, 4)


@pytest.mark.slow
def test_reproducible_and_bounded():
    kw = dict(bounds={"r": (0.0, 20.0), "alpha": (0.0, 3.0)}, starts=3, steps=15, seed=7, progress=False)
    a = jo.maximize("eta_z2_z", **kw)
    b = jo.maximize("eta_z2_z", **kw)
    assert np.array_equal(a.history["r"], b.history["r"]) and np.array_equal(a.history["alpha"], b.history["alpha"])
    assert np.array_equal(a.values, b.values)
    c = jo.maximize("eta_z2_z", **dict(kw, seed=8))
    assert not np.array_equal(a.starts, c.starts)
    for key, (lo, hi) in kw["bounds"].items():
        assert np.all(a.history[key] >= lo) and np.all(a.history[key] <= hi)
    # ascent: the best value does not get worse from start to end
    assert a.values.max() >= a.history["value"][0].max() - 1e-12


@pytest.mark.slow
def test_minimize_memory_loss_and_custom_objective():
    res = jo.minimize(
        "delta_z",
        jo.Params(0.5, np.array([2.0]), np.array([1.0])),
        bounds={"r": (0.5, 4.0), "alpha": (0.0, 2.0)},
        steps=60,
        progress=False,
        optimizer=optax.adam(0.05),
    )
    assert res.value < 0.05 and res.params.alpha < 0.05  # delta = 0 at alpha = 0 for |L_z>
    res2 = jo.maximize(
        lambda p: -((p.r - 1.3) ** 2) - (p.alpha - 0.4) ** 2, jo.Params(0.5, 1.0, 1.0), steps=200, progress=False
    )
    assert abs(res2.params.r - 1.3) < 1e-4 and abs(res2.params.alpha - 0.4) < 1e-4


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(bounds={"r": (2.0, 1.0)}), "lo < hi"),
        (dict(bounds={"r": (-2.0, 1.0)}), "r must satisfy"),
        (dict(bounds={"U": (0.0, 1.0)}), "r and alpha"),
        (dict(p0=jo.Params(0.5, 30.0, 0.0)), "within the bounds"),
        (dict(objective="eta_qq_x"), "unknown quantity"),
        (dict(steps=0), "steps"),
    ],
)
def test_bad_input(kw, match):
    objective = kw.pop("objective", "eta_yz_x")
    with pytest.raises(ValueError, match=match):
        jo.maximize(objective, **kw)


@pytest.mark.slow
def test_cli_optimize(tmp_path, capsys):
    """The bounds grammar lo:hi:n sets the landscape too; an optimum on a bound is reported."""
    out = tmp_path / "opt"
    argv = ["optimize", "--objective", "eta_yz_x", "--r", "0.5:1:4", "--alpha", "0.2:1.2:3"]
    argv += ["--starts-at", "0.9,0.7;0.95,0.5", "--steps", "60", "--out", str(out), "--quiet"]
    assert cli.main(argv) == 0
    rec = json.loads((out / "optimize.json").read_text())
    assert rec["objective"] == "eta_yz_x" and len(rec["history"]["r"]) == 61
    assert len(rec["landscape"]["r"]) == 4 and len(rec["landscape"]["alpha"]) == 3
    assert (out / "landscape.png").stat().st_size > 5000
    # eta_yz^x grows with r on this box (scanned_optimum): the maximum sits on r = 1
    assert rec["on_bound"] == {"r": "upper"} and rec["optimum"]["r"] == pytest.approx(1.0, abs=5e-5)
    printed = capsys.readouterr().out
    assert "maximum of eta_yz_x" in printed and "sits on the upper bound r = 1" in printed


def bowl(p):
    """A cheap objective with its maximum at r = 1.3, alpha = 0.4."""
    return -((p.r - 1.3) ** 2) - (p.alpha - 0.4) ** 2


def test_on_bound_and_short_repr():
    inside = jo.maximize(bowl, jo.Params(0.5, [0.5, 2.5], [0.1, 0.9]), bounds={"r": (0, 3), "alpha": (0, 1)}, steps=150)
    assert inside.on_bound == {} and "bound" not in repr(inside)
    capped = jo.maximize(
        bowl, jo.Params(0.5, [0.2, 0.8], [0.6, 0.9]), bounds={"r": (0, 1), "alpha": (0.5, 1)}, steps=150
    )
    assert capped.on_bound == {"r": "upper", "alpha": "lower"}
    assert capped.params.r == pytest.approx(1.0, abs=1e-6) and capped.params.alpha == pytest.approx(0.5, abs=1e-6)
    text = repr(capped)
    assert len(text) < 300 and "\n" not in text and "array" not in text
    assert "maximum of bowl" in text and "r = 1 (upper bound)" in text and "alpha = 0.5 (lower bound)" in text
    low = jo.minimize(lambda p: -bowl(p), jo.Params(0.5, 0.5, 0.5), bounds={"r": (0, 3), "alpha": (0, 1)}, steps=150)
    assert low.kind == "minimum" and repr(low).startswith("OptimizeResult(minimum of")


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(seed="a"), "seed"),
        (dict(seed=-1), "seed"),
        (dict(seed=2**70), "seed"),
        (dict(seed=1.5), "seed"),
        (dict(sign=float("nan")), "sign"),
        (dict(sign=0.5), "sign"),
        (dict(starts=0), "starts"),
        (dict(nodes=1), "nodes"),
        (dict(optimizer="adam"), "optimizer"),
        (dict(bounds=[(0, 1)]), "bounds"),
        (dict(bounds={"r": (0, float("inf"))}), "bounds"),
        (dict(objective=lambda p: jnp.stack([p.r, p.alpha])), "one real number"),
        (dict(objective=lambda p: p.r * 1j), "one real number"),
        (dict(objective=3.0), "objective"),
        (dict(objective="eta_yz_x\n"), "unknown quantity"),
        (dict(objective="current_Lx_z"), "depth"),
        (dict(p0=jo.Params(0.5, [0.5, 1.0], [0.1, 0.2, 0.3])), "broadcast"),
        (dict(p0=jo.Params([0.5, 0.6], 1.0, 0.1)), "p0.U"),
    ],
)
def test_bad_input_is_refused_before_compiling(kw, match):
    objective = kw.pop("objective", "eta_yz_x")
    with CompileCounter() as compiled, pytest.raises(ValueError, match=match):
        jo.maximize(objective, **kw)
    assert compiled.count == 0
