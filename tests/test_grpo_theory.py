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
