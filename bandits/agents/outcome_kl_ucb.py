"""Outcome KL-UCB: Bernoulli KL-UCB on the outcomes of a deterministic map, arm control (R1;
docs/theory.md section 11).

Reward statistics are pooled per outcome (``N_o``, ``mean_o``); an arm's outcome ``phi(a)`` is known
after its first pull (the agent knows the map is deterministic). Each arm once, then::

    index_a = max{q in [mean_o, 1] : N_o kl(mean_o, q) <= ln t + c ln ln t},   o = phi(a)

(ties between the arms of one outcome broken uniformly at random). After the first pulls every arm
of an outcome is the same arm, so this is KL-UCB on the m-armed Bernoulli bandit over the outcomes
the arms reach, which is asymptotically optimal there (Garivier and Cappe 2011, Theorem 2; Cappe,
Garivier, Maillard, Munos and Stoltz 2013): ``limsup R_T / ln T <= sum_o Delta_o / kl(mu_o, mu*)``,
the Graves-Lai constant of this structure (:func:`bandits.theory.graves_lai`), plus the K first
pulls, which do not grow with T. Deterministic maps with rewards in [0, 1] only.
"""

import numpy as np
from numba import njit

from .base import Param, define_agent
from .kl_ucb import kl_upper


@njit(cache=True)
def init(K, m, params):
    # N_o, S_o, phi (first outcome seen, -1 none), per-outcome index (scratch)
    return (np.zeros(m), np.zeros(m), np.full(K, -1, np.int64), np.zeros(m))


@njit(cache=True)
def index(state, t, params, out):
    n_o, s_o, phi, value = state
    budget = np.log(max(t, 1))
    if t >= 3 and params[0] != 0.0:
        budget += params[0] * np.log(np.log(t))
    for o in range(value.shape[0]):
        value[o] = kl_upper(s_o[o] / n_o[o], budget / n_o[o]) if n_o[o] > 0 else np.inf
    for a in range(out.shape[0]):
        out[a] = value[phi[a]] if phi[a] >= 0 else np.inf


@njit(cache=True)
def update(state, arm, outcome, reward, params):
    n_o, s_o, phi = state[0], state[1], state[2]
    n_o[outcome] += 1.0
    s_o[outcome] += reward
    if phi[arm] < 0:
        phi[arm] = outcome


def _requires(instance):
    if not instance.deterministic:
        return "outcome KL-UCB needs a deterministic map (it pools each arm's rewards into its one outcome)"
    if instance.rewards == "gaussian":
        return "Bernoulli KL-UCB needs rewards in [0, 1], not Gaussian rewards"
    return None


outcome_kl_ucb = define_agent("outcome_kl_ucb", init=init, index=index, update=update, requires=_requires,
                              params={"c": Param(0.0, "weight of the ln ln t term", low=0.0)}, doc=__doc__)
