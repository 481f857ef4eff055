"""Rich reprs for Jupyter: HTML with the parameters, intervals that summary() gives and an inline PNG curve,
bounded for large sweeps, fast; and one-line text reprs."""

import base64
import io
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import bandits
from bandits import _html, rl
from bandits.results import CellResult, SweepResults
from bandits.stats import tidy_summary

INST = bandits.instances.minimax_outcomes(K=12, m=3, eps=0.2)


@pytest.fixture(scope="module")
def result():
    return bandits.simulate(INST, "thompson", horizon=300, runs=15, seed=2, progress=False)


@pytest.fixture(scope="module")
def learner():
    return rl.train(rl.transfer(X=6, K=20, m=4, seed=0), bonus="ucb_con", steps=50, runs=5, checkpoints=8,
                    progress=False)


def pngs(page):
    """The embedded images, decoded."""
    return [Image.open(io.BytesIO(base64.b64decode(data)))
            for data in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def html(obj):
    """The HTML view (its speed is reported in the README, not asserted: no timed tests)."""
    return obj._repr_html_()


def shows_final_intervals(page, summary, metric):
    last = summary[(summary.metric == metric) & (summary.checkpoint == summary.checkpoint.max())].iloc[0]
    return all(_html.fmt(last[col]) in page for col in ("mean", "ci_low", "ci_high"))


def test_result_html_has_settings_intervals_and_a_curve(result):
    page = html(result)
    for text in ("thompson", INST.name, "horizon", "300", "runs", "15", "95% CI low"):
        assert text in page
    assert shows_final_intervals(page, result.summary(), "regret")
    assert shows_final_intervals(page, result.summary(), "distinct")
    (image,) = pngs(page)
    image.load()
    assert image.format == "PNG" and 200 <= image.width <= 600 and 150 <= image.height <= 400
    assert len(page) < 60_000


def test_the_repr_does_not_use_pyplot(result):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    result._repr_html_()
    assert plt.get_fignums() == before


def test_learner_result_reprs(learner):
    text = repr(learner)
    assert "\n" not in text and text.startswith("LearnerResult(GRPO+ucb_con") and "solved" in text
    page = html(learner)
    assert "ucb_con" in page and "steps" in page
    assert shows_final_intervals(page, learner.summary(), "solved")
    assert "more metrics" in page  # the unlabelled metrics are counted, not listed
    assert len(pngs(page)) == 1


def test_instance_html_is_bounded_by_outcomes():
    small = INST._repr_html_()
    assert "K (arms)" in small and "theta*" in small and "more outcomes" not in small
    big = bandits.instances.needle(K=400, m=100)
    page = big._repr_html_()
    assert page.count("<tr>") < 40 and f"and {100 - _html.MAX_ROWS} more outcomes" in page
    assert "\n" not in repr(big)


def test_results_folder_and_cell_reprs(tmp_path):
    from bandits.experiment import load as load_experiment
    from bandits.sweep import run

    path = tmp_path / "exp.toml"
    path.write_text('[sweep]\nname = "small"\nhorizon = 200\nruns = 6\nseed = 1\ncheckpoints = 10\n'
                    '[instance]\ngenerator = "needle"\nK = [4, 8]\nm = 2\n[[agent]]\nname = "ucb1"\n')
    run(load_experiment(path), tmp_path / "out", workers=1, progress=False)
    sweep = bandits.load(tmp_path / "out")
    page = html(sweep)
    assert "small" in page and "2 of 2 finished" in page and "swept" in page and "more cells" not in page
    cell = sweep.cells[0]
    assert shows_final_intervals(page, cell.summary(), "regret")
    assert len(pngs(page)) == 1
    cell_page = cell._repr_html_()
    assert cell.key in cell_page and shows_final_intervals(cell_page, cell.summary(), "regret")
    assert len(pngs(cell_page)) == 1


def fake_sweep(cells=500, runs=4, checkpoints=50):
    rng = np.random.default_rng(0)
    ckpts = np.unique(np.geomspace(1, 1000, checkpoints).astype(int))
    entries, results, frames = [], [], []
    for i in range(cells):
        key = f"{i:016x}"
        params = {"kind": "bandit", "generator": "needle", "instance": {"K": 4 + i, "m": 2}, "agent": "ucb1",
                  "agent_params": {}, "lam": 0.0, "label": "ucb1", "horizon": 1000, "batch": 1, "runs": runs,
                  "seed": 0, "checkpoints": checkpoints}
        metrics = {"regret": np.cumsum(rng.random((runs, len(ckpts))), axis=1)}
        entries.append({"key": key, **params})
        results.append(CellResult(key, params, ckpts, metrics))
        frame = tidy_summary(ckpts, metrics)
        frame.insert(0, "label", "ucb1")
        frame.insert(0, "K", 4 + i)
        frame.insert(0, "cell", key)
        frames.append(frame)
    import pandas as pd

    config = {"name": "big", "swept": ["K"], "cells": entries}
    return SweepResults(Path("results/big"), config, pd.concat(frames, ignore_index=True), results, [])


def test_a_500_cell_sweep_shows_a_bounded_page():
    sweep = fake_sweep()
    page = html(sweep)
    assert f"and {500 - _html.MAX_ROWS} more cells" in page
    assert page.count("<tr>") <= _html.MAX_ROWS + 10  # the cells shown, the header, the settings
    assert f"first {_html.MAX_CURVES} of 500 cells" in page and len(pngs(page)) == 1
    assert len(page) < 80_000
    assert "\n" not in repr(sweep)


def test_importing_bandits_does_not_import_ipywidgets():
    import subprocess

    code = "import bandits, sys; bandits.simulate(bandits.instances.needle(K=4), 'ucb1', horizon=10, runs=2); " \
           "print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
