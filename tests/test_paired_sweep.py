"""[sweep] baseline: paired-difference rows in summary.csv, drawn by bandits plot, stable on resume."""

import numpy as np
import pandas as pd
import pytest

from bandits import experiment, sweep
from bandits.cli import main

RAW = {"sweep": {"name": "paired", "horizon": 400, "runs": 30, "seed": 3, "checkpoints": [100, 400],
                 "baseline": "ucb1"},
       "instance": {"generator": "minimax_arms", "K": [4, 8], "eps": 0.2},
       "agent": [{"name": "ucb1"}, {"name": "kl_ucb"}, {"name": "uniform"}]}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return sweep.run(experiment.from_dict(RAW), tmp_path_factory.mktemp("paired") / "r", workers=1, progress=False)


def test_paired_rows_are_the_run_by_run_differences(folder):
    table = pd.read_csv(folder / "summary.csv")
    paired = table[table.metric == "regret - baseline"]
    assert set(paired.label) == {"kl_ucb(c=0)", "uniform"} and set(paired.baseline) == {"ucb1(alpha=2)"}
    config = __import__("json").loads((folder / "config.json").read_text())
    cells = {(c["label"], c["instance"]["K"]): c["key"] for c in config["cells"]}
    for K in (4, 8):
        ours = np.load(folder / "cells" / f"{cells['kl_ucb(c=0)', K]}.npz")["regret"]
        base = np.load(folder / "cells" / f"{cells['ucb1(alpha=2)', K]}.npz")["regret"]
        rows = paired[(paired.label == "kl_ucb(c=0)") & (paired.K == K)].sort_values("checkpoint")
        diff = ours - base
        np.testing.assert_allclose(rows["mean"], diff.mean(axis=0))
        np.testing.assert_allclose(rows["sem"], diff.std(axis=0, ddof=1) / np.sqrt(30))
        # pairing on common random numbers: the paired sem is below the sem of two independent means
        unpaired = np.sqrt(ours.var(axis=0, ddof=1) / 30 + base.var(axis=0, ddof=1) / 30)
        assert (rows["sem"].to_numpy() < unpaired).all()


def test_resumed_sweep_gives_the_same_pairs(folder, tmp_path):
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    before = pd.read_csv(copy / "summary.csv")
    for npz in sorted((copy / "cells").glob("*.npz"))[:3]:
        npz.unlink()
    sweep.run(experiment.from_dict(RAW), copy, workers=1, progress=False)
    pd.testing.assert_frame_equal(pd.read_csv(copy / "summary.csv"), before)


def test_plot_draws_the_differences(folder, tmp_path):
    assert main(["plot", str(folder), "--out", str(tmp_path / "fig"), "--metric", "regret - baseline"]) == 0
    assert (tmp_path / "fig" / "paired_regret_minus_baseline_curves.png").exists()
    assert (tmp_path / "fig" / "paired_regret_minus_baseline_vs_K.png").exists()


def test_a_baseline_that_is_not_an_agent_is_refused():
    bad = {**RAW, "sweep": {**RAW["sweep"], "baseline": "thompson"}}
    with pytest.raises(experiment.ExperimentError, match=r"sweep.baseline: 'thompson' is not an agent of this sweep"):
        experiment.from_dict(bad)
    two = {**RAW, "agent": [{"name": "ucb1", "alpha": [1.0, 2.0]}]}
    with pytest.raises(experiment.ExperimentError, match="matches several agents"):
        experiment.from_dict(two)
    ok = {**two, "sweep": {**RAW["sweep"], "baseline": "ucb1(alpha=1)"}}
    assert experiment.from_dict(ok).config["sweep"]["baseline"] == "ucb1(alpha=1)"
