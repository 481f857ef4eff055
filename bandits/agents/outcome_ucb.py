"""Outcome UCB: the historical-exploration index with arm control (R1; docs/theory.md section 1).

Reward statistics are pooled per outcome (``N_o``, ``mean_o``) and outcomes are counted per arm
(``Qhat[a, o]``, the share of arm ``a``'s pulls that gave ``o``). Each arm once, then::

    index_a = sum_o Qhat[a, o] (mean_o + sqrt(alpha ln t / N_o)) + sqrt(alpha ln t / N_a)

Outcomes with ``Qhat[a, o] = 0`` contribute nothing. On a deterministic instance the arm's own
term ``sqrt(alpha ln t / N_a)`` is dropped once the arm has been pulled: its outcome is then known.
"""

import numpy as np
from numba import njit

from .base import Param, define_agent


def alpha_and_map(instance, values):
    """``params = [alpha, deterministic]``."""
    return [values["alpha"], 1.0 if instance.deterministic else 0.0]


@njit(cache=True)
def init(K, m, params):
    # N_o, S_o, outcome counts per arm, N_a, per-outcome optimistic value (scratch)
    return (np.zeros(m), np.zeros(m), np.zeros((K, m)), np.zeros(K), np.zeros(m))


@njit(cache=True)
def index(state, t, params, out):
    n_o, s_o, counts, n_a, value = state
    scale = params[0] * np.log(max(t, 1))
    for o in range(value.shape[0]):
        value[o] = s_o[o] / n_o[o] + np.sqrt(scale / n_o[o]) if n_o[o] > 0 else 0.0
    for a in range(out.shape[0]):
        if n_a[a] == 0:
            out[a] = np.inf
            continue
        total = 0.0
        for o in range(value.shape[0]):
            if counts[a, o] > 0:
                total += counts[a, o] * value[o]
        total /= n_a[a]
        if params[1] == 0.0:
            total += np.sqrt(scale / n_a[a])
        out[a] = total


@njit(cache=True)
def update(state, arm, outcome, reward, params):
    n_o, s_o, counts, n_a, value = state
    n_o[outcome] += 1.0
    s_o[outcome] += reward
    counts[arm, outcome] += 1.0
    n_a[arm] += 1.0


outcome_ucb = define_agent("outcome_ucb", init=init, index=index, update=update,
                           params={"alpha": Param(2.0, "exploration constant", low=0.0, low_open=True)},
                           prepare=alpha_and_map, doc=__doc__)
