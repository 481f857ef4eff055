"""Run an experiment's cells in parallel into a self-describing, resumable results folder.

Layout of a results folder::

    DIR/config.json      the resolved experiment, its hash, the cells and their keys
    DIR/versions.json    versions of bandits, numpy, numba, python
    DIR/cells/KEY.npz    raw per-run arrays of one cell (written atomically, one per cell)
    DIR/cells/KEY.json   the cell file's size and SHA-256, its arrays' names, shapes and dtypes
    DIR/summary.csv      tidy summary: one row per cell x checkpoint x metric
    DIR/summary.json     the SHA-256 of summary.csv and of the cells it was made from
    DIR/.lock            held (fcntl.flock) by the run writing the folder

A cell is written with a temporary name and renamed into place once complete, so a sweep
killed at any moment (``kill -9`` included) leaves only whole cells; running the same command
again computes the missing cells only, and the damaged ones: a cell that does not match its
record is renamed ``KEY.npz.damaged-N`` and computed again, with one line naming it
(:mod:`bandits.folder` says what is checked). One run writes a folder at a time: a second one
stops at once with :class:`~bandits.folder.FolderBusy`. A cell whose computation fails (an agent
that raises, a worker process that dies) stops the sweep with :class:`CellFailed`, naming the
cell, once the cells that other workers finished are saved. Each cell is one call of its cell
type's ``compute`` (:mod:`bandits.cells`: :func:`bandits.simulate` for an agent on an instance,
:func:`bandits.rl.train` for a learner), whose seeds depend on the cell's content alone, so results are bit-identical whether the cells
ran in one process, in a local pool or on a Dask cluster, and in whatever order.

Ctrl-C (SIGINT) and SIGTERM stop a sweep at once: every cell that finished is saved, running
cells are abandoned (local workers are terminated, Dask futures cancelled) and :func:`run`
raises :class:`Interrupted`, which says how many cells are saved. Worker processes ignore
Ctrl-C (their parent stops them) and exit by themselves if their parent dies. A run that fails
before saving any cell leaves the results folder as it found it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import queue
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

import numba
import numpy as np
import pandas as pd

from ._version import __version__
from .cells import compute_cell
from .engine.memory import estimate_bytes, gib
from .experiment import Experiment, where
from .folder import (CELLS, LOCK, OWN_FILES, FolderBusy, FolderState, ResultsError, check_cell, config_problem,
                     damage_note, describe_cell, folder_lock, load_cell, remove_stale_temps, save_cell, scan,
                     set_aside, summary_problem, summary_table, warn, write_atomic, write_summary)
from .rules import checkpoint_count, instance_size
from .stats import CI_METHOD
from .warmup import compile_agent, compile_note


__all__ = ["run", "plan", "prepare_folder", "repair", "pending_cells", "SweepError", "CellFailed", "Interrupted",
           "Terminated", "FolderBusy", "ResultsError", "CELLS", "save_cell", "load_cell", "summary_table",
           "write_summary", "write_atomic"]


class SweepError(ValueError):
    """A results folder that cannot be used as asked (one-line message)."""


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM while a sweep runs (as Ctrl-C raises KeyboardInterrupt)."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(signum)
        self.signum = signum


class Interrupted(Exception):
    """A sweep stopped by a signal; the finished cells are saved and the same call resumes it."""

    def __init__(self, signum: int, saved: int, total: int, out: Path):
        self.signum, self.saved, self.total, self.out = int(signum), saved, total, Path(out)
        name = signal.Signals(self.signum).name
        super().__init__(f"interrupted ({name}): {saved} of {total} cells saved in {self.out}; "
                         "run the same command again to resume")

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def prepare_folder(exp: Experiment, out: Path, force: bool = False) -> None:
    """Create or check the results folder (holding :func:`~bandits.folder.folder_lock`); refuse one
    that holds another experiment. A damaged ``config.json`` is set aside and written again when
    the folder holds no cell of another experiment."""
    if out.exists() and not out.is_dir():
        raise SweepError(f"{out} is a file, not a folder; choose another results folder")
    config_path = out / "config.json"
    problem = config_problem(config_path)
    if not problem:
        old = json.loads(config_path.read_bytes())
        if old["config_hash"] != exp.config_hash:
            if not force:
                mine, theirs = dict(exp.config), dict(old["config"])
                version = theirs.pop("version", "?")
                mine.pop("version", None)
                if mine == theirs:  # the same experiment, run by another version of the package
                    raise SweepError(f"{out} holds results of {old.get('name', '?')} made by bandits {version} "
                                     f"(this is {__version__}), which are not mixed with this version's; pass "
                                     "--force to recompute them, or choose another results folder")
                raise SweepError(f"{out} holds results of a different experiment ({old.get('name', '?')}); "
                                 "choose another results folder or pass --force to replace them")
            _clear(out)
    elif problem != "missing":
        ours = {c.key for c in exp.cells}
        others = [p for p in (out / CELLS).glob("*.npz") if p.stem not in ours] if (out / CELLS).is_dir() else []
        if force:
            _clear(out)
        elif others:
            raise SweepError(f"{config_path} is damaged ({problem}) and {out / CELLS} holds {len(others)} cells of "
                             "another experiment; choose another results folder or pass --force to replace them")
        else:
            aside = set_aside(config_path)
            warn(f"{config_path} was damaged ({problem}); set aside as {aside.name} and written again")
    elif out.exists() and any(p.name != LOCK for p in out.iterdir()) and not force:
        raise SweepError(f"{out} exists, is not empty and is not a results folder; "
                         "choose another results folder or pass --force to write into it")
    for name in OWN_FILES[1:]:  # a directory (or another odd thing) where a file of ours goes
        path = out / name
        if os.path.lexists(path) and not path.is_file():
            warn(f"{path} is not a file; set aside as {set_aside(path).name}")
    if os.path.lexists(out / CELLS) and not (out / CELLS).is_dir():
        warn(f"{out / CELLS} is not a folder; set aside as {set_aside(out / CELLS).name}")
    (out / CELLS).mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out)  # left by killed runs (this run holds the lock: no other writer is running)
    config = {"name": exp.name, "source": exp.path, "config_hash": exp.config_hash, "config": exp.config,
              "swept": list(exp.swept), "ci_method": CI_METHOD,
              "cells": [{"key": c.key, **c.describe()} for c in exp.cells]}
    write_atomic(config_path, json.dumps(config, indent=2, default=_jsonable).encode())
    versions = {"bandits": __version__, "numpy": np.__version__, "numba": numba.__version__,
                "pandas": pd.__version__, "python": platform.python_version()}
    write_atomic(out / "versions.json", json.dumps(versions, indent=2).encode())


def _clear(out: Path) -> None:
    """--force: remove the results of another experiment (the files ``bandits run`` writes)."""
    for path in (out / CELLS, *(out / name for name in OWN_FILES)):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif os.path.lexists(path):
            path.unlink()


def repair(exp: Experiment, out: Path) -> tuple[list, FolderState]:
    """Check the saved cells of ``exp`` (holding the lock): damaged ones are set aside with one line
    each, cells of older versions get their checksum record; returns the cells to compute."""
    config = json.loads((out / "config.json").read_bytes())
    state = scan(out, config, parse=False, adopt=True)
    for key, reason in state.damaged.items():
        path = out / CELLS / f"{key}.npz"
        aside = set_aside(path)
        if os.path.lexists(out / CELLS / f"{key}.json"):
            os.rename(out / CELLS / f"{key}.json", out / CELLS / f"{key}.json.{aside.name.rsplit('.', 1)[-1]}")
        warn(f"cell {describe_cell(state.entry(key))} {reason}; set aside as {CELLS}/{aside.name}, computing it again")
    todo_keys = set(state.missing) | set(state.damaged)
    return [c for c in exp.cells if c.key in todo_keys], state


def plan(exp: Experiment, out: str | Path, workers: int | None = None) -> str:
    """What ``bandits run --dry-run`` prints: one line per cell, then the estimated cost."""
    out = Path(out)
    status = {c.key: check_cell(out, c.key, c.runs, parse=False).status for c in exp.cells} if out.is_dir() else {}
    done = {k for k, s in status.items() if s == "ok"}
    damaged = sum(s == "damaged" for s in status.values())
    lines = [f"{exp.name}: {len(exp.cells)} cells, {len(exp.cells) - len(done)} to run "
             f"({len(done)} already in {out}{f', {damaged} damaged: set aside and computed again' if damaged else ''})"]
    pulls = memory = disk = 0
    for cell in exp.cells:
        d = cell.describe()
        length = d.get("horizon", d.get("steps"))
        count = checkpoint_count(d["checkpoints"], length)
        run_length = f"T={length} n={d['batch']}" if "horizon" in d else f"steps={length}"
        state = "done" if cell.key in done else "DAMAGED" if status.get(cell.key) == "damaged" else "todo"
        lines.append(f"  {cell.key}  {state}  {d['label']:28s} "
                     f"{d['generator']}({where(d['instance'])})  {run_length} runs={d['runs']} checkpoints={count}")
        metrics = len(cell.metrics)
        memory = max(memory, estimate_bytes(d["runs"], count, *instance_size(d["instance"]), metrics=metrics))
        disk += estimate_bytes(d["runs"], count, metrics=metrics)
        if cell.key not in done:
            pulls += d["runs"] * length
    workers = workers or os.cpu_count() or 1
    lines.append(f"cost: {pulls:,} pulls (or training steps) to run; memory about {gib(memory)} per cell, "
                 f"{gib(memory * min(workers, max(len(exp.cells), 1)))} with {workers} workers; "
                 f"results about {gib(disk)} on disk")
    return "\n".join(lines)


def pending_cells(exp: Experiment, out: Path) -> list:
    """The cells of ``exp`` that are not saved in ``out``, or damaged there."""
    return [c for c in exp.cells if check_cell(out, c.key, c.runs, parse=False).status != "ok"]


def run(exp: Experiment, out: str | Path, *, workers: int | None = None, scheduler: str | None = None,
        force: bool = False, progress: bool = True) -> Path:
    """Run every missing cell of ``exp`` into ``out`` and write the summary; return ``out``.

    Raises :class:`Interrupted` after Ctrl-C or SIGTERM (finished cells saved, workers stopped).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SweepError(f"{out} is a file, not a folder; choose another results folder")
    client = _connect(scheduler) if scheduler else None  # before anything is written
    existed, had_config = out.exists(), os.path.lexists(out / "config.json")
    saver = _Saver(out)
    try:
        with _signals_raise(), folder_lock(out):  # one writer; the folder is created here
            try:
                _fill(exp, out, saver, force=force, workers=workers, client=client, progress=progress)
            except Exception as exc:
                if saver.count == 0 and not isinstance(exc, (Interrupted, FolderBusy)):
                    _restore_folder(out, existed, had_config)
                raise
    finally:
        if client is not None:
            client.close()
    return out


class _Saver:
    """Saves each finished cell into the results folder and counts them."""

    def __init__(self, out: Path):
        self.out, self.count = out, 0

    def __call__(self, result) -> None:
        save_cell(self.out, result)
        self.count += 1


def _fill(exp: Experiment, out: Path, saver: _Saver, *, force: bool, workers: int | None, client,
          progress: bool) -> None:
    """With the folder locked: prepare it, run the cells it lacks, and rewrite the summary if anything
    changed."""
    prepare_folder(exp, out, force=force)
    todo, state = repair(exp, out)
    descs = [{"key": c.key, **c.describe()} for c in todo]
    note = compile_note([d["agent"] for d in descs if d.get("kind") == "bandit"],
                        1 if client is not None else (workers or os.cpu_count() or 1)) if progress else None
    if note is not None:
        print(note, file=sys.stderr, flush=True)
    bar = _Progress(len(exp.cells), len(exp.cells) - len(todo), exp.cells[0].runs, progress, note)
    try:
        _collect(exp, out, len(exp.cells) - len(todo), descs, workers, client, bar, saver)
    finally:
        bar.close()
    if saver.count or state.damaged or state.legacy or summary_problem(out, state)[0]:
        final = write_summary(out)
        if final.damaged or final.missing:  # pragma: no cover - damaged while this run held the lock
            warn(damage_note(out, final))
    # else: nothing changed, and summary.csv is that of the cells as they are


def _collect(exp: Experiment, out: Path, done: int, descs, workers, client, bar, saver: _Saver) -> None:
    """Run the cells described by ``descs`` and save each as it finishes (``done`` were saved before);
    after Ctrl-C, SIGTERM or a failed cell, save those already finished and raise."""
    with _executor(descs, workers, client) as execution:
        try:
            for result in execution.results():
                saver(result)
                bar.update(1)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
            if threading.current_thread() is threading.main_thread():  # save, then exit
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            execution.stop()
            for result in execution.finished():
                saver(result)
            raise Interrupted(getattr(exc, "signum", signal.SIGINT), done + saver.count, len(exp.cells), out) from None
        except CellFailed as exc:  # keep what the other cells finished, then say which failed
            execution.stop()
            for result in execution.finished():
                saver(result)
            raise CellFailed(f"{exc}; {done + saver.count} of {len(exp.cells)} cells saved in {out}", exc.key) from None


def _restore_folder(out: Path, existed: bool, had_config: bool) -> None:
    """After a failure that saved nothing, remove what this run created."""
    try:
        if not existed:
            shutil.rmtree(out, ignore_errors=True)
        elif not had_config:
            for name in ("config.json", "versions.json"):
                (out / name).unlink(missing_ok=True)
            if (out / CELLS).is_dir() and not any((out / CELLS).iterdir()):
                (out / CELLS).rmdir()
    except OSError:  # pragma: no cover - best effort: the original error is the one to report
        pass


@contextmanager
def _signals_raise():
    """SIGTERM raises :class:`Terminated` in the main thread while the sweep runs (Ctrl-C already
    raises KeyboardInterrupt); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def stop(signum, frame):
        raise Terminated(signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _connect(scheduler: str):
    """A Dask client for the scheduler at ``scheduler``, or a one-line SweepError."""
    try:
        from dask.distributed import Client
    except ImportError:  # pragma: no cover - dask is a declared dependency
        raise SweepError("--scheduler needs dask.distributed (pip install 'dask[distributed]')") from None
    import dask

    try:  # 10 s unless Dask's configuration says otherwise (e.g. DASK_BANDITS__CONNECT_TIMEOUT=2s)
        return Client(scheduler, timeout=dask.config.get("bandits.connect-timeout", "10s"))
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


@contextmanager
def _executor(descs, workers, client):
    """Where the cells run: a Dask cluster, a local process pool, or a thread of this process."""
    if client is not None:
        execution = _DaskExecution(descs, client)
    elif (workers or os.cpu_count() or 1) == 1 or len(descs) <= 1:
        execution = _ThreadExecution(descs)
    else:
        execution = _PoolExecution(descs, workers or os.cpu_count() or 1)
    try:
        yield execution
    except BaseException:
        execution.stop()
        raise
    else:
        execution.close()


class _ThreadExecution:
    """Cells one after another in a daemon thread, so that the main thread stays responsive to
    signals (a compiled loop does not return to Python until it ends); abandoned on a stop."""

    def __init__(self, descs):
        self.queue = queue.Queue()
        self.halt = threading.Event()
        self.remaining = len(descs)
        self.thread = threading.Thread(target=self._work, args=(descs,), daemon=True, name="bandits-cells")
        if descs:
            self.thread.start()

    def _work(self, descs):
        for desc in descs:
            if self.halt.is_set():
                return
            try:
                self.queue.put((compute_cell(desc), None))
            except BaseException as exc:  # handed to the main thread
                self.queue.put((None, _failure(desc, exc)))
                return

    def results(self):
        while self.remaining:
            try:
                result, error = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if error is not None:
                raise error
            self.remaining -= 1
            yield result

    def finished(self):
        while True:
            try:
                result, error = self.queue.get_nowait()
            except queue.Empty:
                return
            if error is None:
                yield result

    def stop(self):
        self.halt.set()

    def close(self):
        pass


class _PoolExecution:
    """Cells in local worker processes (spawned); on a stop, pending cells are cancelled and the
    workers terminated at once."""

    def __init__(self, descs, workers):
        ctx = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(max_workers=min(workers, len(descs)), mp_context=ctx,
                                        initializer=_worker_init, initargs=(os.getpid(),))
        # first one compile per agent, so that the agents compile in parallel and each once (the
        # workers take tasks in order; a cold cache would otherwise have two workers compile the
        # same agent for their first cells); with a warm cache each task only loads the loop
        agents = sorted({d["agent"] for d in descs if d.get("kind") == "bandit"})
        self.warm = [self.pool.submit(compile_agent, name) for name in agents] if len(agents) > 1 else []
        self.futures = [self.pool.submit(compute_cell, d) for d in descs]
        self.descs = dict(zip(self.futures, descs))
        self.collected = set()

    def results(self):
        for future in as_completed(self.futures):
            self.collected.add(future)
            try:
                result = future.result()
            except Exception as exc:
                raise _failure(self.descs[future], exc) from None
            yield result

    def finished(self):
        for future in self.futures:
            if future not in self.collected and future.done() and not future.cancelled() \
                    and future.exception() is None:
                self.collected.add(future)
                yield future.result()

    def stop(self):
        for future in self.futures:
            future.cancel()
        # ProcessPoolExecutor has no public way to stop running tasks (terminate_workers() comes in
        # Python 3.14): terminate its processes directly
        procs = list((getattr(self.pool, "_processes", None) or {}).values())
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        self.pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():  # pragma: no cover - SIGTERM is not ignored by the workers
                proc.kill()

    def close(self):
        self.pool.shutdown(wait=True)


class _DaskExecution:
    """Cells as Dask futures; on a stop the futures are cancelled on the cluster."""

    def __init__(self, descs, client):
        self.client = client
        self.futures = client.map(compute_cell, descs, key=[f"bandits-cell-{d['key']}" for d in descs], pure=False)
        self.descs = {f"bandits-cell-{d['key']}": d for d in descs}
        self.collected = set()

    def results(self):
        from dask.distributed import as_completed as dask_completed
        for future in dask_completed(self.futures):
            self.collected.add(future.key)
            try:
                result = future.result()
            except Exception as exc:  # the cell raised, or every worker that ran it died (KilledWorker)
                raise _failure(self.descs.get(future.key, {"key": str(future.key)}), exc) from None
            yield result

    def finished(self):
        for future in self.futures:
            if future.key not in self.collected and future.status == "finished":
                self.collected.add(future.key)
                yield future.result()

    def stop(self):
        self.client.cancel(self.futures)

    def close(self):
        pass


class CellFailed(SweepError):
    """A cell's computation raised, or the process computing it died: one line naming the cell."""

    def __init__(self, message: str, key: str):
        super().__init__(message)
        self.key = key


def _failure(desc: dict, exc: BaseException) -> BaseException:
    """What a failed cell raises in the runner: :class:`CellFailed`, naming the cell and the error.
    Interrupts, and running out of memory or disk (reported as such), pass unchanged."""
    if not isinstance(exc, Exception) or isinstance(exc, (MemoryError, OSError, SweepError)):
        return exc
    if isinstance(exc, BrokenProcessPool):
        what = "the worker process computing it died (killed by a signal, or out of memory)"
    else:
        text = str(exc).strip().splitlines()
        what = f"{type(exc).__name__}: {text[0][:200] if text else ''}".rstrip(": ")
    cell = describe_cell(desc) if "label" in desc else desc["key"]
    return CellFailed(f"cell {cell} failed: {what}", desc["key"])


def _worker_init(parent: int) -> None:
    """In each worker process: leave Ctrl-C to the parent (which stops the workers), and exit if
    the parent dies (``kill -9``), so that no worker outlives its sweep."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="bandits-parent-watch").start()


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

    def __init__(self, total, done, runs_per_cell, enabled, note=None):
        self.bar = None
        self.runs_per_cell = runs_per_cell
        self.start = time.perf_counter()
        self.count = 0
        if enabled:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, initial=done, unit="cell", desc="cells", dynamic_ncols=True)
            if note is not None:   # until the first cell ends (in Jupyter, the widget has no stderr line)
                self.bar.set_postfix_str(note)

    def update(self, n):
        self.count += n
        if self.bar is not None:
            rate = self.count * self.runs_per_cell / max(time.perf_counter() - self.start, 1e-9)
            self.bar.set_postfix_str(f"{rate:.3g} runs/s", refresh=False)
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
