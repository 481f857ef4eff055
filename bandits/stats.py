"""Summaries over runs: mean, standard error and a 95% Student-t confidence interval.

The interval is ``mean +- t_{0.975, n-1} * sd / sqrt(n)`` over independent runs (sd with
``ddof=1``); with a single run the spread is unknown and sem and bounds are NaN.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _st

CI_METHOD = "Student t, 95%, over independent runs"


def mean_ci(values: np.ndarray, level: float = 0.95, axis: int = 0):
    """``(mean, sem, low, high, n)`` along ``axis`` (NaNs ignored)."""
    values = np.asarray(values, dtype=float)
    n = np.sum(~np.isnan(values), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(values, axis=axis) if values.size else np.nan
        sd = np.nanstd(values, axis=axis, ddof=1) if values.shape[axis] > 1 else np.full_like(mean, np.nan)
        sem = sd / np.sqrt(n)
        half = _st.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sem
    return mean, sem, mean - half, mean + half, n
