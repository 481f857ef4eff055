"""A researcher's own agent, defined outside the package, runs in the compiled engine."""

import numpy as np
from numba import njit

import bandits
from bandits import Param, define_agent


# -- the README's example: UCB with a per-arm optimism scale, written as three njit functions --
@njit
def my_init(K, m, params):
    return (np.zeros(K), np.zeros(K))               # pulls, reward sums


@njit
def my_index(state, t, params, out):
    pulls, sums = state
    for a in range(out.shape[0]):
        out[a] = sums[a] / pulls[a] + np.sqrt(params[0] * np.log(t) / pulls[a])


@njit
def my_update(state, arm, outcome, reward, params):
    state[0][arm] += 1.0
    state[1][arm] += reward


my_ucb = define_agent("my_ucb", init=my_init, index=my_index, update=my_update,
                      params={"alpha": Param(2.0, "exploration", low=0.0, low_open=True)}, register=False)


@njit
def stubborn_index(state, t, params, out):
    out[:] = 0.0
    out[int(params[0])] = 1.0


stubborn = define_agent("stubborn", init=my_init, index=stubborn_index, update=my_update, each_once=False,
                        params={"arm": Param(0, "the arm to pull", low=0, integer=True)}, register=False)


def test_custom_agent_regret_is_exact():
    inst = bandits.instances.from_arrays(phi=np.array([0, 1, 2]), mu=[0.2, 0.5, 0.9])
    res = bandits.simulate(inst, stubborn, horizon=1000, runs=3, seed=0, arm=1)
    assert np.allclose(res.regret[:, -1], 1000 * 0.4)


def test_custom_ucb_agrees_with_builtin_ucb1():
    inst = bandits.instances.minimax_outcomes(K=6, m=6, eps=0.2)
    mine = bandits.simulate(inst, my_ucb, horizon=2000, runs=200, seed=1, alpha=1.0).final["regret"]
    builtin = bandits.simulate(inst, "ucb1", horizon=2000, runs=200, seed=2, alpha=1.0).final["regret"]
    se = np.sqrt(mine.var(ddof=1) / 200 + builtin.var(ddof=1) / 200)
    assert abs(mine.mean() - builtin.mean()) < 4 * se


def test_unregistered_agent_is_not_reachable_by_name():
    assert "my_ucb" not in bandits.agents.registered()
