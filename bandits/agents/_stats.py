"""Running reward statistics per key (arm or outcome), shared by the index agents.

A stats tuple is ``(counts, sums, means, inv_sqrt_counts)``, four float arrays of one length.
An unseen key has mean ``+inf`` and ``1 / sqrt(count) = 0``, so an optimistic index such as
UCB1's, ``means + width * inv_sqrt``, is ``+inf`` there without a test: a branch-free index is
one fused multiply-add per key per pull (and Numba keeps branch-free functions free of
reference-count updates, see :mod:`.base`).
"""

import numpy as np
from numba import njit

from ._sampling import ratio


@njit(cache=True, inline="always")
def new_stats(n):
    return (np.zeros(n), np.zeros(n), np.full(n, np.inf), np.zeros(n))


@njit(cache=True, inline="always")
def add_reward(stats, key, reward):
    """One reward at ``key``. The count is at least 1 after the increment, so the divisions are
    ``_sampling.ratio``'s (the same bits as ``/`` without Numba's test of a zero divisor, which
    measured a third of a Thompson pull: docs/guide_speed.md)."""
    counts, sums, means, inv_sqrt = stats
    counts[key] += 1.0
    sums[key] += reward
    means[key] = ratio(sums[key], counts[key])
    inv_sqrt[key] = ratio(1.0, np.sqrt(counts[key]))


@njit(cache=True)
def init_per_arm(K, m, params):
    """``init`` of the agents that keep reward statistics per arm."""
    return new_stats(K)


@njit(cache=True)
def update_per_arm(state, arm, outcome, reward, params):
    """``update`` of the agents that keep reward statistics per arm."""
    add_reward(state, arm, reward)


@njit(cache=True)
def init_per_outcome(K, m, params):
    """``init`` of the outcome-control agents: reward statistics per outcome."""
    return new_stats(m)


@njit(cache=True)
def update_per_outcome(state, arm, outcome, reward, params):
    """``update`` of the outcome-control agents."""
    add_reward(state, outcome, reward)
