"""Outcome Thompson sampling, arm control (SPEC 3 R1).

A posterior per outcome (Beta(1, 1) priors on pooled rewards; the Gaussian posterior of
:mod:`.thompson` for Gaussian rewards) and a Dirichlet(1) posterior per arm on its outcome
distribution ``Qhat[a]``. Each pull samples ``theta_o`` for every outcome and ``q_a`` for every
arm, and plays ``argmax_a sum_o q_a[o] theta_o``. No initial phase.
"""

import numpy as np
from numba import njit

from .base import define_agent
from .thompson import family_params, posterior_sample


@njit(cache=True)
def init(K, m, params):
    # N_o, S_o, outcome counts per arm, sampled theta_o (scratch)
    return (np.zeros(m), np.zeros(m), np.zeros((K, m)), np.zeros(m))


@njit(cache=True)
def index(state, t, params, out):
    n_o, s_o, counts, theta = state
    m = theta.shape[0]
    for o in range(m):
        theta[o] = posterior_sample(n_o, s_o, o, params)
    for a in range(out.shape[0]):
        weighted, total = 0.0, 0.0
        for o in range(m):            # q_a ~ Dirichlet(1 + counts[a]) via normalised Gammas
            g = np.random.gamma(1.0 + counts[a, o])
            weighted += g * theta[o]
            total += g
        out[a] = weighted / total


@njit(cache=True)
def update(state, arm, outcome, reward, params):
    n_o, s_o, counts, theta = state
    n_o[outcome] += 1.0
    s_o[outcome] += reward
    counts[arm, outcome] += 1.0


outcome_thompson = define_agent("outcome_thompson", init=init, index=index, update=update,
                                each_once=False, prepare=family_params, doc=__doc__)
