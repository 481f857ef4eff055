"""bandits.theory.graves_lai: the Graves-Lai constant against closed forms and brute-force grids.

Closed forms (docs/theory.md section 11): outcome-blind agents, Lai-Robbins; a deterministic map,
the structured constant; exact rewards with an unknown kernel, Lai-Robbins again. Brute force
(K, m <= 3): the programme with the constraints of every confusing parameter on a fine grid,
solved as one linear programme (a grid of constraints gives a value just below C). Each check is
shown to reject a perturbed solver (a dropped constraint family).
"""

import numpy as np
import pytest
from scipy.optimize import linprog

from bandits import instances, theory


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


DETERMINISTIC = [instances.minimax_outcomes(K=6, m=3, eps=0.2),
                 instances.from_arrays(phi=np.array([0, 1, 1, 2, 3, 3]), mu=[0.9, 0.6, 0.3, 0.85]),
                 instances.from_arrays(phi=np.array([0, 1, 2, 2]), mu=[0.2, 0.5, 0.7], rewards="gaussian", sigma=0.5),
                 instances.needle(K=8, m=3)]
BLIND = DETERMINISTIC + [instances.random_instance(K=5, m=3, seed=4), instances.minimax_arms(K=6, eps=0.1)]


@pytest.mark.parametrize("inst", BLIND, ids=lambda i: i.name)
def test_outcome_blind_is_lai_robbins(inst):
    g = theory.graves_lai(inst, observes="rewards")
    c = theory.lai_robbins_constant(inst)
    assert g.lower <= g.upper
    assert rel(g.lower, c) <= 1e-8 and rel(g.upper, c) <= 1e-8 if c > 0 else g.upper == 0.0
    if c > 0:  # the allocation is 1 / kl(theta_a, theta*) on every suboptimal arm
        sub = inst.gaps > 1e-12
        assert np.allclose(g.eta[sub], 1 / theory.kl_bernoulli(inst.theta[sub], inst.theta_star), rtol=1e-6) \
            or inst.rewards == "gaussian"


@pytest.mark.parametrize("inst", DETERMINISTIC, ids=lambda i: i.name)
def test_deterministic_map_is_the_structured_constant(inst):
    c = theory.structured_constant(inst)
    for known in (True, False) if inst.rewards != "gaussian" else (True,):
        g = theory.graves_lai(inst, observes="outcomes", map_known=known)
        assert (rel(g.lower, c) <= 1e-8 and rel(g.upper, c) <= 1e-4) if c > 0 else g.upper == 0.0, (known, g)
    assert theory.graves_lai(inst, control="outcome").upper == pytest.approx(theory.structured_constant(inst, "outcome"),
                                                                             rel=1e-8)


def test_exact_rewards_with_an_unknown_kernel_are_lai_robbins():
    inst = instances.minimax_arms(K=5, eps=0.1)  # verifiable, stochastic kernel
    assert rel(theory.graves_lai(inst, map_known=False).lower, theory.lai_robbins_constant(inst)) <= 1e-8
    assert theory.graves_lai(inst, map_known=True).upper == 0.0  # the kernel and the rewards tell everything


KNOWN = instances.from_arrays(Q=np.array([[0.0, 0.4, 0.6], [0.6, 0.4, 0.0], [0.7, 0.1, 0.2]]), mu=[0.3, 0.5, 0.8])


def brute_known(inst, n=200_001):
    """Outcome 0 is the only free one: every x_0 on a grid of n points whose means lift some
    suboptimal arm above theta* gives a constraint; one LP over eta. (The constraint of a grid
    point is its row Q[:, 0] times kl(mu_0, x_0), so the LP is given the 64 points of smallest
    kl, which imply all the others.)"""
    Q, mu, star = inst.Q, inst.mu, inst.theta_star
    sub = np.flatnonzero(inst.gaps > 1e-12)
    x0 = np.linspace(mu[0], 1 - 1e-9, n)
    X = np.tile(mu, (n, 1))
    X[:, 0] = x0
    alt = ((X @ Q[sub].T) > star).any(axis=1)
    kls = theory.kl_bernoulli(mu[None, :], X)  # (n, m)
    rows = kls @ Q[sub].T                       # (n, arms)
    keep = np.flatnonzero(alt)[np.argsort(kls[alt, 0])[:64]]
    lp = linprog(inst.gaps[sub], A_ub=-rows[keep], b_ub=-np.ones(len(keep)), bounds=(0, None), method="highs")
    return lp.fun


def test_known_kernel_matches_a_brute_force_grid():
    g = theory.graves_lai(KNOWN, map_known=True)
    assert g.gap <= 1e-8 and g.method.startswith("cutting planes")
    assert rel(g.upper, brute_known(KNOWN)) <= 1e-4
    # the allocation is feasible: no confusing parameter on a random sample violates it
    rng = np.random.default_rng(0)
    Q, mu, star = KNOWN.Q, KNOWN.mu, KNOWN.theta_star
    for x0 in rng.uniform(mu[0], 1, 2000):
        x = mu.copy()
        x[0] = x0
        if (Q @ x > star + 1e-12).sum() > 1:
            assert g.eta @ (Q @ theory.kl_bernoulli(mu, x)) >= 1 - 1e-7


UNKNOWN = instances.from_arrays(Q=np.array([[0.0, 0.5, 0.5], [0.6, 0.4, 0.0]]), mu=[0.3, 0.5, 0.8])


def brute_unknown(inst, n=2001):
    """One suboptimal arm (p = Q[1]): C = Delta / V with V the smallest KL(p || q) + p_0 kl(mu_0, x_0)
    over a grid of (x_0, q_2) (q_2 from 0: moving no mass to outcome 2 is on the grid), q_0 from
    q . x = theta* (the boundary), q_1 the rest."""
    p, mu, star = inst.Q[1], inst.mu, inst.theta_star
    x0, q2 = np.meshgrid(np.linspace(mu[1] + 1e-6, 1 - 1e-9, n), np.linspace(0, 1, n), indexing="ij")
    q0 = (star - mu[1] - (mu[2] - mu[1]) * q2) / (x0 - mu[1])
    q1 = 1 - q0 - q2
    ok = (q0 > 0) & (q1 > 0) & (x0 >= mu[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (p[0] * np.log(p[0] / q0) + p[1] * np.log(p[1] / q1) + p[0] * theory.kl_bernoulli(mu[0], x0))
    return inst.gaps[1] / np.where(ok, v, np.inf).min()


def test_unknown_kernel_matches_a_brute_force_grid():
    g = theory.graves_lai(UNKNOWN, map_known=False)
    assert g.lower <= g.upper and g.gap <= 1e-3
    brute = brute_unknown(UNKNOWN)
    assert g.lower <= brute * (1 + 1e-6) and rel(g.upper, brute) <= 1e-4
    # not knowing the kernel costs more than knowing it
    assert g.lower > theory.graves_lai(UNKNOWN, map_known=True).upper * 1.01


@pytest.mark.parametrize("seed", [1, 3, 8])
def test_stochastic_kernels_have_a_certified_gap(seed):
    inst = instances.random_instance(K=8, m=4, seed=seed)
    g = theory.graves_lai(inst, map_known=False)
    assert 0 < g.lower <= g.upper <= g.lower * (1 + 1e-3)
    # between the known-kernel bound and the outcome-blind one
    assert theory.graves_lai(inst, map_known=True).upper <= g.lower
    assert g.upper <= theory.graves_lai(inst, observes="rewards").lower * (1 + 1e-9)


def test_a_dropped_constraint_is_caught(monkeypatch):
    """Drop the constraints of one alternative best arm (the only arm of its outcome)."""
    inst = DETERMINISTIC[1]
    good = theory.graves_lai(inst)
    real = theory._alternatives
    monkeypatch.setattr(theory, "_alternatives", lambda model: [b for b in real(model)
                                                                if model.gaps[b] < model.gaps.max()])
    bad = theory.graves_lai(inst)
    assert rel(good.upper, theory.structured_constant(inst)) <= 1e-8
    assert rel(bad.upper, theory.structured_constant(inst)) > 1e-2  # the closed-form check rejects it
    # on KNOWN the binding arm is the one of smallest gap (arm 2): drop it, and the grid rejects it
    monkeypatch.setattr(theory, "_alternatives", lambda model: [b for b in real(model) if b != 2])
    assert rel(theory.graves_lai(KNOWN).upper, brute_known(KNOWN)) > 1e-2


def test_a_wrong_divergence_is_caught(monkeypatch):
    """A solver whose divergences are 20% too small (confusing parameters look farther away)."""
    real = theory._Model.kl
    monkeypatch.setattr(theory._Model, "kl", lambda self, p, q: 0.8 * real(self, p, q))
    assert rel(theory.graves_lai(KNOWN).upper, brute_known(KNOWN)) > 1e-2
    assert rel(theory.graves_lai(DETERMINISTIC[0]).upper, theory.structured_constant(DETERMINISTIC[0])) > 1e-2


def test_validation():
    inst = instances.minimax_outcomes(K=4, m=2, eps=0.1)
    with pytest.raises(ValueError, match="observes"):
        theory.graves_lai(inst, observes="arms")
    with pytest.raises(ValueError, match="control"):
        theory.graves_lai(inst, control="both")
    with pytest.raises(ValueError, match="map_known=False"):
        theory.graves_lai(instances.random_instance(K=3, m=2, seed=0, rewards="gaussian"), map_known=False)


def test_an_outcome_no_arm_produces_makes_the_unknown_kernel_cost_more():
    """phi = [0, 1, ..., 1] (8 arms on outcome 1), outcome 2 produced by no arm: an agent that does
    not know the kernel must rule out that each arm of outcome 1 hides it (its mean may be up to 1).
    By symmetry every such arm gets eta, and the inner value is eta * min over x_1 of
    8 kl(0.5, x_1) - ln(1 - e), e = (0.7 - x_1) / (1 - x_1) the mass moved to outcome 2 (brute
    force over x_1): C = 8 * 0.2 / that minimum."""
    Q = np.zeros((9, 3))
    Q[0, 0] = 1.0
    Q[1:, 1] = 1.0
    inst = instances.from_arrays(Q=Q, mu=[0.7, 0.5, 0.3])
    x1 = np.linspace(0.5, 0.7, 200_001)
    e = (0.7 - x1) / (1 - x1)
    brute = 8 * 0.2 / (8 * theory.kl_bernoulli(0.5, x1) - np.log1p(-e)).min()
    g = theory.graves_lai(inst, map_known=False)
    assert g.lower <= brute * (1 + 1e-6) and rel(g.upper, brute) <= 1e-4 and g.gap <= 1e-3
    assert g.lower > 1.2 * theory.graves_lai(inst, map_known=True).upper  # knowing the map is worth something


def test_every_agent_gets_a_bound_stochastic_kernels_included():
    kernel = instances.random_instance(K=5, m=3, seed=4)
    c, label = theory.lower_bound_constant(kernel, "outcome_ucb")
    assert c == pytest.approx(theory.graves_lai(kernel, map_known=False).lower) and "kernel unknown" in label
    assert 0 < c < theory.lower_bound_constant(kernel, "ucb1")[0]  # seeing outcomes helps
    gauss = instances.random_instance(K=4, m=3, seed=2, rewards="gaussian")
    for agent in ("ucb1", "outcome_ucb"):  # a mixture of Gaussians per arm: the kernel-known bound of outcome seers
        c, label = theory.lower_bound_constant(gauss, agent)
        assert c is not None and c >= 0 and "kernel known" in label
    det = instances.minimax_outcomes(K=8, m=2, eps=0.1)
    assert theory.lower_bound_constant(det, "ossb")[0] == pytest.approx(theory.structured_constant(det), rel=1e-8)
    assert theory.lower_bound_constant(det, "kl_ucb")[0] == pytest.approx(theory.lai_robbins_constant(det), rel=1e-8)
