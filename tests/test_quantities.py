"""Quantity names: one scheme (observables spelled as jo.OPERATOR_NAMES, the L optional),
the list of every name with unit, meaning and a mathtext label, and refusals."""

import inspect
import typing

import matplotlib.mathtext
import numpy as np
import pytest

import jaxorb as jo
from jaxorb import cli, optimize, quantities, storage


def test_every_listed_name_follows_one_scheme():
    listed = [q for q in quantities.list_quantities() if not q.uses_lam]  # spinful conv_*: test_spin_api.py
    names = [q.name for q in listed]
    assert len(names) == len(set(names)) == 5 * 3 + 4 * 3 + 3 * 8 * 3
    for q in listed:
        parts = q.name.split("_")
        assert parts[-1] in ("x", "y", "z")
        if len(parts) == 3:  # <kind>_<observable>_<injection>: the observable as the API spells it
            assert parts[1] in jo.OPERATOR_NAMES, q.name
            assert parts[0] != "eta" or parts[1] in jo.QUADRUPOLES
        for alias in q.aliases:
            assert quantities.canonical(alias) == q.name


@pytest.mark.parametrize(
    "alias,name",
    [
        ("eta_yz_x", "eta_Lyz_x"),
        ("eta_x2-y2_y", "eta_Lx2-y2_y"),
        ("density_yz_x", "density_Lyz_x"),
        ("current_x_z", "current_Lx_z"),
        ("torque_Lz2_z", "torque_Lz2_z"),
        ("delta_z", "delta_z"),
        ("cD_x", "cD_x"),
    ],
)
def test_aliases_mean_the_canonical_quantity(alias, name):
    assert quantities.info(alias) == quantities.info(name)
    assert quantities.info(alias).name == name
    q = quantities.get(alias)
    assert q.name == alias  # a sweep keeps the spelling it was asked for
    assert (q.unit, q.description, q.label, q.uses_z) == tuple(quantities.info(name)[1:5])


@pytest.mark.slow
def test_alias_and_api_spelling_give_the_same_number():
    """eta_yz_x, eta_Lyz_x and jo.efficiency(..., quadrupole="Lyz") are one quantity."""
    p = (0.5, 1.3, 0.4)
    a = quantities.get("eta_yz_x", n=8).fn(*p)
    b = quantities.get("eta_Lyz_x", n=8).fn(*p)
    c = jo.efficiency(jo.Params(*p), "x", "Lyz", nodes=8)
    assert float(a) == float(b) == pytest.approx(float(c), abs=1e-13)
    other = quantities.get("eta_Lzx_x", n=8).fn(*p)  # the mapping does not mix quadrupoles up
    assert abs(float(other) - float(a)) > 1e-3


@pytest.mark.parametrize("short", ["xy", "yz", "zx", "x2-y2", "z2"])
@pytest.mark.slow
def test_efficiency_takes_the_quadrupole_without_its_L(short):
    """As in the quantity names (eta_yz_x = eta_Lyz_x): quadrupole="yz" is "Lyz"."""
    p = jo.Params(0.5, 1.3, 0.4)
    assert jo.efficiency(p, "x", short, nodes=8) == jo.efficiency(p, "x", "L" + short, nodes=8)
    assert quantities.canonical(f"eta_{short}_x") == f"eta_L{short}_x"


@pytest.mark.parametrize("bad", ["Lfoo", "foo", "x", "Lx", "L", ""])
def test_efficiency_refuses_a_non_quadrupole(bad):
    with pytest.raises(ValueError, match=f"quadrupole must be one of Lxy, .*; got '{bad}'"):
        jo.efficiency(jo.Params(), "x", bad)


def test_labels_are_mathtext_and_carry_the_injection():
    parser = matplotlib.mathtext.MathTextParser("path")
    for q in quantities.list_quantities():
        assert q.label.startswith("$") and q.label.endswith("$"), q
        parser.parse(q.label)  # raises on malformed mathtext
    assert quantities.info("eta_yz_x").label == r"$\eta_{yz}^{x}$"
    assert quantities.info("density_Lyz_x").label == r"$\langle L_{yz}\rangle^{x}$"
    assert quantities.info("delta_z").label == r"$\delta_z$"
    info = quantities.info("current_Lz2_y")
    assert (info.name, info.unit) == ("current_Lz2_y", "hbar * hbar k_F / m") and "Lz2" in info.description


@pytest.mark.parametrize(
    "bad",
    ["eta_yz_x\n", "eta_Lyz_x\n", " eta_yz_x", "eta_Lx_x", "density_Lq_x", "density_LLx_x", "eta_yz", "", 5, None],
)
def test_malformed_names_are_refused(bad):
    for fn in (quantities.get, quantities.info, quantities.canonical):
        with pytest.raises(ValueError, match="unknown quantity"):
            fn(bad)


def test_list_filters_by_pattern_including_aliases():
    assert [q.name for q in quantities.list_quantities("eta_*_z")] == [f"eta_{Q}_z" for Q in jo.QUADRUPOLES]
    assert {q.name for q in quantities.list_quantities("*_yz_x")} == {
        f"{k}_Lyz_x" for k in ("eta", "density", "current", "torque")
    }
    with pytest.raises(ValueError, match="pattern"):
        quantities.list_quantities(3)


def test_cli_lists_quantities(capsys):
    assert cli.main(["quantities"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 + len(quantities.list_quantities())
    row = next(line for line in out if line.startswith("eta_Lyz_x "))
    assert "eta_yz_x" in row and "conversion efficiency" in row
    assert cli.main(["quantities", "delta_*"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4


@pytest.mark.parametrize(
    "obj",
    [
        jo.maximize,
        jo.minimize,
        jo.OptimizeResult,
        optimize.landscape,
        quantities.Quantity,
        quantities.QuantityInfo,
        quantities.info,
        quantities.list_quantities,
        quantities.get,
        storage.verify,
        *(getattr(jo, name) for name in jo.__all__ if callable(getattr(jo, name))),
    ],
)
def test_signatures_have_no_forward_references(obj):
    """help() shows real types, not ForwardRef('...') or quoted annotations."""
    sig = inspect.signature(obj)
    assert "ForwardRef" not in str(sig), sig
    for p in [*sig.parameters.values(), sig]:
        ann = p.annotation if isinstance(p, inspect.Parameter) else p.return_annotation
        assert not isinstance(ann, str), (obj, ann)
    typing.get_type_hints(obj)


def test_list_quantities_is_exported():
    assert jo.list_quantities is quantities.list_quantities
    assert np.all([isinstance(q, quantities.QuantityInfo) for q in jo.list_quantities("c_*")])
