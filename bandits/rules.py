"""The rules a run's settings obey, each checked by one function that :func:`bandits.simulate`,
:func:`bandits.rl.train`, the experiment parser (:mod:`bandits.experiment`), ``bandits run
--dry-run`` and the figures all call, so that a rule cannot be written twice with different code.

============================  ==================================================================
:func:`check_checkpoints`     a count of log-spaced checkpoints, or a list of counts in [low, length]
:func:`checkpoint_count`      how many checkpoints that gives at most (for the memory estimate)
:func:`instance_size`         K and m of an instance, read from its generator's parameters
:func:`round_problem`         rounds of ``batch`` pulls longer than the horizon: not one completes
:func:`runs_problem`          a single run: no spread, so no interval
:func:`check_name`            a plain name (a results folder, a figure file)
============================  ==================================================================

Parameters themselves (ranges, defaults, unknown names) are checked by
:func:`bandits._validate.check_params`, for agents, generators and learners alike.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ._validate import check_int

__all__ = ["NAME_PATTERN", "check_checkpoints", "checkpoint_count", "instance_size", "round_problem",
           "runs_problem", "check_name", "is_plain"]

NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,99}")


def check_checkpoints(value: object, length: int, *, low: int = 1, name: str = "checkpoints",
                      length_name: str = "horizon") -> int | np.ndarray:
    """``value`` as a count (an int >= 1) or as a sorted array of distinct counts in [low, length];
    otherwise a one-line ``ValueError`` naming ``name``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return check_int(value, name, low=1)
    items = value if isinstance(value, (list, tuple)) else []
    arr = np.asarray(value)
    if (arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer)
            or any(isinstance(c, bool) for c in items)):
        raise ValueError(f"{name} must be a count >= 1 or a non-empty list of integer counts, got {value!r}")
    arr = np.unique(arr.astype(np.int64))
    if arr[0] < low or arr[-1] > length:
        raise ValueError(f"{name} must lie in [{low}, {length_name} = {length}], got {arr[0]}..{arr[-1]}")
    return arr


def checkpoint_count(checkpoints: Any, length: int) -> int:
    """How many checkpoints ``checkpoints`` (a count or a list) gives a run of ``length`` at most:
    the list's length, or the count (up to ``length``) plus the end, which is always read."""
    if isinstance(checkpoints, (list, tuple, np.ndarray)):
        return len(checkpoints)
    return min(int(checkpoints), length) + 1


def instance_size(params: dict) -> tuple[int, int]:
    """K and m of an instance as its generator's parameters give them, for the memory estimate: K is
    0 when they do not say (the instance's arrays are then left out), m at least 2."""
    def positive(key):
        value = params.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0

    K = positive("K")
    return K, (max(positive("m"), 2) if K else 0)


def round_problem(horizon: int, batch: int) -> str | None:
    """What is wrong with rounds of ``batch`` pulls in a run of ``horizon`` pulls, or None.
    :func:`bandits.simulate` warns with it; an experiment file is refused with it."""
    if batch > horizon:
        return (f"batch = {batch} is larger than horizon = {horizon}: not one round completes, so the agent "
                "never learns from what it sees")
    return None


def runs_problem(runs: int) -> str | None:
    """What a sweep or a simulation of ``runs`` runs cannot give, or None."""
    if runs < 2:
        return (f"runs = {runs}: one run has no spread, so no confidence interval is computed (sem and the 95% "
                "interval are NaN, empty in summary.csv)")
    return None


def is_plain(name: object) -> bool:
    """A plain file name: letters, digits, ``_ . + -``, no path, not only dots."""
    return isinstance(name, str) and bool(NAME_PATTERN.fullmatch(name)) and name.strip(".") != ""


def check_name(name: object, what: str = "name") -> str:
    """``name`` if it is plain (:func:`is_plain`), else a one-line ``ValueError`` naming ``what``."""
    if not isinstance(name, str):
        raise ValueError(f"{what} must be a string, got {name!r}")
    if not is_plain(name):
        raise ValueError(f"{what} must be a plain name (letters, digits, _ . + -; no path), got {name!r}")
    return name
