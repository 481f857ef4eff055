"""Speed benchmark: the compiled UCB1 run loop against plain C and vectorised NumPy.

What is measured, all on one problem (K = 10 Bernoulli arms, means ``linspace(0.1, 0.9, 10)``,
each arm its own outcome, UCB1 with alpha = 2):

1. Numba engine: ``bandits.simulate(..., n_jobs=1)`` and ``n_jobs=2``, after a warm-up call,
   best of ``--repeats`` timings; reported as pulls per second (horizon x runs / seconds).
2. Compile time: in fresh subprocesses sharing a new, empty ``NUMBA_CACHE_DIR``, the first
   ``simulate`` call of a tiny run, once cold (compiles) and once again (loads the disk cache).
3. The plain-C reference loop ``ucb1_ref.c`` (compiled with ``gcc -O2`` into a temporary
   directory) with the same K, T and R; skipped, with a one-line reason, if gcc or the source
   is missing.
4. A vectorised NumPy UCB1 (runs as rows, a Python loop over time) at ``--numpy-horizon``.
5. The sweep runner: an 8-cell experiment with 1 and with 2 worker processes (target >= 1.8), and
   its overhead per cell against calling ``simulate`` directly.
6. A policy-gradient learner step (GRPO + ucb_con): compiled steps per second against the same
   step in plain NumPy.
7. Every registered agent, one thread, on K = 10 and K = 100 Bernoulli arms (means
   ``linspace(0.1, 0.9, K)``, each arm its own outcome), in rounds of 1 and in rounds of 8 with
   the batch penalty (lam = 1): pulls per second, with the C loops of the same algorithm
   (``ucb1_ref.c``, ``thompson_ref.c``) beside them where they exist. The horizon of each cell
   is cut so that one timing takes about ``--agent-seconds`` (at most ``--horizon``); ucb1,
   thompson and kl_ucb at batch 1 run the C programs' T and R exactly. An agent with a C loop
   is timed in turns with it (best of each), and kl_ucb in turns with ucb1 (the median of the
   ratios of the pairs), so that a change of load on a shared machine hits both sides of a ratio
   alike. Ratios: thompson / C (target
   >= 1.5), kl_ucb / ucb1 (target >= 1/3), ucb1 / C.

8. ``--crn`` (only this report): the variance reduction of common random numbers. For ucb1
   against kl_ucb and ucb1 against outcome_ucb on minimax_arms(K=10, eps=0.1) and
   llm_like(K=64, m=8) (and minimax_outcomes(K=64, m=8, eps=0.1), as llm_like has no
   environment randomness), T = ``--crn-horizon``, ``--crn-runs`` runs: the standard error of the mean
   final-regret difference from :func:`bandits.compare` (both agents on the same seed: paired)
   and from two independent sets of runs (ucb1 on one seed, the other agent on another:
   ``sqrt(se1^2 + se2^2)``), and their ratio.

It prints a table of the timings and the ratios numba(1 thread)/C (target >= 2),
numba(2 threads)/numba(1 thread) (target >= 1.8) and numba/NumPy, with mean final regret of
each implementation as a sanity check.

Run::

    python -m bandits.bench [--horizon 1000000] [--runs 4] [--numpy-horizon 100000]
                            [--repeats 3] [--c-source PATH] [--agent-seconds 1.0] [--agents-only]
    python -m bandits.bench --crn [--crn-horizon 10000] [--crn-runs 400]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

import bandits

from . import rl, sweep
from .experiment import from_dict

K = 10
MEANS = np.linspace(0.1, 0.9, K)
PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
C_RELATIVE = pathlib.Path("..") / "shared" / "bench" / "ucb1_ref.c"
TARGET_C = 2.0
TARGET_THREADS = 1.8
TARGET_THOMPSON_C = 1.5
TARGET_KL_UCB1 = 1.0 / 3.0
C_REFERENCES = {"ucb1": "ucb1_ref.c", "thompson": "thompson_ref.c"}  # agent -> C loop of the same algorithm
FULL_HORIZON = ("ucb1", "thompson", "kl_ucb")  # at batch 1 these run T = --horizon exactly (their ratios)
AGENT_KS = (10, 100)
AGENT_BATCHES = ((1, 0.0), (8, 1.0))  # (round size, batch penalty lam)

# Code run in a fresh interpreter to time the first simulate call (see compile_times).
_COMPILE_PROBE = """
import json, time
t0 = time.perf_counter()
import numpy as np, bandits
t1 = time.perf_counter()
inst = bandits.instances.from_arrays(phi=np.arange(10), mu=np.linspace(0.1, 0.9, 10), rewards="bernoulli")
bandits.simulate(inst, "ucb1", horizon=100, runs=2, seed=0, n_jobs=1, checkpoints=[100])
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first_call": t2 - t1}))
"""


# ----------------------------------------------------------------------------- timing helpers

def best_of(fn, repeats):
    """Run ``fn()`` ``repeats`` times; return (shortest wall time in seconds, last result)."""
    best, result = float("inf"), None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def make_instance():
    """The benchmark instance: K Bernoulli arms, each its own outcome (the C loop's problem)."""
    return bandits.instances.from_arrays(phi=np.arange(K), mu=MEANS, rewards="bernoulli")


# ----------------------------------------------------------------------------- 1. Numba engine

def numba_run(inst, horizon, runs, n_jobs):
    """One ``simulate`` call of UCB1 (alpha=2); returns the mean final pseudo-regret."""
    res = bandits.simulate(inst, "ucb1", horizon=horizon, runs=runs, seed=0, n_jobs=n_jobs,
                           checkpoints=[horizon], progress=False, alpha=2.0)
    return float(res.regret[:, -1].mean())


def bench_numba(horizon, runs, n_jobs, repeats):
    """Best-of-``repeats`` seconds and mean final regret of the engine with ``n_jobs`` threads."""
    inst = make_instance()
    numba_run(inst, min(horizon, 100), min(runs, 2), n_jobs)  # warm-up: compile / load cache
    return best_of(lambda: numba_run(inst, horizon, runs, n_jobs), repeats)


# ----------------------------------------------------------------------------- 2. compile time

def _probe(cache_dir):
    """Time the first simulate call in a fresh interpreter using ``cache_dir`` as Numba cache."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    proc = subprocess.run([sys.executable, "-c", _COMPILE_PROBE], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compile_times():
    """(cold, cached) first-call seconds, from two fresh processes sharing a new cache dir."""
    with tempfile.TemporaryDirectory(prefix="bandits-numba-cache-") as cache_dir:
        cold = _probe(cache_dir)
        warm = _probe(cache_dir)
    return cold, warm


# ----------------------------------------------------------------------------- 3. C reference

def find_c_source(explicit=None, name="ucb1_ref.c"):
    """(path of the C file ``name`` or None, where it was looked for): ``explicit`` if given, else
    ../shared/bench/``name`` relative to the working directory, then to the repository root."""
    if explicit is not None:
        path = pathlib.Path(explicit)
        return (path if path.is_file() else None), str(path)
    candidates = [(base / C_RELATIVE.with_name(name)).resolve() for base in (pathlib.Path.cwd(), REPO_ROOT)]
    found = next((path for path in candidates if path.is_file()), None)
    return found, " or ".join(dict.fromkeys(map(str, candidates)))


def bench_c(source, horizon, runs, repeats, k=K):
    """Compile and run a C reference loop; returns (pulls/s, mean regret), or why it was skipped.

    ``source`` is a :func:`find_c_source` pair. The C program times itself, so the best of
    ``repeats`` reported rates is kept.
    """
    source, looked = source
    if source is None:
        return f"C source not found (looked for {looked})"
    gcc = shutil.which("gcc")
    if gcc is None:
        return "gcc not found on PATH"
    stem = pathlib.Path(source).stem
    with tempfile.TemporaryDirectory(prefix=f"bandits-{stem}-") as tmp:
        src = pathlib.Path(tmp) / f"{stem}.c"
        exe = pathlib.Path(tmp) / stem
        shutil.copy(source, src)
        build = subprocess.run([gcc, "-O2", "-o", str(exe), str(src), "-lm"], capture_output=True, text=True)
        if build.returncode != 0:
            return f"gcc failed: {build.stderr.strip().splitlines()[-1] if build.stderr.strip() else build.returncode}"
        best_rate, regret = 0.0, float("nan")
        for _ in range(max(1, repeats)):
            out = subprocess.run([str(exe), str(k), str(horizon), str(runs)], capture_output=True, text=True)
            if out.returncode != 0:
                return f"{stem} exited with status {out.returncode}"
            rate, regret = (float(v) for v in out.stdout.split()[:2])
            best_rate = max(best_rate, rate)
    return best_rate, regret


# ----------------------------------------------------------------------------- 4. NumPy UCB1

def numpy_ucb1(horizon, runs, seed=0, alpha=2.0):
    """Vectorised UCB1: ``runs`` runs as rows, one Python iteration per pull.

    Each arm once first, then ``argmax mean + sqrt(alpha ln t / N)`` (t = pulls so far, ties to
    the lowest index, as in the C loop). Returns the mean final pseudo-regret.
    """
    rng = np.random.default_rng(seed)
    rows = np.arange(runs)
    counts = np.zeros((runs, K))
    sums = np.zeros((runs, K))
    gaps = MEANS.max() - MEANS
    regret = np.zeros(runs)
    for t in range(horizon):
        if t < K:
            arm = np.full(runs, t)
        else:
            arm = np.argmax(sums / counts + np.sqrt(alpha * np.log(t) / counts), axis=1)
        reward = rng.random(runs) < MEANS[arm]
        counts[rows, arm] += 1.0
        sums[rows, arm] += reward
        regret += gaps[arm]
    return float(regret.mean())


# ----------------------------------------------------------------------------- report

LEARNER = dict(bonus="ucb_con", param="outcome", group_size=8, eta=0.5, c=1.0, b0=0.5)


def bench_learner(steps, repeats):
    """Compiled policy-gradient steps per second on transfer(X=40, K=200, m=48), one thread."""
    qs = rl.transfer(X=40, K=200, m=48, seed=0)
    rl.train(qs, steps=10, runs=1, n_jobs=1, **LEARNER)  # compile or load from the cache
    seconds, _ = best_of(lambda: (rl.train(qs, steps=steps, runs=1, n_jobs=1, checkpoints=[steps],
                                           progress=False, **LEARNER),
                                  None), repeats)
    return qs, steps / seconds


def numpy_learner_steps(qs, steps, seed=0):
    """The same step in plain NumPy (one question, a group of n, GRPO + ucb_con, outcome logits)."""
    rng = np.random.default_rng(seed)
    n, eta, c, b0 = LEARNER["group_size"], LEARNER["eta"], LEARNER["c"], LEARNER["b0"]
    u, w, counts = np.zeros(qs.K), np.zeros((qs.X, qs.m)), np.zeros((qs.X, qs.m))
    rows = np.arange(qs.K)
    start = time.perf_counter()
    for _ in range(steps):
        x = rng.integers(qs.X)
        theta = u + w[x, qs.phi[x]]
        pi = qs.pi0 * np.exp(theta - theta.max())
        pi /= pi.sum()
        arms = rng.choice(qs.K, size=n, p=pi)
        answers = qs.phi[x, arms]
        r = (answers == 0).astype(float)
        adv = (r - r.mean()) / (r.std() + 1e-6)
        adv += c * (np.minimum(1.0, 1.0 / np.sqrt(np.maximum(counts[x, answers], 1.0))) - b0)
        grad = np.bincount(arms, weights=adv, minlength=qs.K) / n - adv.mean() * pi
        u += eta * grad
        np.add.at(w[x], qs.phi[x, rows], eta * grad)
        np.add.at(counts[x], answers, 1.0)
    return steps / (time.perf_counter() - start)


SWEEP = {
    "sweep": {"name": "bench_sweep", "horizon": 2_000_000, "runs": 40, "seed": 0, "checkpoints": 20},
    # eight cells of equal cost, so that the ratio measures the runner and not the load balance
    "instance": {"generator": "minimax_outcomes", "K": 24, "m": 4, "eps": [0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12]},
    "agent": [{"name": "ucb1"}],
}


def bench_sweep(horizon):
    """Seconds for an 8-cell sweep with 1 and 2 workers, and the runner's overhead per cell."""
    config = {**SWEEP, "sweep": {**SWEEP["sweep"], "horizon": horizon}}
    exp = from_dict(config, source="bench")
    descs = [{"key": c.key, **c.describe()} for c in exp.cells]
    sweep.compute_cell(descs[0])  # compile or load from the cache
    start = time.perf_counter()
    for desc in descs:
        sweep.compute_cell(desc)
    direct = time.perf_counter() - start
    timings = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            sweep.run(exp, pathlib.Path(tmp) / "out", workers=workers, progress=False)
            timings[workers] = time.perf_counter() - start
    return len(descs), direct, timings


# ----------------------------------------------------------------------------- 7. every agent

def agent_instance(k):
    """K Bernoulli arms, means linspace(0.1, 0.9, K), each arm its own outcome."""
    return bandits.instances.from_arrays(phi=np.arange(k), mu=np.linspace(0.1, 0.9, k), rewards="bernoulli")


def time_agent(name, k, batch, lam, horizon, runs, repeats, seconds, exact_horizon=False):
    """(T, pulls/s, mean final regret) of one agent, one thread, best of ``repeats``.

    Unless ``exact_horizon``, T is cut (to at most ``horizon``) so that one timing takes about
    ``seconds``, from a first short run; the rate is still pulls over wall time.
    """
    inst = agent_instance(k)
    extra = {"batch": batch, "lam": lam} if batch > 1 else {}

    def once(T, r):
        return bandits.simulate(inst, name, horizon=T, runs=r, seed=0, n_jobs=1, checkpoints=[T], progress=False,
                                **extra)

    probe = min(horizon, 2_000)
    once(probe, 1)                                  # compile, or load from the disk cache
    start = time.perf_counter()
    once(probe, 1)
    rate = probe / (time.perf_counter() - start)
    T = horizon if exact_horizon else int(min(horizon, max(probe, rate * seconds / runs)))
    secs, res = best_of(lambda: once(T, runs), repeats)
    return T, T * runs / secs, float(res.regret[:, -1].mean())


def bench_agents(args):
    """The table of every registered agent, with the C loops beside ucb1 and thompson."""
    names = list(bandits.agents.registered())
    rows, rates, c_rates = [], {}, {}
    for k in AGENT_KS:
        for name in names:
            for batch, lam in AGENT_BATCHES:
                cfile = C_REFERENCES.get(name) if batch == 1 else None
                exact = batch == 1 and name in FULL_HORIZON
                if name == "kl_ucb" and batch == 1 and "ucb1" in names:
                    # kl_ucb and ucb1 in turns; their ratio is the median of the paired ratios
                    # (each pair timed back to back, so a change of load hits both sides alike)
                    rate, pairs = 0.0, []
                    for _ in range(max(1, args.repeats)):
                        T, r, regret = time_agent(name, k, 1, 0.0, args.horizon, args.runs, 1, 1.0, True)
                        rate = max(rate, r)
                        pairs.append(r / time_agent("ucb1", k, 1, 0.0, args.horizon, args.runs, 1, 1.0, True)[1])
                    rates["kl_ucb/ucb1", k] = float(np.median(pairs))
                elif cfile is None:
                    T, rate, regret = time_agent(name, k, batch, lam, args.horizon, args.runs, args.repeats,
                                                 args.agent_seconds, exact_horizon=exact)
                else:
                    # the agent and its C loop in turns, best of each: on a shared machine a
                    # change of load then hits both sides of the ratio alike
                    rate, c_best = 0.0, 0.0
                    for _ in range(max(1, args.repeats)):
                        T, r, regret = time_agent(name, k, batch, lam, args.horizon, args.runs, 1,
                                                  args.agent_seconds, exact_horizon=exact)
                        rate = max(rate, r)
                        c = bench_c(find_c_source(None, cfile), args.horizon, args.runs, 1, k)
                        if isinstance(c, str):        # no gcc or no source: say why, once
                            c_best = c
                        elif not isinstance(c_best, str):
                            c_best = max(c_best, c[0])
                    c_rates[name, k] = c_best
                rates[name, k, batch] = rate
                rows.append((name, k, batch, lam, T, args.runs, rate, regret))
    return rows, rates, c_rates


def print_agents(rows, rates, c_rates, runs):
    """The agent table and its ratios."""
    print(f"{'agent':<24}{'K':>5}{'batch':>7}{'lam':>5}{'T':>10}{'runs':>6}{'pulls/s':>12}"
          f"{'C pulls/s':>12}{'x C':>7}{'mean regret':>13}")
    for name, k, batch, lam, T, r, rate, regret in rows:
        c = c_rates.get((name, k)) if batch == 1 else None
        c_txt, x_txt = ("-", "-") if c is None or isinstance(c, str) else (f"{c:.3e}", f"{rate / c:.2f}")
        print(f"{name:<24}{k:>5}{batch:>7}{lam:>5g}{T:>10}{r:>6}{rate:>12.3e}{c_txt:>12}{x_txt:>7}{regret:>13.1f}")
    for (agent, k), c in sorted(c_rates.items()):
        if isinstance(c, str):
            print(f"C comparison for {agent} (K={k}) skipped: {c}")
    print()
    print("ratios (pulls/s, one thread, batch 1):")
    for k in AGENT_KS:
        c = c_rates.get(("thompson", k))
        target = TARGET_THOMPSON_C if k == K else None
        value = None if c is None or isinstance(c, str) else rates["thompson", k, 1] / c
        print(ratio_line(f"thompson / C, K={k}", value, target))
    for k in AGENT_KS:
        c = c_rates.get(("ucb1", k))
        value = None if c is None or isinstance(c, str) else rates["ucb1", k, 1] / c
        print(ratio_line(f"ucb1 / C, K={k}", value, TARGET_C if k == K else None))
    for k in AGENT_KS:
        print(ratio_line(f"kl_ucb / ucb1, K={k} (paired, median)", rates["kl_ucb/ucb1", k],
                         TARGET_KL_UCB1 if k == K else None))


CRN_PAIRS = (("ucb1", "kl_ucb"), ("ucb1", "outcome_ucb"))


def crn_instances():
    # llm_like is verifiable with a deterministic map: the environment draws nothing there, so any
    # spread of the regret is the agents' own (ties, first-visit order) and pairing cannot remove it;
    # minimax_outcomes(K=64, m=8) is the same shape with Bernoulli rewards.
    return (bandits.instances.minimax_arms(K=10, eps=0.1), bandits.instances.llm_like(K=64, m=8),
            bandits.instances.minimax_outcomes(K=64, m=8, eps=0.1))


def bench_crn(horizon, runs, seed=0, other_seed=1):
    """Rows (instance, baseline, agent, mean difference, paired se, unpaired se, ratio) of the CRN report."""
    rows = []
    for inst in crn_instances():
        for base, agent in CRN_PAIRS:
            comp = bandits.compare(inst, [base, agent], horizon=horizon, runs=runs, seed=seed, checkpoints=[horizon],
                                   n_jobs=1)
            paired = comp.final().iloc[0]
            ref = comp.results[comp.baseline].final["regret"]
            indep = bandits.simulate(inst, agent, horizon=horizon, runs=runs, seed=other_seed, checkpoints=[horizon],
                                     n_jobs=1).final["regret"]
            unpaired_se = float(np.sqrt(ref.var(ddof=1) / runs + indep.var(ddof=1) / runs))
            se = float(paired["sem"])
            rows.append((inst.name, base, agent, float(paired["mean"]), se, unpaired_se,
                         unpaired_se / se if se > 0 else float("nan")))
    return rows


def print_crn(rows, horizon, runs):
    print(f"common random numbers: mean final regret difference (agent - baseline), T={horizon}, {runs} runs; "
          "se paired = bandits.compare (same seed), se unpaired = independent seeds")
    print(f"{'instance':<38}{'agent - baseline':<22}{'mean diff':>11}{'se paired':>11}{'se unpaired':>13}{'ratio':>8}")
    for name, base, agent, mean, se_p, se_u, ratio in rows:
        print(f"{name:<38}{agent + ' - ' + base:<22}{mean:>11.2f}{se_p:>11.3f}{se_u:>13.3f}{ratio:>8.2f}")


def ratio_line(label, value, target=None):
    """One formatted ratio line, with the target verdict where a target applies."""
    if value is None:
        return f"  {label:<34} n/a"
    verdict = "" if target is None else f"  (target >= {target:g}: {'target met' if value >= target else 'below target'})"
    return f"  {label:<34} {value:7.2f}{verdict}"


def print_table(rows):
    """Aligned table of (implementation, T, R, seconds, pulls/s, mean final regret) rows."""
    print(f"{'implementation':<22}{'T':>10}{'runs':>6}{'seconds':>10}{'pulls/s':>14}{'mean regret':>13}")
    for name, horizon, runs, secs, rate, regret in rows:
        secs_txt = "-" if secs is None else f"{secs:.3f}"
        print(f"{name:<22}{horizon:>10}{runs:>6}{secs_txt:>10}{rate:>14.3e}{regret:>13.1f}")


def parse_args(argv=None):
    """Command-line options."""
    p = argparse.ArgumentParser(prog="python -m bandits.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--horizon", type=int, default=1_000_000, help="pulls per run T (numba and C)")
    p.add_argument("--runs", type=int, default=4, help="independent runs R")
    p.add_argument("--numpy-horizon", type=int, default=100_000, help="pulls per run for the NumPy loop")
    p.add_argument("--repeats", type=int, default=3, help="timings per measurement; the best is kept")
    p.add_argument("--learner-steps", type=int, default=200_000, help="policy-gradient steps to time")
    p.add_argument("--sweep-horizon", type=int, default=2_000_000, help="pulls per run in the 8-cell sweep")
    p.add_argument("--c-source", default=None, help="path of ucb1_ref.c (default: ../shared/bench/ucb1_ref.c)")
    p.add_argument("--agent-seconds", type=float, default=1.0,
                   help="about how long one timing of the agent table lasts (its horizon is cut to fit)")
    p.add_argument("--agents-only", action="store_true", help="print only the table of every agent")
    p.add_argument("--crn", action="store_true", help="print only the common-random-numbers report")
    p.add_argument("--crn-horizon", type=int, default=10_000, help="pulls per run in the CRN report")
    p.add_argument("--crn-runs", type=int, default=400, help="runs per agent in the CRN report")
    args = p.parse_args(argv)
    for name in ("horizon", "runs", "numpy_horizon", "repeats", "crn_horizon", "crn_runs"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def main(argv=None):
    """Run every measurement and print the table and ratios."""
    args = parse_args(argv)
    T, R = args.horizon, args.runs
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores "
          "(other processes share them: rates drop with load)")
    if args.agents_only:
        print_agents(*bench_agents(args), R)
        return 0
    if args.crn:
        print_crn(bench_crn(args.crn_horizon, args.crn_runs), args.crn_horizon, args.crn_runs)
        return 0
    print(f"UCB1 (alpha=2), K={K} Bernoulli arms, means linspace(0.1, 0.9, {K}); "
          f"best of {args.repeats}; {os.cpu_count()} cores")
    cold, warm = compile_times()
    print(f"compile: cold first call {cold['first_call']:.2f} s, from disk cache {warm['first_call']:.2f} s "
          f"(import bandits {warm['import']:.2f} s)")

    s1, reg1 = bench_numba(T, R, 1, args.repeats)
    s2, reg2 = bench_numba(T, R, 2, args.repeats)
    rate1, rate2 = T * R / s1, T * R / s2
    rows = [("numba, 1 thread", T, R, s1, rate1, reg1), ("numba, 2 threads", T, R, s2, rate2, reg2)]

    c = bench_c(find_c_source(args.c_source), T, R, args.repeats)
    rate_c = None
    if isinstance(c, str):
        print(f"C comparison skipped: {c}")
    else:
        rate_c, reg_c = c
        rows.append(("C (gcc -O2)", T, R, T * R / rate_c, rate_c, reg_c))  # seconds from C's own clock

    Tn = args.numpy_horizon
    sn, regn = best_of(lambda: numpy_ucb1(Tn, R), args.repeats)
    rate_np = Tn * R / sn
    rows.append(("numpy (vectorised)", Tn, R, sn, rate_np, regn))

    print()
    print_table(rows)
    print()
    print("ratios (pulls/s):")
    print(ratio_line("numba 1 thread / C", None if rate_c is None else rate1 / rate_c, TARGET_C))
    print(ratio_line("numba 2 threads / numba 1 thread", rate2 / rate1, TARGET_THREADS))
    print(ratio_line("numba 1 thread / numpy", rate1 / rate_np))
    if rate_c is not None:
        print(f"mean final regret at T={T}: numba {reg1:.1f}, C {reg_c:.1f}")

    cells, direct, timings = bench_sweep(args.sweep_horizon)
    print()
    print(f"sweep runner, {cells} cells (UCB1, T={args.sweep_horizon}, 40 runs each): 1 worker {timings[1]:.1f} s, "
          f"2 workers {timings[2]:.1f} s")
    print(ratio_line("sweep 2 workers / 1 worker", timings[1] / timings[2], TARGET_THREADS))
    print(f"  runner overhead per cell (1 worker, against calling simulate directly): "
          f"{(timings[1] - direct) / cells * 1000:.0f} ms")

    qs, learner_rate = bench_learner(args.learner_steps, args.repeats)
    numpy_rate = numpy_learner_steps(qs, max(args.learner_steps // 20, 100))
    print()
    print(f"policy-gradient learner (GRPO + ucb_con, outcome logits, group of {LEARNER['group_size']}, "
          f"X={qs.X} questions, K={qs.K} strategies, m={qs.m} answers), one thread:")
    print(f"  numba {learner_rate:.3g} steps/s, NumPy {numpy_rate:.3g} steps/s, ratio {learner_rate / numpy_rate:.1f}")

    print()
    print(f"every agent, one thread, K Bernoulli arms with means linspace(0.1, 0.9, K), each arm its own "
          f"outcome; T cut to about {args.agent_seconds:g} s per timing (ucb1, thompson, kl_ucb at batch 1: T={T}):")
    print_agents(*bench_agents(args), R)
    print(f"load average after the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
