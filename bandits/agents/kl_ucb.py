"""Bernoulli KL-UCB (Garivier and Cappe 2011), arm control (SPEC 3 R1).

Each arm once, then ``argmax_a max{q in [mean_a, 1] : N_a kl(mean_a, q) <= ln t + c ln ln t}``
with ``kl`` the Bernoulli Kullback-Leibler divergence; ``ln ln t`` is taken as 0 for ``t < 3``.
The upper bound is found by Newton's method started from Pinsker's bound ``p + sqrt(d / 2)``,
which lies above the root, so the iterates decrease to it (to 1e-10 in ``kl``); rewards must
lie in [0, 1].

Pruning. A Newton solve costs a few logarithms per iteration, and most arms cannot win, so
``index`` solves only where it must and plays exactly the arms the full computation would
play (same scores where it matters, same random tie-breaks; ``tests/test_kl_ucb_pruning.py``
compares whole runs with the unpruned index). Per arm it keeps bounds on its index ``u_a(b)``
as a function of the budget ``b = ln t + c ln ln t`` while the arm's statistics do not change:

* an upper bound: ``u(level)`` is concave in the level ``b / N`` (its derivative
  ``q (1 - q) / (q - p)`` decreases in ``q``), so the tangent at the last solve bounds it
  from above for every later budget: ``U_a = A_a + b B_a``, one multiply-add. Until an arm
  has been solved since its last pull, Pinsker's bound ``p + sqrt(b / (2 N))`` serves;
* a lower bound: the last solved value (``u`` increases with ``b``, and ``b`` never decreases),
  or, right after a pull, ``p + sqrt(2 (b / N) m)`` with ``m = min(p (1 - p), q1 (1 - q1))``,
  ``q1 = p + sqrt(2 (b / N) p (1 - p))`` (from ``kl(p, q) <= (q - p)^2 / (2 min x (1 - x))``).

The largest lower bound ``L`` is below the winning index, so an arm with ``U_a < L`` cannot
win: it is not solved and its lower bound is written as its score. When a single arm can reach
``L`` it is the winner, and its lower bound is written instead of its index. Bounds carry
margins for the Newton tolerance and rounding.

Ties. The engine breaks ties at random and draws a random number whenever a score equals the
running maximum of the scores before it, so the scan of the written scores must meet the same
ties as the scan of the exact indices. Exact ties come from arms with the same statistics (the
same ``(N_a, S_a)`` give bit-identical indices), from the index 1 of arms with mean 1 and from
unpulled arms (+inf). Such a tie-prone arm is solved unless an earlier arm's lower bound is
above its upper bound (then it meets no tie in either scan), and an arm written as its lower
bound must have both bounds on the same side of the index of every solved tie-prone arm after
it, or it is solved too. Arms with different statistics are taken never to have bit-identical
indices or bounds below 1: a coincidence of rounding.

Batches. Inside a round the engine calls ``index`` again with the same ``t`` and no update in
between; those calls return the memoised full scores (the pruned arms solved once, at the
second call), so the batch penalty, which acts from the second pull of a round on, sees the
exact indices. The first call of a round carries no penalty.
"""

import numpy as np
from numba import njit

from ._stats import add_reward, new_stats
from .base import Param, define_agent

_CAP = 1.0 - 1e-12
_TIE_PRONE = 1.0 - 1e-11   # an upper bound this close to 1: the index may be a capped value
_MARGIN = 1e-8             # relative margin of the tangent bounds (Newton tolerance, rounding)


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


@njit(cache=True, inline="always")
def kl_upper_with_kl(p, level):
    """(q, kl(p, q)): the largest q in [p, 1] with kl(p, q) <= level, and the divergence at
    the returned q (NaN if Newton's method stopped on its iteration limit)."""
    if p >= 1.0:
        return 1.0, 0.0
    if p <= 0.0:
        return 1.0 - np.exp(-level), level   # kl(0, q) = -ln(1 - q)
    q = min(p + np.sqrt(level / 2.0), _CAP)
    for _ in range(50):                     # f(q) = kl(p, q) - level is convex and increasing on [p, 1)
        f = kl_bernoulli(p, q) - level
        if f <= 1e-10:
            return q, f + level
        q -= f * q * (1.0 - q) / (q - p)     # f'(q) = (q - p) / (q (1 - q))
    return q, np.nan


@njit(cache=True)
def kl_upper(p, level):
    """The largest q in [p, 1] with kl(p, q) <= level."""
    return kl_upper_with_kl(p, level)[0]


@njit(cache=True)
def init(K, m, params):
    # statistics; tangent bound (A, B) and lower bound per arm; memoised scores, whether each
    # is an exact index, arms with identical statistics; [t of the memo, changed since];
    # scratch: upper and lower bounds at this pull, the solved tie-prone arms
    return new_stats(K) + (np.full(K, np.inf), np.zeros(K), np.full(K, -np.inf),
                           np.zeros(K), np.zeros(K, np.bool_), np.full(K, K - 1.0), np.array([-1.0, 1.0]),
                           np.zeros(K), np.zeros(K), np.zeros(K, np.int64))


@njit(cache=True, inline="always")
def _solve(state, a, budget):
    """The exact index of arm ``a`` (as the unpruned index computes it); refresh its bounds."""
    counts, sums, means, inv_sqrt, tan_a, tan_b, lower, score, exact, dup, memo, ub, lb, ties = state
    n = counts[a]
    p = means[a]
    q, klq = kl_upper_with_kl(p, budget / n)
    score[a] = q
    exact[a] = True
    if q - p > 1e-6 and q < 1.0 - 1e-9 and klq == klq:
        g = q * (1.0 - q) / (q - p)           # d u / d level at the solved point
        tan_a[a] = q - klq * g + _MARGIN * (g + 1.0)
        tan_b[a] = g / n
        lower[a] = q - _MARGIN * (g + 1.0)
    else:
        tan_a[a] = 1.0 if p >= 1.0 else np.inf
        tan_b[a] = 0.0
        lower[a] = q - _MARGIN if p >= 1.0 else p - _MARGIN
    return q


@njit(cache=True, inline="always")
def _straddles(state, a, n_ties):
    """Whether the bounds of arm ``a`` contain the index of a solved tie-prone arm after it."""
    score, ub, lb, ties = state[7], state[11], state[12], state[13]
    for i in range(n_ties):
        k = ties[i]
        if k > a and lb[a] <= score[k] <= ub[a]:
            return True
    return False


@njit(cache=True)
def index(state, t, params, out):
    counts, sums, means, inv_sqrt, tan_a, tan_b, lower, score, exact, dup, memo, ub, lb, ties = state
    K = out.shape[0]
    budget = np.log(max(t, 1))
    if t >= 3:
        budget += params[0] * np.log(np.log(t))
    if memo[1] == 0.0 and memo[0] == t:
        # the same round: the memoised scores, with the pruned arms solved now
        for a in range(K):
            if not exact[a]:
                _solve(state, a, budget)
            out[a] = score[a]
        return
    memo[0], memo[1] = t, 0.0
    if budget <= 0.0:                          # every index equals its mean: no pruning
        for a in range(K):
            out[a] = _solve(state, a, budget) if counts[a] > 0 else np.inf
            exact[a] = True
            score[a] = out[a]
        return
    # 1. bounds of every arm
    for a in range(K):
        n = counts[a]
        exact[a] = False
        if n == 0.0:                            # unpulled: +inf, exactly
            ub[a] = lb[a] = score[a] = np.inf
            exact[a] = True
        elif tan_a[a] < np.inf:                 # solved since its last pull: tangent bound
            ub[a] = tan_a[a] + budget * tan_b[a]
            lb[a] = lower[a]
        else:                                   # pulled since its last solve
            p = means[a]
            level = budget / n
            ub[a] = p + np.sqrt(level / 2.0) + 1e-9
            m1 = p * (1.0 - p)
            q1 = p + np.sqrt(2.0 * level * m1)
            lb[a] = p + np.sqrt(2.0 * level * min(m1, q1 * (1.0 - q1))) - 1e-9 if q1 < 1.0 else p - 1e-9
    # 2. solve the arms prone to exact ties, unless an earlier arm's lower bound is above them
    #    (then they meet no tie and do not move the running maximum, in either scan)
    n_ties = 0
    prefix = -np.inf
    top_exact = -np.inf
    for a in range(K):
        if exact[a]:
            top_exact = prefix = np.inf
            continue
        if (dup[a] > 0.0 or ub[a] >= _TIE_PRONE) and ub[a] >= prefix:
            q = _solve(state, a, budget)
            top_exact = max(top_exact, q)
            ties[n_ties] = a
            n_ties += 1
            prefix = max(prefix, q)
        else:
            prefix = max(prefix, lb[a])
    # 3. the largest lower bound: the winning index is at least `low`
    low = top_exact
    low_arm = -1
    for a in range(K):
        if not exact[a] and lb[a] > low:
            low, low_arm = lb[a], a
    # 4. solve the arms that may win, or whose bounds contain a later tie-prone arm's index;
    #    the others are written as their lower bound (below the winner, and on the same side
    #    of every tie-prone index after them as their true index)
    for a in range(K):
        if exact[a] or a == low_arm:
            continue
        if ub[a] >= low or _straddles(state, a, n_ties):
            q = _solve(state, a, budget)
            top_exact = max(top_exact, q)
            low = max(low, q)
        else:
            score[a] = lb[a]
    # 5. the arm with the largest lower bound: the sole possible winner (written as its lower
    #    bound, above every other score), or an arm like the others
    if low_arm >= 0:
        a = low_arm
        if top_exact < lb[a]:
            score[a] = lb[a]
        elif ub[a] >= low or _straddles(state, a, n_ties):
            _solve(state, a, budget)
        else:
            score[a] = lb[a]
    for a in range(K):
        out[a] = score[a]


@njit(cache=True)
def update(state, arm, outcome, reward, params):
    counts, sums, means, inv_sqrt, tan_a, tan_b, lower, score, exact, dup, memo, ub, lb, ties = state
    old_n, old_s = counts[arm], sums[arm]
    add_reward(state[:4], arm, reward)
    n, s = counts[arm], sums[arm]
    same = 0.0
    for b in range(counts.shape[0]):          # keep, per arm, the number of arms with its statistics
        if b != arm:
            if counts[b] == old_n and sums[b] == old_s:
                dup[b] -= 1.0
            if counts[b] == n and sums[b] == s:
                dup[b] += 1.0
                same += 1.0
    dup[arm] = same
    tan_a[arm] = np.inf
    lower[arm] = -np.inf
    memo[1] = 1.0


def _requires(instance):
    if instance.family == "gaussian":
        return "Bernoulli KL-UCB needs rewards in [0, 1], not Gaussian rewards"
    return None


kl_ucb = define_agent(
    "kl_ucb", init=init, index=index, update=update, doc=__doc__, requires=_requires,
    params={"c": Param(0.0, "weight of the ln ln t term", low=0.0)},
)
