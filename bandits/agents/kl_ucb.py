"""Bernoulli KL-UCB (Garivier and Cappe 2011), arm control (SPEC 3 R1).

Each arm once, then ``argmax_a max{q in [mean_a, 1] : N_a kl(mean_a, q) <= ln t + c ln ln t}``
with ``kl`` the Bernoulli Kullback-Leibler divergence; ``ln ln t`` is taken as 0 for ``t < 3``.
The upper bound is found by Newton's method started from Pinsker's bound ``p + sqrt(d / 2)``,
which lies above the root, so the iterates decrease to it (to 1e-10 in ``kl``); rewards must
lie in [0, 1].
"""

import numpy as np
from numba import njit

from ._stats import init_per_arm, update_per_arm
from .base import Param, define_agent


@njit(cache=True)
def kl_bernoulli(p, q):
    """kl(Bernoulli(p), Bernoulli(q)), with 0 log 0 = 0."""
    eps = 1e-15
    q = min(max(q, eps), 1.0 - eps)
    out = 0.0
    if p > 0.0:
        out += p * np.log(p / q)
    if p < 1.0:
        out += (1.0 - p) * np.log((1.0 - p) / (1.0 - q))
    return out


@njit(cache=True)
def kl_upper(p, level):
    """The largest q in [p, 1] with kl(p, q) <= level."""
    if p >= 1.0:
        return 1.0
    if p <= 0.0:
        return 1.0 - np.exp(-level)          # kl(0, q) = -ln(1 - q)
    q = min(p + np.sqrt(level / 2.0), 1.0 - 1e-12)
    for _ in range(50):                     # f(q) = kl(p, q) - level is convex and increasing on [p, 1)
        f = kl_bernoulli(p, q) - level
        if f <= 1e-10:
            break
        q -= f * q * (1.0 - q) / (q - p)     # f'(q) = (q - p) / (q (1 - q))
    return q



@njit(cache=True)
def index(state, t, params, out):
    counts, sums, means, inv_sqrt = state
    budget = np.log(max(t, 1))
    if t >= 3:
        budget += params[0] * np.log(np.log(t))
    for a in range(out.shape[0]):
        out[a] = kl_upper(means[a], budget / counts[a]) if counts[a] > 0 else np.inf



def _requires(instance):
    if instance.family == "gaussian":
        return "Bernoulli KL-UCB needs rewards in [0, 1], not Gaussian rewards"
    return None


kl_ucb = define_agent(
    "kl_ucb", init=init_per_arm, index=index, update=update_per_arm, doc=__doc__, requires=_requires,
    params={"c": Param(0.0, "weight of the ln ln t term", low=0.0)},
)
