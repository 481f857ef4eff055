"""The compiled engine: one generic run loop, specialised per agent and cached on disk.

:func:`_run_loop` is written once, in plain Python-over-NumPy that Numba compiles. It calls
three global names, ``INIT``, ``INDEX`` and ``UPDATE``; :func:`runner` makes a copy of it
whose globals are bound to one agent's functions and compiles that copy with
``@njit(cache=True, nogil=True)``, with the agent's functions inlined into it (Numba IR
inlining), so a built-in and a user-defined agent run at the same speed. The copy's name
carries a hash of the engine's and the agent's code, so its on-disk cache is found by the next
process and never reused after either changes. (Passing the agent functions as arguments would also compile,
but Numba cannot find such a function in its cache from another process.)

One call of the loop simulates a block of independent runs; each run seeds Numba's generator
from its own seed, so a run's numbers do not depend on which thread or process ran it.
"""

from __future__ import annotations

import hashlib
import pathlib
import types

import numba
import numpy as np
from numba import njit

# Metrics recorded by the loop, in the order of the ``out[run, metric, checkpoint]`` axis.
METRICS = ("regret", "distinct", "pass_regret", "round_distinct")

_CONTROL = {"arm": 0, "outcome": 1}
_FAMILY = {"bernoulli": 0, "gaussian": 1, "verifiable": 2}


@njit(cache=True)
def argmax_random_ties(x):
    """Index of the largest entry of ``x``, ties broken uniformly at random (reservoir)."""
    best = 0
    top = x[0]
    ties = 1
    for i in range(1, x.shape[0]):
        v = x[i]
        if v > top:
            top, best, ties = v, i, 1
        elif v == top:
            ties += 1
            if np.random.random() * ties < 1.0:
                best = i
    return best


@njit(cache=True)
def draw_categorical(cdf, lo, hi):
    """An index in [lo, hi) drawn from the cumulative weights ``cdf[lo:hi]`` (last one = 1)."""
    j = lo + np.searchsorted(cdf[lo:hi], np.random.random(), side="right")
    return min(j, hi - 1)


@njit(cache=True)
def draw_reward(family, mean, sigma):
    if family == 0:
        return 1.0 if np.random.random() < mean else 0.0
    if family == 1:
        return mean + sigma * np.random.standard_normal()
    return mean


def _run_loop(seeds, params, lam, n, T, checkpoints, env, out):
    """Simulate ``len(seeds)`` runs of ``T`` pulls in rounds of ``n``; fill ``out``.

    env = (control, each_once, det, phi, q_cdf, mu, family, sigma, gaps, correct,
           group_ptr, group_arms, group_cdf); see :func:`environment`.
    """
    (control, each_once, det, phi, q_cdf, mu, family, sigma, gaps, correct,
     group_ptr, group_arms, group_cdf) = env
    K, m = q_cdf.shape
    n_choices = K if control == 0 else m
    penalise = lam > 0.0 and n > 1  # the first pull of a round is never penalised
    n_ckpt = checkpoints.shape[0]
    for r in range(seeds.shape[0]):
        np.random.seed(seeds[r])
        state = INIT(K, m, params)  # noqa: F821 - bound by runner()
        order = np.random.permutation(n_choices)
        scores = np.empty(n_choices)
        arms = np.empty(n, np.int64)
        outcomes = np.empty(n, np.int64)
        rewards = np.empty(n)
        # batch penalty: outcome counts per arm (arm control) and predicted outcomes this round
        seen_ao = np.zeros((K, m) if penalise and control == 0 else (1, 1))
        pulls_a = np.zeros(K if penalise and control == 0 else 1)
        predicted = np.zeros(m)
        touched = np.empty(m, np.int64)
        # metrics
        found = np.zeros(m, np.bool_)
        round_mark = np.full(m, -1, np.int64)
        observed = rounds = n_found = k = 0  # observed = pulls placed so far, too
        regret = pass_regret = round_distinct_sum = 0.0
        while observed < T:
            nb = min(n, T - observed)
            # 1. place the round's pulls one by one on the state of the round start, and play
            #    each at once: the agent sees none of the round's results before it ends
            n_touched = 0
            round_hit = False
            round_distinct = 0
            for j in range(nb):
                if each_once and observed < n_choices:
                    choice = order[observed]
                else:
                    INDEX(state, observed - j, params, scores)  # noqa: F821
                    if penalise:
                        for c in range(n_choices):
                            cost = 0.0
                            if control == 1:
                                cost = predicted[c]
                            elif pulls_a[c] > 0:
                                for i in range(n_touched):
                                    o = touched[i]
                                    cost += seen_ao[c, o] * predicted[o]
                                cost /= pulls_a[c]
                            scores[c] -= lam / n * cost
                    choice = argmax_random_ties(scores)
                if penalise:
                    if control == 1:
                        predicted[choice] += 1.0
                    elif pulls_a[choice] > 0:
                        for o in range(m):
                            if seen_ao[choice, o] > 0:
                                if predicted[o] == 0.0:
                                    touched[n_touched] = o
                                    n_touched += 1
                                predicted[o] += seen_ao[choice, o] / pulls_a[choice]
                # the environment
                if control == 0:
                    a = choice
                else:
                    a = group_arms[draw_categorical(group_cdf, group_ptr[choice], group_ptr[choice + 1])]
                o = phi[a] if det else draw_categorical(q_cdf[a], 0, m)
                reward = draw_reward(family, mu[o], sigma)
                if n == 1:  # a round of one pull: learn at once
                    UPDATE(state, a, o, reward, params)  # noqa: F821
                else:
                    arms[j], outcomes[j], rewards[j] = a, o, reward
                # metrics
                regret += gaps[a]
                if not found[o]:
                    found[o] = True
                    n_found += 1
                if round_mark[o] != rounds:
                    round_mark[o] = rounds
                    round_distinct += 1
                if correct[o]:
                    round_hit = True
                observed += 1
                if j == nb - 1:
                    rounds += 1
                    round_distinct_sum += round_distinct
                    if not round_hit:
                        pass_regret += 1.0
                while k < n_ckpt and checkpoints[k] == observed:
                    out[r, 0, k] = regret
                    out[r, 1, k] = n_found
                    out[r, 2, k] = pass_regret
                    out[r, 3, k] = round_distinct_sum / rounds if rounds > 0 else np.nan
                    k += 1
            # 2. learn from the round
            for j in range(nb if n > 1 else 0):
                UPDATE(state, arms[j], outcomes[j], rewards[j], params)  # noqa: F821
                if penalise and control == 0:
                    seen_ao[arms[j], outcomes[j]] += 1.0
                    pulls_a[arms[j]] += 1.0
            if penalise:
                for i in range(n_touched):
                    predicted[touched[i]] = 0.0
                if control == 1:
                    predicted[:] = 0.0


_ENGINE_HASH = hashlib.sha256(pathlib.Path(__file__).read_bytes() + numba.__version__.encode()).hexdigest()[:8]
_RUNNERS: dict = {}


def runner(spec):
    """The compiled run loop for an agent spec (compiled once per process, cached on disk)."""
    key = f"run_{spec.name}_{spec.fingerprint()}_{_ENGINE_HASH}"
    fn = _RUNNERS.get(key)
    if fn is None:
        # inline copies of the agent's functions: the call sits in the innermost loop
        inline = {name: njit(inline="always")(fn.py_func)
                  for name, fn in (("INIT", spec.init), ("INDEX", spec.index), ("UPDATE", spec.update))}
        bound = dict(_run_loop.__globals__, **inline)
        py = types.FunctionType(_run_loop.__code__, bound, key)
        py.__qualname__ = key
        fn = _RUNNERS[key] = njit(cache=True, nogil=True)(py)
    return fn


def environment(instance, control: str, each_once: bool):
    """The tuple of plain arrays the run loop reads the instance from."""
    K, m = instance.K, instance.m
    phi = instance.phi if instance.deterministic else np.zeros(K, np.int64)
    q_cdf = np.cumsum(instance.Q, axis=1)
    q_cdf[:, -1] = 1.0
    # outcome control: for each outcome o, the arms with phi(a) = o and pi0 restricted to them
    ptr = np.zeros(m + 1, np.int64)
    group_arms = np.zeros(max(K, 1), np.int64)
    group_cdf = np.ones(max(K, 1))
    if instance.deterministic:
        order = np.argsort(phi, kind="stable")
        group_arms[:] = order
        ptr[1:] = np.cumsum(np.bincount(phi, minlength=m))
        w = instance.pi0[order]
        for o in range(m):
            lo, hi = ptr[o], ptr[o + 1]
            if hi > lo and w[lo:hi].sum() > 0:
                c = np.cumsum(w[lo:hi]) / w[lo:hi].sum()
                c[-1] = 1.0
                group_cdf[lo:hi] = c
    return (
        np.int64(_CONTROL[control]), bool(each_once), bool(instance.deterministic),
        np.ascontiguousarray(phi, dtype=np.int64), q_cdf, np.array(instance.mu, dtype=np.float64),
        np.int64(_FAMILY[instance.family]), float(instance.sigma), np.array(instance.gaps, dtype=np.float64),
        np.array(instance.correct, dtype=np.bool_), ptr, group_arms, group_cdf,
    )
