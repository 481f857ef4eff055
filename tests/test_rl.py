"""Policy-gradient learners (R3): the step's pieces exactly, the training loop against tests/naive_rl.py."""

import itertools
import math

import numpy as np
import pytest

from bandits import rl
from bandits.rl import learner as L
from naive_rl import (SimpleQuestions, numeric_logit_gradient, objective, pass_at_k_estimate, pass_at_k_rewards,
                      simulate_naive)

RNG = np.random.default_rng(0)


def small_questions(seed=0, X=5, K=12, m=4):
    rng = np.random.default_rng(seed)
    phi = rng.integers(0, m, size=(X, K))
    phi[:, 0] = 0  # every question has a correct arm
    pi0 = rng.dirichlet(np.ones(K))
    return rl.from_arrays(phi=phi, pi0=pi0, m=m), SimpleQuestions(phi, pi0, m=m)


@pytest.mark.parametrize("param", ["arm", "outcome"])
@pytest.mark.parametrize("beta", [0.0, 0.7])
def test_logit_gradient_equals_finite_differences(param, beta):
    qs, ref = small_questions()
    u = RNG.normal(size=qs.K)
    per_q = RNG.normal(size=(qs.X, qs.K if param == "arm" else qs.m))
    x = 2
    v = per_q if param == "arm" else np.zeros((1, 1))
    w = per_q if param == "outcome" else np.zeros((1, 1))
    theta, pi, grad = np.empty(qs.K), np.empty(qs.K), np.empty(qs.K)
    L.logits(u, v, w, qs.phi, x, L.PARAMS.index(param), theta)
    L.softmax_with_base(qs.pi0, theta, pi)
    arms = np.array([0, 3, 3, 7, 11])
    adv = np.array([1.2, -0.3, -0.3, 0.5, -1.1])
    L.logit_gradient(pi, theta, arms, adv, beta, grad)
    numeric = numeric_logit_gradient(ref, u, per_q, x, param, arms, adv, beta)
    assert np.allclose(grad, numeric, atol=1e-6)
    assert pi.sum() == pytest.approx(1.0) and (pi >= 0).all()


def test_softmax_with_base_is_normalised_and_matches_pi0_at_zero_logits():
    pi0 = np.array([0.5, 0.0, 0.2, 0.3])
    out = np.empty(4)
    L.softmax_with_base(pi0, np.zeros(4), out)
    assert np.allclose(out, pi0)
    L.softmax_with_base(pi0, np.array([800.0, 900.0, -5.0, 3.0]), out)  # huge logits stay finite
    assert np.isfinite(out).all() and out.sum() == pytest.approx(1.0) and out[1] == 0.0


def test_grpo_advantage():
    out = np.empty(4)
    L.grpo_advantage(np.array([1.0, 0.0, 0.0, 1.0]), out)
    assert np.allclose(out, np.array([1, -1, -1, 1]) / (0.5 + 1e-6) * 0.5)
    L.grpo_advantage(np.zeros(4), out)
    assert (out == 0).all()


def test_centered_advantage_and_pkpo_rewards_on_a_hand_computed_group():
    r = np.array([0.0, 1.0, 0.0, 1.0, 0.0])  # n = 5, c = 2
    out = np.empty(5)
    L.centered_advantage(r, out)
    assert np.allclose(out, r - 0.4)
    # k = 3: a correct sample is in C(4, 2) = 6 of the C(5, 3) = 10 subsets, all successful: 6/10 = k/n;
    # a wrong one is in 6 subsets, of which only {it, the other two wrong} fails: 5/10 = (k/n) rho(4, 2, 2)
    L.pkpo_rewards(r, 3, out)
    assert np.allclose(out, [0.5, 0.6, 0.5, 0.6, 0.5]) and np.allclose(out, pass_at_k_rewards(r, 3))
    L.pkpo_rewards(r, 1, out)  # k = 1: the plain reward over n
    assert np.allclose(out, r / 5)
    L.pkpo_rewards(r, 4, out)  # k = n - 1: a wrong sample's subsets all hold a correct one
    assert np.allclose(out, [0.8] * 5)
    for n, k in [(5, 1), (5, 3), (7, 7), (6, 2)]:
        for rr in itertools.product([0.0, 1.0], repeat=n):
            got = np.empty(n)
            L.pkpo_rewards(np.array(rr), k, got)
            assert np.allclose(got, pass_at_k_rewards(rr, k)), (rr, k)


def test_unbiased_pass_at_k_equals_the_binomial_form():
    for n in range(1, 12):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert L.pass_at_k_unbiased(n, c, k) == pytest.approx(pass_at_k_estimate(n, c, k), abs=1e-12)
    assert L.pass_at_k_unbiased(200, 3, 100) == pytest.approx(1 - math.comb(197, 100) / math.comb(200, 100))


# the SPEC's terms on a hand-made batch: answers [0, 2, 2, 5] seen before 1, 4, 4, 0 times,
# so b = min(1, 1/sqrt(max(N, 1))) = [1, 0.5, 0.5, 1] (answer 5 never seen: the full bonus)
HAND = {
    "none": [0, 0, 0, 0],
    "ucb": [0.2, 0.1, 0.1, 0.2],                  # c b_i
    "ucb_mean": [0.05, -0.05, -0.05, 0.05],       # c (b_i - mean b), mean b = 0.75
    "ucb_con": [0.1, 0.0, 0.0, 0.1],              # c (b_i - b0), b0 = 0.5
    "batch": [0.0, -0.05, -0.05, 0.0],            # -c (1/n) #{j != i: o_j = o_i}
}


@pytest.mark.parametrize("kind", sorted(HAND))
def test_exploration_terms_on_a_hand_computed_batch(kind):
    counts = np.zeros(6)
    counts[[0, 2, 5]] = [1, 4, 0]
    out = np.empty(4)
    L.exploration(L.BONUSES.index(kind), np.array([0, 2, 2, 5]), counts, 0.2, 0.5, out)
    assert np.allclose(out, HAND[kind], atol=1e-12)


def test_base_sampling_keeps_the_policy_at_pi0():
    qs = rl.transfer(X=6, K=30, m=5, seed=1)
    res = rl.sample_base(qs, steps=300, runs=4, seed=0, checkpoints=[0, 300])
    p = qs.p_correct()
    assert np.allclose(res.metrics["pass@8"], np.mean(1 - (1 - p) ** 8))
    assert (res.metrics["solved"][:, 0] == 0).all() and (res.metrics["samples"][:, -1] == 300 * 8).all()


def agree(fast, slow, what):
    fast, slow = fast[~np.isnan(fast)], slow[~np.isnan(slow)]
    if min(len(fast), len(slow)) < 20:  # e.g. no unsolved question left in most runs
        assert abs(len(fast) - len(slow)) <= 20, what
        return
    diff = fast.mean() - slow.mean()
    se = np.sqrt(fast.var(ddof=1) / len(fast) + slow.var(ddof=1) / len(slow))
    assert abs(diff) <= 4 * se + 1e-9, f"{what}: compiled {fast.mean():.4g} vs naive {slow.mean():.4g} (se {se:.3g})"


LEARNERS = [("none", "arm", 0.2, 0.0), ("ucb", "arm", 1.0, 0.1), ("ucb_mean", "outcome", 1.0, 0.0),
            ("ucb_con", "outcome", 1.0, 0.2), ("batch", "arm", 1.0, 0.0), ("none", "outcome", 0.2, 0.0),
            ("none", "arm", 0.2, 0.3, "centered"), ("none", "outcome", 0.2, 0.0, "whitened", "pass@k", 3),
            ("ucb_con", "arm", 1.0, 0.1, "centered", "pass@k", 2)]


@pytest.mark.parametrize("bonus,param,c,beta,advantage,reward,k",
                         [s + ("whitened", "plain", 1)[len(s) - 4:] for s in LEARNERS])
def test_training_matches_the_naive_learner(bonus, param, c, beta, advantage, reward, k):
    qs, ref = small_questions(seed=3, X=6, K=20, m=5)
    settings = dict(bonus=bonus, param=param, c=c, beta=beta, group_size=4, eta=0.5, b0=0.5, advantage=advantage,
                    reward=reward, k=k)
    fast = rl.train(qs, steps=150, runs=150, seed=1, checkpoints=[150], **settings)
    slow = simulate_naive(ref, settings, steps=150, runs=150, seed=2)
    for metric in ("solved", "pass@1", "pass@32", "entropy_all", "batch_distinct_all", "failed_samples",
                   "distinct_unsolved"):
        agree(fast.final[metric], np.asarray(slow[metric], float), f"{bonus}/{param} {metric}")


def test_training_is_deterministic_across_threads():
    qs = rl.transfer(X=10, K=40, m=6, seed=2)
    a = rl.train(qs, bonus="ucb_con", c=1.0, steps=400, runs=6, seed=5, n_jobs=1)
    b = rl.train(qs, bonus="ucb_con", c=1.0, steps=400, runs=6, seed=5, n_jobs=2)
    for name in a.metrics:
        assert np.array_equal(a.metrics[name], b.metrics[name], equal_nan=True)
    assert not np.array_equal(a.metrics["failed_samples"], rl.train(qs, bonus="ucb_con", c=1.0, steps=400, runs=6,
                                                             seed=6).metrics["failed_samples"])


@pytest.mark.parametrize("call,words", [
    (lambda: rl.train("q"), "questions must be"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), bonus="ucb2"), "bonus must be one of"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), param="answer"), "param must be"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), eta=-1), "eta must be >= 0"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), group_size=0), "group_size must be >= 1"),
    (lambda: rl.transfer(X=2, K=10, m=1), "m must be >= 2"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), advantage="whiten"), "advantage must be"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), reward="pass@4"), "reward must be"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), reward="pass@k", k=9, group_size=8), "k must be"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), k=4), "set reward = 'pass@k'"),
    (lambda: rl.transfer(X=2, K=10, m=3, good=1.5), "good must be in (0, 1)"),
    (lambda: rl.from_arrays(phi=[[0, 1], [2, -1]]), "must be >= 0"),
])
def test_bad_learner_input(call, words):
    with pytest.raises((ValueError, TypeError), match=None) as info:
        call()
    assert words in str(info.value)
