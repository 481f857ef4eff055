"""Bernoulli KL-UCB (Garivier and Cappe 2011), arm control (docs/theory.md section 1, "Control regimes").

Each arm once, then ``argmax_a max{q in [mean_a, 1] : N_a kl(mean_a, q) <= ln t + c ln ln t}``
with ``kl`` the Bernoulli Kullback-Leibler divergence; ``ln ln t`` is taken as 0 for ``t < 3``.
The upper bound is found by Newton's method started from an upper bound of the root (Pinsker's
bound, or a tighter one, see ``_newton_start``), so the iterates decrease to it; it stops on a
proved bracket of width 1e-13 in ``q`` (:func:`kl_upper_with_kl`); rewards must lie in [0, 1].

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
  or, right after a pull, one from ``kl(p, q) <= (q - p)^2 / (2 min x (1 - x))`` (see
  :func:`_fresh_bounds`).

Arms with the same statistics ``(N_a, S_a)`` have bit-identical indices, so they are handled
as one group (named by its first arm): bounds ``[max lb, min ub]`` over its arms, one solve,
one written score. The largest group lower bound ``L`` is below the winning index, so a group
with upper bound below ``L`` cannot win: it is not solved and its lower bound is written as the
score of its arms. When only one group can reach ``L`` it is the winner, and its lower bound is
written for its arms instead of its index. Bounds carry margins for the Newton tolerance and
rounding. In the common case one group is certified this way in three passes over the arms,
with no solve at all (:func:`_certified`).

Ties. The engine breaks ties at random and draws a random number whenever a score equals the
running maximum of the scores before it, so the scan of the written scores must meet the same
ties as the scan of the exact indices. Exact ties come from the arms of one group, from the
index 1 (mean 1; near 1 the index is capped) and from unpulled arms (+inf). Groups whose index
may be capped are solved. At the second and later arms of a group the engine draws iff no
earlier arm has a larger index; unless an earlier lower bound is already above the group's
upper bound, every earlier group must compare with this one the same way written as exactly
(both solved, or one's interval misses the other's), else they are solved. The one assumption:
arms with different statistics never have bit-identical indices or bounds below the cap, a
coincidence of rounding (the test runs never met one).

Batches. Inside a round the engine calls ``index`` again with the same ``t`` and no update in
between; those calls return the memoised full scores (the arms not solved at the first call
are solved at the second), so the batch penalty sees exact indices wherever it acts. It acts
from the second index call of a round on: a penalty needs a pull placed earlier in the round by
the index (pulls of the initial each-arm-once phase are of arms never pulled, which predict no
outcome), and every index call after an update is the first of its round.
"""

import numpy as np
from numba import njit

from .base import Param, define_agent

_CAP = 1.0 - 1e-12
_TIE_PRONE = 1.0 - 1e-11   # an upper bound this close to 1: the index may be a capped value
_MARGIN = 1e-8             # relative margin of the tangent bounds (Newton tolerance, rounding)
_Q_TOL = 1e-13             # kl_upper's proved tolerance in q


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
def _newton_start(p, level):
    """An upper bound of the root of ``kl(p, q) = level`` (0 < p < 1), as tight as is cheap.

    ``kl(p, q) >= (q - p)^2 / (2 max x (1 - x))`` over ``x`` in ``[p, q]``. For ``p >= 1/2`` the max
    is ``p (1 - p)``: ``q <= p + sqrt(2 level p (1 - p))``. For ``p < 1/2`` and a root ``<= 1/2`` it
    is ``q (1 - q)``: the larger root of ``(q - p)^2 = 2 level q (1 - q)`` (if that root is above
    1/2, so is Pinsker's bound ``p + sqrt(level / 2)``, the max 1/4, and so the true root is above
    1/2: then ``kl(p, q) >= -h(p) - (1 - p) ln(1 - q)``, ``h`` the entropy, bounds it too)."""
    if p >= 0.5:
        return min(p + np.sqrt(2.0 * level * p * (1.0 - p)), _CAP)
    s = p + level
    q = (s + np.sqrt(s * s - (1.0 + 2.0 * level) * p * p)) / (1.0 + 2.0 * level)
    if q <= 0.5:
        return q
    h = -p * np.log(p) - (1.0 - p) * np.log1p(-p)
    return min(p + np.sqrt(level / 2.0), -np.expm1(-(level + h) / (1.0 - p)), _CAP)


@njit(cache=True, inline="always")
def kl_upper_with_kl(p, level):
    """(q, kl(p, q)): the largest q in [p, 1] with kl(p, q) <= level (capped at 1 - 1e-12), to
    within ``_Q_TOL`` in q, and the divergence at the returned q (NaN if Newton's method stopped
    on its iteration limit).

    Newton's method on ``f(q) = kl(p, q) - level``, convex and increasing on [p, 1), from an upper
    bound of the root (``_newton_start``): every iterate stays above the root. Once a step
    predicts the next error below ``_Q_TOL`` (error ~ step^2 f'' / (2 f')), the bracket is proved:
    if ``f(q - _Q_TOL) <= 0`` the root lies in ``[q - _Q_TOL, q]`` and q is returned (with ``level``
    as its divergence, exact to ``_Q_TOL`` times the slope); else ``q - _Q_TOL`` is a better point
    above the root and the iteration goes on from it. An iterate at which ``f <= 0`` (the root,
    up to rounding) is returned as it is."""
    if p >= 1.0:
        return 1.0, 0.0
    if p <= 0.0:
        return 1.0 - np.exp(-level), level   # kl(0, q) = -ln(1 - q)
    q = _newton_start(p, level)
    for _ in range(60):
        f = kl_bernoulli(p, q) - level
        if f <= 0.0:
            return q, f + level
        step = f * q * (1.0 - q) / (q - p)    # f'(q) = (q - p) / (q (1 - q))
        q -= step
        if step * step * (q * q - 2.0 * p * q + p) <= _Q_TOL * q * (1.0 - q) * (q - p):
            lo = max(q - _Q_TOL, p)
            if kl_bernoulli(p, lo) <= level:
                return q, level
            q = lo
    return q, np.nan


@njit(cache=True)
def kl_upper(p, level):
    """The largest q in [p, 1] with kl(p, q) <= level."""
    return kl_upper_with_kl(p, level)[0]


# rows of the work array: per arm, the tangent bound (A, B) and the lower bound since its last
# solve; its score and whether that is its exact index; the number of other arms with the same
# statistics; this pull's upper and lower bounds; per group (at its first arm) its bounds,
# whether it is solved and its index
TAN_A, TAN_B, LOWER, SCORE, EXACT, DUP, UB, LB, GUB, GLB, SOLVED, VALUE = range(12)
# then the statistics, the first arm of each arm's group of equal statistics, and (in column 0)
# the t of the memoised scores and whether an update came since
COUNT, SUM, MEAN, LEADER, MEMO_T, MEMO_CHANGED = range(12, 18)
# the window (column 0; see _open_window): its winner (-1: none), its last t, the largest upper
# bound of the other arms over it, and their largest count
WIN_ARM, WIN_T1, WIN_U, WIN_MAXN = range(18, 22)
# per group (at its first arm), the upper bound used by the window: A + budget B, or the fresh
# bound p + sqrt(budget / (2 N)) + 1e-9 when B < 0
GA, GB = 22, 23
ROWS = 24


@njit(cache=True)
def init(K, m, params):
    # the whole state is one 2-D array: every array handed to a compiled helper costs two
    # atomic reference-count updates per call where Numba cannot prune them (code with
    # branches, see base.py), which measured more than the index itself
    W = np.zeros((ROWS, K))
    W[TAN_A, :] = np.inf
    W[LOWER, :] = -np.inf
    W[MEAN, :] = np.inf
    W[DUP, :] = K - 1.0                   # every arm starts with the statistics (0, 0)
    W[MEMO_T, 0] = -1.0
    W[MEMO_CHANGED, 0] = 1.0
    W[WIN_ARM, 0] = -1.0
    return (W,)


@njit(cache=True)
def _solve(W, a, budget):
    """The exact index of arm ``a`` (as the unpruned index computes it); refresh its bounds."""
    n = W[COUNT, a]
    p = W[MEAN, a]
    q, klq = kl_upper_with_kl(p, budget / n)
    W[SCORE, a] = q
    W[EXACT, a] = 1.0
    if q - p > 1e-6 and q < 1.0 - 1e-9 and klq == klq:
        g = q * (1.0 - q) / (q - p)           # d u / d level at the solved point
        W[TAN_A, a] = q - klq * g + _MARGIN * (g + 1.0)
        W[TAN_B, a] = g / n
        W[LOWER, a] = q - _MARGIN * (g + 1.0)
    else:
        W[TAN_A, a] = 1.0 if p >= 1.0 else np.inf
        W[TAN_B, a] = 0.0
        W[LOWER, a] = q - _MARGIN if p >= 1.0 else p - _MARGIN
    return q


@njit(cache=True)
def _solve_group(W, g, budget):
    """Solve group ``g`` (its first arm); every arm of the group has this index."""
    if W[SOLVED, g] == 0.0:
        W[VALUE, g] = _solve(W, g, budget)
        W[SOLVED, g] = 1.0
    return W[VALUE, g]


@njit(cache=True)
def _consistent(W, g, h):
    """Whether groups ``g`` and ``h`` compare the same way written as they do exactly: both
    solved, or the interval of one (its written score is its lower bound) misses the other."""
    lo_g, hi_g = (W[VALUE, g], W[VALUE, g]) if W[SOLVED, g] > 0.0 else (W[GLB, g], W[GUB, g])
    lo_h, hi_h = (W[VALUE, h], W[VALUE, h]) if W[SOLVED, h] > 0.0 else (W[GLB, h], W[GUB, h])
    return (W[SOLVED, g] > 0.0 and W[SOLVED, h] > 0.0) or hi_g < lo_h or hi_h < lo_g


@njit(cache=True, inline="always")
def _fresh_bounds(p, level):
    """(upper, lower) bounds of kl_upper(p, level) for an arm not solved since its last pull.

    Upper: Pinsker's ``p + sqrt(level / 2)`` (kl(p, q) >= 2 (q - p)^2).
    Lower: ``kl(p, q) <= (q - p)^2 / (2 min x (1 - x))`` over [p, q], and x (1 - x) >= p (1 - p)
    - d max(0, 2p - 1) - d^2 on [p, p + d], so ``q = p + sqrt(2 level m)`` with that m is
    feasible, and ``sqrt(X - Y) >= sqrt(X) - Y / sqrt(X)`` leaves one square root:
    ``p + d - 2 level (max(0, 2p - 1) + d)``, ``d = sqrt(2 level p (1 - p))``."""
    d = np.sqrt(2.0 * level * p * (1.0 - p))
    return (p + np.sqrt(level / 2.0) + 1e-9,
            p + d - 2.0 * level * (max(0.0, 2.0 * p - 1.0) + d) - 1e-9)


@njit(cache=True, inline="always")
def _budget(t, c):
    """ln t + c ln ln t (ln ln t taken as 0 for t < 3); with c = 0 the second logarithm is
    skipped, which changes nothing: c ln ln t is then exactly 0 (ln ln t is finite for t >= 3)."""
    budget = np.log(max(t, 1))
    if t >= 3 and c != 0.0:
        budget += c * np.log(np.log(t))
    return budget


@njit(cache=True, inline="always")
def _fresh_lower(p, level):
    """The lower bound of :func:`_fresh_bounds` alone (one square root)."""
    d = np.sqrt(2.0 * level * p * (1.0 - p))
    return p + d - 2.0 * level * (max(0.0, 2.0 * p - 1.0) + d) - 1e-9


# ---------------------------------------------------------------- the index, by the cases it meets

@njit(cache=True)
def index(state, t, params, out):
    # the work happens in a function of plain arrays: unpacking the state tuple inside code
    # with branches and loops would leave reference-count updates in it (see base.py)
    _index(state[0], t, params[0], out)


@njit(cache=True)
def _index(W, t, c, out):
    """The scores at ``t``: the memo of this round (:func:`_memo_scores`), the open window's
    winner (:func:`_window_holds`), every index (budget <= 0: :func:`_all_solved`), the
    certified winner (:func:`_certified`, then :func:`_open_window`), or the general pruned
    computation (:func:`_pruned`)."""
    budget = _budget(t, c)
    if W[MEMO_CHANGED, 0] == 0.0 and W[MEMO_T, 0] == t:
        _memo_scores(W, budget, out)
        return
    W[MEMO_T, 0], W[MEMO_CHANGED, 0] = t, 0.0
    if _window_holds(W, t, budget, out):
        return
    if budget <= 0.0:                          # every index equals its mean: no pruning
        _all_solved(W, budget, out)
        return
    if _certified(W, budget, out):
        _open_window(W, t, c, budget)
        return
    W[WIN_ARM, 0] = -1.0
    _pruned(W, budget, out)


@njit(cache=True)
def _memo_scores(W, budget, out):
    """The same round: the memoised scores, with the pruned arms solved now."""
    for a in range(out.shape[0]):
        if W[EXACT, a] == 0.0:
            _solve(W, a, budget)
            W[WIN_ARM, 0] = -1.0           # scores exact at this t: no window past it
        out[a] = W[SCORE, a]


@njit(cache=True, inline="always")
def _window_holds(W, t, budget, out):
    """The window of the last certified verdict (see :func:`_open_window`): only its winner
    ``w`` was pulled since (see _update), so it wins alone if its fresh lower bound is above the
    others' bound U; then its score is that bound and the others keep theirs (True). Else the
    window closes (False)."""
    w = np.int64(W[WIN_ARM, 0])
    if w < 0:
        return False
    if t <= W[WIN_T1, 0]:
        lb = _fresh_lower(W[MEAN, w], budget / W[COUNT, w])
        if lb > W[WIN_U, 0]:
            W[SCORE, w] = lb
            for a in range(out.shape[0]):
                out[a] = W[SCORE, a]
            return True
    W[WIN_ARM, 0] = -1.0
    return False


@njit(cache=True)
def _all_solved(W, budget, out):
    """Budget <= 0 (t = 1): every index, exactly (+inf for an unpulled arm)."""
    for a in range(out.shape[0]):
        out[a] = _solve(W, a, budget) if W[COUNT, a] > 0 else np.inf
        W[EXACT, a] = 1.0
        W[SCORE, a] = out[a]


# ---------------------------------------------------------------- the certified winner

@njit(cache=True)
def _certified(W, budget, out):
    """The common case, in four passes and no solve: one group's lower bound is above every
    other group's upper bound (``_certified_winner``), no index can be capped, and the ties
    inside groups are settled by the bounds alone (``_write_certified``). Then every arm is
    written as its group's lower bound (True); else nothing is decided here (False) and ``_index``
    takes the general way."""
    if not _certified_bounds(W, budget):
        return False
    w = _certified_winner(W)
    if w < 0:
        return False
    W[WIN_ARM, 0] = w
    return _write_certified(W, out)


@njit(cache=True, inline="always")
def _pulled_bounds(W, a, budget):
    """Upper and lower bounds of pulled arm ``a``'s index at ``budget``: its tangent and last solved
    value once solved since its last pull, else :func:`_fresh_bounds`."""
    if W[TAN_A, a] < np.inf:
        return W[TAN_A, a] + budget * W[TAN_B, a], W[LOWER, a]
    return _fresh_bounds(W[MEAN, a], budget / W[COUNT, a])


@njit(cache=True)
def _certified_bounds(W, budget):
    """Each group's bounds ``[max lb, min ub]`` over its arms into GLB, GUB (an arm's bounds: its
    tangent and last solved value, or :func:`_fresh_bounds`); False (and stop) at an unpulled arm."""
    for a in range(W.shape[1]):
        n = W[COUNT, a]
        if n == 0.0:
            return False
        ub, lb = _pulled_bounds(W, a, budget)
        g = np.int64(W[LEADER, a])                       # g <= a: a group's first arm comes first
        if g == a:
            W[GUB, a], W[GLB, a] = ub, lb
        else:
            W[GUB, g] = min(W[GUB, g], ub)
            W[GLB, g] = max(W[GLB, g], lb)
    return True


@njit(cache=True)
def _certified_winner(W):
    """The group with the largest lower bound (the first of equal ones) if that bound is above
    every other group's upper bound and no upper bound is tie-prone (an index may be capped:
    ties by value); else -1."""
    w, low = -1, -np.inf
    u1, u1_arm, u2 = -np.inf, -1, -np.inf       # the two largest upper bounds, of two groups
    top_ub = -np.inf
    for a in range(W.shape[1]):
        if np.int64(W[LEADER, a]) == a:
            ub = W[GUB, a]
            top_ub = max(top_ub, ub)
            if W[GLB, a] > low:
                w, low = a, W[GLB, a]
            if ub > u1:
                u1, u1_arm, u2 = ub, a, u1
            elif ub > u2:
                u2 = ub
    if top_ub >= _TIE_PRONE or (u2 if u1_arm == w else u1) >= low:
        return -1
    return w


@njit(cache=True)
def _write_certified(W, out):
    """Every arm's score is its group's lower bound, if the ties inside groups (as in
    :func:`_settle_ties`, without solving) are settled by the bounds: at the second and later
    arms of a group, an earlier score above the group's upper bound, or every earlier group's
    interval disjoint from this one's. Scores are written on the way; False at the first pair
    that is not settled."""
    prefix = -np.inf
    for d in range(W.shape[1]):
        g = np.int64(W[LEADER, d])
        if g != d and not prefix > W[GUB, g]:
            for j in range(d):
                h = np.int64(W[LEADER, j])
                if h != g and not (W[GUB, h] < W[GLB, g] or W[GUB, g] < W[GLB, h]):
                    return False
        v = W[GLB, g]
        prefix = max(prefix, v)
        W[SCORE, d] = v
        W[EXACT, d] = 0.0
        out[d] = v
    return True


# ---------------------------------------------------------------- the window

@njit(cache=True)
def _group_ub(W, g, budget):
    """The window's upper bound of group ``g``'s index at ``budget`` (see GA, GB)."""
    if W[GB, g] >= 0.0:
        return W[GA, g] + budget * W[GB, g]
    return W[MEAN, g] + np.sqrt(budget / W[COUNT, g] / 2.0) + 1e-9


@njit(cache=True)
def _group_hit(W, g, x):
    """The budget at which the upper bound of group ``g`` reaches ``x`` (-inf: it is there already,
    +inf: never). Both forms increase with the budget."""
    if W[GB, g] > 0.0:
        return (x - W[GA, g]) / W[GB, g]
    if W[GB, g] == 0.0:
        return np.inf if W[GA, g] < x else -np.inf
    d = x - 1e-9 - W[MEAN, g]
    return 2.0 * W[COUNT, g] * d * d if d > 0.0 else -np.inf


@njit(cache=True)
def _open_window(W, t, c, budget):
    """After :func:`_certified` succeeded at ``t`` (winner ``w = W[WIN_ARM]``, its lower bound
    ``L``), try to keep its verdict over the pulls ``t .. t1`` during which only ``w`` is pulled.

    Every index increases with the budget, so over ``t .. t1`` the written scores (lower bounds
    at ``t``) stay below the indices, and upper bounds at the budget ``b1`` of ``t1`` bound them
    from above. If the other groups' largest upper bound at ``b1`` (``U``) is below ``L`` and the
    tie-prone zone, and the ties inside groups are settled by the bounds at ``b1`` (as in
    :func:`_certified`), then at any later call of the window ``w``, just pulled, wins alone
    whenever its fresh lower bound exceeds ``U`` (:func:`_window_holds`: one logarithm and one
    square root). Pairs with ``w`` need no check then: its score is above every other upper bound.

    ``t1``: the budget at which each of these conditions would first fail is found from the
    bounds (linear, or a square root, in the budget: :func:`_window_hits`,
    :func:`_window_tie_hits`); ``b1`` goes half-way to the first failure of ``U < L`` (``w``'s
    lower bound moves with its pulls) and 9/10 of the way to the others (:func:`_window_end`),
    then every condition is checked again at ``b1`` (:func:`_others_ub`,
    :func:`_window_ties_hold`). Sets ``W[WIN_ARM]`` to -1 when no window opens."""
    w = np.int64(W[WIN_ARM, 0])
    L = W[GLB, w]
    if W[DUP, w] > 0.0:                     # the winner must be alone in its group
        W[WIN_ARM, 0] = -1.0
        return
    groups, maxn = _window_bounds(W, w)
    b_win, b_other = _window_hits(W, w, L)
    if groups:
        settled, b_other = _window_tie_hits(W, w, budget, b_other)
        if not settled:
            W[WIN_ARM, 0] = -1.0
            return
    b1 = min(budget + 0.5 * (b_win - budget), budget + 0.9 * (b_other - budget))
    if not b1 > budget:
        W[WIN_ARM, 0] = -1.0
        return
    t1, b1 = _window_end(t, c, b1)
    U = _others_ub(W, w, b1)
    if not (U < _TIE_PRONE and U < L) or (groups and not _window_ties_hold(W, w, b1)):
        W[WIN_ARM, 0] = -1.0
        return
    W[WIN_T1, 0], W[WIN_U, 0], W[WIN_MAXN, 0] = t1, U, maxn


@njit(cache=True)
def _window_bounds(W, w):
    """Each group's window bound (GA, GB): a tangent if one of its arms has one (the first such
    arm's), else the fresh bound (GB = -1). Returns (whether any group has two arms or more, the
    largest count of the arms other than ``w``)."""
    groups = False
    maxn = 0.0
    for a in range(W.shape[1]):
        g = np.int64(W[LEADER, a])          # a group's first arm comes first
        groups |= W[DUP, a] > 0.0
        if a != w:
            maxn = max(maxn, W[COUNT, a])
        if W[TAN_A, a] < np.inf:
            if g == a or W[GB, g] < 0.0:
                W[GA, g], W[GB, g] = W[TAN_A, a], W[TAN_B, a]
        elif g == a:
            W[GA, g], W[GB, g] = 0.0, -1.0
    return groups, maxn


@njit(cache=True)
def _window_hits(W, w, L):
    """(the smallest budget at which another group's upper bound reaches ``L``, the smallest at
    which one reaches the tie-prone zone)."""
    b_win, b_other = np.inf, np.inf
    for g in range(W.shape[1]):
        if g != w and np.int64(W[LEADER, g]) == g:
            b_win = min(b_win, _group_hit(W, g, L))
            b_other = min(b_other, _group_hit(W, g, _TIE_PRONE))
    return b_win, b_other


@njit(cache=True)
def _window_tie_hits(W, w, budget, b_other):
    """The ties inside groups before ``w`` (after it, ``w``'s score is above every other bound),
    as :func:`_write_certified` settles them but with the window's bounds at ``budget``:
    (False, _) if one is not settled now, else (True, ``b_other`` lowered to the first budget at
    which a settling comparison would stop holding)."""
    prefix = -np.inf                        # the largest score written before d, w's aside
    for d in range(W.shape[1]):
        g = np.int64(W[LEADER, d])
        if g != d and d < w:
            if prefix > _group_ub(W, g, budget):
                b_other = min(b_other, _group_hit(W, g, prefix))
            else:
                settled, b_other = _pair_hits(W, g, d, budget, b_other)
                if not settled:
                    return False, b_other
        if d != w:
            prefix = max(prefix, W[GLB, g])
    return True, b_other


@njit(cache=True)
def _pair_hits(W, g, d, budget, b_other):
    """Group ``g`` against the groups of the arms before ``d``: each pair's intervals disjoint at
    ``budget`` (True, ``b_other`` lowered to the budget at which the lower one's upper bound reaches
    the other's lower bound), or (False, _) at the first pair that overlaps."""
    for j in range(d):
        h = np.int64(W[LEADER, j])
        if h != g:
            if _group_ub(W, h, budget) < W[GLB, g]:
                b_other = min(b_other, _group_hit(W, h, W[GLB, g]))
            elif _group_ub(W, g, budget) < W[GLB, h]:
                b_other = min(b_other, _group_hit(W, g, W[GLB, h]))
            else:
                return False, b_other
    return True, b_other


@njit(cache=True)
def _window_end(t, c, b1):
    """(t1, its budget): the last ``t1 >= t`` whose budget is at most ``b1`` (t itself if none is),
    capped at 1e15; b1 > 0."""
    shift = c * np.log(np.log(max(t, 3))) if c != 0.0 else 0.0   # c ln ln t1 is at least this
    t1 = np.floor(min(np.exp(b1 - shift), 1e15))
    while t1 > t and _budget(t1, c) > b1:
        t1 -= 1.0
    return t1, _budget(t1, c)


@njit(cache=True)
def _others_ub(W, w, b1):
    """The largest window bound at budget ``b1`` of the groups other than ``w``'s (U)."""
    U = -np.inf
    for g in range(W.shape[1]):
        if g != w and np.int64(W[LEADER, g]) == g:
            U = max(U, _group_ub(W, g, b1))
    return U


@njit(cache=True)
def _window_ties_hold(W, w, b1):
    """Whether the ties inside groups before ``w`` are still settled with the window's bounds at
    budget ``b1`` (the check of :func:`_window_tie_hits`, at the window's end)."""
    prefix = -np.inf
    for d in range(W.shape[1]):
        g = np.int64(W[LEADER, d])
        if g != d and d < w and not prefix > _group_ub(W, g, b1):
            for j in range(d):
                h = np.int64(W[LEADER, j])
                if h != g and not (_group_ub(W, h, b1) < W[GLB, g] or _group_ub(W, g, b1) < W[GLB, h]):
                    return False
        if d != w:
            prefix = max(prefix, W[GLB, g])
    return True


# ---------------------------------------------------------------- the general case

@njit(cache=True)
def _pruned(W, budget, out):
    """The general way, in seven steps: bounds of every arm and group (:func:`_arm_bounds`,
    :func:`_group_bounds`), the groups whose index may be capped solved (:func:`_solve_capped`),
    the largest lower bound (:func:`_largest_lower`), the groups that may win solved
    (:func:`_solve_contenders`), the ties inside groups settled (:func:`_settle_ties`), the group
    with the largest lower bound solved unless it wins alone, and the scores written
    (:func:`_write_scores`)."""
    _arm_bounds(W, budget)
    top = _group_bounds(W)                   # the largest exact index so far
    top = _solve_capped(W, budget, top)
    low, low_arm = _largest_lower(W, top)
    top, low = _solve_contenders(W, budget, top, low, low_arm)
    top = _settle_ties(W, budget, top)
    # 6. the group with the largest lower bound: the sole possible winner when every other
    #    index is below that bound (written as its lower bound), or a group like the others
    if low_arm >= 0 and W[SOLVED, low_arm] == 0.0 and top >= W[GLB, low_arm] and W[GUB, low_arm] >= max(low, top):
        _solve_group(W, np.int64(low_arm), budget)   # int64: one compiled signature, not a literal -1 too
    _write_scores(W, out)


@njit(cache=True)
def _arm_bounds(W, budget):
    """1. Every arm's bounds UB, LB (unpulled: +inf, exactly; solved since its last pull: its
    tangent and last solved value; else :func:`_fresh_bounds`), its group's reset."""
    for a in range(W.shape[1]):
        n = W[COUNT, a]
        W[EXACT, a] = 0.0
        W[SOLVED, a] = 0.0
        W[GUB, a], W[GLB, a] = np.inf, -np.inf
        if n == 0.0:
            W[UB, a] = W[LB, a] = np.inf
        else:
            W[UB, a], W[LB, a] = _pulled_bounds(W, a, budget)


@njit(cache=True)
def _group_bounds(W):
    """1. Every group's bounds ``[max LB, min UB]`` over its arms (a group is named by its first
    arm; an arm alone is a group of one); the group of unpulled arms is solved (+inf). Returns the
    largest exact index so far (+inf if an arm is unpulled, else -inf)."""
    top = -np.inf
    for a in range(W.shape[1]):
        g = np.int64(W[LEADER, a])
        W[GUB, g] = min(W[GUB, g], W[UB, a])
        W[GLB, g] = max(W[GLB, g], W[LB, a])
        if W[COUNT, a] == 0.0 and W[SOLVED, g] == 0.0:
            W[SOLVED, g], W[VALUE, g] = 1.0, np.inf
            top = np.inf
    return top


@njit(cache=True)
def _solve_capped(W, budget, top):
    """2. Groups whose upper bound is tie-prone (the index may be capped at or near 1) are
    solved: ties by value. Returns ``top`` raised to their indices."""
    for a in range(W.shape[1]):
        g = np.int64(W[LEADER, a])
        if g == a and W[SOLVED, g] == 0.0 and W[GUB, g] >= _TIE_PRONE:
            top = max(top, _solve_group(W, g, budget))
    return top


@njit(cache=True)
def _largest_lower(W, top):
    """3. (low, its group): the largest lower bound of an unsolved group if above ``top`` (the
    first of equal ones), else (top, -1). The winning index is at least ``low``."""
    low = top
    low_arm = -1
    for a in range(W.shape[1]):
        if np.int64(W[LEADER, a]) == a and W[SOLVED, a] == 0.0 and W[GLB, a] > low:
            low, low_arm = W[GLB, a], a
    return low, low_arm


@njit(cache=True)
def _solve_contenders(W, budget, top, low, low_arm):
    """4. Groups that may win (upper bound at least ``low``) are solved, in order, ``low`` and
    ``top`` raised to each index; the group ``low_arm`` waits for step 6. Returns (top, low)."""
    for a in range(W.shape[1]):
        if np.int64(W[LEADER, a]) == a and W[SOLVED, a] == 0.0 and a != low_arm and W[GUB, a] >= low:
            q = _solve_group(W, a, budget)
            top = max(top, q)
            low = max(low, q)
    return top, low


@njit(cache=True)
def _settle_ties(W, budget, top):
    """5. Ties at the second and later arms of a group: there the engine draws a random number
    iff no earlier arm has a larger index. Unless an earlier lower bound is above the group's
    upper bound, or the group's lower bound above every earlier upper bound of another group,
    every earlier group must compare with this one the same way written as exactly
    (:func:`_make_consistent`); passes until no solve is needed. Returns ``top``."""
    changed = True
    while changed:
        changed = False
        prefix = -np.inf
        hi1, hi1_group, hi2 = -np.inf, -1, -np.inf    # the largest upper bounds so far, of two groups
        for d in range(W.shape[1]):
            g = np.int64(W[LEADER, d])
            solved = W[SOLVED, g] > 0.0
            if g != d:
                others_hi = hi2 if hi1_group == g else hi1
                if not (prefix > (W[VALUE, g] if solved else W[GUB, g])
                        or (W[VALUE, g] if solved else W[GLB, g]) > others_hi):
                    top, solves = _make_consistent(W, g, d, budget, top)
                    changed |= solves
            prefix = max(prefix, W[VALUE, g] if W[SOLVED, g] > 0.0 else W[GLB, g])
            hi = W[VALUE, g] if W[SOLVED, g] > 0.0 else W[GUB, g]
            if g == hi1_group:
                hi1 = max(hi1, hi)
            elif hi > hi1:
                hi1, hi1_group, hi2 = hi, g, hi1
            else:
                hi2 = max(hi2, hi)
    return top


@njit(cache=True)
def _make_consistent(W, g, d, budget, top):
    """Group ``g`` against the group of each arm before ``d``: where the two do not compare the
    same way written as exactly (:func:`_consistent`), solve ``g``, then the other if still needed.
    Returns (``top`` raised to the indices solved, whether any pair needed it)."""
    changed = False
    for j in range(d):
        h = np.int64(W[LEADER, j])
        if h != g and not _consistent(W, g, h):
            if W[SOLVED, g] == 0.0:
                top = max(top, _solve_group(W, g, budget))
            if not _consistent(W, g, h):
                top = max(top, _solve_group(W, h, budget))
            changed = True
    return top, changed


@njit(cache=True)
def _write_scores(W, out):
    """7. Solved groups are written as their index (and their arms take the solved arm's bounds),
    the others as their lower bound."""
    for a in range(W.shape[1]):
        g = np.int64(W[LEADER, a])
        if W[SOLVED, g] > 0.0:
            W[SCORE, a] = W[VALUE, g]
            W[EXACT, a] = 1.0
            if g != a and W[COUNT, a] > 0.0:      # equal statistics: the same bounds
                W[TAN_A, a], W[TAN_B, a], W[LOWER, a] = W[TAN_A, g], W[TAN_B, g], W[LOWER, g]
        else:
            W[SCORE, a] = W[GLB, g]
        out[a] = W[SCORE, a]


@njit(cache=True)
def update(state, arm, outcome, reward, params):
    _update(state[0], arm, reward)


@njit(cache=True)
def _update(W, arm, reward):
    old_n, old_s = W[COUNT, arm], W[SUM, arm]
    had_twins = W[DUP, arm] > 0.0
    W[COUNT, arm] += 1.0
    W[SUM, arm] += reward
    W[MEAN, arm] = W[SUM, arm] / W[COUNT, arm]
    n, s = W[COUNT, arm], W[SUM, arm]
    W[TAN_A, arm] = np.inf
    W[LOWER, arm] = -np.inf
    W[MEMO_CHANGED, 0] = 1.0
    if W[WIN_ARM, 0] == arm:
        if not had_twins and n > W[WIN_MAXN, 0]:
            return          # the window's winner, alone and counted more than any other arm: no group
    else:
        W[WIN_ARM, 0] = -1.0                  # another arm was pulled: the window closes
    K = W.shape[1]
    # the group of equal statistics the arm joins (usually none: one scan without writes)
    same, first_new = 0.0, arm
    for b in range(K):
        if (W[COUNT, b] == n) & (W[SUM, b] == s) & (b != arm):
            W[DUP, b] += 1.0
            same += 1.0
            first_new = min(first_new, b)
    if same > 0.0:
        for b in range(K):
            if (W[COUNT, b] == n) & (W[SUM, b] == s):
                W[LEADER, b] = first_new
    W[DUP, arm] = same
    W[LEADER, arm] = first_new
    # the group it leaves
    if had_twins:
        first_old = K
        for b in range(K):
            if (W[COUNT, b] == old_n) & (W[SUM, b] == old_s) & (b != arm):
                W[DUP, b] -= 1.0
                first_old = min(first_old, b)
        for b in range(K):
            if (W[COUNT, b] == old_n) & (W[SUM, b] == old_s) & (b != arm):
                W[LEADER, b] = first_old
    if same > 0.0:
        W[WIN_ARM, 0] = -1.0                  # the winner joined a group: it ties


def _requires(instance):
    if instance.rewards == "gaussian":
        return "Bernoulli KL-UCB needs rewards in [0, 1], not Gaussian rewards"
    return None


kl_ucb = define_agent(
    "kl_ucb", init=init, index=index, update=update, doc=__doc__, requires=_requires,
    params={"c": Param(0.0, "weight of the ln ln t term", low=0.0)},
)
