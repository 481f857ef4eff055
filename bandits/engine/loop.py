"""The run loop: an agent, an environment and the metrics, one round of pulls at a time.

:func:`run_loop` is a template: it calls the agent through three global names, ``INIT``,
``INDEX`` and ``UPDATE``, which :func:`bandits.engine.runner` binds to one agent's functions before
compiling it. Everything else is a named, inlined piece with a test of its own: the choice
(:func:`argmax_random_ties`), the batch penalty (:mod:`.penalty`), the environment's answer
(:mod:`.env`: ``draw_arm``, ``draw_outcome``, ``draw_reward``, which :func:`.env.step` composes) and the metrics (:mod:`.metrics`).

Two random streams per run: the agent's (``np.random``, seeded from ``seeds[r]``: the first-visit
order, tie-breaks, whatever the agent draws) and the environment's (the counter-based streams of
``env_seeds[r]``, :func:`.env.new_streams`), so the j-th pull of an arm gives the same outcome and
reward whatever the agent (common random numbers).

The loop looks at ``stop[0]`` before each run and every ``CHUNK`` pulls (between rounds): when
it is not 0 the loop returns, leaving ``out`` partly filled. :func:`.blocks.run_in_blocks` sets it
on Ctrl-C, so that a call returns within a fraction of a second whatever the horizon. The look
sits outside the loop over rounds, so it costs nothing per pull.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .env import draw_arm, draw_outcome, draw_reward, new_streams
from .metrics import close_round, count_pull, record
from .penalty import clear, new_penalty_state, observe, penalise, predict

#: Pulls between two looks at the stop flag (a few milliseconds of the slowest built-in agent).
CHUNK = 4096


@njit(cache=True, inline="always")
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


def run_loop(seeds, env_seeds, params, lam, n, T, checkpoints, env, out, stop):
    """Simulate ``len(seeds)`` runs of ``T`` pulls in rounds of ``n``; fill ``out[run, metric, checkpoint]``.

    Run ``r`` seeds the agent's generator with ``seeds[r]`` and draws the environment's numbers
    from the counter-based streams of ``env_seeds[r]`` (uint64).

    Each round is placed pull by pull on the agent's state at the round start (it sees none of the
    round's results), each pull played at once; the agent learns from the round at its end (with
    ``n = 1``, after every pull). Returns early, between rounds, once ``stop[0]`` is not 0.
    """
    K, m = env.q_cdf.shape
    control, each_once, gaps, correct = env.control, env.each_once, env.gaps, env.correct
    det, phi, q_cdf, mu, law, sigma = env.deterministic, env.phi, env.q_cdf, env.mu, env.law, env.sigma
    group_ptr, group_arms, group_cdf = env.group_ptr, env.group_arms, env.group_cdf
    n_choices = K if control == 0 else m
    penalised = lam > 0.0 and n > 1  # the first pull of a round is never penalised
    lam_over_n = lam / n
    n_ckpt = checkpoints.shape[0]
    for r in range(seeds.shape[0]):
        if stop[0] != 0:
            return
        np.random.seed(seeds[r])
        keys, counts = new_streams(env_seeds[r], K, m)  # the environment's tape of this run
        state = INIT(K, m, params)  # noqa: F821 - bound by runner()
        order = np.random.permutation(n_choices)
        scores = np.empty(n_choices)
        arms, outcomes, rewards = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n)
        pen = new_penalty_state(K, m) if penalised else new_penalty_state(0, 0)
        found = np.zeros(m, np.bool_)
        round_mark = np.full(m, -1, np.int64)
        observed = rounds = n_found = k = 0  # observed = pulls placed so far, too
        regret = pass_regret = round_distinct_sum = 0.0
        while observed < T:
            if stop[0] != 0:  # Ctrl-C (run_in_blocks): leave between rounds
                return
            until = min(T, observed + CHUNK)
            while observed < until:
                nb = min(n, T - observed)
                n_touched = 0
                round_hit = False
                round_distinct = 0
                for j in range(nb):
                    # the agent's choice
                    if each_once and observed < n_choices:
                        choice = order[observed]
                    else:
                        INDEX(state, observed - j, params, scores)  # noqa: F821
                        if penalised:
                            penalise(scores, lam_over_n, control, pen, n_touched)
                        choice = argmax_random_ties(scores)
                    if penalised:
                        n_touched = predict(choice, control, m, pen, n_touched)
                    # the environment's answer
                    if control == 0:
                        a = choice
                    else:  # the arm of the j-th choice of this outcome
                        a = draw_arm(choice, group_ptr, group_arms, group_cdf, keys[2 * K + choice], counts[K + choice])
                        counts[K + choice] += 1
                    ja = counts[a]  # the pulls of arm a so far: this is its pull number ja
                    counts[a] = ja + 1
                    o = phi[a] if det else draw_outcome(q_cdf, a, keys[K + a], ja)
                    reward = draw_reward(law, mu[o], sigma, keys[a], ja)
                    if n == 1:  # a round of one pull: learn at once
                        UPDATE(state, a, o, reward, params)  # noqa: F821
                    else:
                        arms[j], outcomes[j], rewards[j] = a, o, reward
                    # the metrics
                    regret, n_found, round_distinct, round_hit = count_pull(
                        gaps, correct, a, o, rounds, found, round_mark, regret, n_found, round_distinct, round_hit)
                    observed += 1
                    if j == nb - 1:
                        rounds, round_distinct_sum, pass_regret = close_round(round_distinct, round_hit, rounds,
                                                                              round_distinct_sum, pass_regret)
                    while k < n_ckpt and checkpoints[k] == observed:
                        record(out, r, k, regret, n_found, pass_regret, round_distinct_sum, rounds)
                        k += 1
                # the agent learns from the round
                for j in range(nb if n > 1 else 0):
                    UPDATE(state, arms[j], outcomes[j], rewards[j], params)  # noqa: F821
                    if penalised and control == 0:
                        observe(arms[j], outcomes[j], pen)
                if penalised:
                    clear(control, m, pen, n_touched)
