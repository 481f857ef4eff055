"""Running reward statistics per key (arm or outcome), shared by the index agents.

A stats tuple is ``(counts, sums, means, inv_sqrt_counts)``, four float arrays of one length.
An unseen key has mean ``+inf`` and ``1 / sqrt(count) = 0``, so an optimistic index such as
UCB1's, ``means + width * inv_sqrt``, is ``+inf`` there without a test: a branch-free index is
one fused multiply-add per key per pull (and Numba keeps branch-free functions free of
reference-count updates, see :mod:`.base`).
"""

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def new_stats(n):
    return (np.zeros(n), np.zeros(n), np.full(n, np.inf), np.zeros(n))


@njit(cache=True, inline="always")
def add_reward(stats, key, reward):
    counts, sums, means, inv_sqrt = stats
    counts[key] += 1.0
    sums[key] += reward
    means[key] = sums[key] / counts[key]
    inv_sqrt[key] = 1.0 / np.sqrt(counts[key])


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
