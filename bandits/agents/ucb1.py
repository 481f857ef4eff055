"""UCB1 (Auer, Cesa-Bianchi and Fischer 2002), arm control (SPEC 3 R1).

Each arm once, then ``argmax_a mean_a + sqrt(alpha ln t / N_a)`` with ``t`` the pulls so far.
The index is computed as ``mean_a + sqrt(alpha ln t) * (1 / sqrt(N_a))`` from cached per-arm
terms: one logarithm and one square root per pull instead of one per arm.
"""

import numpy as np
from numba import njit

from ._stats import add_reward, new_stats
from .base import Param, define_agent

ALPHA = {"alpha": Param(2.0, "exploration constant", low=0.0, low_open=True)}


@njit(cache=True)
def init(K, m, params):
    return new_stats(K)


@njit(cache=True)
def index(state, t, params, out):
    counts, sums, means, inv_sqrt = state
    width = np.sqrt(params[0] * np.log(max(t, 1)))
    for a in range(out.shape[0]):      # an arm never pulled has mean +inf
        out[a] = means[a] + width * inv_sqrt[a]


@njit(cache=True)
def update(state, arm, outcome, reward, params):
    add_reward(state, arm, reward)


ucb1 = define_agent("ucb1", init=init, index=index, update=update, params=ALPHA, doc=__doc__)
