"""Each agent's compiled kernels against tests/naive.py on hand-built states.

The statistical cross-checks (test_agents_vs_naive.py) compare whole runs; these tests call an
agent's own ``init``, ``update`` and ``index`` on a history written by hand (unseen arms, ties,
small and large t) and compare with the naive reference:

* deterministic indices (greedy, ucb1, kl_ucb, outcome_ucb, outcome_level_ucb) exactly, with
  ``assert_allclose(rtol=1e-12)``, plus one case per agent worked out by hand in a comment;
* randomized indices (epsilon_greedy, thompson, outcome_thompson, outcome_level_thompson) through
  what is deterministic (the state after the updates, the posterior parameters) and the law of
  the scores at a fixed seed (a KS test against scipy, or against the naive sampler);
* kl_ucb's upper bound against a bisection on the Bernoulli KL, to 1e-9.

Every comparison is written once as a ``compare_*`` function taking the reference, and
``test_*_catches_*`` tests hand it a deliberately wrong reference to show it would fail.
The last tests check that the package's built-in agents and naive.py's agents are the same
set, and that editing an agent's file changes the key of its compiled run loop.
"""

import importlib
import importlib.util
import math

import numpy as np
import pytest
from numba import njit
from numpy.testing import assert_allclose
from scipy import stats

import bandits
from bandits import engine
from bandits.agents.kl_ucb import kl_upper
kl_rows = importlib.import_module("bandits.agents.kl_ucb")  # the module (the package exports the spec)

from naive import (NAIVE_AGENTS, SimpleInstance, State, index_greedy, index_kl_ucb,
                   index_outcome_level_ucb, index_outcome_thompson, index_outcome_ucb, index_ucb1,
                   kl_upper_exact)

RTOL = 1e-12
# Draws for the distribution checks (fixed seeds); a KS p-value below P_MIN fails the test.
# The wrong laws of the test_*_catches_* tests get p-values below 1e-20 at these sizes.
DRAWS, P_MIN = 4000, 1e-3


# ---------------------------------------------------------------------------------------------
# Hand-built instances and histories (arm, outcome, reward)
# ---------------------------------------------------------------------------------------------
# deterministic map phi = [0, 1, 1, 2], Bernoulli rewards
DET = dict(phi=np.array([0, 1, 1, 2]), mu=[0.2, 0.5, 0.9])
# stochastic kernel, K = 3 arms on m = 3 outcomes
KERNEL = dict(Q=np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.0, 0.0, 1.0]]), mu=[0.2, 0.5, 0.9])
# deterministic map for outcome control: outcomes 1 and 2 have two arms each
OUTCOME_MAP = dict(phi=np.array([0, 1, 1, 2, 2]), mu=[0.2, 0.5, 0.9])

HISTORIES = {
    # greedy / ucb1 / kl_ucb / thompson on DET: arm 3 unseen; arms 0 and 2 tie (mean 1/2)
    "det_ties": [(0, 0, 1.0), (0, 0, 0.0), (1, 1, 1.0), (2, 1, 0.0), (2, 1, 1.0)],
    # every arm seen once, all means equal (a full tie)
    "det_all_once": [(0, 0, 1.0), (1, 1, 1.0), (2, 1, 1.0), (3, 2, 1.0)],
    # nothing seen yet
    "empty": [],
    # the outcome_ucb hand case on KERNEL (see test_outcome_ucb_hand_case)
    "kernel": [(0, 0, 1.0), (0, 1, 0.0), (1, 1, 1.0), (1, 2, 1.0)],
    # a longer history on KERNEL: every arm seen, some outcomes of an arm never seen
    "kernel_long": [(0, 0, 1.0), (0, 1, 0.0), (0, 1, 1.0), (1, 2, 1.0), (1, 1, 0.0), (1, 0, 0.0),
                    (2, 2, 1.0), (2, 2, 0.0), (2, 2, 1.0), (0, 0, 0.0)],
}


def real_and_naive(kind, rewards="bernoulli", sigma=1.0):
    """The same instance for the package (``bandits.Instance``) and for naive.py."""
    spec = {"det": DET, "kernel": KERNEL, "outcome_map": OUTCOME_MAP}[kind]
    real = bandits.instances.from_arrays(**spec, rewards=rewards, sigma=sigma)
    return real, SimpleInstance(real.Q, real.mu, rewards=rewards, sigma=sigma)


def compiled_state(name, inst, history, values=None):
    """``init`` then one ``update`` per (arm, outcome, reward): returns (spec, state, params)."""
    spec = bandits.agents.get_spec(name)
    params = spec.prepare(inst, spec.resolve(values or {}))
    state = spec.init(inst.K, inst.m, params)
    for a, o, r in history:
        spec.update(state, a, o, r, params)
    return spec, state, params


def naive_state(inst, history):
    state = State(inst.K, inst.m)
    for a, o, r in history:
        state.update(a, o, r)
    return state


def compiled_index(spec, state, t, params, n):
    out = np.full(n, np.nan)
    spec.index(state, t, params, out)
    return out


@njit
def seed_numba(seed):
    """Numba keeps its own generator per thread: seed it from compiled code."""
    np.random.seed(seed)


def per_arm_stats(name, state):
    """``(counts, sums, means, 1/sqrt(N))`` of a per-arm agent, whatever its state's layout."""
    if name == "kl_ucb":  # one work array, statistics in named rows
        W = state[0]
        counts = W[kl_rows.COUNT]
        return counts, W[kl_rows.SUM], W[kl_rows.MEAN], np.where(counts > 0, 1 / np.sqrt(np.maximum(counts, 1)), 0.0)
    return state[:4]  # the stats tuple first (thompson then keeps its posterior constants)


def history_of(counts, sums):
    """A history of Bernoulli rewards (arm, arm, reward) with these counts and sums per arm."""
    return [(a, a, float(j < s)) for a, (n, s) in enumerate(zip(counts, sums)) for j in range(int(n))]


def set_per_arm(state, counts, sums):
    """Write large counts straight into a per-arm stats tuple (counts, sums, means, 1/sqrt(N))."""
    counts, sums = np.asarray(counts, float), np.asarray(sums, float)
    seen = counts > 0
    state[0][:], state[1][:] = counts, sums
    state[2][:] = np.where(seen, sums / np.where(seen, counts, 1.0), np.inf)
    state[3][:] = np.where(seen, 1.0 / np.sqrt(np.where(seen, counts, 1.0)), 0.0)


def naive_per_arm(K, m, counts, sums):
    state = State(K, m)
    state.N_arm[:], state.S_arm[:] = counts, sums
    return state


# ---------------------------------------------------------------------------------------------
# The state after updates: the deterministic part of every agent
# ---------------------------------------------------------------------------------------------
PER_ARM = ["greedy", "epsilon_greedy", "ucb1", "kl_ucb", "thompson"]
PER_OUTCOME = ["outcome_level_ucb", "outcome_level_thompson"]


@pytest.mark.parametrize("name", PER_ARM)
@pytest.mark.parametrize("history", ["det_ties", "det_all_once", "empty"])
def test_per_arm_state_after_updates(name, history):
    real, inst = real_and_naive("det")
    _, state, _ = compiled_state(name, real, HISTORIES[history])
    ref = naive_state(inst, HISTORIES[history])
    counts, sums, means, inv_sqrt = per_arm_stats(name, state)
    assert_allclose(counts, ref.N_arm, rtol=0)
    assert_allclose(sums, ref.S_arm, rtol=0)
    seen = ref.N_arm > 0
    assert_allclose(means[seen], ref.S_arm[seen] / ref.N_arm[seen], rtol=RTOL)
    assert np.isposinf(means[~seen]).all()              # unseen: mean +inf, 1/sqrt(N) = 0
    assert_allclose(inv_sqrt, np.where(seen, 1 / np.sqrt(np.maximum(ref.N_arm, 1)), 0.0), rtol=RTOL)


@pytest.mark.parametrize("name", PER_OUTCOME)
def test_per_outcome_state_is_keyed_by_outcome(name):
    # arms 1, 2 give outcome 1 and arms 3, 4 give outcome 2: the statistics are per outcome
    history = [(1, 1, 1.0), (2, 1, 0.0), (3, 2, 1.0), (4, 2, 1.0), (3, 2, 0.0)]
    real, inst = real_and_naive("outcome_map")
    _, state, _ = compiled_state(name, real, history)
    ref = naive_state(inst, history)
    assert len(state[0]) == inst.m
    assert_allclose(state[0], ref.N_out, rtol=0)         # [0, 2, 3]
    assert_allclose(state[1], ref.S_out, rtol=0)         # [0, 1, 2]


@pytest.mark.parametrize("name,kind", [("outcome_ucb", "kernel"), ("outcome_ucb", "det"),
                                       ("outcome_thompson", "kernel")])
def test_outcome_table_state_after_updates(name, kind):
    history = HISTORIES["kernel_long"] if kind == "kernel" else HISTORIES["det_ties"]
    real, inst = real_and_naive(kind)
    _, state, params = compiled_state(name, real, history)
    ref = naive_state(inst, history)
    assert_allclose(state[0], ref.N_out, rtol=0)         # N_o
    assert_allclose(state[1], ref.S_out, rtol=0)         # S_o
    counts_per_arm = state[9] if name == "outcome_thompson" else state[2]  # after thompson's posterior constants
    assert_allclose(counts_per_arm, ref.counts, rtol=0)  # outcome counts per arm
    if name == "outcome_ucb":
        assert_allclose(state[3], ref.N_arm, rtol=0)     # N_a
        assert params[1] == (1.0 if kind == "det" else 0.0)   # the deterministic-instance flag


# ---------------------------------------------------------------------------------------------
# greedy
# ---------------------------------------------------------------------------------------------
def compare_greedy(reference, history="det_ties", t=5):
    real, inst = real_and_naive("det")
    spec, state, params = compiled_state("greedy", real, HISTORIES[history])
    got = compiled_index(spec, state, t, params, inst.K)
    assert_allclose(got, reference(inst, naive_state(inst, HISTORIES[history]), t, {}, None), rtol=RTOL)
    return got


@pytest.mark.parametrize("history", ["det_ties", "det_all_once", "empty"])
def test_greedy_index_matches_naive(history):
    compare_greedy(index_greedy, history, t=len(HISTORIES[history]))


def test_greedy_hand_case():
    # det_ties: arm 0 rewards (1, 0), arm 1 (1), arm 2 (0, 1), arm 3 unseen -> [1/2, 1, 1/2, +inf];
    # arms 0 and 2 tie exactly
    got = compare_greedy(index_greedy)
    assert_allclose(got, [0.5, 1.0, 0.5, np.inf], rtol=0)
    assert got[0] == got[2]


def test_greedy_check_catches_unseen_arm_scored_zero():
    def unseen_zero(inst, state, t, params, rng):
        return np.where(state.N_arm > 0, state.S_arm / np.maximum(state.N_arm, 1), 0.0)
    with pytest.raises(AssertionError):
        compare_greedy(unseen_zero)


# ---------------------------------------------------------------------------------------------
# ucb1
# ---------------------------------------------------------------------------------------------
UCB1_STATES = {
    "hand": ([1, 2, 4], [1, 1, 3]),
    "unseen_and_ties": ([0, 3, 3, 5, 0], [0, 2, 2, 1, 0]),
    "large": ([10**6, 2 * 10**6, 1], [3 * 10**5, 1.5 * 10**6, 0]),
}


def compare_ucb1(reference, state_name="hand", t=7, alpha=2.0):
    counts, sums = UCB1_STATES[state_name]
    K = len(counts)
    real = bandits.instances.from_arrays(phi=np.arange(K), mu=np.linspace(0.1, 0.9, K))
    spec, state, params = compiled_state("ucb1", real, [], {"alpha": alpha})
    set_per_arm(state, counts, sums)
    got = compiled_index(spec, state, t, params, K)
    inst = SimpleInstance(real.Q, real.mu)
    assert_allclose(got, reference(inst, naive_per_arm(K, K, counts, sums), t, {"alpha": alpha}, None), rtol=RTOL)
    return got


@pytest.mark.parametrize("state_name", list(UCB1_STATES))
@pytest.mark.parametrize("t", [1, 2, 7, 1000, 10**12])
@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_ucb1_index_matches_naive(state_name, t, alpha):
    compare_ucb1(index_ucb1, state_name, t, alpha)


def test_ucb1_index_after_updates_matches_naive():
    real, inst = real_and_naive("det")
    for history in [HISTORIES["det_ties"], HISTORIES["det_all_once"]]:
        spec, state, params = compiled_state("ucb1", real, history, {"alpha": 1.5})
        got = compiled_index(spec, state, len(history), params, inst.K)
        want = index_ucb1(inst, naive_state(inst, history), len(history), {"alpha": 1.5}, None)
        assert_allclose(got, want, rtol=RTOL)


def test_ucb1_hand_case():
    # counts [1, 2, 4], sums [1, 1, 3], t = 7, alpha = 2: means [1, 0.5, 0.75] and
    # sqrt(2 ln 7) = 1.97276970..., divided by sqrt(N) = [1, 1.41421, 2]:
    #   [1 + 1.97276970, 0.5 + 1.39495883, 0.75 + 0.98638485] = [2.97276970, 1.89495883, 1.73638485]
    got = compare_ucb1(index_ucb1)
    assert_allclose(got, [2.972769702248751, 1.894958834179458, 1.7363848511243756], rtol=RTOL)


def test_ucb1_at_t1_is_the_mean_and_unseen_arms_are_infinite():
    # ln 1 = 0: no exploration width; an arm never pulled scores +inf for every t
    got = compare_ucb1(index_ucb1, "unseen_and_ties", t=1)
    assert_allclose(got, [np.inf, 2 / 3, 2 / 3, 0.2, np.inf], rtol=RTOL)


def test_ucb1_check_catches_log_t_plus_one():
    def ln_t_plus_1(inst, state, t, params, rng):
        return index_ucb1(inst, state, t + 1, params, rng)
    with pytest.raises(AssertionError):
        compare_ucb1(ln_t_plus_1)


# ---------------------------------------------------------------------------------------------
# kl_ucb and its upper bound
# ---------------------------------------------------------------------------------------------
KL_STATES = {
    "hand": ([2, 1, 2, 0], [0, 1, 1, 0]),
    "mixed": ([1, 5, 5, 17, 1000, 3], [0, 2, 2, 16, 731, 3]),
}


def compare_kl_ucb(reference, state_name="hand", t=4, c=0.0, ref_c=None):
    """kl_ucb computes the exact index only for arms that can win or tie (the others get a lower bound
    of their index, below the winner): compare the exact ones, bound the others, and the winners."""
    counts, sums = KL_STATES[state_name]
    K = len(counts)
    real = bandits.instances.from_arrays(phi=np.arange(K), mu=np.linspace(0.1, 0.9, K))
    # kl_ucb caches bounds per arm: its state is built by updates, not written by hand
    spec, state, params = compiled_state("kl_ucb", real, history_of(counts, sums), {"c": c})
    got = compiled_index(spec, state, t, params, K)
    inst = SimpleInstance(real.Q, real.mu)
    want = reference(inst, naive_per_arm(K, K, counts, sums), t, {"c": c if ref_c is None else ref_c}, None)
    exact = state[0][kl_rows.EXACT] == 1.0
    # naive.kl_upper bisects to 1e-9 in q, so this is the tolerance of the index comparison
    assert_allclose(got[exact], want[exact], rtol=0, atol=2e-9)
    assert (got[~exact] <= want[~exact] + 2e-9).all() and (got[~exact] < got.max()).all()
    winners = np.flatnonzero(want >= want.max() - 2e-9)
    assert set(np.flatnonzero(got == got.max())) == set(winners)
    return np.where(exact, got, np.nan)


@pytest.mark.parametrize("state_name", list(KL_STATES))
@pytest.mark.parametrize("t", [1, 2, 3, 4, 50, 5000])
@pytest.mark.parametrize("c", [0.0, 1.0, 3.0])
def test_kl_ucb_index_matches_naive(state_name, t, c):
    compare_kl_ucb(index_kl_ucb, state_name, t, c)


def test_kl_ucb_hand_case():
    # t = 4, c = 0: budget ln 4.  Arm 0 (N 2, mean 0): kl(0, q) = -ln(1 - q) = ln 4 / 2 = ln 2, q = 1/2.
    # Arm 1 (N 1, mean 1): q = 1.  Arm 2 (N 2, mean 1/2): 1/2 ln(1/(4 q (1 - q))) = ln 2, so
    # q (1 - q) = 1/16 and q = 1/2 + sqrt(3)/4 = 0.93301270...  Arm 3 unseen: +inf.
    got = compare_kl_ucb(index_kl_ucb)
    want = np.array([0.5, 1.0, 0.5 + math.sqrt(3) / 4, np.inf])
    solved = ~np.isnan(got)
    assert solved[3] and solved.sum() >= 2  # the winner and at least one competitor are solved exactly
    assert_allclose(got[solved], want[solved], rtol=0, atol=1e-9)


def test_kl_ucb_check_catches_c_not_zero():
    # the agent runs with c = 0; a reference with c = 1 adds ln ln t > 0 to the budget for t >= 3
    with pytest.raises(AssertionError):
        compare_kl_ucb(index_kl_ucb, "mixed", t=50, c=0.0, ref_c=1.0)


# the upper bound at its edge cases: mean 0 (closed form 1 - e^-level), mean 1 (q = 1), mean
# close to 0 or 1, N = 1 with small and huge t, large N with N <= t (as in a run), level 0
KL_MEANS = [0.0, 1e-12, 1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-12, 1.0]
KL_NT = [(1, 1), (1, 2), (1, 3), (1, 100), (1, 10**12), (2, 4), (7, 10), (100, 1000), (1000, 1000)]


def compare_kl_upper(reference, means=KL_MEANS, nts=KL_NT):
    for p in means:
        for N, t in nts:
            level = math.log(t) / N
            assert_allclose(kl_upper(p, level), reference(p, level), rtol=0, atol=1e-9,
                            err_msg=f"mean {p}, N {N}, t {t}")


def test_kl_upper_matches_bisection():
    compare_kl_upper(kl_upper_exact)


def test_kl_upper_closed_forms():
    for level in [0.0, 1e-6, 0.3, math.log(2), 5.0, 40.0]:
        assert_allclose(kl_upper(0.0, level), 1 - math.exp(-level), rtol=0, atol=1e-12)   # kl(0, q) = -ln(1 - q)
        assert kl_upper(1.0, level) == 1.0
    for p in [1e-6, 0.3, 0.5, 0.99]:
        assert_allclose(kl_upper(p, 0.0), p, rtol=0, atol=1e-12)                        # level 0: q = mean


def test_kl_upper_check_catches_pinsker_bound():
    # Pinsker's bound p + sqrt(level / 2) (the Newton start) is above the KL root, not on it
    with pytest.raises(AssertionError):
        compare_kl_upper(lambda p, level: min(p + math.sqrt(level / 2), 1.0))


@pytest.mark.parametrize("mean,n", [(0.635, 10**5), (0.315, 10**6), (0.1, 10**7)])
def test_kl_upper_to_1e9_at_large_n(mean, n):
    # kl_upper used to stop Newton at 1e-10 in kl, not in q, and was off by 2.6e-9, 8.2e-9 and
    # 1.5e-8 here (issue 9); it now stops on a proved bracket of width 1e-13 in q
    compare_kl_upper(kl_upper_exact, means=[mean], nts=[(n, n)])


# ---------------------------------------------------------------------------------------------
# outcome_ucb (with and without the deterministic-instance flag)
# ---------------------------------------------------------------------------------------------
def compare_outcome_ucb(reference, kind="kernel", history="kernel", t=4, alpha=2.0):
    real, inst = real_and_naive(kind)
    spec, state, params = compiled_state("outcome_ucb", real, HISTORIES[history], {"alpha": alpha})
    got = compiled_index(spec, state, t, params, inst.K)
    want = reference(inst, naive_state(inst, HISTORIES[history]), t, {"alpha": alpha}, None)
    assert_allclose(got, want, rtol=RTOL)
    return got


@pytest.mark.parametrize("kind,history", [("kernel", "kernel"), ("kernel", "kernel_long"), ("kernel", "empty"),
                                          ("det", "det_ties"), ("det", "det_all_once"), ("det", "empty")])
@pytest.mark.parametrize("t", [1, 4, 10, 10**9])
@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_outcome_ucb_index_matches_naive(kind, history, t, alpha):
    compare_outcome_ucb(index_outcome_ucb, kind, history, t, alpha)


def test_outcome_ucb_hand_case_stochastic_kernel():
    # KERNEL, history "kernel": arm 0 saw outcomes (0, r 1), (1, r 0); arm 1 saw (1, r 1), (2, r 1);
    # arm 2 unseen.  t = 4, alpha = 2: alpha ln t = 2.77258872.  Per outcome, mean + sqrt(alpha ln t / N_o):
    #   o0 (N 1, mean 1) 1 + 1.66510922 = 2.66510922;  o1 (N 2, mean 1/2) 0.5 + 1.17741002 = 1.67741002;
    #   o2 (N 1, mean 1) 2.66510922.
    # arm 0: (2.66510922 + 1.67741002) / 2 + sqrt(2.77258872 / 2) = 2.17125962 + 1.17741002 = 3.34866964;
    # arm 1: (1.67741002 + 2.66510922) / 2 + 1.17741002 = 3.34866964 (an exact tie); arm 2: +inf
    got = compare_outcome_ucb(index_outcome_ucb)
    assert_allclose(got, [3.3486696449309097, 3.3486696449309097, np.inf], rtol=RTOL)


def test_outcome_ucb_hand_case_deterministic_instance():
    # DET (phi = [0, 1, 1, 2]), history "det_ties" = arm 0 (o0: 1, 0), arm 1 (o1: 1), arm 2 (o1: 0, 1),
    # arm 3 unseen; t = 4, alpha = 2.  N_o = [2, 3, 0], means [1/2, 2/3, -]:
    #   o0: 0.5 + sqrt(2.77258872 / 2) = 1.67741002;  o1: 2/3 + sqrt(2.77258872 / 3) = 1.62801792.
    # The arm term is dropped (deterministic map), so index = [1.67741002, 1.62801792, 1.62801792, +inf]
    # (arms 1 and 2 share outcome 1 and tie exactly)
    got = compare_outcome_ucb(index_outcome_ucb, "det", "det_ties")
    o1 = 2 / 3 + math.sqrt(2 * math.log(4) / 3)
    assert_allclose(got, [0.5 + math.sqrt(math.log(4)), o1, o1, np.inf], rtol=RTOL)
    assert got[1] == got[2]


def test_outcome_ucb_check_catches_arm_term_kept_on_deterministic_instance():
    def keeps_arm_term(inst, state, t, params, rng):
        stochastic = SimpleInstance(inst.Q + 0.0, inst.mu)
        stochastic.deterministic = False
        return index_outcome_ucb(stochastic, state, t, params, rng)
    with pytest.raises(AssertionError):
        compare_outcome_ucb(keeps_arm_term, "det", "det_ties")


def test_outcome_ucb_check_catches_arm_term_dropped_on_stochastic_kernel():
    def drops_arm_term(inst, state, t, params, rng):
        det = SimpleInstance(inst.Q + 0.0, inst.mu)
        det.deterministic = True
        return index_outcome_ucb(det, state, t, params, rng)
    with pytest.raises(AssertionError):
        compare_outcome_ucb(drops_arm_term, "kernel", "kernel_long")


# ---------------------------------------------------------------------------------------------
# outcome_level_ucb
# ---------------------------------------------------------------------------------------------
OUTCOME_LEVEL_HISTORY = [(1, 1, 1.0), (2, 1, 0.0), (3, 2, 1.0), (4, 2, 1.0), (3, 2, 0.0)]


def compare_outcome_level_ucb(reference, history=OUTCOME_LEVEL_HISTORY, t=5, alpha=2.0):
    real, inst = real_and_naive("outcome_map")
    spec, state, params = compiled_state("outcome_level_ucb", real, history, {"alpha": alpha})
    got = compiled_index(spec, state, t, params, inst.m)
    reachable = np.ones(inst.m, dtype=bool)      # the package refuses instances with unreachable outcomes
    assert_allclose(got, reference(inst, naive_state(inst, history), t, {"alpha": alpha}, None, reachable),
                    rtol=RTOL)
    return got


@pytest.mark.parametrize("t", [1, 5, 100, 10**9])
@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_outcome_level_ucb_index_matches_naive(t, alpha):
    compare_outcome_level_ucb(index_outcome_level_ucb, t=t, alpha=alpha)
    compare_outcome_level_ucb(index_outcome_level_ucb, history=[], t=t, alpha=alpha)


def test_outcome_level_ucb_hand_case():
    # outcome 0 unseen; outcome 1: N 2, mean 1/2; outcome 2: N 3, mean 2/3.  t = 5, alpha = 2:
    # sqrt(2 ln 5) = 1.79412258, so [+inf, 0.5 + 1.79412258 / sqrt 2, 2/3 + 1.79412258 / sqrt 3]
    #                               = [+inf, 1.76863624, 1.70250382]
    got = compare_outcome_level_ucb(index_outcome_level_ucb)
    assert_allclose(got, [np.inf, 1.7686362411795196, 1.7025038200307465], rtol=RTOL)


def test_outcome_level_ucb_check_catches_statistics_per_arm():
    # a reference that (wrongly) reads per-arm statistics: the outcome of arms 3 and 4 is pooled
    def per_arm(inst, state, t, params, rng, reachable):
        wrong = State(inst.m, inst.m)
        wrong.N_out[:], wrong.S_out[:] = state.N_arm[:inst.m], state.S_arm[:inst.m]
        return index_outcome_level_ucb(inst, wrong, t, params, rng, reachable)
    with pytest.raises(AssertionError):
        compare_outcome_level_ucb(per_arm)


# ---------------------------------------------------------------------------------------------
# epsilon_greedy
# ---------------------------------------------------------------------------------------------
def greedy_rates(eps, draws=20000, seed=1):
    """On DET after "det_all_once" plus one more reward on arm 3 (arm 3 is the unique best):
    the share of calls whose scores are the means, and the share whose argmax is arm 3."""
    real, _ = real_and_naive("det")
    history = HISTORIES["det_all_once"] + [(0, 0, 0.0), (1, 1, 0.0), (2, 1, 0.0)]  # means [.5, .5, .5, 1]
    spec, state, params = compiled_state("epsilon_greedy", real, history, {"eps": eps})
    seed_numba(seed)
    out = np.empty(real.K)
    exploit = best = 0
    for _ in range(draws):
        spec.index(state, len(history), params, out)
        exploit += bool((out == state[2]).all())
        best += int(np.argmax(out)) == 3        # exploration scores are continuous: no ties
    return exploit / draws, best / draws, state


def within(rate, p, draws, z=4.5):
    return abs(rate - p) <= z * math.sqrt(p * (1 - p) / draws)


def test_epsilon_greedy_picks_the_greedy_arm_with_probability_1_minus_eps_plus_eps_over_k():
    # eps = 0.3, K = 4: the greedy arm wins with probability 1 - 0.3 + 0.3 / 4 = 0.775, and the
    # scores are the empirical means (the exploitation branch) with probability 0.7
    exploit, best, _ = greedy_rates(0.3)
    assert within(exploit, 0.7, 20000)
    assert within(best, 0.775, 20000)
    assert not within(best, 0.7, 20000)      # the check tells "1 - eps" apart from "1 - eps + eps / K"


def test_epsilon_greedy_limits_are_exact():
    # eps = 0: always the greedy index (= naive greedy's); eps = 1: never
    exploit, best, state = greedy_rates(0.0, draws=200)
    assert exploit == 1.0 and best == 1.0
    real, inst = real_and_naive("det")
    ref = naive_per_arm(inst.K, inst.m, state[0], state[1])
    assert_allclose(state[2], index_greedy(inst, ref, 7, {}, None), rtol=RTOL)   # means [.5, .5, .5, 1]
    exploit, _, _ = greedy_rates(1.0, draws=200)
    assert exploit == 0.0


# ---------------------------------------------------------------------------------------------
# thompson and outcome_level_thompson: Beta (or Normal) posteriors, checked with scipy
# ---------------------------------------------------------------------------------------------
def index_samples(spec, state, t, params, n, draws=DRAWS, seed=2):
    seed_numba(seed)
    out = np.empty(n)
    samples = np.empty((draws, n))
    for i in range(draws):
        spec.index(state, t, params, out)
        samples[i] = out
    return samples


def compare_posteriors(name, kind, history, laws, rewards="bernoulli", sigma=1.0):
    """KS test of each choice's samples against ``laws[i]`` (a frozen scipy distribution)."""
    real, _ = real_and_naive(kind, rewards=rewards, sigma=sigma)
    spec, state, params = compiled_state(name, real, history)
    samples = index_samples(spec, state, len(history), params, len(laws))
    for i, law in enumerate(laws):
        p = stats.kstest(samples[:, i], law.cdf).pvalue
        assert p > P_MIN, f"{name}, choice {i}: KS p-value {p:.2g} against {law.dist.name}{law.args}"


def test_thompson_hand_case_beta_posteriors():
    # Beta(1, 1) priors: arm 0 (N 2, S 1) -> Beta(2, 2); arm 1 (N 1, S 1) -> Beta(2, 1);
    # arm 2 (N 2, S 1) -> Beta(2, 2); arm 3 unseen -> Beta(1, 1), the uniform law
    laws = [stats.beta(2, 2), stats.beta(2, 1), stats.beta(2, 2), stats.beta(1, 1)]
    compare_posteriors("thompson", "det", HISTORIES["det_ties"], laws)


def test_thompson_gaussian_posteriors():
    # Normal(0, sigma^2) prior: posterior Normal(S / (N + 1), sigma^2 / (N + 1)); sigma = 0.5.
    # arm 0: N 2, S 0.3 -> Normal(0.1, 0.5 / sqrt 3); arm 1: N 1, S -0.4 -> Normal(-0.2, 0.5 / sqrt 2);
    # arm 2 unseen -> Normal(0, 0.5); arm 3: N 3, S 2 -> Normal(0.5, 0.25)
    history = [(0, 0, 0.1), (0, 0, 0.2), (1, 1, -0.4), (3, 2, 0.5), (3, 2, 0.7), (3, 2, 0.8)]
    laws = [stats.norm(0.1, 0.5 / math.sqrt(3)), stats.norm(-0.2, 0.5 / math.sqrt(2)), stats.norm(0, 0.5),
            stats.norm(0.5, 0.25)]
    compare_posteriors("thompson", "det", history, laws, rewards="gaussian", sigma=0.5)


def test_outcome_level_thompson_hand_case():
    # per outcome: o0 unseen -> Beta(1, 1); o1 (N 2, S 1) -> Beta(2, 2); o2 (N 3, S 2) -> Beta(3, 2)
    laws = [stats.beta(1, 1), stats.beta(2, 2), stats.beta(3, 2)]
    compare_posteriors("outcome_level_thompson", "outcome_map", OUTCOME_LEVEL_HISTORY, laws)


def test_thompson_check_catches_wrong_posterior():
    # Beta(1 + S, 1 + N) (failures counted as N instead of N - S) must be rejected
    wrong = [stats.beta(2, 3), stats.beta(2, 2), stats.beta(2, 3), stats.beta(1, 1)]
    with pytest.raises(AssertionError):
        compare_posteriors("thompson", "det", HISTORIES["det_ties"], wrong)


# ---------------------------------------------------------------------------------------------
# outcome_thompson: two-sample KS against naive.py's sampler, and the exact mean
# ---------------------------------------------------------------------------------------------
def compare_outcome_thompson(reference, history="kernel", seed=3):
    real, inst = real_and_naive("kernel")
    spec, state, params = compiled_state("outcome_thompson", real, HISTORIES[history])
    got = index_samples(spec, state, len(HISTORIES[history]), params, inst.K, seed=seed)
    rng = np.random.default_rng(seed)
    ref_state = naive_state(inst, HISTORIES[history])
    want = np.array([reference(inst, ref_state, len(HISTORIES[history]), {}, rng) for _ in range(DRAWS)])
    for a in range(inst.K):
        p = stats.ks_2samp(got[:, a], want[:, a]).pvalue
        assert p > P_MIN, f"arm {a}: two-sample KS p-value {p:.2g}"
    return got


@pytest.mark.parametrize("history", ["kernel", "kernel_long", "empty"])
def test_outcome_thompson_law_matches_naive(history):
    compare_outcome_thompson(index_outcome_thompson, history)


def test_outcome_thompson_hand_case_mean():
    # theta_o ~ Beta(1 + S_o, 1 + N_o - S_o) and q_a ~ Dirichlet(1 + counts[a]) are independent, so
    # E index_a = sum_o (1 + counts[a, o]) / (m + N_a) * (1 + S_o) / (2 + N_o).  History "kernel":
    # N_o = [1, 2, 1], S_o = [1, 1, 1]: E theta = [2/3, 1/2, 2/3].
    #   arm 0, counts [1, 1, 0]: (2/5) 2/3 + (2/5) 1/2 + (1/5) 2/3 = 0.6
    #   arm 1, counts [0, 1, 1]: (1/5) 2/3 + (2/5) 1/2 + (2/5) 2/3 = 0.6
    #   arm 2, unseen:           (2/3 + 1/2 + 2/3) / 3 = 0.61111...
    got = compare_outcome_thompson(index_outcome_thompson)
    mean, se = got.mean(axis=0), got.std(axis=0, ddof=1) / math.sqrt(len(got))
    assert (np.abs(mean - [0.6, 0.6, 11 / 18]) <= 4.5 * se).all(), (mean, se)


def test_outcome_thompson_check_catches_point_estimate_of_qhat():
    # using Qhat itself instead of a Dirichlet sample (and 1/m for an unseen arm) narrows the law
    def qhat_plugged_in(inst, state, t, params, rng):
        theta = np.array([rng.beta(1 + state.S_out[o], 1 + state.N_out[o] - state.S_out[o]) for o in range(inst.m)])
        qhat = np.where(state.N_arm[:, None] > 0, state.qhat(), 1.0 / inst.m)
        return qhat @ theta
    with pytest.raises(AssertionError):
        compare_outcome_thompson(qhat_plugged_in, "kernel_long")


# ---------------------------------------------------------------------------------------------
# The control agents uniform and oracle
# ---------------------------------------------------------------------------------------------
def test_uniform_plays_every_arm_equally_often_whatever_it_saw():
    real, _ = real_and_naive("det")
    spec, state, params = compiled_state("uniform", real, HISTORIES["det_ties"])
    assert not spec.each_once
    samples = index_samples(spec, state, 5, params, real.K, draws=8000)
    rng = np.random.default_rng(0)  # the engine breaks ties uniformly at random, as naive.argmax_random does
    picks = [rng.choice(np.flatnonzero(row == row.max())) for row in samples]
    counts = np.bincount(picks, minlength=real.K)
    assert stats.chisquare(counts).pvalue > P_MIN


def test_oracle_scores_argmax_are_the_best_arms():
    # theta = [0.2, 0.5, 0.5, 0.9, 0.9]: best arms 3 and 4 (a tie, broken by the engine)
    real = bandits.instances.from_arrays(phi=np.array([0, 1, 1, 2, 2]), mu=[0.2, 0.5, 0.9])
    spec, state, params = compiled_state("oracle", real, [(0, 0, 1.0), (1, 1, 1.0)])
    samples = index_samples(spec, state, 2, params, real.K, draws=50)
    best = np.flatnonzero(real.theta == real.theta.max())
    for row in samples:
        assert set(np.flatnonzero(row == row.max())) <= set(best)


# ---------------------------------------------------------------------------------------------
# Registered agents and naive.py's agents are the same set
# ---------------------------------------------------------------------------------------------
def is_builtin(spec):
    """Defined inside the package.  (Code run with ``exec`` in a bare namespace, as
    test_readme.py does with the README's ``my_ucb``, has ``__module__`` None.)"""
    return all((fn.py_func.__module__ or "").startswith("bandits.") for fn in (spec.init, spec.index, spec.update))


def builtin_agents():
    """Registered agents defined inside the package (tests and READMEs may register their own)."""
    return {name for name, spec in bandits.agents.registered().items() if is_builtin(spec)}


def test_every_builtin_agent_has_a_naive_reference_and_back():
    builtins = builtin_agents()
    assert builtins <= set(NAIVE_AGENTS), f"agents without a reference in tests/naive.py: {builtins - set(NAIVE_AGENTS)}"
    assert builtins == set(NAIVE_AGENTS), f"naive.py implements agents the package does not register: " \
                                          f"{set(NAIVE_AGENTS) - builtins}"


def test_builtin_filter_ignores_agents_defined_outside_the_package():
    ucb1 = bandits.agents.get_spec("ucb1")
    here = bandits.define_agent("kernel_test_agent", init=ucb1.init, index=seed_numba, update=seed_numba,
                                register=False)
    namespace = {}                      # as test_readme.py runs the README's agent
    exec("from numba import njit\n@njit\ndef index(state, t, params, out):\n    out[:] = 0.0\n", namespace)
    readme = bandits.define_agent("kernel_test_agent", init=ucb1.init, index=namespace["index"],
                                  update=ucb1.update, register=False)
    assert is_builtin(ucb1) and is_builtin(bandits.agents.get_spec("outcome_level_thompson"))
    assert not is_builtin(here) and not is_builtin(readme)


# ---------------------------------------------------------------------------------------------
# Editing an agent's code changes the key of its compiled run loop
# ---------------------------------------------------------------------------------------------
AGENT_FILE = '''
import numpy as np
from numba import njit


def helper_note():
    return "{note}"


@njit
def init(K, m, params):
    return (np.zeros(K), np.zeros(K))


@njit
def index(state, t, params, out):
    for a in range(out.shape[0]):
        out[a] = {expression}


@njit
def update(state, arm, outcome, reward, params):
    state[0][arm] += 1.0
    state[1][arm] += reward
'''
ORIGINAL = dict(note="v1", expression="state[1][a] / state[0][a]")


def load_agent(path, tag):
    """Import the file as a fresh module and declare its agent (unregistered)."""
    module_spec = importlib.util.spec_from_file_location(f"kernel_test_agent_{tag}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return bandits.define_agent("edited", init=module.init, index=module.index, update=module.update, register=False)


def loop_key(spec):
    return engine.runner(spec).py_func.__name__       # the name the loop is cached under on disk


def test_editing_an_agent_changes_its_compiled_loop_key(tmp_path):
    path = tmp_path / "my_agent.py"
    path.write_text(AGENT_FILE.format(**ORIGINAL))
    first = load_agent(path, "a")
    key = loop_key(first)
    assert first.fingerprint() in key
    # unchanged file: the same key, from the same spec and from a fresh import
    assert loop_key(first) == key
    assert loop_key(load_agent(path, "b")) == key
    # an edit of the index function
    path.write_text(AGENT_FILE.format(**dict(ORIGINAL, expression="state[1][a] / state[0][a] + 1.0")))
    edited_key = loop_key(load_agent(path, "c"))
    assert edited_key != key
    # an edit of another function in the same file (index may call it)
    path.write_text(AGENT_FILE.format(**dict(ORIGINAL, note="v2")))
    assert loop_key(load_agent(path, "d")) not in (key, edited_key)
    # back to the original text: back to the original key
    path.write_text(AGENT_FILE.format(**ORIGINAL))
    assert loop_key(load_agent(path, "e")) == key


def test_builtin_loop_key_is_stable_and_per_agent():
    specs = [bandits.agents.get_spec(name) for name in ("ucb1", "outcome_level_ucb")]
    keys = [loop_key(s) for s in specs]
    assert keys == [loop_key(s) for s in specs]
    assert keys[0] != keys[1]          # same index function, different agents: different loops


def test_a_spec_imported_before_an_edit_keeps_a_key_of_its_own(tmp_path):
    path = tmp_path / "my_agent.py"
    path.write_text(AGENT_FILE.format(**ORIGINAL))
    stale = load_agent(path, "f")                        # holds the original index in memory
    path.write_text(AGENT_FILE.format(**dict(ORIGINAL, expression="1.0 - state[1][a] / state[0][a]")))
    fresh = load_agent(path, "g")                        # holds the edited index
    assert loop_key(stale) != loop_key(fresh)
