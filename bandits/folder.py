"""The results folder as data: where its cells are, and how they are read back and summarised.

Shared by the runner that writes a folder (:mod:`bandits.sweep`) and the reader that loads it
(:mod:`bandits.results`), so that the reader does not import the runner. The layout is described
in :mod:`bandits.sweep`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .cells import cell_columns
from .stats import tidy_summary

__all__ = ["CELLS", "load_cell", "summary_table"]

CELLS = "cells"   # DIR/cells/KEY.npz: one file per finished cell


def load_cell(out: Path, key: str) -> dict:
    """One cell's arrays (``checkpoints`` and each metric), read from ``out/cells/KEY.npz``."""
    with np.load(Path(out) / CELLS / f"{key}.npz", allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def summary_table(config: dict, out: Path) -> pd.DataFrame:
    """One row per cell x checkpoint x metric, with the cell's parameters as columns.

    With ``[sweep] baseline`` (an agent's label or name), every other agent's cell also gets
    paired rows: the metric ``"M - baseline"`` summarises, run by run, its M minus the baseline's M
    at the same instance, horizon, batch and seed. Run i of both cells saw the same environment
    numbers (common random numbers), so the interval is that of a paired difference; the
    ``baseline`` column names the baseline's label.
    """
    frames, loaded = [], {}
    for cell in config["cells"]:
        path = Path(out) / CELLS / f"{cell['key']}.npz"
        if not path.exists():
            continue
        data = loaded[cell["key"]] = load_cell(out, cell["key"])
        metrics = {k: v for k, v in data.items() if k != "checkpoints"}
        frames.append(_with_columns(tidy_summary(data["checkpoints"], metrics), cell))
    baseline = config.get("config", {}).get("sweep", {}).get("baseline")
    if baseline is not None:
        frames += _paired_frames(config["cells"], loaded, baseline)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _with_columns(frame: pd.DataFrame, cell: dict, **extra) -> pd.DataFrame:
    for name, value in reversed({"cell": cell["key"], **cell_columns(cell), **extra}.items()):
        frame.insert(0, name, value)
    return frame


#: What a bandit cell's agent is; every other field of its description is the point it was run at.
AGENT_FIELDS = ("key", "agent", "agent_params", "lam", "label")


def _paired_frames(cells: list, loaded: dict, baseline: str) -> list:
    """Paired-difference rows of every saved cell against the baseline cell of the same point."""
    def point(cell):
        return json.dumps({k: v for k, v in cell.items() if k not in AGENT_FIELDS}, sort_keys=True)

    is_base = [c for c in cells if c.get("kind") == "bandit" and (c["label"] == baseline or c["agent"] == baseline)]
    bases = {point(c): c for c in is_base if c["key"] in loaded}
    frames = []
    for cell in cells:
        base = bases.get(point(cell))
        if base is None or cell["key"] == base["key"] or cell["key"] not in loaded:
            continue
        ours, theirs = loaded[cell["key"]], loaded[base["key"]]
        diffs = {f"{m} - baseline": ours[m] - theirs[m] for m in ours if m != "checkpoints" and m in theirs}
        frames.append(_with_columns(tidy_summary(ours["checkpoints"], diffs), cell, baseline=base["label"]))
    return frames
