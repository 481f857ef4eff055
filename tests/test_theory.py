"""Lower-bound constants: hand-computed values, which bound applies to which agent, and that measured
regret respects them (and that an agent knowing the instance is caught below them)."""

import math

import numpy as np
import pytest

import bandits
from bandits import theory


def kl(p, q):
    return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


# K = 4 arms on m = 2 outcomes, two arms each, Bernoulli means 0.4 and 0.6
TWO_BY_TWO = dict(phi=np.array([0, 0, 1, 1]), mu=[0.4, 0.6])


def test_constants_by_hand():
    inst = bandits.instances.from_arrays(**TWO_BY_TWO)
    one = 0.2 / kl(0.4, 0.6)
    assert theory.lai_robbins_constant(inst) == pytest.approx(2 * one)  # two suboptimal arms
    assert theory.structured_constant(inst) == pytest.approx(one)  # one suboptimal outcome
    gauss = bandits.instances.from_arrays(phi=np.array([0, 1, 1]), mu=[0.2, 0.5], rewards="gaussian", sigma=0.5)
    assert theory.lai_robbins_constant(gauss) == pytest.approx(0.3 / (0.3 ** 2 / (2 * 0.25)))


def test_which_bound_applies_and_where_there_is_none():
    inst = bandits.instances.from_arrays(**TWO_BY_TWO)
    c_blind, label_blind = theory.lower_bound_constant(inst, "kl_ucb")
    c_seeing, label_seeing = theory.lower_bound_constant(inst, "outcome_ucb")
    assert "outcome-blind" in label_blind and "see outcomes" in label_seeing
    assert c_blind == pytest.approx(2 * c_seeing)
    assert theory.lower_bound_constant(inst, "my_agent", "outcome")[0] == pytest.approx(c_seeing)
    kernel = bandits.instances.random_instance(K=4, m=3, seed=1)
    assert theory.structured_constant(kernel) is None  # stochastic kernel: no curve (no Graves-Lai here)
    assert theory.lai_robbins_constant(kernel) > 0  # Bernoulli(theta_a) per arm, whatever the kernel
    gauss_kernel = bandits.instances.random_instance(K=4, m=3, seed=1, rewards="gaussian")
    assert theory.lai_robbins_constant(gauss_kernel) is None  # a mixture of Gaussians
    needle = bandits.instances.needle(K=8)
    assert theory.lai_robbins_constant(needle) == 0.0 and theory.structured_constant(needle) == 0.0


def local_constant(inst, agent, T=100_000, runs=50):
    """Regret per unit of ln t over the last decade, (R(T) - R(T/10)) / ln 10: the constant the bounds speak of."""
    res = bandits.simulate(inst, agent, horizon=T, runs=runs, seed=3, checkpoints=[T // 10, T])
    return float(np.diff(res.regret.mean(axis=0))[0] / np.log(10))


def test_kl_ucb_sits_above_its_bound_and_outcome_seeing_agents_beat_the_outcome_blind_one():
    """On one arm per outcome the two bounds coincide and KL-UCB (asymptotically optimal) sits above
    it; with two arms per outcome an agent that sees outcomes goes below the outcome-blind bound (a),
    which is why the figures draw the structured bound (b) for it, and KL-UCB stays above (a)."""
    one_each = bandits.instances.from_arrays(phi=np.array([0, 1]), mu=[0.4, 0.6])
    c = theory.structured_constant(one_each)
    assert theory.lai_robbins_constant(one_each) == pytest.approx(c)
    assert 1.0 <= local_constant(one_each, "kl_ucb") / c <= 2.0  # measured 1.34
    two_each = bandits.instances.from_arrays(**TWO_BY_TWO)
    a, b = theory.lai_robbins_constant(two_each), theory.structured_constant(two_each)
    assert local_constant(two_each, "kl_ucb") >= a  # measured 2.6 b = 1.3 a
    assert 0.6 * b <= local_constant(two_each, "outcome_thompson") < 0.6 * a  # measured 0.88 b = 0.44 a


@pytest.mark.parametrize("agent", ["thompson", "outcome_thompson", "ucb1", "outcome_ucb", "oracle"])
def test_no_agent_falls_clearly_below_the_structured_bound(agent):
    """Lai-Robbins is asymptotic (liminf): at T = 10^5 Thompson sampling's local constant is measured at
    0.72 of it on this instance (its lower-order terms are negative), so 'clearly below' means below
    0.6. The oracle, which knows the best arm, is the control the check must reject."""
    inst = bandits.instances.from_arrays(phi=np.array([0, 1]), mu=[0.4, 0.6])
    ratio = local_constant(inst, agent) / theory.structured_constant(inst)
    if agent == "oracle":
        assert ratio == 0.0
    else:
        assert ratio >= 0.6, ratio  # measured 0.72 (thompson), 0.88 (outcome_thompson), 6.5 (ucb1)


def test_the_outcome_blind_curve_is_not_a_lower_bound_for_an_agent_that_sees_outcomes():
    """The case of the review: on minimax_outcomes(K = 32, m = 2, eps = 0.1) at T = 20000, outcome UCB's
    regret (about 105) is far below the arm-level Lai-Robbins curve (a) and above the structured one (b)."""
    inst = bandits.instances.minimax_outcomes(K=32, m=2, eps=0.1)
    T = 20000
    a, b = theory.lai_robbins_constant(inst) * np.log(T), theory.structured_constant(inst) * np.log(T)
    assert a == pytest.approx(16 * b)  # 16 suboptimal arms, one suboptimal outcome
    regret = bandits.simulate(inst, "outcome_ucb", horizon=T, runs=50, seed=4).final["regret"].mean()
    assert b < regret < 0.25 * a, (b, regret, a)  # measured 49 < 105 < 787
    _, label = theory.lower_bound_constant(inst, "outcome_ucb")
    assert label.startswith("structured")  # the bound the figures draw for it
