"""The tuned C loops of ``python -m bandits.bench`` (bandits/bench_c/) compute what the engine's agents
compute; only their speed is the benchmark's business, never a test's.

* thompson_tuned.c and kl_ucb_tuned.c: their mean final regret on K = 10 Bernoulli arms (means
  linspace(0.1, 0.9, 10)), T = 2000, 400 runs, agrees with the engine's agent of the same name
  (the 4-standard-error interval of the difference contains 0); the control, each C loop against
  the engine's *other* agent, fails decisively (the whole interval excludes 0).
* kl_ucb_tuned.c's pruning (bounds, certified winner, window) plays what the unpruned argmax plays
  at every pull (its ``check`` mode computes every index exactly beside it); the control, every
  upper bound lowered by 0.01, is caught.

Skipped when gcc is not on PATH (the benchmark then says so and skips the C loops).
"""

import shutil
import subprocess

import numpy as np
import pytest

import bandits
from bandits import bench

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not on PATH")

K, T, RUNS = 10, 2000, 400
Z = 4.0   # the band: 4 standard errors of the difference


@pytest.fixture(scope="module")
def loops(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench_c")
    built = {name: bench.build_c(bench.tuned_source(name), bench.TUNED_FLAGS, folder)
             for name in ("thompson", "kl_ucb")}
    for name, exe in built.items():
        assert not isinstance(exe, str), f"{name}: {exe}"
    return built


@pytest.fixture(scope="module")
def engine_regret():
    inst = bandits.instances.from_arrays(phi=np.arange(K), mu=np.linspace(0.1, 0.9, K), rewards="bernoulli")
    out = {}
    for name in ("thompson", "kl_ucb"):
        final = bandits.simulate(inst, name, horizon=T, runs=RUNS, seed=0, checkpoints=[T], n_jobs=1,
                                 progress=False).regret[:, -1]
        out[name] = (final.mean(), final.std(ddof=1) / np.sqrt(RUNS))
    return out


def c_regret(exe):
    """(mean, standard error) of the C loop's final regret over RUNS runs."""
    out = subprocess.run([str(exe), str(K), str(T), str(RUNS)], capture_output=True, text=True, check=True)
    _, mean, sd = (float(v) for v in out.stdout.split())
    return mean, sd / np.sqrt(RUNS)


def interval(c, e):
    """The Z-standard-error interval of the difference C - engine."""
    diff, se = c[0] - e[0], np.hypot(c[1], e[1])
    return diff - Z * se, diff + Z * se


@pytest.mark.parametrize("name, other", [("thompson", "kl_ucb"), ("kl_ucb", "thompson")])
def test_tuned_loop_regret_agrees_with_the_engine(loops, engine_regret, name, other):
    c = c_regret(loops[name])
    lo, hi = interval(c, engine_regret[name])
    assert lo <= 0.0 <= hi, f"{name}: C {c[0]:.2f} vs engine {engine_regret[name][0]:.2f}"
    lo, hi = interval(c, engine_regret[other])          # control: the other agent's regret
    assert hi < 0.0 or lo > 0.0, f"{name} C vs engine {other}: the check would not catch a wrong agent"


def check_mode(exe, k, horizon, runs, bias=None):
    args = [str(exe), str(k), str(horizon), str(runs), "check"] + ([] if bias is None else [str(bias)])
    pulls, mismatches = (int(v) for v in subprocess.run(args, capture_output=True, text=True, check=True).stdout.split())
    return pulls, mismatches


def test_kl_ucb_tuned_pruning_plays_the_unpruned_argmax(loops):
    for k, horizon, runs in ((10, 20_000, 5), (100, 5_000, 2), (3, 20_000, 5)):
        pulls, mismatches = check_mode(loops["kl_ucb"], k, horizon, runs)
        assert pulls == (horizon - k) * runs and mismatches == 0, (k, mismatches)
    pulls, mismatches = check_mode(loops["kl_ucb"], 10, 20_000, 5, bias=0.01)   # control: a wrong bound
    assert mismatches > 0.01 * pulls
