"""Checkpoints: the pull (or step) counts at which a run's metrics are read.

Declared once for every kind of run: :func:`bandits.simulate`, :func:`bandits.rl.train` and the
experiment files resolve their ``checkpoints`` here.
"""

from __future__ import annotations

import numpy as np

from .._validate import check_int

__all__ = ["default_checkpoints", "resolve_checkpoints"]


SEARCH_LIMIT = 1000


def default_checkpoints(horizon: int, batch: int = 1, count: int = 100) -> np.ndarray:
    """About ``count`` log-spaced pull counts from 1 to ``horizon``, ``horizon`` included.

    With rounds of ``batch`` pulls they are moved up to the end of their round, so that the
    round metrics (pass regret, distinct outcomes per round) are read on whole rounds. The
    work is O(count) whatever ``count`` is (up to ``horizon``).
    """
    count = min(count, horizon)
    points = _log_points(horizon, count)
    if batch > 1:
        points = np.minimum(np.ceil(points / batch).astype(np.int64) * batch, horizon)
    return np.unique(np.append(points, horizon))


def _log_points(horizon: int, count: int) -> np.ndarray:
    """``count`` distinct integers in [1, horizon], log-spaced, 1 and ``horizon`` included.

    Rounding ``geomspace(1, horizon, count)`` makes small values collide; asking for a few more
    points fills the gaps. For up to ``SEARCH_LIMIT`` points that search is kept, so the usual
    counts (about 100) give the checkpoints of earlier versions; it stops after a work budget of
    ``64 * count`` points, and beyond it (or above ``SEARCH_LIMIT``) the points are built
    directly (:func:`_dense_log_points`), so any count up to ``horizon`` costs O(count).
    """
    if count <= SEARCH_LIMIT:
        asked, work = count, 0
        points = np.unique(np.round(np.geomspace(1, horizon, asked)).astype(np.int64))
        while len(points) < count:
            asked += count - len(points)
            work += asked
            if work > 64 * count:
                break
            points = np.unique(np.round(np.geomspace(1, horizon, asked)).astype(np.int64))
        else:
            return points
    return _dense_log_points(horizon, count)


def _dense_log_points(horizon: int, count: int) -> np.ndarray:
    """Every integer 1..k, then ``count - k`` geometric points from k to ``horizon``.

    k is the smallest value for which the geometric part has steps of at least 1 (so its
    rounded points are distinct): exactly ``count`` points, in O(count).
    """
    if count >= horizon:
        return np.arange(1, horizon + 1, dtype=np.int64)
    if count == 1:
        return np.array([horizon], dtype=np.int64)
    k = np.arange(1, count, dtype=np.float64)        # candidate dense prefixes 1..k
    with np.errstate(over="ignore"):
        first_step = k * np.expm1(np.log(horizon / k) / (count - k))
    k = int(k[np.argmax(first_step >= 1.0)]) if (first_step >= 1.0).any() else count - 1
    tail = np.round(np.geomspace(k, horizon, count - k + 1)[1:]).astype(np.int64)
    return np.unique(np.concatenate([np.arange(1, k + 1, dtype=np.int64), tail]))


def resolve_checkpoints(checkpoints, length: int, batch: int = 1, *, length_name: str = "horizon",
                        low: int = 1) -> np.ndarray:
    """The checkpoints of a run of ``length`` pulls (or steps): ``None`` gives the default (about 100
    log-spaced counts), an int that many, a list exactly those counts (each in [low, length]).

    The one resolver of :func:`simulate`, :func:`bandits.rl.train` and experiment files.
    """
    if checkpoints is None:
        return default_checkpoints(length, batch)
    if isinstance(checkpoints, (int, np.integer)) and not isinstance(checkpoints, bool):
        count = check_int(checkpoints, "checkpoints", low=1)
        return default_checkpoints(length, batch, count)
    arr = np.asarray(checkpoints)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError("checkpoints must be a count or a non-empty 1-D list of counts (integers)")
    arr = np.unique(arr.astype(np.int64))
    if arr[0] < low or arr[-1] > length:
        raise ValueError(f"checkpoints must lie in [{low}, {length_name}={length}], got {arr[0]}..{arr[-1]}")
    return arr
