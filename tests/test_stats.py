import numpy as np
import pytest
from scipy import stats

import bandits
from bandits.stats import mean_ci


def test_mean_ci_matches_scipy_t_interval():
    x = np.random.default_rng(0).normal(size=(30, 3))
    mean, sem, lo, hi, n = mean_ci(x)
    for j in range(3):
        ref = stats.t.interval(0.95, 29, loc=x[:, j].mean(), scale=stats.sem(x[:, j]))
        assert (lo[j], hi[j]) == pytest.approx(ref)
    assert (n == 30).all() and sem == pytest.approx(stats.sem(x, axis=0))


def test_summary_is_tidy():
    res = bandits.simulate(bandits.instances.needle(K=4), "ucb1", horizon=100, runs=10, seed=0, batch=2)
    table = res.summary()
    assert list(table.columns) == ["checkpoint", "metric", "mean", "sem", "ci_low", "ci_high", "n"]
    assert set(table.metric) == {"regret", "distinct", "pass_regret", "round_distinct"}
    last = table[(table.metric == "regret") & (table.checkpoint == 100)].iloc[0]
    assert last["mean"] == pytest.approx(res.regret[:, -1].mean()) and last["n"] == 10
    assert len(res.table()) == 10 * len(res.checkpoints) * 4
