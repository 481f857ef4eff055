"""Running reward statistics per key (arm or outcome), shared by the index agents.

A stats tuple is ``(counts, sums, means, inv_sqrt_counts)``, four float arrays of one length.
Keeping ``means`` and ``1 / sqrt(counts)`` up to date on each update makes an index such as
UCB1's a single fused multiply-add per key per pull.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def new_stats(n):
    return (np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n))


@njit(cache=True)
def add_reward(stats, key, reward):
    counts, sums, means, inv_sqrt = stats
    counts[key] += 1.0
    sums[key] += reward
    means[key] = sums[key] / counts[key]
    inv_sqrt[key] = 1.0 / np.sqrt(counts[key])
