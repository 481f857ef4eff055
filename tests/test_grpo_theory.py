"""C5 library pieces against plain NumPy references (nothing from the package in the references).

The batch term's exact expectation by enumerating every group; the entropy law by finite
differences of the entropy; the learner's ascent step by a plain loop.
"""

import itertools

import numpy as np
import pytest

from claims import grpo
from bandits.rl import learner as L


def plain_batch_term(outcomes, c):
    n = len(outcomes)
    return np.array([-c * sum(outcomes[j] == outcomes[i] for j in range(n) if j != i) / n for i in range(n)])


def exact_mean_batch_term(p, n, c):
    """E[mean_i e_i] by enumerating every group of n answers (small m, n)."""
    total = 0.0
    for group in itertools.product(range(len(p)), repeat=n):
        prob = np.prod([p[o] for o in group])
        total += prob * plain_batch_term(group, c).mean()
    return total


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("p", [[0.5, 0.5], [0.6, 0.3, 0.1], [1.0], [0.25] * 4])
def test_closed_form_equals_exact_enumeration(p, n):
    c = 0.7
    assert grpo.collision_expected(p, n, c) == pytest.approx(exact_mean_batch_term(p, n, c), abs=1e-12)
    # the control's law: counting the sample itself adds exactly -c/n
    with_self = exact_mean_batch_term(p, n, c) - c / n
    groups = np.array(list(itertools.product(range(len(p)), repeat=n)), dtype=np.int64)
    probs = np.array([np.prod([p[o] for o in g]) for g in groups])
    out = np.empty(len(groups))
    grpo.self_counting_terms(groups, c, out)
    assert probs @ out == pytest.approx(with_self, abs=1e-12)


def test_compiled_batch_terms_equal_the_plain_term():
    rng = np.random.default_rng(3)
    groups = rng.integers(0, 4, size=(200, 6)).astype(np.int64)
    out = np.empty(200)
    grpo.batch_terms(groups, 0.4, out)
    assert np.allclose(out, [plain_batch_term(g, 0.4).mean() for g in groups])
    # and it is the learner's own term, not a copy: the exploration piece gives the same values
    e = np.empty(6)
    L.exploration(L.BONUSES.index("batch"), groups[7], np.zeros(4), 0.4, 0.5, e)
    assert out[7] == pytest.approx(e.mean())


def test_draw_groups_follows_the_law():
    rng = np.random.default_rng(0)
    p = np.array([0.5, 0.0, 0.3, 0.2])
    draws = grpo.draw_groups(rng, p, (200_000,))
    freq = np.bincount(draws, minlength=4) / draws.size
    assert np.allclose(freq, p, atol=0.005) and freq[1] == 0


def plain_entropy(q):
    q = q[q > 0]
    return -np.sum(q * np.log(q))


def test_covariance_law_is_the_derivative_of_the_entropy():
    rng = np.random.default_rng(1)
    K, m = 9, 4
    phi = rng.integers(0, m, K)
    pi0 = rng.dirichlet(np.ones(K))
    theta, dtheta = rng.normal(size=K), rng.normal(size=K)

    def pol(t):
        z = pi0 * np.exp(t - t.max())
        return z / z.sum()

    def ans(t):
        return np.bincount(phi, weights=pol(t), minlength=m)

    h = 1e-6
    pi, p = pol(theta), ans(theta)
    d_policy = (plain_entropy(pol(theta + h * dtheta)) - plain_entropy(pol(theta - h * dtheta))) / (2 * h)
    d_answer = (plain_entropy(ans(theta + h * dtheta)) - plain_entropy(ans(theta - h * dtheta))) / (2 * h)
    assert grpo.covariance_law(pi, np.log(pi), dtheta) == pytest.approx(d_policy, rel=1e-6)
    assert grpo.covariance_law(pi, np.log(p[phi]), dtheta) == pytest.approx(d_answer, rel=1e-6)
    # the policy entropy's law does not give the answer entropy's change (phi merges arms)
    assert abs(grpo.covariance_law(pi, np.log(pi), dtheta) - d_answer) > 1e-3
    # nor does the law with its sign flipped
    assert grpo.covariance_law(pi, np.log(pi), -dtheta) != pytest.approx(d_policy, rel=0.5)


@pytest.mark.parametrize("param", [0, 1])
def test_ascend_moves_every_parameter_of_the_question(param):
    rng = np.random.default_rng(2)
    X, K, m = 3, 7, 4
    phi = rng.integers(0, m, (X, K)).astype(np.int64)
    u = rng.normal(size=K)
    v = rng.normal(size=(X, K)) if param == 0 else np.zeros((1, 1))
    w = rng.normal(size=(X, m)) if param == 1 else np.zeros((1, 1))
    grad, x, eta = rng.normal(size=K), 1, 0.3
    u2, v2, w2 = u.copy(), v.copy(), w.copy()
    L.ascend(u2, v2, w2, phi, x, param, eta, grad)
    ref_u, ref_v, ref_w = u + eta * grad, v.copy(), w.copy()
    for a in range(K):
        if param == 0:
            ref_v[x, a] += eta * grad[a]
        else:
            ref_w[x, phi[x, a]] += eta * grad[a]
    assert np.allclose(u2, ref_u) and np.allclose(v2, ref_v) and np.allclose(w2, ref_w)


def test_entropy_step_samples_measure_the_law_and_a_wrong_law_is_rejected():
    from bandits.rl import transfer
    qs = transfer(X=4, K=20, m=5, frac_hard=0.0, good=0.3, seed=1)
    settings = {"bonus": "none", "param": "outcome", "group_size": 8, "beta": 0.1, "c": 1.0, "b0": 0.5}
    etas = np.array([1e-3, 1e-2, 1e-1])
    s = grpo.entropy_step_samples(qs, settings, etas, 150, seed=4)
    dH, P1 = s["answer"]
    checks, rel = grpo.entropy_checks(dH, P1, etas, (0.99, 1.01), (0.85, 1.15))
    assert checks["ratio"].ok and checks["slope"].ok, checks
    assert rel[0] < 0.01 < rel[-1]
    flipped, _ = grpo.entropy_checks(dH, P1, etas, (0.99, 1.01), (0.85, 1.15), sign=-1.0)
    assert not flipped["ratio"].ok and not flipped["slope"].ok
    # a law with the step wrong by a factor 2 (as if theta moved by eta grad, not 2 eta grad, on arm logits) fails
    half, _ = grpo.entropy_checks(dH, P1 / 2, etas, (0.99, 1.01), (0.85, 1.15))
    assert not half["ratio"].ok


# -- C5c: success amplification -----------------------------------------------------------------

def plain_expected_advantages(p, n, whitened=True):
    """E[A_1 | r_1] by enumerating every reward vector of the group (plain NumPy)."""
    totals, masses = {1: 0.0, 0: 0.0}, {1: 0.0, 0: 0.0}
    for r in itertools.product([0.0, 1.0], repeat=n):
        r = np.array(r)
        prob = np.prod(np.where(r == 1, p, 1 - p))
        a = r - r.mean()
        if whitened:
            a = a / (r.std() + 1e-6)
        totals[int(r[0])] += prob * a[0]
        masses[int(r[0])] += prob
    return totals[1] / masses[1], totals[0] / masses[0]


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.85])
@pytest.mark.parametrize("n", [2, 3, 6])
def test_expected_advantages_equal_enumeration(p, n):
    for adv, whitened in (("whitened", True), ("centered", False)):
        assert grpo.expected_advantages(p, n, adv) == pytest.approx(plain_expected_advantages(p, n, whitened), abs=1e-12)
    # the advantages sum to zero in every group, so p omega_+ + (1 - p) omega_- = 0
    plus, minus = grpo.expected_advantages(p, n)
    assert p * plus + (1 - p) * minus == pytest.approx(0, abs=1e-12)


def test_h_on_hand_checkable_values():
    # n = inf, whitened: omega_+ - omega_- = 1 / sqrt(p (1 - p)); at p = 1/2 it is 2
    assert grpo.expected_advantages(0.5, np.inf) == pytest.approx((1.0, -1.0))
    assert grpo.amplification_h(0.5, 0.5, 1.0) == pytest.approx(1 / (1 + np.exp(-2)))
    # p = 0.2: 1 / sqrt(0.16) = 2.5; p_ref = 0.1, beta = 2: 1 / (1 + 9 e^{-1.25})
    assert grpo.amplification_h(0.2, 0.1, 2.0) == pytest.approx(1 / (1 + 9 * np.exp(-1.25)))
    # centered: omega_+ - omega_- = (n - 1)/n exactly, whatever p; p* in closed form
    for n, beta, p_ref in [(16, 1.0, 0.25), (4, 0.5, 0.1), (np.inf, 2.0, 0.5)]:
        gap = 1.0 if np.isinf(n) else (n - 1) / n
        closed = 1 / (1 + (1 - p_ref) / p_ref * np.exp(-gap / beta))
        assert grpo.amplification_h(0.7, p_ref, beta, n, "centered") == pytest.approx(closed)
        assert grpo.amplification_fixed_point(p_ref, beta, n, "centered") == pytest.approx(closed, abs=1e-9)


@pytest.mark.parametrize("p_ref,beta,n", [(0.1, 1.0, 16), (0.25, 2.0, 8), (0.5, 4.0, np.inf), (0.05, 0.5, 4)])
def test_fixed_point_is_above_p_ref_and_fixed(p_ref, beta, n):
    star = grpo.amplification_fixed_point(p_ref, beta, n)
    assert p_ref < star < 1
    assert grpo.amplification_h(star, p_ref, beta, n) == pytest.approx(star, abs=1e-9)
    # below p*, h(p) > p: the learner started at p_ref climbs to p* and not past it
    assert all(grpo.amplification_h(p, p_ref, beta, n) > p for p in np.linspace(p_ref, star, 50)[:-1])
    # more penalty, less amplification
    assert grpo.amplification_fixed_point(p_ref, 2 * beta, n) < star


@pytest.mark.parametrize("advantage", ["whitened", "centered"])
def test_learner_expected_gradient_vanishes_at_p_star(advantage):
    """The derivation, on the learner's compiled pieces: with two arms (correct, wrong) and pi0 = (p_ref,
    1 - p_ref), the exact expectation over groups of the logit gradient is zero at the logits of p*."""
    p_ref, beta, n = 0.25, 1.5, 5
    star = grpo.amplification_fixed_point(p_ref, beta, n, advantage)
    pi0 = np.array([p_ref, 1 - p_ref])

    def expected_gradient(p):
        theta = np.array([np.log(p / p_ref) - np.log((1 - p) / (1 - p_ref)), 0.0])
        pi = np.empty(2)
        L.softmax_with_base(pi0, theta, pi)
        total, adv, grad = np.zeros(2), np.empty(n), np.empty(2)
        for arms in itertools.product([0, 1], repeat=n):
            arms = np.array(arms, dtype=np.int64)
            rewards = (arms == 0).astype(float)
            (L.grpo_advantage if advantage == "whitened" else L.centered_advantage)(rewards, adv)
            L.logit_gradient(pi, theta, arms, adv, beta, grad)
            total += np.prod(pi[arms]) * grad
        return total

    assert np.allclose(expected_gradient(star), 0, atol=1e-9)
    # and the gradient pushes the correct arm's logit up below p*, down above it
    assert expected_gradient(star - 0.05)[0] > 1e-4 and expected_gradient(star + 0.05)[0] < -1e-4


def test_pkpo_reward_with_k_equal_to_the_group_size_gives_a_zero_advantage():
    """k = n: a wrong sample in a group with c >= 1 correct ones gets (k/n) rho(n-1, c, n-1) = 1 = k/n,
    so the transformed rewards of every group are constant and GRPO's advantage vanishes."""
    n = 6
    shaped, adv = np.empty(n), np.empty(n)
    for bits in itertools.product((0.0, 1.0), repeat=n):
        L.pkpo_rewards(np.array(bits), n, shaped)
        assert np.ptp(shaped) == 0.0
        L.grpo_advantage(shaped, adv)
        assert np.all(adv == 0.0)


def test_covariance_training_loop_replays_the_learners_runs():
    """claims.grpo.train_with_covariance takes the learner's draws in the learner's order: the answer
    entropy it reads at checkpoints equals bandits.rl.train's entropy_all, run by run."""
    from bandits.rl.questions import GENERATORS
    qs = GENERATORS["transfer"](X=6, K=30, m=6, frac_hard=0.5, good=0.2, seed=1)
    ck = np.array([0, 3, 10, 40, 100])
    for bonus in ("none", "ucb_con", "batch"):
        s = dict(L.DEFAULTS, bonus=bonus, param="outcome", c=1.0, eta=0.5)
        _, terms = grpo.covariance_over_training(qs, s, 100, 3, 11, ck)
        res = L.train(qs, **s, steps=100, runs=3, seed=11, checkpoints=ck, n_jobs=1)
        np.testing.assert_allclose(terms[:, :, 2], res.metrics["entropy_all"], rtol=0, atol=1e-12)


def test_whitened_omegas_match_the_exact_expected_advantages():
    for p in (0.0, 0.05, 0.3, 0.9, 1.0):
        for n in (2, 8, 16):
            if 0 < p < 1:
                assert np.allclose(grpo.whitened_omegas(p, n), grpo.expected_advantages(p, n)), (p, n)
            else:
                assert np.all(np.isfinite(grpo.whitened_omegas(p, n)))
