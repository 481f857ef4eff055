"""Results folders back into Python: :func:`load` reads what ``bandits run`` wrote.

>>> sweep = bandits.load("results/demo")
>>> sweep.summary                    # the tidy table of summary.csv (one row per cell x checkpoint x metric)
>>> cell = sweep.cells[0]            # one cell: its parameters and per-run arrays
>>> cell.params["instance"], cell.regret.shape        # (runs, checkpoints)
>>> [c for c in sweep if c.params["agent"] == "ucb1"]
>>> plot_result(sweep)               # every cell, as plot_result draws Result objects

Only finished cells that check are loaded (an interrupted sweep has fewer); ``missing`` lists the
others, and ``damaged`` says why those that are there but damaged were not loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .folder import damage_note, read_config, read_summary, scan, summary_note, warn
from .instances import TOML_GENERATORS
from .simulate import MetricArrays

__all__ = ["load", "SweepResults", "CellResult"]


@dataclass
class CellResult(MetricArrays):
    """One cell of a sweep: its parameters (as in ``config.json``) and per-run metric arrays.

    Like :class:`bandits.Result`: ``checkpoints``, ``metrics`` (name to array runs x
    checkpoints), ``regret``, ``distinct``, ``pass_regret``, ``round_distinct``, ``final``,
    ``summary()`` and ``table()``.
    """

    key: str
    params: dict
    checkpoints: np.ndarray
    metrics: dict = field(repr=False)

    @property
    def label(self) -> str:
        return self.params["label"]

    @property
    def instance_name(self) -> str:
        """The instance's name, as :class:`bandits.Instance` gives it (e.g. ``needle(K=8, m=2)``)."""
        generator = TOML_GENERATORS.get(self.params["generator"])
        if generator is not None and self.params.get("kind") != "learner":
            try:
                return generator(**self.params["instance"]).name
            except (TypeError, ValueError, MemoryError):  # pragma: no cover - it was valid when it ran
                pass
        inner = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in self.params["instance"].items())
        return f"{self.params['generator']}({inner})"

    @property
    def runs(self) -> int:
        return int(self.params["runs"])

    def __repr__(self) -> str:
        return f"CellResult({self.key}: {self.label} on {self.instance_name}, metrics {', '.join(self.metrics)})"


@dataclass
class SweepResults:
    """A results folder: ``config`` (the resolved experiment), ``summary`` (tidy table), ``cells``,
    ``missing`` (keys of the cells not loaded: not computed yet, or damaged) and ``damaged`` (key
    to the reason, for the damaged ones)."""

    folder: Path
    config: dict
    summary: pd.DataFrame
    cells: list
    missing: list
    damaged: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.config["name"]

    def __iter__(self):
        return iter(self.cells)

    def __len__(self) -> int:
        return len(self.cells)

    def __getitem__(self, item):
        if isinstance(item, str):
            for cell in self.cells:
                if cell.key == item:
                    return cell
            raise KeyError(item)
        return self.cells[item]

    def __repr__(self) -> str:
        return (f"SweepResults({self.name!r} in {self.folder}: {len(self.cells)} cells"
                f"{f', {len(self.missing)} missing' if self.missing else ''}"
                f"{f' ({len(self.damaged)} damaged)' if self.damaged else ''})")


def load(folder: str | Path) -> SweepResults:
    """Read a results folder written by ``bandits run`` (or :func:`bandits.sweep.run`).

    Every cell is checked against the checksum recorded when it was written: a damaged cell is
    not loaded but listed in ``damaged`` (key to the reason) and in ``missing`` (with the cells
    not computed yet), with one :class:`~bandits.folder.ResultsWarning`; running the experiment
    again recomputes it. ``summary`` is ``summary.csv`` when it was made from exactly the cells
    there now, else a summary rebuilt from them (with a warning if ``summary.csv`` was stale or
    damaged). Raises ``FileNotFoundError`` when ``folder`` holds no ``config.json`` and
    :class:`~bandits.folder.ResultsError` (one line) when it is damaged.
    """
    folder = Path(folder)
    config = read_config(folder)
    state = scan(folder, config)
    cells = []
    for entry in config["cells"]:
        key = entry["key"]
        if key in state.arrays:
            data = dict(state.arrays[key])
            checkpoints = data.pop("checkpoints")
            cells.append(CellResult(key, {k: v for k, v in entry.items() if k != "key"}, checkpoints, data))
    warn(damage_note(folder, state))
    summary, reason = read_summary(folder, state)
    if state.missing or state.damaged:
        reason = ""  # an unfinished folder: its summary is that of the cells there (no summary.csv to trust)
    warn(summary_note(folder, reason))
    missing = [c["key"] for c in config["cells"] if c["key"] in state.damaged or c["key"] in state.missing]
    return SweepResults(folder, config, summary, cells, missing, dict(state.damaged))
