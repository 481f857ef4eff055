"""The pruned KL-UCB index plays exactly what the unpruned one played.

``full_index`` below is the index of kl_ucb before pruning (every arm solved by Newton's method
at every pull), kept here as the reference. Both agents run in the engine's compiled loop on
the same run seeds, with a checkpoint at every pull, so equal metric arrays mean equal choices
pull by pull (the regret path fixes the gap of every pulled arm, and the engine's random
tie-breaks and rewards stay in step only if every tie was met the same way).
"""

import importlib

import numpy as np
import pytest
from numba import njit

import bandits
from bandits import engine
klmod = importlib.import_module("bandits.agents.kl_ucb")  # the module (bandits.agents.kl_ucb is the spec)
from bandits.agents._stats import init_per_arm, update_per_arm
from bandits.agents.base import define_agent


@njit
def _full_kl_upper(p, level):
    if p >= 1.0:
        return 1.0
    if p <= 0.0:
        return 1.0 - np.exp(-level)
    q = min(p + np.sqrt(level / 2.0), 1.0 - 1e-12)
    for _ in range(50):
        f = klmod.kl_bernoulli(p, q) - level
        if f <= 1e-10:
            break
        q -= f * q * (1.0 - q) / (q - p)
    return q


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


def run(spec, inst, horizon, runs, seed, batch=1, lam=0.0, c=0.0):
    params = np.array([c])
    env = engine.environment(inst, spec.control, spec.each_once)
    seeds = np.random.default_rng(seed).integers(0, 2 ** 62, size=runs)
    env_seeds = np.random.default_rng(seed + 1).integers(0, 2 ** 63, size=runs).astype(np.uint64)
    checkpoints = np.arange(1, horizon + 1, dtype=np.int64)
    out = np.zeros((runs, len(engine.METRICS), horizon))
    engine.runner(spec)(seeds, env_seeds, params, lam, batch, horizon, checkpoints, env, out)
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
    }


INST = instances()
CASES = [("linspace10", 20_000, 1, 0.0, 0.0), ("close100", 8_000, 1, 0.0, 0.0), ("best_first", 10_000, 1, 0.0, 0.0),
         ("twins", 10_000, 1, 0.0, 0.0), ("kernel", 5_000, 1, 0.0, 0.0), ("rare", 10_000, 1, 0.0, 0.0),
         ("sure", 3_000, 1, 0.0, 0.0), ("linspace10", 10_000, 1, 0.0, 3.0), ("twins", 4_000, 1, 0.0, 1.0),
         ("linspace10", 8_000, 8, 2.0, 0.0), ("twins", 4_000, 4, 1.5, 0.0), ("kernel", 4_000, 8, 0.0, 0.0),
         ("close100", 3_000, 8, 4.0, 0.0), ("linspace10", 1_000, 16, 1.0, 0.0)]


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


@pytest.mark.parametrize("p", [0.0, 1e-3, 0.1, 0.5, 0.9, 0.999, 1.0])
def test_kl_upper_is_unchanged(p):
    for level in [0.0, 1e-8, 1e-4, 0.01, 0.3, 1.0, 5.0, 40.0]:
        assert klmod.kl_upper(p, level) == _full_kl_upper(p, level)


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
