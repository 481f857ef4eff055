"""Run an experiment's cells in parallel into a self-describing, resumable results folder.

Layout of a results folder::

    DIR/config.json      the resolved experiment, its hash, the cells and their keys
    DIR/versions.json    versions of bandits, numpy, numba, python
    DIR/cells/KEY.npz    raw per-run arrays of one cell (written atomically, one per cell)
    DIR/summary.csv      tidy summary: one row per cell x checkpoint x metric

A cell is written with a temporary name and renamed into place once complete, so a sweep
killed at any moment (``kill -9`` included) leaves only whole cells; running the same command
again computes the missing cells only. Each cell is an ordinary :func:`bandits.simulate` call
whose seeds depend on the cell's content alone, so results are bit-identical whether the cells
ran in one process, in a local pool or on a Dask cluster, and in whatever order.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import platform
import shutil
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .experiment import Experiment
from .simulate import tidy_summary
from .stats import CI_METHOD

CELLS = "cells"


class SweepError(ValueError):
    """A results folder that cannot be used as asked (one-line message)."""


def compute_cell(desc: dict) -> dict:
    """Simulate one cell from its plain description (runs in a worker process)."""
    from .experiment import TOML_FAMILIES
    from .simulate import simulate

    if desc.get("kind") == "learner":
        from .rl import FAMILIES as QUESTION_FAMILIES, train
        res = train(QUESTION_FAMILIES[desc["family"]](**desc["instance"]), **desc["settings"], steps=desc["steps"],
                    runs=desc["runs"], seed=desc["seed"], checkpoints=desc["checkpoints"], n_jobs=1)
        return {"key": desc["key"], "checkpoints": res.checkpoints, **res.metrics}

    instance = TOML_FAMILIES[desc["family"]](**desc["instance"])
    checkpoints = desc["checkpoints"]
    res = simulate(instance, desc["agent"], horizon=desc["horizon"], runs=desc["runs"], seed=desc["seed"],
                   batch=desc["batch"], checkpoints=list(checkpoints) if isinstance(checkpoints, (list, tuple))
                   else checkpoints, n_jobs=1, lam=desc["lam"], **desc["agent_params"])
    return {"key": desc["key"], "checkpoints": res.checkpoints, **res.metrics}


def prepare_folder(exp: Experiment, out: Path, force: bool = False) -> None:
    """Create or check the results folder; refuse one that holds another experiment."""
    if out.exists() and not out.is_dir():
        raise SweepError(f"{out} is a file, not a folder; choose another results folder")
    config_path = out / "config.json"
    if config_path.exists():
        try:
            old = json.loads(config_path.read_text())
            old_hash = old["config_hash"]
        except (OSError, ValueError, KeyError):
            old_hash = None
        if old_hash != exp.config_hash:
            if not force:
                raise SweepError(f"{out} holds results of a different experiment "
                                 f"({old.get('name', '?') if old_hash else 'unreadable config.json'}); "
                                 "choose another results folder or pass --force to replace them")
            shutil.rmtree(out / CELLS, ignore_errors=True)
            for name in ("summary.csv", "config.json", "versions.json"):
                (out / name).unlink(missing_ok=True)
    elif out.exists() and any(out.iterdir()) and not force:
        raise SweepError(f"{out} exists, is not empty and is not a results folder; "
                         "choose another results folder or pass --force to write into it")
    (out / CELLS).mkdir(parents=True, exist_ok=True)
    for stale in [*(out / CELLS).glob(".*.tmp"), *out.glob(".*.tmp")]:  # left by a killed run
        stale.unlink()
    config = {"name": exp.name, "source": exp.path, "config_hash": exp.config_hash, "config": exp.config,
              "swept": list(exp.swept), "ci_method": CI_METHOD,
              "cells": [{"key": c.key, **c.describe()} for c in exp.cells]}
    _write_atomic(config_path, json.dumps(config, indent=2, default=_jsonable).encode())
    import numba
    versions = {"bandits": __version__, "numpy": np.__version__, "numba": numba.__version__,
                "pandas": pd.__version__, "python": platform.python_version()}
    _write_atomic(out / "versions.json", json.dumps(versions, indent=2).encode())


def pending_cells(exp: Experiment, out: Path) -> list:
    return [c for c in exp.cells if not (out / CELLS / f"{c.key}.npz").exists()]


def run(exp: Experiment, out, *, workers=None, scheduler=None, force=False, progress=True) -> Path:
    """Run every missing cell of ``exp`` into ``out`` and write the summary; return ``out``."""
    out = Path(out)
    client = _connect(scheduler) if scheduler else None  # before anything is written
    try:
        prepare_folder(exp, out, force=force)
        todo = pending_cells(exp, out)
        descs = [{"key": c.key, **c.describe()} for c in todo]
        bar = _Progress(len(exp.cells), len(exp.cells) - len(todo), exp.cells[0].runs, progress)
        try:
            for result in _execute(descs, workers, client):
                save_cell(out, result)
                bar.update(1)
        finally:
            bar.close()
    finally:
        if client is not None:
            client.close()
    write_summary(exp, out)
    return out


def _connect(scheduler: str):
    """A Dask client for the scheduler at ``scheduler``, or a one-line SweepError."""
    try:
        from dask.distributed import Client
    except ImportError:  # pragma: no cover - dask is a declared dependency
        raise SweepError("--scheduler needs dask.distributed (pip install 'dask[distributed]')") from None
    try:
        return Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def _execute(descs, workers, client):
    """Yield cell results as they finish, from a Dask cluster, a process pool or this process."""
    if not descs:
        return
    if client is not None:
        from dask.distributed import as_completed as dask_completed
        futures = client.map(compute_cell, descs, key=[f"bandits-cell-{d['key']}" for d in descs], pure=False)
        for future in dask_completed(futures):
            yield future.result()
        return
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(descs) == 1:
        for desc in descs:
            yield compute_cell(desc)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(descs)), mp_context=ctx) as pool:
        futures = [pool.submit(compute_cell, d) for d in descs]
        for future in as_completed(futures):
            yield future.result()


def save_cell(out: Path, result: dict) -> None:
    """Write one cell's arrays atomically (temporary file, fsync, rename)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(v) for k, v in result.items() if k != "key"})
    _write_atomic(out / CELLS / f"{result['key']}.npz", buffer.getvalue())


def load_cell(out: Path, key: str) -> dict:
    with np.load(Path(out) / CELLS / f"{key}.npz", allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def summary_table(config: dict, out: Path) -> pd.DataFrame:
    """One row per cell x checkpoint x metric, with the cell's parameters as columns."""
    frames = []
    for cell in config["cells"]:
        path = Path(out) / CELLS / f"{cell['key']}.npz"
        if not path.exists():
            continue
        data = load_cell(out, cell["key"])
        if cell.get("kind") == "learner":
            columns = {"cell": cell["key"], "family": cell["family"], **cell["instance"], "steps": cell["steps"],
                       "label": cell["label"], **{("group_size" if k == "n" else k): v
                                                  for k, v in cell["settings"].items()}}
        else:
            columns = {"cell": cell["key"], "family": cell["family"], **cell["instance"], "horizon": cell["horizon"],
                       "batch": cell["batch"], "agent": cell["agent"], "label": cell["label"],
                       **{f"agent.{k}": v for k, v in cell["agent_params"].items()}, "lam": cell["lam"]}
        metrics = {k: v for k, v in data.items() if k != "checkpoints"}
        frame = tidy_summary(data["checkpoints"], metrics)
        for name, value in reversed(columns.items()):
            frame.insert(0, name, value)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def write_summary(exp: Experiment, out: Path) -> None:
    config = json.loads((out / "config.json").read_text())
    table = summary_table(config, out)
    _write_atomic(out / "summary.csv", table.to_csv(index=False).encode())


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsync and rename.

    The temporary file is created with mode 0o666, so the umask gives it the usual permissions
    (``tempfile.mkstemp`` would make it private to its owner).
    """
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in config.json")


class _Progress:
    """tqdm bar over cells with runs per second in the postfix (silent when disabled)."""

    def __init__(self, total, done, runs_per_cell, enabled):
        self.bar = None
        self.runs_per_cell = runs_per_cell
        self.start = time.perf_counter()
        self.count = 0
        if enabled:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, initial=done, unit="cell", desc="cells", dynamic_ncols=True)

    def update(self, n):
        self.count += n
        if self.bar is not None:
            rate = self.count * self.runs_per_cell / max(time.perf_counter() - self.start, 1e-9)
            self.bar.set_postfix_str(f"{rate:.3g} runs/s", refresh=False)
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
