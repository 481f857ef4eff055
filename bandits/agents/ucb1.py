"""UCB1 (Auer, Cesa-Bianchi and Fischer 2002), arm control (R1; docs/theory.md section 1).

Each arm once, then ``argmax_a mean_a + sqrt(alpha ln t / N_a)`` with ``t`` the pulls so far.
The index is computed as ``mean_a + sqrt(alpha ln t) * (1 / sqrt(N_a))`` from cached per-arm
terms: one logarithm and one square root per pull instead of one per arm.
"""

import numpy as np
from numba import njit

from ._stats import init_per_arm, update_per_arm
from .base import Param, define_agent

ALPHA = {"alpha": Param(2.0, "exploration constant", low=0.0, low_open=True)}



@njit(cache=True)
def index(state, t, params, out):
    counts, sums, means, inv_sqrt = state
    width = np.sqrt(params[0] * np.log(max(t, 1)))
    for a in range(out.shape[0]):      # an arm never pulled has mean +inf
        out[a] = means[a] + width * inv_sqrt[a]



ucb1 = define_agent("ucb1", init=init_per_arm, index=index, update=update_per_arm, params=ALPHA, doc=__doc__)
