"""Policy-gradient learners (R3): the step's pieces exactly, the training loop against tests/naive_rl.py."""

import itertools
import math

import numpy as np
import pytest

from bandits import rl
from bandits.experiment import ExperimentError, from_dict
from bandits.rl import learner as L
from naive_rl import (SimpleQuestions, numeric_logit_gradient, objective, pass_at_k_estimate, pass_at_k_rewards,
                      passk_training_advantages, simulate_naive, unlikeliness_rewards, weighted_reinforce_advantages)

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
# the literature's learners (docs/theory.md 10): entropy bonus, Pass@k Training, unlikeliness reward, W-REINFORCE
LITERATURE = [dict(param="outcome", entropy_coef=0.2, bonus="ucb_con", c=1.0),
              dict(param="outcome", advantage="passk_training", k=3), dict(param="arm", rank_penalty=0.5),
              dict(param="outcome", advantage="weighted_reinforce", psr_weight=0.3)]


@pytest.mark.parametrize("bonus,param,c,beta,advantage,reward,k,extra",
                         [s + ("whitened", "plain", 1)[len(s) - 4:] + ({},) for s in LEARNERS]
                         + [(e.get("bonus", "none"), e["param"], e.get("c", 0.2), 0.0, e.get("advantage", "whitened"),
                             "plain", e.get("k", 1), {n: e[n] for n in e if n in ("entropy_coef", "rank_penalty",
                                                                                  "psr_weight")})
                            for e in LITERATURE])
def test_training_matches_the_naive_learner(bonus, param, c, beta, advantage, reward, k, extra):
    qs, ref = small_questions(seed=3, X=6, K=20, m=5)
    settings = dict(bonus=bonus, param=param, c=c, beta=beta, group_size=4, eta=0.5, b0=0.5, advantage=advantage,
                    reward=reward, k=k, **extra)
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
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), entropy_coef=-0.1), "entropy_coef must be >= 0"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), rank_penalty=1.5), "rank_penalty must be"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), psr_weight=0.5), "set advantage = 'weighted_reinforce'"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), advantage="passk_training", k=9), "k must be"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), advantage="passk_training", reward="pass@k", k=2),
     "takes the plain rewards"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), advantage="weighted_reinforce", rank_penalty=0.2),
     "rank_penalty (the unlikeliness reward)"),
    (lambda: rl.train(rl.transfer(X=2, K=10, m=3), common_seeds=1), "common_seeds must be"),
    (lambda: rl.transfer(X=2, K=10, m=3, good=1.5), "good must be in (0, 1)"),
    (lambda: rl.from_arrays(phi=[[0, 1], [2, -1]]), "must be >= 0"),
])
def test_bad_learner_input(call, words):
    with pytest.raises((ValueError, TypeError), match=None) as info:
        call()
    assert words in str(info.value)


# -- the literature's learners (docs/theory.md 10), each against its naive reference, with a mutant that fails --

@pytest.mark.parametrize("param", ["arm", "outcome"])
def test_entropy_gradient_equals_finite_differences_and_a_mutant_does_not(param):
    qs, ref = small_questions(seed=4)
    u = RNG.normal(size=qs.K)
    per_q = RNG.normal(size=(qs.X, qs.K if param == "arm" else qs.m))
    v = per_q if param == "arm" else np.zeros((1, 1))
    w = per_q if param == "outcome" else np.zeros((1, 1))
    theta, pi, grad = np.empty(qs.K), np.empty(qs.K), np.empty(qs.K)
    L.logits(u, v, w, qs.phi, 1, L.PARAMS.index(param), theta)
    L.softmax_with_base(qs.pi0, theta, pi)
    arms, adv = np.array([0, 3, 5, 5]), np.array([0.7, -0.2, 0.4, 0.4])
    L.logit_gradient(pi, theta, arms, adv, 0.2, grad)
    L.add_entropy_gradient(pi, 0.6, grad)
    numeric = numeric_logit_gradient(ref, u, per_q, 1, param, arms, adv, 0.2, entropy_coef=0.6)
    assert np.allclose(grad, numeric, atol=1e-6)
    mutant = grad + 0.6 * pi * np.sum(pi * -np.log(pi))  # dH/dtheta without its "+ H" (not centred)
    assert not np.allclose(mutant, numeric, atol=1e-4)


def test_entropy_bonus_at_zero_is_grpo_and_on_uniform_pi0_is_the_kl_penalty():
    qs = rl.transfer(X=6, K=30, m=5, seed=1)  # uniform pi0: KL(pi || pi0) = log K - H(pi)
    grpo = rl.train(qs, steps=300, runs=4, seed=3, checkpoints=[300])
    zero = rl.train(qs, entropy_coef=0.0, steps=300, runs=4, seed=3, checkpoints=[300])
    ent = rl.train(qs, entropy_coef=0.2, steps=300, runs=4, seed=3, checkpoints=[300], common_seeds=True)
    kl = rl.train(qs, beta=0.2, steps=300, runs=4, seed=3, checkpoints=[300], common_seeds=True)
    for name in grpo.metrics:
        assert np.array_equal(grpo.metrics[name], zero.metrics[name], equal_nan=True)
        assert np.allclose(ent.metrics[name], kl.metrics[name], atol=1e-9, equal_nan=True), name
    # the step's pieces: c_H dH/dtheta = -c_H dKL/dtheta exactly when pi0 is uniform, not otherwise
    pi, theta = np.empty(5), np.array([0.3, -1.0, 2.0, 0.0, 0.5])
    for pi0, same in ((np.full(5, 0.2), True), (np.array([0.1, 0.2, 0.3, 0.2, 0.2]), False)):
        L.softmax_with_base(pi0, theta, pi)
        g_ent, g_kl = np.zeros(5), np.empty(5)
        L.add_entropy_gradient(pi, 0.2, g_ent)
        L.logit_gradient(pi, theta, np.array([0]), np.array([0.0]), 0.2, g_kl)
        assert np.allclose(g_ent, g_kl, atol=1e-14) == same


def test_passk_training_advantage_equals_the_subset_average_and_its_k1_is_grpo():
    out = np.empty(5)
    r = np.array([0.0, 1.0, 0.0, 1.0, 0.0])  # n = 5, c = 2, k = 2: R = 1 - C(3,2)/C(5,2) = 0.7, s = sqrt(0.21)
    L.passk_training_advantage(r, 2, out)
    s = np.sqrt(0.21) + 1e-6
    assert np.allclose(out, np.where(r > 0, 0.3 / s, (1 - 0.7 - 2 / 4) / s))  # C(2,1)/C(4,1) = 1/2 all-wrong
    for n, k in [(5, 1), (5, 2), (5, 4), (6, 3), (7, 7), (7, 5)]:
        for rr in itertools.product([0.0, 1.0], repeat=n):
            rr = np.array(rr)
            got = np.empty(n)
            L.passk_training_advantage(rr, k, got)
            assert np.allclose(got, passk_training_advantages(rr, k), atol=1e-9), (rr, k)
            if k == 1:  # GRPO's (r - mean) / (std + 1e-6) up to rounding
                grpo = np.empty(n)
                L.grpo_advantage(rr, grpo)
                assert np.allclose(got, grpo, rtol=1e-12, atol=1e-12)
            # PKPO's whitened rewards are the same advantage up to a positive per-group scale
            pk = pass_at_k_rewards(rr, k)
            whitened = (pk - pk.mean()) / (pk.std() + 1e-6)
            if 0 < rr.sum() < n and k < n and np.abs(whitened).max() > 1e-3:
                ratio = got / whitened
                assert np.allclose(ratio, ratio[0]) and ratio[0] > 0
    # a mutant (the wrong sample's subsets with k, not k - 1, other members) fails the reference
    mutant = np.where(r > 0, 0.3 / s, (L.pass_at_k_unbiased(4, 2, 2) - 0.7) / s)
    assert not np.allclose(mutant, passk_training_advantages(r, 2))


def test_passk_training_at_k1_trains_as_grpo():
    qs = rl.transfer(X=6, K=30, m=5, seed=1)
    a = rl.train(qs, param="outcome", steps=300, runs=4, seed=2, checkpoints=[300], common_seeds=True)
    b = rl.train(qs, param="outcome", advantage="passk_training", k=1, steps=300, runs=4, seed=2, checkpoints=[300],
                 common_seeds=True)
    for name in a.metrics:
        assert np.allclose(a.metrics[name], b.metrics[name], atol=1e-9, equal_nan=True), name
    assert b.label.startswith("Pass@k Training k=1")


def test_unlikeliness_rewards_on_a_hand_ranked_group():
    pi = np.array([0.5, 0.1, 0.3, 0.1])
    arms = np.array([0, 2, 1, 0, 3])          # likelihoods 0.5, 0.3, 0.1, 0.5, 0.1
    r = np.array([1.0, 1.0, 0.0, 1.0, 1.0])
    out = np.empty(5)
    # ranks, least likely first, ties in the order drawn: [3, 2, 0, 4, 1]
    L.unlikeliness_rewards(r, pi, arms, 0.25, out)
    assert np.allclose(out, r * (1 - 0.25 * np.array([3, 2, 0, 4, 1]) / 5))
    assert np.allclose(out, unlikeliness_rewards(r, np.log(pi[arms]), 0.25))
    L.unlikeliness_rewards(r, pi, arms, 0.0, out)
    assert np.array_equal(out, r)
    for _ in range(200):
        p = RNG.dirichlet(np.ones(6))
        a = RNG.integers(0, 6, size=7)
        rr = (RNG.random(7) < 0.5).astype(float)
        got = np.empty(7)
        L.unlikeliness_rewards(rr, p, a, 0.4, got)
        assert np.allclose(got, unlikeliness_rewards(rr, np.log(p[a]), 0.4))
    # a mutant that rewards the likely samples (ranks reversed) fails the hand case
    assert not np.allclose(r * (1 - 0.25 * (4 - np.array([3, 2, 0, 4, 1])) / 5), unlikeliness_rewards(
        r, np.log(pi[arms]), 0.25))


def test_weighted_reinforce_advantage():
    out = np.empty(4)
    r = np.array([1.0, 0.0, 0.0, 1.0])
    L.weighted_reinforce_advantage(r, 0.1, out)
    assert np.array_equal(out, [0.1, -1.0, -1.0, 0.1]) and np.array_equal(out, weighted_reinforce_advantages(r, 0.1))


def test_common_seeds_share_the_random_numbers_and_new_settings_keep_old_seeds():
    qs = rl.transfer(X=6, K=30, m=5, seed=1)
    # sampling pi0 (eta = 0) with two bonus settings: the same samples with common seeds, different without
    a = rl.train(qs, eta=0.0, steps=200, runs=3, seed=1, checkpoints=[200], common_seeds=True)
    b = rl.train(qs, eta=0.0, bonus="ucb", c=1.0, steps=200, runs=3, seed=1, checkpoints=[200], common_seeds=True)
    c = rl.train(qs, eta=0.0, bonus="ucb", c=1.0, steps=200, runs=3, seed=1, checkpoints=[200])
    assert np.array_equal(a.metrics["failed_samples"], b.metrics["failed_samples"])
    assert not np.array_equal(a.metrics["failed_samples"], c.metrics["failed_samples"])
    settings = L.check_settings({})
    old = {k: v for k, v in settings.items() if k not in L.LATER_SETTINGS}
    assert L.seed_key(qs, settings, 10) == L.content_key(qs.fingerprint(), repr(sorted(old.items())).encode(), b"10")
    assert L.seed_key(qs, {**settings, "entropy_coef": 0.1}, 10) != L.seed_key(qs, settings, 10)


def test_literature_labels():
    label = lambda **s: L.learner_label(L.check_settings(s))  # noqa: E731
    assert label(entropy_coef=0.05, param="outcome") == "GRPO+entropy (outcome logits, entropy_coef=0.05)"
    assert label(advantage="passk_training", k=4).startswith("Pass@k Training k=4 (arm logits")
    assert label(advantage="weighted_reinforce") == "W-REINFORCE (arm logits, lambda=0.1)"
    assert label(rank_penalty=0.25) == "GRPO+unlikeliness (arm logits, rank_penalty=0.25)"
    assert label(bonus="ucb_con", c=1.0) == "GRPO+ucb_con (arm logits, c=1)"  # the old labels unchanged


def test_experiment_files_take_common_seeds():
    raw = {"sweep": {"steps": 10, "runs": 2}, "questions": {"generator": "transfer", "X": 2, "K": 10, "m": 3},
           "learner": [{"bonus": ["none", "batch"], "entropy_coef": 0.1}]}
    own = from_dict(raw)
    common = from_dict({**raw, "sweep": {**raw["sweep"], "seeds": "common"}})
    assert not any(c.common_seeds for c in own.cells) and all(c.common_seeds for c in common.cells)
    assert "common_seeds" not in own.cells[0].describe() and common.cells[0].describe()["common_seeds"] is True
    with pytest.raises(ExperimentError, match="sweep.seeds: must be one of 'own', 'common'"):
        from_dict({**raw, "sweep": {**raw["sweep"], "seeds": "shared"}})
