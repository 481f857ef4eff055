"""Thompson sampling, arm control (SPEC 3 R1).

Bernoulli and verifiable rewards: Beta(1, 1) priors, so the posterior of arm ``a`` is
``Beta(1 + S_a, 1 + N_a - S_a)``. Gaussian rewards with known ``sigma``: the posterior
``Normal(S_a / (N_a + 1), sigma^2 / (N_a + 1))`` of a Normal(0, sigma^2) prior
(Agrawal and Goyal 2013). One sample per arm, then the argmax. No initial phase.
"""

import numpy as np
from numba import njit

from ._stats import init_per_arm, update_per_arm
from .base import define_agent


def family_params(instance, values):
    """``params = [is_gaussian, sigma]``: the posterior depends on the reward family."""
    return [1.0 if instance.family == "gaussian" else 0.0, instance.sigma]


@njit(cache=True)
def posterior_sample(counts, sums, key, params):
    if params[0] > 0.0:
        n1 = counts[key] + 1.0
        return sums[key] / n1 + params[1] / np.sqrt(n1) * np.random.standard_normal()
    return np.random.beta(1.0 + sums[key], 1.0 + counts[key] - sums[key])



@njit(cache=True)
def index(state, t, params, out):
    counts, sums = state[0], state[1]
    for a in range(out.shape[0]):
        out[a] = posterior_sample(counts, sums, a, params)



thompson = define_agent("thompson", init=init_per_arm, index=index, update=update_per_arm, each_once=False,
                        prepare=family_params, doc=__doc__)
