"""The engine's pieces, each on a hand-computed case: the environment's answer, the batch penalty,
the metrics, the choice. (Whole runs are compared with tests/naive.py in test_agents_vs_naive.py.)"""

import numpy as np
from scipy import stats

import bandits
from bandits import engine
from bandits.engine import env as env_mod
from bandits.engine import metrics, penalty
from bandits.engine.loop import argmax_random_ties


def test_the_environment_is_a_named_structure():
    inst = bandits.instances.from_arrays(phi=np.array([1, 0, 1]), mu=[1.0, 0.0], rewards="verifiable")
    env = engine.environment(inst, "arm", True)
    assert isinstance(env, engine.Environment) and env.n_choices == 3
    assert list(env.phi) == [1, 0, 1] and env.law == engine.REWARD_LAWS["verifiable"]
    assert list(env.gaps) == [1.0, 0.0, 1.0] and list(env.correct) == [True, False]


def test_step_answers_with_the_arm_its_outcome_and_its_reward():
    inst = bandits.instances.from_arrays(phi=np.array([1, 0, 1]), mu=[1.0, 0.0], rewards="verifiable")
    env = engine.environment(inst, "arm", True)
    keys, counts = env_mod.new_streams(np.uint64(1), 3, 2)
    assert [tuple(env_mod.step(env, a, keys, counts)) for a in range(3)] == [(0, 1, 0.0), (1, 0, 1.0), (2, 1, 0.0)]
    assert list(counts) == [1, 1, 1, 0, 0]  # one pull of each arm counted, no outcome chosen
    # outcome control: choosing outcome 1 pulls arm 0 or 2 (pi0 uniform), never arm 1
    env = engine.environment(inst, "outcome", True)
    keys, counts = env_mod.new_streams(np.uint64(2), 3, 2)
    arms = [int(env_mod.step(env, 1, keys, counts)[0]) for _ in range(200)]
    assert set(arms) == {0, 2} and counts[3 + 1] == 200 and counts[0] + counts[2] == 200


def test_bernoulli_rewards_have_the_outcome_mean():
    inst = bandits.instances.from_arrays(phi=np.array([0]), mu=[0.3])
    env = engine.environment(inst, "arm", True)
    keys, counts = env_mod.new_streams(np.uint64(3), 1, 1)
    rewards = np.array([env_mod.step(env, 0, keys, counts)[2] for _ in range(20000)])
    assert set(np.unique(rewards)) == {0.0, 1.0} and abs(rewards.mean() - 0.3) < 0.015


def test_the_penalty_by_hand():
    # K = 3 arms, m = 2 outcomes. Qhat: arm 0 always outcome 0 (2 pulls), arm 1 half and half, arm 2 unseen.
    K, m = 3, 2
    pen = penalty.new_penalty_state(K, m)
    for arm, outcome in ((0, 0), (0, 0), (1, 0), (1, 1)):
        penalty.observe(arm, outcome, pen)
    assert pen[:K, :m].tolist() == [[2, 0], [1, 1], [0, 0]] and pen[K, :K].tolist() == [2, 2, 0]
    # place arm 0 in the round: one outcome 0 predicted
    n_touched = penalty.predict(0, 0, m, pen, 0)
    assert n_touched == 1 and pen[K + 1, :m].tolist() == [1.0, 0.0] and pen[K + 2, 0] == 0
    # then arm 1: half an outcome 0 and half an outcome 1
    n_touched = penalty.predict(1, 0, m, pen, n_touched)
    assert n_touched == 2 and pen[K + 1, :m].tolist() == [1.5, 0.5]
    # lam / n = 0.5: arm 0 expects 1.5 collisions, arm 1 (1.5 + 0.5) / 2 = 1, arm 2 none (never pulled)
    scores = np.zeros(3)
    penalty.penalise(scores, 0.5, 0, pen, n_touched)
    assert scores.tolist() == [-0.75, -0.5, 0.0]
    penalty.clear(0, m, pen, n_touched)
    assert pen[K + 1, :m].tolist() == [0.0, 0.0]


def test_the_penalty_under_outcome_control_counts_choices():
    K, m = 4, 3
    pen = penalty.new_penalty_state(K, m)
    n = penalty.predict(2, 1, m, pen, 0)
    n = penalty.predict(2, 1, m, pen, n)
    scores = np.ones(3)
    penalty.penalise(scores, 0.25, 1, pen, n)
    assert scores.tolist() == [1.0, 1.0, 0.5]  # outcome 2 chosen twice: 1 - 0.25 * 2
    penalty.clear(1, m, pen, n)
    assert not pen[K + 1].any()


def test_the_metrics_by_hand():
    """Two rounds of two pulls on a verifiable map (outcome 0 correct): gaps [0, 1, 1], phi [0, 1, 2]."""
    gaps, correct = np.array([0.0, 1.0, 1.0]), np.array([True, False, False])
    found, mark = np.zeros(3, np.bool_), np.full(3, -1, np.int64)
    out = np.zeros((1, len(metrics.METRICS), 2))
    regret, n_found, pass_regret, rd_sum, rounds = 0.0, 0, 0.0, 0.0, 0
    for k, pulls in enumerate([(1, 2), (1, 1)]):  # round 0: arms 1 and 2; round 1: arm 1 twice
        rd, hit = 0, False
        for a in pulls:
            regret, n_found, rd, hit = metrics.count_pull(gaps, correct, a, a, rounds, found, mark, regret, n_found,
                                                          rd, hit)
        rounds, rd_sum, pass_regret = metrics.close_round(rd, hit, rounds, rd_sum, pass_regret)
        metrics.record(out, 0, k, regret, n_found, pass_regret, rd_sum, rounds)
    # after round 0: regret 2, 2 outcomes found, 1 failed round, 2 distinct in 1 round
    # after round 1: regret 4, still 2 found, 2 failed rounds, (2 + 1) / 2 distinct per round
    assert dict(zip(metrics.NAMES, out[0, :, 0])) == {"regret": 2, "distinct": 2, "pass_regret": 1,
                                                      "round_distinct": 2}
    assert dict(zip(metrics.NAMES, out[0, :, 1])) == {"regret": 4, "distinct": 2, "pass_regret": 2,
                                                      "round_distinct": 1.5}


def test_metric_table_decides_what_simulate_returns():
    verifiable = bandits.instances.needle(K=4)
    bern = bandits.instances.minimax_outcomes(K=4, m=2, eps=0.1)
    assert engine.applicable(verifiable, 1) == ("regret", "distinct", "pass_regret")
    assert engine.applicable(bern, 4) == ("regret", "distinct", "round_distinct")
    res = bandits.simulate(bern, "ucb1", horizon=20, runs=2, seed=0, batch=4)
    assert tuple(res.metrics) == engine.applicable(bern, 4)
    from bandits.plots import METRIC_LABELS
    assert all(METRIC_LABELS[m.name] == m.label for m in engine.METRICS)


def test_ties_are_broken_uniformly():
    picks = [argmax_random_ties(np.array([0.0, 1.0, 1.0, 0.5, 1.0])) for _ in range(6000)]
    counts = np.bincount(picks, minlength=5)
    assert counts[0] == counts[3] == 0
    assert stats.chisquare(counts[[1, 2, 4]]).pvalue > 1e-3
