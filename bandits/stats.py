"""Intervals over independent runs.

Per-checkpoint means: ``mean +- t_{(1+level)/2, n-1} * sd / sqrt(n)`` (Student t, sd with
``ddof=1``); with a single run the spread is unknown and sem and bounds are NaN.

Any other statistic of several cells (a slope across cells, a worst case over a grid, a ratio of
two agents): :func:`bootstrap_interval`, a percentile bootstrap that resamples the runs of each
cell independently (stratified by cell, as rliable does by task), with ``scipy.stats.bootstrap``.
"""

from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats as _st

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_METHOD = (f"percentile bootstrap, {BOOTSTRAP_RESAMPLES} resamples of the runs within each cell "
                    "(scipy.stats.bootstrap), 95%")


def ci_method(level: float = 0.95) -> str:
    """The words that describe :func:`mean_ci`'s interval at ``level``."""
    return f"Student t, {level:.0%}, over independent runs"


CI_METHOD = ci_method(0.95)


def mean_ci(values: ArrayLike, level: float = 0.95, axis: int = 0) -> tuple:
    """``(mean, sem, low, high, n)`` along ``axis`` (NaNs ignored)."""
    values = np.asarray(values, dtype=float)
    n = np.sum(~np.isnan(values), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(values, axis=axis) if values.size else np.nan
        sd = np.nanstd(values, axis=axis, ddof=1) if values.shape[axis] > 1 else np.full_like(mean, np.nan)
        sem = sd / np.sqrt(n)
        half = _st.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sem
    return mean, sem, mean - half, mean + half, n


def tidy_summary(checkpoints: ArrayLike, metrics: dict, level: float = 0.95) -> pd.DataFrame:
    """Tidy table of per-run metric arrays: checkpoint, metric, mean, sem, ci_low, ci_high, n."""
    frames = []
    for name, values in metrics.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, sem, low, high, n = mean_ci(values, level=level)
        frames.append(pd.DataFrame({"checkpoint": checkpoints, "metric": name, "mean": mean, "sem": sem,
                                    "ci_low": low, "ci_high": high, "n": n}))
    table = pd.concat(frames, ignore_index=True)
    table.attrs["ci_method"] = ci_method(level)
    return table


def bootstrap_interval(samples: Sequence[np.ndarray], statistic: Callable[[np.ndarray], np.ndarray], *, level: float = 0.95, seed: int = 0, paired: bool = False,
                       n_resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float, float]:
    """``(estimate, low, high)`` of ``statistic(means)`` where ``means`` are the cells' mean values.

    Parameters
    ----------
    samples : list of 1-D arrays
        One array of per-run values per cell (runs are independent within and across cells).
    statistic : callable
        Maps an array of cell means, shape ``(..., n_cells)``, to one value per leading index
        (it must accept the leading axis of resamples).
    level, seed, n_resamples
        Confidence level, seed of the resampling, number of resamples.
    paired : bool
        The samples are values of the same runs (say, one cell at two checkpoints): resample
        runs, keeping each run's values together.

    Notes
    -----
    The estimate is the statistic of the observed means; the interval is the percentile
    bootstrap. A statistic that is NaN on the data gives NaN bounds; cells whose runs are all
    equal (no spread) resample to themselves.
    """
    samples = [np.asarray(s, dtype=float) for s in samples]
    observed = np.array([s.mean() for s in samples])
    estimate = float(statistic(observed))
    if not np.isfinite(estimate) or min(len(s) for s in samples) < 2:
        return estimate, float("nan"), float("nan")

    def of_means(*resampled, axis=-1):
        return statistic(np.stack([r.mean(axis=axis) for r in resampled], axis=-1))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate cells (every run equal) warn but are fine
        res = _st.bootstrap(samples, of_means, n_resamples=n_resamples, confidence_level=level, method="percentile",
                            vectorized=True, paired=paired, random_state=np.random.default_rng(seed))
    return estimate, float(res.confidence_interval.low), float(res.confidence_interval.high)


def loglog_slope(x: ArrayLike, means: np.ndarray) -> np.ndarray:
    """Least-squares slope of ``log means`` against ``log x`` along the last axis (NaN if a mean <= 0)."""
    lx = np.log(np.asarray(x, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        ly = np.where(means > 0, np.log(np.where(means > 0, means, 1.0)), np.nan)
    lxc = lx - lx.mean()
    return np.sum(lxc * (ly - ly.mean(axis=-1, keepdims=True)), axis=-1) / np.sum(lxc ** 2)
