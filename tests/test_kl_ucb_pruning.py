"""The pruned KL-UCB index plays exactly what the unpruned one played.

``full_index`` below is the straightforward index (every arm solved by ``kl_upper`` at every
pull: no pruning, no cached bounds, no window), the reference. Both agents run in the engine's
compiled loop on the same run seeds, with a checkpoint at every pull, so equal metric arrays mean
equal choices pull by pull (the regret path fixes the gap of every pulled arm, and the engine's
random tie-breaks and rewards stay in step only if every tie was met the same way). The reference
uses the agent's own ``kl_upper``, so the comparison is exact, bit for bit.

``kl_upper`` itself is checked against a high-precision bisection (to 1e-12 on a grid), and the
straightforward index with that bisection in place of ``kl_upper`` plays the same arms on several
runs: choices can differ from the high-precision ones only where two indices of arms with
different statistics lie within about 1e-12 of each other (none did in these runs).

``test_the_comparison_catches_*`` build variants of the agent with a deliberately wrong bound
(from its source, one line changed) and show the whole-run comparison rejects them.
"""

import importlib
import inspect
import math
import types

import numpy as np
import pytest
from numba import njit

import bandits
from bandits import engine
klmod = importlib.import_module("bandits.agents.kl_ucb")  # the module (bandits.agents.kl_ucb is the spec)
from bandits.agents._stats import init_per_arm, update_per_arm
from bandits.agents.base import define_agent
from naive import kl_upper_exact


_full_kl_upper = klmod.kl_upper


@njit
def _kl_accurate(p, q):
    """kl(p, q) with log1p of the relative gap (naive.bernoulli_kl_accurate, compiled)."""
    if q >= 1.0:
        return 0.0 if p >= 1.0 else np.inf
    d = q - p
    v = 0.0
    if p > 0.0:
        v -= p * np.log1p(d / p)
    if p < 1.0:
        v -= (1.0 - p) * np.log1p(-d / (1.0 - p))
    return v


@njit
def _bisect_kl_upper(p, level):
    """High-precision reference: bisection down to adjacent floats (naive.kl_upper_exact),
    capped like kl_upper at 1 - 1e-12."""
    if p >= 1.0:
        return 1.0
    if level <= 0.0:
        return p
    lo, hi = p, 1.0
    while True:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            return min(lo, 1.0 - 1e-12)
        if _kl_accurate(p, mid) <= level:
            lo = mid
        else:
            hi = mid


@njit
def full_index(state, t, params, out):
    counts, sums, means, inv_sqrt = state
    budget = np.log(max(t, 1))
    if t >= 3:
        budget += params[0] * np.log(np.log(t))
    for a in range(out.shape[0]):
        out[a] = _full_kl_upper(means[a], budget / counts[a]) if counts[a] > 0 else np.inf


FULL = define_agent("kl_ucb_full_reference", init=init_per_arm, index=full_index, update=update_per_arm,
                    params={"c": bandits.Param(0.0, "", low=0.0)}, register=False)


@njit
def precise_index(state, t, params, out):
    counts, sums, means, inv_sqrt = state
    budget = np.log(max(t, 1))
    if t >= 3:
        budget += params[0] * np.log(np.log(t))
    for a in range(out.shape[0]):
        out[a] = _bisect_kl_upper(means[a], budget / counts[a]) if counts[a] > 0 else np.inf


PRECISE = define_agent("kl_ucb_bisection_reference", init=init_per_arm, index=precise_index,
                       update=update_per_arm, params={"c": bandits.Param(0.0, "", low=0.0)}, register=False)


def uncached_runner(spec):
    """engine.runner's loop for ``spec``, compiled without the disk cache (for the variants below,
    whose code lives in no file: a cached loop could not be loaded by another process)."""
    from bandits.engine.loop import run_loop
    inline = {name: njit(inline="always")(fn.py_func)
              for name, fn in (("INIT", spec.init), ("INDEX", spec.index), ("UPDATE", spec.update))}
    return njit(nogil=True)(types.FunctionType(run_loop.__code__, dict(run_loop.__globals__, **inline), spec.name))


def run(spec, inst, horizon, runs, seed, batch=1, lam=0.0, c=0.0, runner=None):
    params = np.array([c])
    env = engine.environment(inst, spec.control, spec.each_once)
    seeds = np.random.default_rng(seed).integers(0, 2 ** 62, size=runs)
    env_seeds = np.random.default_rng(seed + 1).integers(0, 2 ** 63, size=runs).astype(np.uint64)
    checkpoints = np.arange(1, horizon + 1, dtype=np.int64)
    out = np.zeros((runs, len(engine.METRICS), horizon))
    (runner or engine.runner(spec))(seeds, env_seeds, params, lam, batch, horizon, checkpoints, env, out,
                                  np.zeros(1, np.int64))
    return out


def instances():
    I = bandits.instances
    rng = np.random.default_rng(3)
    return {
        "linspace10": I.from_arrays(phi=np.arange(10), mu=np.linspace(0.1, 0.9, 10), rewards="bernoulli"),
        "close100": I.from_arrays(phi=np.arange(100), mu=np.sort(rng.uniform(0.3, 0.6, 100)), rewards="bernoulli"),
        "best_first": I.from_arrays(phi=np.arange(6), mu=np.array([0.9, 0.2, 0.5, 0.85, 0.1, 0.88]), rewards="bernoulli"),
        # equal means: many exact ties between arms with the same statistics
        "twins": I.from_arrays(phi=np.arange(8), mu=np.array([0.5, 0.5, 0.5, 0.5, 0.7, 0.7, 0.02, 0.98]),
                               rewards="bernoulli"),
        "kernel": I.llm_like(K=12, m=4, zipf_s=1.0, p_correct=0.1),
        "rare": I.from_arrays(phi=np.arange(5), mu=np.array([0.0, 0.01, 0.0, 0.02, 0.05]), rewards="bernoulli"),
        "sure": I.from_arrays(phi=np.arange(4), mu=np.array([1.0, 1.0, 0.99, 0.5]), rewards="bernoulli"),
        # the benchmark's instance at K = 100, and verifiable ones at K = 100
        "linspace100": I.from_arrays(phi=np.arange(100), mu=np.linspace(0.1, 0.9, 100), rewards="bernoulli"),
        "needle100": I.needle(K=100, m=5),
        "minimax100": I.minimax_arms(K=100, eps=0.1),
    }


INST = instances()
CASES = [("linspace10", 20_000, 1, 0.0, 0.0), ("close100", 8_000, 1, 0.0, 0.0), ("best_first", 10_000, 1, 0.0, 0.0),
         ("twins", 10_000, 1, 0.0, 0.0), ("kernel", 5_000, 1, 0.0, 0.0), ("rare", 10_000, 1, 0.0, 0.0),
         ("sure", 3_000, 1, 0.0, 0.0), ("linspace10", 10_000, 1, 0.0, 3.0), ("twins", 4_000, 1, 0.0, 1.0),
         ("linspace10", 8_000, 8, 2.0, 0.0), ("twins", 4_000, 4, 1.5, 0.0), ("kernel", 4_000, 8, 0.0, 0.0),
         ("close100", 3_000, 8, 4.0, 0.0), ("linspace10", 1_000, 16, 1.0, 0.0),
         ("linspace10", 100_000, 1, 0.0, 0.0), ("linspace100", 30_000, 1, 0.0, 0.0),
         ("linspace100", 4_000, 8, 1.0, 0.0), ("needle100", 6_000, 1, 0.0, 0.0), ("needle100", 3_000, 8, 2.0, 0.0),
         ("minimax100", 6_000, 1, 0.0, 0.0), ("minimax100", 3_000, 8, 1.0, 1.0)]


@pytest.mark.parametrize("name,horizon,batch,lam,c", CASES)
def test_pruned_index_plays_the_same_arms(name, horizon, batch, lam, c):
    inst = INST[name]
    full = run(FULL, inst, horizon, 6, 17, batch, lam, c)
    pruned = run(klmod.kl_ucb, inst, horizon, 6, 17, batch, lam, c)
    assert np.array_equal(full, pruned, equal_nan=True)


def test_the_comparison_can_fail():
    # an index that breaks exact ties differently (every tie resolved to the lowest arm) is caught
    @njit
    def tie_shifted(state, t, params, out):
        full_index(state, t, params, out)
        for a in range(out.shape[0]):
            out[a] -= 1e-13 * a
    shifted = define_agent("kl_ucb_tie_shifted", init=init_per_arm, index=tie_shifted, update=update_per_arm,
                           params={"c": bandits.Param(0.0, "", low=0.0)}, register=False)
    inst = INST["twins"]
    assert not np.array_equal(run(FULL, inst, 2_000, 6, 17), run(shifted, inst, 2_000, 6, 17), equal_nan=True)


def variant(name, *edits):
    """kl_ucb rebuilt from its source with each (old, new) text edit applied (each must match once)."""
    src = inspect.getsource(klmod).replace("cache=True", "cache=False")
    src = src[:src.index("def _requires")]          # the functions, not the registration
    for old, new in edits:
        assert src.count(old) == 1, old
        src = src.replace(old, new)
    mod = types.ModuleType(f"kl_ucb_{name}")
    mod.__dict__["__package__"] = "bandits.agents"
    exec(compile(src, f"<kl_ucb {name}>", "exec"), mod.__dict__)
    spec = define_agent(f"kl_ucb_{name}", init=mod.init, index=mod.index, update=mod.update,
                        params={"c": bandits.Param(0.0, "", low=0.0)}, register=False)
    return spec, uncached_runner(spec)


def test_the_comparison_catches_a_window_that_never_closes():
    # the window's verdict kept after t1: the other arms' indices outgrow the bound U
    wrong, loop = variant("endless_window", ("    if t <= W[WIN_T1, 0]:", "    if True:"))
    inst = INST["linspace10"]
    assert not np.array_equal(run(FULL, inst, 20_000, 6, 17), run(wrong, inst, 20_000, 6, 17, runner=loop),
                              equal_nan=True)


def test_the_comparison_catches_a_too_small_upper_bound():
    # Pinsker's bound halved (below the index for some arms): an arm that can win is pruned
    wrong, loop = variant("half_pinsker", ("    return (p + np.sqrt(level / 2.0) + 1e-9,", "    return (p + 0.5 * np.sqrt(level / 2.0),"))
    inst = INST["linspace10"]
    assert not np.array_equal(run(FULL, inst, 5_000, 6, 17), run(wrong, inst, 5_000, 6, 17, runner=loop),
                              equal_nan=True)


def test_the_variants_are_faithful():
    # the same machinery with no edit plays exactly like the agent (so the failures above come
    # from the wrong bounds)
    same, loop = variant("unchanged")
    inst = INST["linspace10"]
    assert np.array_equal(run(FULL, inst, 5_000, 6, 17), run(same, inst, 5_000, 6, 17, runner=loop), equal_nan=True)


@pytest.mark.parametrize("name,horizon,batch,lam", [("linspace10", 5_000, 1, 0.0), ("close100", 2_000, 1, 0.0),
                                                    ("twins", 3_000, 1, 0.0), ("linspace10", 2_000, 8, 2.0)])
def test_choices_match_a_high_precision_reference(name, horizon, batch, lam):
    # the index with a bisection to the last float in place of Newton's method plays the same arms
    inst = INST[name]
    assert np.array_equal(run(PRECISE, inst, horizon, 4, 5, batch, lam), run(FULL, inst, horizon, 4, 5, batch, lam),
                          equal_nan=True)


@pytest.mark.parametrize("p", [0.0, 1e-12, 1e-6, 1e-3, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999, 1 - 1e-6, 1.0])
def test_kl_upper_is_precise(p):
    # within 1e-12 of the bisection on a grid of levels, large N included (the old Newton stop,
    # 1e-10 in kl, was off by up to 1.5e-8 at N = 1e7); below level 1e-7 (N beyond 1e8) the
    # cancellation in the plain kl formula, not the stopping rule, limits it to a few 1e-11
    levels = [0.0, 1e-12, 1e-9, 1e-7, 1e-5, 1e-4, 0.01, 0.3, 1.0, 5.0, 40.0]
    levels += [math.log(n) / n for n in (10**4, 10**5, 10**6, 10**7)] + [math.log(10**6) / n for n in (3, 30, 300)]
    for level in levels:
        want = _bisect_kl_upper(p, level)
        assert abs(klmod.kl_upper(p, level) - want) <= (1e-12 if level >= 1e-7 else 5e-11), (p, level)
        if p < 1 - 1e-6 and level > 0 and want < 1 - 1e-12:
            assert abs(want - kl_upper_exact(p, level)) <= 1e-15   # the compiled reference is naive.py's


def test_bounds_hold_on_a_grid():
    # the tangent upper bound and the lower bound around solved indices, over later budgets
    W = klmod.init(1, 1, np.array([0.0]))[0]
    for n in [1.0, 3.0, 17.0, 250.0, 10_000.0]:
        for p in [0.0, 1.0 / n, 0.3, 0.5, 0.97, 1.0]:
            W[klmod.COUNT, 0], W[klmod.SUM, 0], W[klmod.MEAN, 0] = n, p * n, p
            for b0 in [0.7, 3.0, 9.0, 14.0]:
                q0 = klmod._solve(W, 0, b0)
                assert q0 == _full_kl_upper(p, b0 / n)
                for b in [b0, b0 * 1.0001, b0 + 0.5, 2 * b0, 30.0]:
                    q = _full_kl_upper(p, b / n)
                    assert q <= W[klmod.TAN_A, 0] + b * W[klmod.TAN_B, 0]
                    assert q >= W[klmod.LOWER, 0]


def test_fresh_bounds_hold_on_a_grid():
    # the bounds used right after a pull, before any solve: they must enclose the index
    for p in np.concatenate([[0.0, 1e-9, 1e-4, 0.999999, 1.0], np.linspace(0.01, 0.99, 37)]):
        for level in np.geomspace(1e-9, 40.0, 60):
            ub, lb = klmod._fresh_bounds(p, level)
            q = _full_kl_upper(p, level)
            assert lb <= q <= ub, (p, level, lb, q, ub)


def test_a_wrong_lower_bound_is_caught():
    # the same grid rejects a lower bound without the correction term (it exceeds the index)
    bad = [(p, level) for p in np.linspace(0.6, 0.99, 14) for level in np.geomspace(1e-3, 1.0, 10)
           if p + np.sqrt(2 * level * p * (1 - p)) > _full_kl_upper(p, level)]
    assert bad
