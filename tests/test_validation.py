"""Bad input: one-line errors that name what is wrong, raised before any compute."""

import numpy as np
import pytest

import bandits
from bandits import instances

INST = instances.needle(K=4)


@pytest.mark.parametrize("call,exc,words", [
    (lambda: bandits.simulate(INST, "nope", horizon=10), ValueError, "unknown agent 'nope'"),
    (lambda: bandits.simulate(INST, "ucb1", horizon=10, beta=1), ValueError, "no parameter 'beta'"),
    (lambda: bandits.simulate(INST, "ucb1", horizon=10, alpha=-1), ValueError, "ucb1.alpha must be > 0"),
    (lambda: bandits.simulate(INST, "ucb1", horizon=10, alpha="big"), TypeError, "ucb1.alpha must be a number"),
    (lambda: bandits.simulate(INST, "epsilon_greedy", horizon=10, eps=1.5), ValueError, "eps must be in [0, 1]"),
    (lambda: bandits.simulate(INST, "ucb1", horizon=1.5), TypeError, "horizon must be an integer"),
    (lambda: bandits.simulate(INST, "ucb1", horizon=0), ValueError, "horizon must be >= 1"),
    (lambda: bandits.simulate(INST, "ucb1", horizon=10, runs=0), ValueError, "runs must be >= 1"),
    (lambda: bandits.simulate(INST, "ucb1", horizon=10, batch=0), ValueError, "batch must be >= 1"),
    (lambda: bandits.simulate(INST, "ucb1", horizon=10, seed=-3), ValueError, "seed must be >= 0"),
    (lambda: bandits.simulate(INST, "ucb1", horizon=10, lam=-1), ValueError, "lam must be >= 0"),
    (lambda: bandits.simulate(INST, "ucb1", horizon=10, checkpoints=[0, 5]), ValueError, "checkpoints must lie"),
    (lambda: bandits.simulate("needle", "ucb1", horizon=10), TypeError, "instance must be"),
    (lambda: bandits.simulate(instances.random_instance(K=3, m=2, seed=0), "outcome_level_ucb", horizon=10),
     ValueError, "stochastic kernel"),
    (lambda: bandits.simulate(instances.from_arrays(phi=np.array([0, 0]), mu=[0.1, 0.9]), "outcome_level_ucb",
                              horizon=10), ValueError, "outcome 1"),
    (lambda: bandits.simulate(instances.from_arrays(phi=np.array([0, 1]), mu=[0.1, 0.9], rewards="gaussian"),
                              "kl_ucb", horizon=10), ValueError, "Gaussian"),
    (lambda: instances.needle(K=0), ValueError, "K must be >= 1"),
    (lambda: instances.needle(K=3, m=5), ValueError, "K must be >= m"),
    (lambda: instances.minimax_arms(K=4, eps=0.7), ValueError, "eps must be in [0, 0.5]"),
    (lambda: instances.minimax_outcomes(K=4, m=2, eps="x"), TypeError, "eps must be a number"),
    (lambda: instances.llm_like(K=10, m=3, p_correct=1.0), ValueError, "p_correct must be in (0, 1)"),
    (lambda: instances.random_instance(K=3, m=2, seed=0, rewards="poisson"), ValueError, "rewards must be one of"),
    (lambda: instances.from_arrays(Q=[[0.5, 0.4]], mu=[0, 1]), ValueError, "row 0 sums to 0.9"),
    (lambda: instances.from_arrays(Q=[[0.5, 0.5]], mu=[0.0]), ValueError, "mu must have one mean per outcome"),
    (lambda: instances.from_arrays(Q=[[1.0]], mu=[1.5]), ValueError, "mu must lie in [0, 1]"),
    (lambda: instances.from_arrays(Q=[[1.0]], mu=[0.5], rewards="verifiable"), ValueError, "must be 0 or 1"),
    (lambda: instances.from_arrays(Q=[[1.0]], mu=[0.5], rewards="gaussian", sigma=0), ValueError, "sigma must be > 0"),
    (lambda: instances.from_arrays(phi=np.array([0, 3]), mu=[0.5, 0.2]), ValueError, "phi values must lie"),
    (lambda: instances.from_arrays(Q=[[1.0], [1.0]], mu=[0.5], pi0=[1.0]), ValueError, "pi0 must have one"),
    (lambda: instances.from_arrays(mu=[0.5]), ValueError, "exactly one of Q"),
    (lambda: bandits.batch_penalty("ucb1", 1.0), TypeError, "needs an Agent"),
])
def test_bad_input_message(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    message = str(info.value)
    assert words in message
    assert "\n" not in message


def test_define_agent_refuses_plain_python_functions():
    with pytest.raises(TypeError, match="must be a numba @njit function"):
        bandits.define_agent("plain", init=lambda K, m, p: (), index=lambda *a: None, update=lambda *a: None,
                             register=False)
