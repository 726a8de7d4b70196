"""The command line: `jaxorb reproduce` end to end, the value grammar, sweeps printed or stored."""

import json
import subprocess
import sys

import numpy as np
import pytest

import jaxorb
from jaxorb import cli


@pytest.mark.slow
def test_reproduce_writes_all_figures(tmp_path):
    out = tmp_path / "figs"
    assert cli.main(["reproduce", "--out", str(out), "--quiet"]) == 0
    for name in ("fig1", "fig2", "fig3", "fig4"):
        for ext in ("png", "pdf"):
            f = out / f"{name}.{ext}"
            assert f.exists() and f.stat().st_size > 5000, f
    summary = json.loads((out / "summary.json").read_text())
    figs = summary["figures"]
    assert abs(figs["fig1"]["density"]["x"]["Lx"][0] - 1.62214) < 1e-5
    assert figs["fig1"]["units"]["z"] == "1/k_F"
    assert abs(figs["fig4"]["injections"]["z"]["c_inf"][0] + 0.27471) < 1e-5
    assert len(figs["fig2"]["r"]) == len(figs["fig2"]["wavelength"])


def test_console_entry_point_help():
    res = subprocess.run(
        [sys.executable, "-m", "jaxorb.cli", "reproduce", "--help"], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0 and "--out" in res.stdout


def test_unknown_figure_is_refused(tmp_path):
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "--out", str(tmp_path), "--figures", "fig9"])


def test_version_and_grammar_in_help(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"jaxorb {jaxorb.__version__}"
    for argv in (["--help"], ["sweep", "--help"], ["optimize", "--help"]):
        with pytest.raises(SystemExit):
            cli.main(argv)
        text = capsys.readouterr().out
        assert "lo:hi:n" in text and "A,B,C" in text and "lo:hi " in text, argv


@pytest.mark.parametrize(
    "text,form,values",
    [
        ("0.5", "number", [0.5]),
        ("-0.5,1,2", "list", [-0.5, 1, 2]),
        ("0,20", "list", [0, 20]),
        ("0:20:5", "grid", [0, 5, 10, 15, 20]),
        ("0:20", "interval", [0, 20]),
        ("-0.5:1e1", "interval", [-0.5, 10]),
    ],
)
def test_one_grammar_for_every_subcommand(text, form, values):
    """The same text is the same thing everywhere; a subcommand that cannot use it refuses it."""
    parsed = cli.parse_values(text, "--r")
    assert parsed.form == form and np.allclose(parsed.values, values)
    if form == "interval":
        with pytest.raises(cli.UsageError, match="lo:hi:n"):
            cli._sweep_axis(text, "--r")
    else:
        assert np.allclose(cli._sweep_axis(text, "--r"), values)
    if form in ("interval", "grid"):
        assert np.allclose(cli._bounds(text, "--r").values[[0, -1]], [values[0], values[-1]])
    else:
        with pytest.raises(cli.UsageError, match="lo:hi"):
            cli._bounds(text, "--r")


def test_negative_values_are_values_not_options():
    args = cli.build_parser().parse_args(["sweep", "--quantity", "eta_yz_x", "--r", "-0.5:2:3", "--U", "-1,0.5"])
    assert args.r == "-0.5:2:3" and args.U == "-1,0.5"


@pytest.mark.slow
def test_sweep_prints_small_results_computes_nothing_twice_and_verifies(tmp_path, capsys):
    grid = ["--quantity", "eta_yz_x", "--quantity", "delta_z", "--r", "0.5,2", "--alpha", "0,0.5", "--nodes", "6"]
    assert cli.main(["sweep", *grid]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "# U = 0.5 E_F" and len(printed) == 2 + 4
    rows = np.array([[float(x) for x in line.split()] for line in printed[2:]])
    for r, a, eta, delta in rows:  # the printed table is the API's numbers
        p = jaxorb.Params(0.5, r, a)
        assert eta == pytest.approx(float(jaxorb.efficiency(p, "x", "Lyz", nodes=6)), rel=1e-11)
        assert delta == pytest.approx(float(jaxorb.memory_loss(p, "z", nodes=6)), rel=1e-9, abs=1e-12)
    store = str(tmp_path / "m.zarr")
    assert cli.main(["sweep", *grid, "--out", store]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {store}")
    assert cli.main(["sweep", *grid, "--out", store]) == 0
    assert capsys.readouterr().out.startswith(f"nothing computed: {store} already holds this sweep")
    assert cli.main(["verify", store]) == 0
    assert "ok, complete" in capsys.readouterr().out
    chunk = next(p for p in (tmp_path / "m.zarr" / "eta_yz_x").rglob("*") if p.is_file() and p.name != "zarr.json")
    chunk.unlink()  # a lost chunk: verify and plot say so in one line instead of reading NaN
    for argv in (["verify", store], ["plot", store, "--out", str(tmp_path / "m.png")]):
        with pytest.raises(SystemExit) as exc:
            cli.main(argv)
        message = str(exc.value.code)
        assert message.startswith(f"jaxorb {argv[0]}: ") and "damaged" in message and "\n" not in message
    assert not (tmp_path / "m.png").exists()
    # the same sweep again repairs it, and does not claim that nothing was computed
    capsys.readouterr()
    assert cli.main(["sweep", *grid, "--out", store]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"wrote {store}") and "recomputing" in captured.err
    assert cli.main(["verify", store]) == 0


def readme_commands() -> list[list[str]]:
    """Every `jaxorb ...` command line in the README's shell blocks (continuations joined)."""
    import re
    import shlex
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line.split("#")[0])
            if "jaxorb" in words and "..." not in words:
                out.append(words[words.index("jaxorb") + 1 :])
    return out


def test_readme_commands_follow_the_grammar():
    """The README's commands parse, and their values are forms their subcommand takes."""
    commands = readme_commands()
    assert any(c[0] == "sweep" for c in commands) and any(c[0] == "optimize" for c in commands)
    for argv in commands:
        args = cli.build_parser().parse_args(argv)
        if args.command == "sweep":
            for name in ("U", "r", "alpha"):
                cli._sweep_axis(getattr(args, name), f"--{name}")
        elif args.command == "optimize":
            cli._bounds(args.r, "--r"), cli._bounds(args.alpha, "--alpha"), cli._fixed(args.U, "--U")
