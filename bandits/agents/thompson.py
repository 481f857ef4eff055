"""Thompson sampling, arm control (docs/theory.md section 1, "Control regimes").

Bernoulli and verifiable rewards: Beta(1, 1) priors, so the posterior of arm ``a`` is
``Beta(1 + S_a, 1 + N_a - S_a)``. Gaussian rewards with known ``sigma``: the posterior
``Normal(S_a / (N_a + 1), sigma^2 / (N_a + 1))`` of a Normal(0, sigma^2) prior
(Agrawal and Goyal 2013). One sample per arm, then the argmax. No initial phase.

The samples come from :mod:`._sampling` (a ziggurat normal and Marsaglia-Tsang Gammas on the
run's own xoshiro256++ generator), and each key keeps the constants of its posterior (the two
Marsaglia-Tsang pairs ``(d, c)``, or the Gaussian mean and scale), refreshed by ``update``: a
Beta draw is then two Gamma draws and a division, with no square root.
"""

import numpy as np
from numba import njit

from . import _sampling as smp
from ._stats import add_reward, new_stats
from .base import define_agent

_D1 = 1.0 - 1.0 / 3.0              # Marsaglia-Tsang d and c of the prior's shape 1
_C1 = 1.0 / np.sqrt(9.0 * _D1)


def family_params(instance, values):
    """``params = [is_gaussian, sigma]``: the posterior depends on the reward family."""
    return [1.0 if instance.rewards == "gaussian" else 0.0, instance.sigma]


@njit(cache=True, inline="always")
def new_posteriors(n, params):
    """Per key: the generator, then (d, c) of Beta's two shapes, or (mean, scale, -, -) for Gaussian."""
    if params[0] > 0.0:
        return (smp.new_rng(), np.zeros(n), np.full(n, params[1]), np.zeros(n), np.zeros(n))
    return (smp.new_rng(), np.full(n, _D1), np.full(n, _C1), np.full(n, _D1), np.full(n, _C1))


@njit(cache=True, inline="always")
def refresh_posterior(counts, sums, post, key, params):
    """Recompute the cached constants of ``key``'s posterior after its statistics changed."""
    rng, p1, p2, p3, p4 = post
    if params[0] > 0.0:
        n1 = counts[key] + 1.0
        p1[key] = smp.ratio(sums[key], n1)
        p2[key] = smp.ratio(params[1], np.sqrt(n1))
    else:
        p1[key], p2[key] = smp.gamma_consts(1.0 + sums[key])
        p3[key], p4[key] = smp.gamma_consts(1.0 + counts[key] - sums[key])


@njit(cache=True, inline="always")
def sample_posteriors(post, params, out):
    """One posterior sample per key into ``out``."""
    rng, p1, p2, p3, p4 = post
    st = smp.load(rng)
    if params[0] > 0.0:
        for k in range(out.shape[0]):
            z, st = smp.normal(st)
            out[k] = p1[k] + p2[k] * z
    else:
        for k in range(out.shape[0]):
            out[k], st = smp.beta_dc(st, p1[k], p2[k], p3[k], p4[k])
    smp.store(rng, st)


@njit(cache=True)
def init(K, m, params):
    return new_stats(K) + new_posteriors(K, params)


@njit(cache=True)
def init_per_outcome(K, m, params):
    return new_stats(m) + new_posteriors(m, params)


@njit(cache=True)
def index(state, t, params, out):
    sample_posteriors(state[4:], params, out)


@njit(cache=True)
def update(state, arm, outcome, reward, params):
    add_reward(state[:4], arm, reward)
    refresh_posterior(state[0], state[1], state[4:], arm, params)


@njit(cache=True)
def update_per_outcome(state, arm, outcome, reward, params):
    add_reward(state[:4], outcome, reward)
    refresh_posterior(state[0], state[1], state[4:], outcome, params)


thompson = define_agent("thompson", init=init, index=index, update=update, each_once=False,
                        prepare=family_params, doc=__doc__)
