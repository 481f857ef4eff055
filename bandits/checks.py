"""Claims as measurements that can fail: a statistic, its bootstrap interval, a band.

A :class:`Check` holds one statistic of a results folder (a slope across cells, a worst case
over a grid, a ratio of two agents), its 95% interval (:func:`bandits.stats.bootstrap_interval`:
runs resampled within each cell), and the band the claim says it falls in. It is ``ok`` when
the whole interval lies in the band, not only the estimate. Negative controls are measured with
the same check and must fail it; :meth:`Check.record` says which role an agent had, and why a
control fails.

:func:`final_runs` reads the per-run values at the horizon of every cell of a results folder.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from .stats import BOOTSTRAP_METHOD, bootstrap_interval

INF = math.inf


@dataclass(frozen=True)
class Check:
    """``statistic`` measured as ``estimate`` with interval ``[low, high]``, claimed in ``band``."""

    statistic: str
    estimate: float
    low: float
    high: float
    band: tuple[float, float]

    @property
    def ok(self) -> bool:
        lo, hi = self.band
        return bool(np.isfinite(self.low) and np.isfinite(self.high) and lo <= self.low and self.high <= hi)

    @property
    def excluded(self) -> bool:
        """The whole interval lies outside the band (or the statistic is undefined): what a control must
        show to fail decisively. A control that is neither ``ok`` nor ``excluded`` straddles a band edge:
        inconclusive."""
        lo, hi = self.band
        if not (np.isfinite(self.low) and np.isfinite(self.high)):
            return True
        return bool(self.high < lo or self.low > hi)

    @property
    def why(self) -> str:
        """Why the check fails ('' when it holds), in words a reader can check on the figure."""
        lo, hi = self.band
        if not (np.isfinite(self.estimate) and np.isfinite(self.low) and np.isfinite(self.high)):
            return f"{self.statistic} is undefined (estimate {self.estimate:.3g})"
        if self.high > hi:
            return f"{self.statistic} {self.estimate:.3g} [{self.low:.3g}, {self.high:.3g}] is not below {hi:g}"
        if self.low < lo:
            return f"{self.statistic} {self.estimate:.3g} [{self.low:.3g}, {self.high:.3g}] is not above {lo:g}"
        return ""

    def record(self, role: str = "claim") -> dict:
        """A JSON-ready row: the numbers, the band, ``ok``, the role and, if it fails, the reason."""
        row = {"statistic": self.statistic, "estimate": _round(self.estimate),
               "ci95": [_round(self.low), _round(self.high)], "band": [_json_bound(b) for b in self.band],
               "ok": self.ok, "role": role}
        if not self.ok:
            row["reason"] = self.why
        return row


def measure(statistic: str, samples: Sequence[np.ndarray], fn: Callable[[np.ndarray], np.ndarray],
            band: tuple[float | None, float | None], seed: int = 0, paired: bool = False) -> Check:
    """A :class:`Check` of ``fn(cell means)`` over the per-run ``samples`` of the cells."""
    estimate, low, high = bootstrap_interval(samples, fn, seed=seed, paired=paired)
    return Check(statistic, estimate, low, high, (float(band[0]), float(band[1])))


def cell_runs(folder: str | Path, metric: str = "regret") -> pd.DataFrame:
    """One row per finished cell of a results folder: its parameters, ``checkpoints`` and ``values``.

    ``values`` is the cell's ``(runs, checkpoints)`` array of ``metric``; cells without that
    metric are left out.
    """
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    rows = []
    for cell in config["cells"]:
        path = folder / "cells" / f"{cell['key']}.npz"
        if not path.exists():
            continue
        with np.load(path, allow_pickle=False) as data:
            if metric not in data.files:
                continue
            values, checkpoints = np.asarray(data[metric], dtype=float), np.asarray(data["checkpoints"])
        params = {k: v for k, v in cell.items() if k not in ("instance", "agent_params", "settings", "checkpoints")}
        params.update(cell.get("instance", {}))
        params.update({f"agent.{k}": v for k, v in cell.get("agent_params", {}).items()})
        params.update(cell.get("settings", {}))
        rows.append({**params, "checkpoints": checkpoints, "values": values})
    return pd.DataFrame(rows)


def final_runs(folder: str | Path, metric: str = "regret") -> pd.DataFrame:
    """Like :func:`cell_runs`, with ``values`` the per-run ``metric`` at the last checkpoint."""
    frame = cell_runs(folder, metric)
    if len(frame):
        frame["values"] = [v[:, -1] for v in frame["values"]]
    return frame


def _round(x: float) -> float | None:
    return None if not np.isfinite(x) else float(f"{x:.4g}")


def _json_bound(b: float):
    return None if not np.isfinite(b) else b


METHOD = BOOTSTRAP_METHOD
