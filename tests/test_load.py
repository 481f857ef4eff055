"""Results back into Python (bandits.load), plot_result with repeated labels, the front door of the
command, and figures that regenerate byte for byte (issue 11)."""

import subprocess
import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest

import bandits
from bandits.cli import main
from bandits.plots import plot_result
from sweeps import TINY_NEEDLE as TINY

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("load")
    (tmp / "exp.toml").write_text(TINY)
    assert main(["run", str(tmp / "exp.toml"), "--out", str(tmp / "r"), "--workers", "1", "--quiet"]) == 0
    return tmp / "r"


def test_load_gives_the_summary_the_parameters_and_the_arrays(folder):
    res = bandits.load(folder)
    assert len(res) == 4 and not res.missing and res.name == "tiny"
    assert res.summary.equals(pd.read_csv(folder / "summary.csv"))
    cell = next(c for c in res if c.params["agent"] == "ucb1" and c.params["instance"]["K"] == 8)
    direct = bandits.simulate(bandits.instances.needle(K=8), "ucb1", horizon=300, runs=20, seed=3, checkpoints=20)
    assert np.array_equal(cell.regret, direct.regret) and np.array_equal(cell.checkpoints, direct.checkpoints)
    assert cell.regret.shape == (20, len(cell.checkpoints)) and cell.distinct.shape == cell.regret.shape
    pd.testing.assert_frame_equal(cell.summary(), direct.summary())
    assert cell.params["horizon"] == 300 and cell.label == "ucb1(alpha=2)" and res[cell.key] is cell
    assert cell.instance_name == "needle(K=8, m=2)"


def test_load_an_interrupted_sweep_and_a_non_folder(folder, tmp_path):
    import shutil
    part = tmp_path / "part"
    shutil.copytree(folder, part)
    first = sorted((part / "cells").glob("*.npz"))[0]
    first.unlink()
    (part / "summary.csv").unlink()
    res = bandits.load(part)
    assert len(res) == 3 and res.missing == [first.stem]
    assert set(res.summary.cell) == {c.key for c in res}
    with pytest.raises(FileNotFoundError, match="not a results folder"):
        bandits.load(tmp_path / "nothing")


def test_plot_result_takes_what_load_returns_and_keeps_repeated_labels_apart(folder):
    ax = plot_result(bandits.load(folder))
    labels = ax.get_legend_handles_labels()[1]
    assert len(labels) == 4 and len(ax.lines) == 4
    assert "ucb1(alpha=2) on needle(K=8, m=2)" in labels and "thompson on needle(K=2, m=2)" in labels
    a = bandits.simulate(bandits.instances.needle(K=8), "ucb1", horizon=200, runs=5, seed=0)
    b = bandits.simulate(bandits.instances.needle(K=64), "ucb1", horizon=200, runs=5, seed=0)
    c = bandits.simulate(bandits.instances.needle(K=8), "thompson", horizon=200, runs=5, seed=0)
    ax = plot_result([a, b, c])
    assert ax.get_legend_handles_labels()[1] == ["ucb1(alpha=2) on needle(K=8, m=2)",
                                                  "ucb1(alpha=2) on needle(K=64, m=2)", "thompson"]
    assert len(ax.lines) == 3
    matplotlib.pyplot.close("all")


def test_figures_regenerate_byte_for_byte(folder, tmp_path):
    assert main(["plot", str(folder), "--out", str(tmp_path / "one")]) == 0
    assert main(["plot", str(folder), "--out", str(tmp_path / "two")]) == 0
    one = {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()}
    assert one.keys() == two.keys() and any(n.endswith(".pdf") for n in one)
    assert [n for n in one if one[n] != two[n]] == []
    assert all(b"CreationDate" not in data for n, data in one.items() if n.endswith(".pdf"))


def test_figures_of_single_runs_claim_no_interval(tmp_path, monkeypatch):
    (tmp_path / "exp.toml").write_text(TINY.replace("runs = 20", "runs = 1"))
    assert main(["run", str(tmp_path / "exp.toml"), "--out", str(tmp_path / "r"), "--workers", "1", "--quiet"]) == 0
    texts = []
    from bandits import plots
    save = plots.save_figure

    def record(fig, stem):
        texts.append(" ".join([fig._suptitle.get_text() if fig._suptitle else ""]
                              + [ax.get_title() for ax in fig.axes]
                              + [t for ax in fig.axes for t in ax.get_legend_handles_labels()[1]]))
        return save(fig, stem)

    monkeypatch.setattr(plots, "save_figure", record)
    assert main(["plot", str(tmp_path / "r"), "--out", str(tmp_path / "fig")]) == 0
    assert texts and all("CI" not in t for t in texts), texts
    assert all("no interval" in t for t in texts)
    assert any("(2 points)" in t for t in texts)  # a slope through two values of K says so


def cli(*args):
    return subprocess.run([sys.executable, "-m", "bandits", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_the_front_door(folder, tmp_path):
    alone = cli()
    assert alone.returncode == 0 and "usage: bandits" in alone.stdout
    assert all(cmd in alone.stdout for cmd in ("run", "plot", "reproduce", "list"))
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"bandits {bandits.__version__}"
    (tmp_path / "exp.toml").write_text(TINY)
    dry = cli("run", tmp_path / "exp.toml", "--out", tmp_path / "new", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.strip().splitlines()
    assert lines[0].startswith("tiny: 4 cells, 4 to run")
    assert sum("todo" in line and "needle(K=" in line for line in lines) == 4
    assert "24,000 pulls" in lines[-1] and "memory about" in lines[-1]
    assert not (tmp_path / "new").exists()
    dry = cli("run", tmp_path / "exp.toml", "--out", folder, "--dry-run")
    assert "0 to run (4 already in" in dry.stdout
