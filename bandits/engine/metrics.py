"""The metrics the run loop records, declared once: the table, and the compiled pieces that count them.

:data:`METRICS` is the one list of bandit metrics: their order is the ``out[run, metric, checkpoint]``
axis of the loop, and ``simulate``, the summaries, the plots and the labels all read it. Adding a
metric: a :class:`Metric` here, its counting in :func:`count_pull` / :func:`close_round`, its value
in :func:`record` (the position of its entry in METRICS), and a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numba import njit


@dataclass(frozen=True)
class Metric:
    """A metric of a run, read at the checkpoints."""

    name: str
    label: str                              # axis label
    doc: str
    applies: Callable[[object, int], bool]  # (instance, batch) -> is it defined there?


METRICS = (
    Metric("regret", "pseudo-regret", "sum over all pulls of theta* - theta_a", lambda inst, batch: True),
    Metric("distinct", "distinct outcomes discovered", "outcomes seen at least once so far",
           lambda inst, batch: True),
    Metric("pass_regret", "pass regret (failed rounds)",
           "completed rounds in which no pull reached a correct outcome (verifiable rewards, deterministic map)",
           lambda inst, batch: inst.has_pass_metric),
    Metric("round_distinct", "distinct outcomes per round", "mean number of distinct outcomes per completed round",
           lambda inst, batch: batch > 1),
)
NAMES = tuple(m.name for m in METRICS)
LABELS = {m.name: m.label for m in METRICS}


def applicable(instance, batch: int) -> tuple:
    """The names of the metrics defined for ``instance`` with rounds of ``batch`` pulls."""
    return tuple(m.name for m in METRICS if m.applies(instance, batch))


@njit(cache=True, inline="always")
def count_pull(gaps, correct, a, o, rounds, found, round_mark, regret, n_found, round_distinct, round_hit):
    """Count one pull of arm ``a`` with outcome ``o`` in the round numbered ``rounds``.

    Branch-free, so that Numba drops the reference counts of the arrays it is given (with a
    branch this piece alone costs the run loop about 12% of UCB1's speed).
    """
    regret += gaps[a]
    n_found += not found[o]
    found[o] = True
    round_distinct += round_mark[o] != rounds
    round_mark[o] = rounds
    return regret, n_found, round_distinct, round_hit | correct[o]


@njit(cache=True, inline="always")
def close_round(round_distinct, round_hit, rounds, round_distinct_sum, pass_regret):
    """End a round: one more round, its distinct outcomes, and a failed round if no pull was correct."""
    if not round_hit:
        pass_regret += 1.0
    return rounds + 1, round_distinct_sum + round_distinct, pass_regret


@njit(cache=True, inline="always")
def record(out, r, k, regret, n_found, pass_regret, round_distinct_sum, rounds):
    """Write checkpoint ``k`` of run ``r``: ``out[r, i, k]`` is METRICS[i]."""
    out[r, 0, k] = regret
    out[r, 1, k] = n_found
    out[r, 2, k] = pass_regret
    out[r, 3, k] = round_distinct_sum / rounds if rounds > 0 else np.nan
