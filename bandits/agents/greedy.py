"""Greedy and epsilon-greedy (arm control, R1; docs/theory.md section 1).

``greedy``: each arm once, then the best empirical mean: pure exploitation, which is what
outcome-based RL without exploration amounts to.
``epsilon_greedy(eps)``: each arm once, then with probability ``eps`` a uniformly random arm,
otherwise the best empirical mean. With the batch penalty only the exploiting choice is
penalised: an exploration pull scores ``+inf`` on its random arm and ``-inf`` elsewhere, which
no finite penalty changes, so exploration stays uniform.
"""

import numpy as np
from numba import njit

from ._stats import init_per_arm, update_per_arm
from .base import Param, define_agent



@njit(cache=True, inline="always")
def _copy(src, out):
    # a loop, not ``out[:] = src``: the slice assignment compiles Numba's shape-mismatch error
    # message (string formatting), which tripled the first call's compile time
    for a in range(out.shape[0]):
        out[a] = src[a]


@njit(cache=True)
def greedy_index(state, t, params, out):
    _copy(state[2], out)


@njit(cache=True)
def epsilon_greedy_index(state, t, params, out):
    if np.random.random() < params[0]:
        out[:] = -np.inf                  # explore: one uniformly random arm, immune to the penalty
        out[np.random.randint(out.shape[0])] = np.inf
    else:
        _copy(state[2], out)



greedy = define_agent("greedy", init=init_per_arm, index=greedy_index, update=update_per_arm, doc=__doc__)
epsilon_greedy = define_agent(
    "epsilon_greedy", init=init_per_arm, index=epsilon_greedy_index, update=update_per_arm, doc=__doc__,
    params={"eps": Param(0.1, "probability of a uniformly random arm", low=0.0, high=1.0)},
)
