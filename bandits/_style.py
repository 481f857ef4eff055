"""The look of every figure, without matplotlib: the Okabe-Ito palette (colour-blind safe), the
markers, the metric labels, the rc style, the column width, and the one drawer of a mean curve
with its 95% band (it takes an axis, so it imports nothing).

The figures (:mod:`bandits.plots`) and the notebook views (:mod:`bandits._html`) share these, so
that the views need neither pyplot nor the figure module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .engine.metrics import LABELS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["OKABE_ITO", "MARKERS", "METRIC_LABELS", "STYLE", "COLUMN_WIDTH", "fit_slope", "plot_curves"]

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
METRIC_LABELS = {
    **LABELS,  # the bandit metrics, declared with the engine
    "solved": "fraction of questions solved",
    "distinct_unsolved": "distinct answers, unsolved questions",
    "entropy_all": "answer entropy of the policy (nats)",
    "pass@32": "pass@32 of the policy",
}
STYLE: Any = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 6.5,
         "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.2, "axes.spines.top": False,
         "axes.spines.right": False, "savefig.dpi": 200, "figure.dpi": 100}
COLUMN_WIDTH = 3.4  # inches


def fit_slope(x: ArrayLike, y: ArrayLike) -> float:
    """Least-squares slope of log y against log x (points with y <= 0 dropped); NaN if < 2 points."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = (x > 0) & (y > 0) & np.isfinite(y)
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


def plot_curves(ax: Axes, table: pd.DataFrame, metric: str = "regret", colours: dict | None = None) -> None:
    """Mean ``metric`` against pull count with its 95% band, one line per label."""
    colours = colours or {}
    for i, (label, group) in enumerate(table[table.metric == metric].groupby("label", sort=False)):
        group = group.sort_values("checkpoint")
        colour = colours.get(label, OKABE_ITO[i % len(OKABE_ITO)])
        style = "-" if i < len(OKABE_ITO) else "--"  # the palette has 8 colours: dashes after that
        ax.plot(group.checkpoint, group["mean"], color=colour, label=label, linestyle=style)
        ax.fill_between(group.checkpoint, group.ci_low, group.ci_high, color=colour, alpha=0.2, linewidth=0)
