"""Hand-checkable cases with exact answers."""

import numpy as np
import pytest

import bandits
from bandits.instances import from_arrays, needle

ALL_ARM = ["greedy", "epsilon_greedy", "ucb1", "kl_ucb", "thompson", "outcome_ucb", "outcome_thompson"]


@pytest.mark.parametrize("agent", ALL_ARM)
def test_single_arm_has_zero_regret(agent):
    inst = from_arrays(phi=np.array([0]), mu=[0.3])
    res = bandits.simulate(inst, agent, horizon=200, runs=5, seed=0)
    assert (res.regret == 0).all()


@pytest.mark.parametrize("agent", ["outcome_level_ucb", "outcome_level_thompson"])
def test_single_outcome_has_zero_regret(agent):
    inst = from_arrays(phi=np.array([0, 0, 0]), mu=[0.3])
    assert (bandits.simulate(inst, agent, horizon=200, runs=5, seed=0).regret == 0).all()


@pytest.mark.parametrize("K", [2, 5, 17])
def test_greedy_on_needle_pays_each_wrong_arm_once(K):
    # each arm once (K - 1 wrong pulls of gap 1), then the needle's mean 1 beats every 0 forever
    res = bandits.simulate(needle(K=K, m=2), "greedy", horizon=300, runs=20, seed=1)
    assert (res.regret[:, -1] == K - 1).all()
    assert (res.pass_regret[:, -1] == K - 1).all()
    assert (res.distinct[:, -1] == 2).all()


def test_greedy_two_arm_regret_before_and_after_the_needle():
    # deterministic two-arm instance: regret after the first pull is 1 or 0 (random order), after two it is 1
    res = bandits.simulate(needle(K=2, m=2), "greedy", horizon=10, runs=400, seed=2, checkpoints=[1, 2, 10])
    first = res.regret[:, 0]
    assert set(np.unique(first)) == {0.0, 1.0}
    assert abs(first.mean() - 0.5) < 4 * 0.5 / np.sqrt(400)
    assert (res.regret[:, 1:] == 1).all()


def test_constant_arm_agent_regret_is_horizon_times_gap():
    inst = from_arrays(phi=np.array([0, 1, 2]), mu=[0.2, 0.5, 0.9])
    res = bandits.simulate(inst, "greedy", horizon=3, runs=10, seed=0)  # exactly one pull of each arm
    assert np.allclose(res.regret[:, -1], (0.9 - 0.2) + (0.9 - 0.5))


def test_batch_penalty_fills_rounds_with_distinct_outcomes():
    # K = 8 arms on m = 4 outcomes, rounds of n = 4: after the initial phase (2 rounds), a huge lam makes every
    # round use 4 different outcomes, so the mean over the later rounds is exactly 4
    inst = bandits.instances.minimax_outcomes(K=8, m=4, eps=0.2)
    res = bandits.simulate(inst, "ucb1", horizon=400, runs=20, seed=3, batch=4, lam=100.0, checkpoints=[8, 400])
    rd = res.round_distinct
    later = (rd[:, 1] * 100 - rd[:, 0] * 2) / 98
    assert np.allclose(later, 4.0)
    plain = bandits.simulate(inst, "ucb1", horizon=400, runs=20, seed=3, batch=4, checkpoints=[8, 400])
    assert (plain.round_distinct[:, 1] < 2).all()  # without the penalty UCB1 repeats one arm in a round


def test_outcome_level_penalty_fills_rounds_with_distinct_outcomes():
    inst = bandits.instances.needle(K=10, m=4)
    res = bandits.simulate(inst, "outcome_level_ucb", horizon=400, runs=10, seed=3, batch=4, lam=100.0)
    assert np.allclose(res.round_distinct[:, -1], 4.0)


def test_metrics_are_monotone_and_bounded():
    inst = bandits.instances.llm_like(K=20, m=5)
    res = bandits.simulate(inst, "thompson", horizon=500, runs=10, seed=4, batch=5)
    assert (np.diff(res.regret, axis=1) >= 0).all()
    assert (np.diff(res.distinct, axis=1) >= 0).all()
    assert (res.distinct <= 5).all() and (res.round_distinct <= 5).all()
    rounds = res.checkpoints / 5
    assert (res.pass_regret <= rounds).all()
    assert (res.regret <= res.checkpoints).all()


def test_metric_presence():
    verifiable = bandits.simulate(needle(K=4), "ucb1", horizon=20, runs=2, seed=0)
    assert verifiable.pass_regret is not None and verifiable.round_distinct is None
    bern = bandits.simulate(bandits.instances.minimax_outcomes(K=4, m=2, eps=0.1), "ucb1", horizon=20, runs=2,
                            seed=0, batch=2)
    assert bern.pass_regret is None and bern.round_distinct is not None


def test_checkpoints_default_and_batch_snapping():
    cps = bandits.default_checkpoints(10_000)
    assert cps[0] == 1 and cps[-1] == 10_000 and 90 <= len(cps) <= 100
    snapped = bandits.default_checkpoints(1000, batch=8)
    assert (snapped[:-1] % 8 == 0).all() and snapped[-1] == 1000


def test_outcome_control_groups_follow_restricted_pi0():
    # outcome 1 is produced by arms 1, 2 and 3; pi0 restricted to them is (0, 0.2, 0.1) / 0.3
    from bandits.engine import environment
    inst = from_arrays(phi=np.array([0, 1, 1, 1]), mu=[1.0, 0.0], rewards="verifiable", pi0=[0.7, 0.0, 0.2, 0.1])
    env = environment(inst, "outcome", True)
    ptr, arms, cdf = env.group_ptr, env.group_arms, env.group_cdf
    lo, hi = ptr[1], ptr[2]
    assert list(arms[lo:hi]) == [1, 2, 3]
    assert np.allclose(np.diff(np.r_[0.0, cdf[lo:hi]]), [0.0, 2 / 3, 1 / 3])
