import numpy as np
import pytest
from scipy import stats

import bandits
from bandits.checks import Check
from bandits.stats import bootstrap_interval, loglog_slope, mean_ci


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


def test_summary_states_the_level_it_used():
    res = bandits.simulate(bandits.instances.minimax_arms(K=4, eps=0.2), "ucb1", horizon=200, runs=20, seed=0)
    wide, narrow = res.summary(0.95), res.summary(0.5)
    assert "95%" in wide.attrs["ci_method"] and "50%" in narrow.attrs["ci_method"]
    width = {name: (t.ci_high - t.ci_low)[t.metric == "regret"].iloc[-1] for name, t in (("w", wide), ("n", narrow))}
    assert 0 < width["n"] < width["w"]


def test_loglog_slope_is_exact_on_power_laws():
    x = np.array([4.0, 8.0, 16.0, 32.0])
    means = np.stack([3 * x ** 0.5, 0.1 * x, np.full(4, 7.0)])
    assert loglog_slope(x, means) == pytest.approx([0.5, 1.0, 0.0])
    assert np.isnan(loglog_slope(x, np.zeros(4)))  # no slope through zeros: a check on it fails


def test_bootstrap_interval_covers_the_truth_about_95_percent_of_the_time():
    """Coverage of the percentile bootstrap of a ratio of two means (normal runs, 40 per cell); a
    method with no spread (the point estimate alone) would cover 0% of the time."""
    rng = np.random.default_rng(1)
    covered = 0
    for rep in range(100):
        a, b = rng.normal(10, 2, 40), rng.normal(5, 1, 40)
        _, lo, hi = bootstrap_interval([a, b], lambda mm: mm[..., 1] / mm[..., 0], seed=rep, n_resamples=500)
        covered += lo <= 0.5 <= hi
    assert 85 <= covered <= 100  # measured 94


def test_paired_bootstrap_keeps_runs_together():
    """Two checkpoints of the same runs: their difference has a much narrower interval when the runs
    are resampled together (paired) than when the columns are resampled apart."""
    rng = np.random.default_rng(2)
    early = rng.normal(100, 20, 50)
    late = early + rng.normal(10, 1, 50)
    diff = lambda mm: mm[..., 1] - mm[..., 0]  # noqa: E731
    _, lo_p, hi_p = bootstrap_interval([early, late], diff, paired=True)
    _, lo_u, hi_u = bootstrap_interval([early, late], diff, paired=False)
    assert lo_p <= 10 <= hi_p and hi_p - lo_p < 0.2 * (hi_u - lo_u)


def test_a_check_holds_only_when_its_whole_interval_is_in_the_band():
    inside = Check("s", 0.5, 0.45, 0.55, (0.4, 0.6))
    straddles = Check("s", 0.5, 0.3, 0.7, (0.4, 0.6))  # the estimate is in the band, the interval is not
    undefined = Check("s", float("nan"), float("nan"), float("nan"), (0.4, 0.6))
    assert inside.ok and not inside.why
    assert not straddles.ok and "not below 0.6" in straddles.why
    assert not undefined.ok and "undefined" in undefined.why
    assert straddles.record("control")["reason"] == straddles.why
