"""Outcome Thompson sampling, arm control (docs/theory.md section 1, "Control regimes").

A posterior per outcome (Beta(1, 1) priors on pooled rewards; the Gaussian posterior of
:mod:`.thompson` for Gaussian rewards) and a Dirichlet(1) posterior per arm on its outcome
distribution ``Qhat[a]``. Each pull samples ``theta_o`` for every outcome and ``q_a`` for every
arm, and plays ``argmax_a sum_o q_a[o] theta_o``. No initial phase.

The draws come from :mod:`._sampling`, as in :mod:`.thompson`; the Marsaglia-Tsang constants
of every Dirichlet Gamma are cached per (arm, outcome) and refreshed by ``update``.
"""

import numpy as np
from numba import njit

from . import _sampling as smp
from ._stats import add_reward, new_stats
from .base import define_agent
from .thompson import _C1, _D1, family_params, new_posteriors, refresh_posterior, sample_posteriors


@njit(cache=True)
def init(K, m, params):
    # per outcome: reward statistics and posterior constants (state[0:9], as in thompson);
    # then outcome counts per arm, the Marsaglia-Tsang (d, c) of Dirichlet(1 + counts[a]) and
    # the sampled theta_o (scratch)
    return new_stats(m) + new_posteriors(m, params) + (
        np.zeros((K, m)), np.full((K, m), _D1), np.full((K, m), _C1), np.zeros(m))


@njit(cache=True)
def index(state, t, params, out):
    counts, dir_d, dir_c, theta = state[9:]
    sample_posteriors(state[4:9], params, theta)
    m = theta.shape[0]
    rng = state[4]
    st = smp.load(rng)
    for a in range(out.shape[0]):
        weighted, total = 0.0, 0.0
        for o in range(m):            # q_a ~ Dirichlet(1 + counts[a]) via normalised Gammas
            g, st = smp.gamma_dc(st, dir_d[a, o], dir_c[a, o])
            weighted += g * theta[o]
            total += g
        out[a] = smp.ratio(weighted, total)
    smp.store(rng, st)


@njit(cache=True)
def update(state, arm, outcome, reward, params):
    counts, dir_d, dir_c, theta = state[9:]
    add_reward(state[:4], outcome, reward)
    refresh_posterior(state[0], state[1], state[4:9], outcome, params)
    counts[arm, outcome] += 1.0
    dir_d[arm, outcome], dir_c[arm, outcome] = smp.gamma_consts(1.0 + counts[arm, outcome])


outcome_thompson = define_agent("outcome_thompson", init=init, index=index, update=update,
                                each_once=False, prepare=family_params, doc=__doc__)
