"""The results folder as data: atomic writes, cells with checksums, damage found and set aside, one writer.

Shared by the runner that writes a folder (:mod:`bandits.sweep`) and the reader that loads it
(:mod:`bandits.results`), so that the reader does not import the runner. The layout is described
in :mod:`bandits.sweep`.

Every file is written through a temporary file (named after the writing process), fsync and
rename, so a reader never sees half a file. A cell is two files: ``cells/KEY.json``, written
first, records the size and SHA-256 of ``cells/KEY.npz`` and the names, shapes and dtypes of
its arrays; ``cells/KEY.npz`` holds the arrays. A cell counts as saved when its ``.npz`` is
there *and* matches that record (and, read back, holds what its cell should: a 1-D
``checkpoints`` and one runs x checkpoints array per metric). Anything else (a truncated,
emptied or altered file, another cell's file copied in its place, a directory, an unreadable
record) is *damaged*: :func:`scan` says why, ``bandits run`` renames it ``KEY.npz.damaged-N``
(nothing is deleted) and computes the cell again, :func:`bandits.load` lists it with the missing
cells and loads the others. Cells written by versions before these records (no ``KEY.json``)
are checked by reading them back, and are given their record on the next run.

``summary.json`` records the SHA-256 of ``summary.csv`` and of every cell it was made from;
``summary.csv`` is used only when both still match, otherwise it is rebuilt from the cells.
``config.json`` checks itself: its ``config_hash`` and each cell's ``key`` are hashes of the
content next to them.

One run writes a folder at a time: :func:`folder_lock` holds an exclusive ``fcntl.flock`` on
``DIR/.lock`` for the whole run. The OS drops the lock when its process ends, however it ends
(``kill -9`` included), so a killed run never blocks the next one. A second run on a folder in
use stops at once with :class:`FolderBusy` (``bandits run``: one line naming the other process,
exit status 2) instead of waiting, as a wait would look like a hang and could only repeat work
that the first run is doing. Temporary files of writers that are no longer alive are removed
by the next run, under the lock.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import socket
import stat
import time
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cells import cell_columns
from .stats import tidy_summary

try:  # POSIX; elsewhere runs are not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["CELLS", "ResultsError", "ResultsWarning", "FolderBusy", "write_atomic", "save_cell", "load_cell",
           "scan", "FolderState", "check_cell", "CellCheck", "read_config", "summary_table", "write_summary",
           "read_summary", "summary_problem", "set_aside", "folder_lock", "remove_stale_temps"]

CELLS = "cells"
LOCK = ".lock"
STAMP = "summary.json"
#: Files of a results folder that ``bandits run`` writes besides ``cells/`` (and its lock).
OWN_FILES = ("config.json", "versions.json", "summary.csv", STAMP)


class ResultsError(ValueError):
    """A results folder that cannot be read as it is (a damaged ``config.json``, ...): one line."""


class ResultsWarning(UserWarning):
    """Damage found and dealt with: a cell set aside, a summary rebuilt (one line each)."""


class FolderBusy(ResultsError):
    """Another process is writing this results folder."""


# -- writing ---------------------------------------------------------------------------------------------

def _temp_name(path: Path) -> Path:
    """``.NAME.PID-RANDOM.tmp``: unique to this process, and says which process may still write it."""
    return path.parent / f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsync and rename.

    The temporary file is created with mode 0o666, so the umask gives it the usual permissions
    (``tempfile.mkstemp`` would make it private to its owner).
    """
    tmp = _temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {path.name} there: {exc.strerror}", str(path.parent)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):  # name the file: a failed write() does not (disk full, quota)
            raise OSError(exc.errno, f"cannot write: {exc.strerror}", str(path)) from None
        raise


def remove_stale_temps(out: Path) -> list[Path]:
    """Remove the temporary files that writers no longer alive left in ``out`` and ``out/cells``
    (call it holding :func:`folder_lock`); returns them. A temporary file of a live process is kept."""
    removed = []
    for tmp in [*(out / CELLS).glob(".*.tmp"), *out.glob(".*.tmp")]:
        owner, dash, _ = tmp.name[:-len(".tmp")].rsplit(".", 1)[-1].partition("-")
        if dash and owner.isdigit() and len(owner) < 10:
            stale = not _alive(int(owner))
        else:  # named by a version before per-process names: stale unless written in the last hour
            try:
                stale = time.time() - tmp.stat().st_mtime > 3600
            except OSError:
                continue
        if stale:
            try:
                tmp.unlink()
                removed.append(tmp)
            except FileNotFoundError:
                pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _arrays_record(arrays: dict) -> dict:
    return {k: {"dtype": v.dtype.str, "shape": list(v.shape)} for k, v in arrays.items()}


def save_cell(out: Path, result: dict) -> None:
    """Write one cell: its record ``KEY.json`` (size, SHA-256, arrays), then its arrays ``KEY.npz``,
    each atomically. A run stopped between the two leaves a record without arrays: a missing cell."""
    arrays: dict[str, Any] = {k: np.asarray(v) for k, v in result.items() if k != "key"}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    key = result["key"]
    record = {"key": key, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
              "arrays": _arrays_record(arrays)}
    write_atomic(out / CELLS / f"{key}.json", json.dumps(record, indent=1).encode())
    try:
        write_atomic(out / CELLS / f"{key}.npz", data)
    except BaseException:  # disk full, a signal: no record without its cell
        (out / CELLS / f"{key}.json").unlink(missing_ok=True)
        raise


def _adopt(out: Path, key: str, data: bytes, arrays: dict) -> None:
    """Give a cell written by an older version (no record) its record."""
    record = {"key": key, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
              "arrays": _arrays_record(arrays)}
    write_atomic(out / CELLS / f"{key}.json", json.dumps(record, indent=1).encode())


def set_aside(path: Path) -> Path:
    """Rename a damaged file (or directory) to ``NAME.damaged-N``, N the first number free; returns it."""
    n = 1
    while True:
        target = path.with_name(f"{path.name}.damaged-{n}")
        if not os.path.lexists(target):
            break
        n += 1
    os.rename(path, target)
    return target


# -- reading and checking --------------------------------------------------------------------------------

def _read_bytes(path: Path) -> bytes | str | None:
    """The bytes of a regular file; None when absent; a reason (str) when it cannot be read. An
    ``OSError`` when the folder itself cannot be reached (a name too long, a folder not searchable)."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno in (errno.ENAMETOOLONG, errno.EACCES, errno.EPERM, errno.ELOOP):
            raise OSError(exc.errno, exc.strerror, str(path.parent)) from None
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISDIR(info.st_mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    try:
        return path.read_bytes()
    except FileNotFoundError:  # set aside or replaced between the two calls
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"


def _parse_cell(data: bytes, runs: int | None) -> dict | str:
    """The arrays of a cell file, or why they cannot be trusted."""
    if not data:
        return "is empty"
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}  # reading a member checks its CRC-32
    except Exception as exc:  # noqa: BLE001 - whatever these bytes make numpy or zipfile raise, they are damaged
        return f"is not a readable cell file ({type(exc).__name__}: {str(exc)[:80]})"
    ckpt = arrays.get("checkpoints")
    if ckpt is None or ckpt.ndim != 1 or ckpt.dtype.kind not in "iu":
        return "holds no checkpoints array"
    if len(arrays) < 2:
        return "holds no metric"
    for name, values in arrays.items():
        if name == "checkpoints":
            continue
        expected = (runs if runs is not None else values.shape[0] if values.ndim else -1, len(ckpt))
        if values.ndim != 2 or values.shape != expected or values.dtype.kind not in "fiub":
            return (f"holds {name} of shape {values.shape} and dtype {values.dtype}, not {expected[0]} runs x "
                    f"{expected[1]} checkpoints of numbers")
    return arrays


@dataclass
class CellCheck:
    """What :func:`check_cell` found: ``status`` is ``"ok"``, ``"damaged"`` or ``"missing"``."""

    status: str
    reason: str = ""
    sha256: str = ""
    arrays: dict | None = None
    legacy: bool = False    # written before cell records: checked by reading it back
    data: bytes = b""


def check_cell(out: Path, key: str, runs: int | None = None, parse: bool = True) -> CellCheck:
    """Check ``cells/KEY.npz`` against its record and what a cell of ``runs`` runs holds.

    With ``parse=False``, a file that matches its record's size and SHA-256 is not read as arrays
    (it is byte for byte what was written and checked then).
    """
    data = _read_bytes(out / CELLS / f"{key}.npz")
    if data is None:
        return CellCheck("missing")
    if isinstance(data, str):
        return CellCheck("damaged", data)
    record_bytes = _read_bytes(out / CELLS / f"{key}.json")
    record = None
    if isinstance(record_bytes, str):
        return CellCheck("damaged", f"its record {key}.json {record_bytes}")
    if record_bytes is not None:
        try:
            record = json.loads(record_bytes)
            if not isinstance(record, dict) or not isinstance(record.get("sha256"), str):
                raise ValueError("not a cell record")
        except ValueError:  # UnicodeDecodeError and JSONDecodeError included
            return CellCheck("damaged", f"its record {key}.json is damaged")
        if record.get("key") != key:
            return CellCheck("damaged", f"its record {key}.json is that of cell {record.get('key')}")
    sha = hashlib.sha256(data).hexdigest()
    if record is not None:
        if len(data) != record.get("bytes"):
            what = "is empty" if not data else f"has {len(data)} bytes"
            return CellCheck("damaged", f"{what}, {record.get('bytes')} were written (truncated or replaced)", sha)
        if sha != record["sha256"]:
            return CellCheck("damaged", "does not match the checksum recorded when it was written "
                                        "(altered, or another file copied in its place)", sha)
        if not parse:
            return CellCheck("ok", sha256=sha, data=data)
    parsed = _parse_cell(data, runs)
    if isinstance(parsed, str):
        return CellCheck("damaged", parsed, sha)
    if record is not None and _arrays_record(parsed) != record.get("arrays"):
        return CellCheck("damaged", "holds other arrays than were written", sha)
    return CellCheck("ok", sha256=sha, arrays=parsed, legacy=record is None, data=data)


def load_cell(out: Path, key: str) -> dict:
    """The arrays of a saved cell; :class:`ResultsError` when it is missing or damaged."""
    check = check_cell(Path(out), key)
    if check.status != "ok":
        raise ResultsError(f"{Path(out) / CELLS / (key + '.npz')}: "
                           f"{'not saved' if check.status == 'missing' else check.reason}")
    assert check.arrays is not None
    return check.arrays


@dataclass
class FolderState:
    """The cells of a results folder as its ``config.json`` lists them: ``ok`` (key to SHA-256),
    ``damaged`` (key to the reason), ``missing`` (keys), ``legacy`` (saved by an older version)
    and, when read, ``arrays`` (key to the cell's arrays)."""

    config: dict
    ok: dict = field(default_factory=dict)
    damaged: dict = field(default_factory=dict)
    missing: list = field(default_factory=list)
    legacy: list = field(default_factory=list)
    arrays: dict = field(default_factory=dict)

    def entry(self, key: str) -> dict:
        return next(c for c in self.config["cells"] if c["key"] == key)


def scan(out: Path, config: dict, parse: bool = True, adopt: bool = False) -> FolderState:
    """Check every cell that ``config`` lists; with ``adopt`` (hold :func:`folder_lock`), cells of
    older versions get their record."""
    state = FolderState(config)
    unreachable = os.path.lexists(out / CELLS) and not (out / CELLS).is_dir()
    for entry in config["cells"]:
        key = entry["key"]
        if unreachable:
            state.damaged[key] = f"cannot be read: {CELLS} is not a folder"
            continue
        check = check_cell(out, key, entry.get("runs"), parse=parse)
        if check.status == "missing":
            state.missing.append(key)
        elif check.status == "damaged":
            state.damaged[key] = check.reason
        else:
            state.ok[key] = check.sha256
            if check.arrays is not None:
                state.arrays[key] = check.arrays
            if check.legacy:
                state.legacy.append(key)
                if adopt:
                    assert check.arrays is not None
                    _adopt(out, key, check.data, check.arrays)
    return state


def describe_cell(entry: dict) -> str:
    """``KEY (label on generator(...))``: a cell as the one-line messages name it."""
    inner = ", ".join(f"{k}={v}" for k, v in entry.get("instance", {}).items())
    return f"{entry['key']} ({entry.get('label', '?')} on {entry.get('generator', '?')}({inner}))"


def _hash16(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def read_config(out: Path) -> dict:
    """``config.json`` of a results folder, checked: ``FileNotFoundError`` when there is none,
    :class:`ResultsError` (one line) when it is damaged."""
    path = Path(out) / "config.json"
    reason = config_problem(path)
    if reason == "missing":
        raise FileNotFoundError(f"{out}: not a results folder (no config.json); run 'bandits run' first")
    if reason:
        data = _read_bytes(path)
        found = re.search(rb'"source": "([^"\\]+)"', data) if isinstance(data, bytes) else None  # what is left of it
        source = found.group(1).decode(errors="replace") if found else "FILE"
        raise ResultsError(f"{path} is damaged ({reason}); run 'bandits run {source} --out {out}' again to rewrite it")
    return json.loads(path.read_bytes())


def config_problem(path: Path) -> str:
    """Why ``config.json`` cannot be used (``"missing"`` when absent), or ``""``."""
    data = _read_bytes(path)
    if data is None:
        return "missing"
    if isinstance(data, str):
        return data
    try:
        config = json.loads(data)
    except ValueError:
        return "empty" if not data.strip() else "not valid JSON"
    if not isinstance(config, dict) or not {"name", "config_hash", "config", "cells"} <= config.keys() \
            or not isinstance(config["cells"], list) or not all(isinstance(c, dict) and "key" in c
                                                                for c in config["cells"]):
        return "not a results folder's config"
    try:
        if _hash16(config["config"]) != config["config_hash"]:
            return "its experiment does not match its config_hash"
        for cell in config["cells"]:
            if _hash16({k: v for k, v in cell.items() if k != "key"}) != cell["key"]:
                return f"cell {cell['key']} does not match its key"
    except (TypeError, ValueError):
        return "not a results folder's config"
    return ""


# -- the summary -----------------------------------------------------------------------------------------

def summary_table(config: dict, out: Path | None = None, arrays: dict | None = None) -> pd.DataFrame:
    """One row per cell x checkpoint x metric, with the cell's parameters as columns; from the
    cells' ``arrays`` (key to arrays) when given, else from the cells saved in ``out`` that check.

    With ``[sweep] baseline`` (an agent's label or name), every other agent's cell also gets
    paired rows: the metric ``"M - baseline"`` summarises, run by run, its M minus the baseline's M
    at the same instance, horizon, batch and seed. Run i of both cells saw the same environment
    numbers (common random numbers), so the interval is that of a paired difference; the
    ``baseline`` column names the baseline's label.
    """
    if arrays is None:
        assert out is not None
        arrays = scan(Path(out), config).arrays
    frames, loaded = [], {}
    for cell in config["cells"]:
        if cell["key"] not in arrays:
            continue
        data = loaded[cell["key"]] = arrays[cell["key"]]
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


def _csv(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False).encode()


def _from_csv(data: bytes) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(data))
    except pd.errors.EmptyDataError:  # a summary of no cell
        return pd.DataFrame()


def write_summary(out: Path, state: FolderState | None = None) -> FolderState:
    """Write ``summary.csv`` from the cells saved in ``out`` that check, and ``summary.json``, the
    checksums of the summary and of the cells it was made from; returns the folder's state."""
    if state is None or (state.ok.keys() - state.arrays.keys()):
        state = scan(out, read_config(out))
    data = _csv(summary_table(state.config, arrays=state.arrays))
    write_atomic(out / "summary.csv", data)
    write_atomic(out / STAMP, json.dumps({"summary_sha256": hashlib.sha256(data).hexdigest(),
                                          "cells": dict(sorted(state.ok.items()))}, indent=1).encode())
    return state


def summary_problem(out: Path, state: FolderState) -> tuple[str, bytes]:
    """Why ``summary.csv`` is not the summary of the cells in ``state`` as they are now (``""`` when
    it is; ``"missing"`` when there is none, ``"unchecked"`` when an older version wrote it without
    a record), and its bytes."""
    data = _read_bytes(out / "summary.csv")
    if data is None:
        return "missing", b""
    if isinstance(data, str):
        return f"summary.csv {data}", b""
    stamp = _read_bytes(out / STAMP)
    try:
        record = json.loads(stamp) if isinstance(stamp, bytes) else None
    except ValueError:
        record = None
    if stamp is None:  # written by an older version: cannot tell
        return "unchecked", data
    if not isinstance(record, dict) or not isinstance(record.get("cells"), dict):
        return f"its record {STAMP} is damaged", data
    if record.get("summary_sha256") != hashlib.sha256(data).hexdigest():
        return "summary.csv was changed or damaged after it was written", data
    if record["cells"] != state.ok:
        changed = sorted(k for k in record["cells"].keys() | state.ok.keys()
                         if record["cells"].get(k) != state.ok.get(k))
        return f"summary.csv was made from other cells than those saved now (cell {changed[0]})", data
    return "", data


def read_summary(out: Path, state: FolderState) -> tuple[pd.DataFrame, str]:
    """The summary of the cells in ``state``: ``summary.csv`` when it was made from exactly these
    cells as they are now, else one rebuilt from them; and why it was rebuilt (see
    :func:`summary_problem`)."""
    reason, data = summary_problem(out, state)
    if not reason:
        try:
            return _from_csv(data), ""
        except (ValueError, pd.errors.ParserError):  # pragma: no cover - its checksum matched
            reason = "summary.csv cannot be read"
    missing = state.ok.keys() - state.arrays.keys()
    if missing:  # checked by checksum only: read their arrays now
        for key in missing:
            check = check_cell(out, key, state.entry(key).get("runs"))
            if check.status == "ok":
                state.arrays[key] = check.arrays
    # as summary.csv would hold it (the same dtypes as when it is read back)
    return _from_csv(_csv(summary_table(state.config, arrays=state.arrays))), reason


def summary_note(out: Path, reason: str) -> str:
    """The one line that says a summary was rebuilt (``""`` when nothing needs saying)."""
    if reason in ("", "missing", "unchecked"):
        return ""
    return f"{out}: {reason}; using a summary rebuilt from the cells (the next 'bandits run' rewrites summary.csv)"


def damage_note(out: Path, state: FolderState) -> str:
    """One line naming the damaged cells of a folder (``""`` when there are none)."""
    if not state.damaged:
        return ""
    named = "; ".join(f"{describe_cell(state.entry(k))} {why}" for k, why in list(state.damaged.items())[:3])
    more = f"; and {len(state.damaged) - 3} more" if len(state.damaged) > 3 else ""
    return (f"{out}: {len(state.damaged)} damaged cell{'s' if len(state.damaged) > 1 else ''} not loaded: "
            f"{named}{more}; {rerun(out, state.config)} to recompute {'them' if len(state.damaged) > 1 else 'it'}")


def rerun(out: Path, config: dict) -> str:
    """``run 'bandits run FILE --out DIR' again``: the way out, with the experiment file if known."""
    source = config.get("source")
    return f"run 'bandits run {source if isinstance(source, str) and source else 'FILE'} --out {out}' again"


def unfinished_note(out: Path, state: FolderState) -> str:
    """Why a folder with missing or damaged cells cannot be drawn as finished (``""`` if it is)."""
    if not (state.missing or state.damaged):
        return ""
    parts = [f"{len(state.damaged)} damaged ({', '.join(list(state.damaged)[:3])}"
             f"{', ...' if len(state.damaged) > 3 else ''})" if state.damaged else "",
             f"{len(state.missing)} not computed" if state.missing else ""]
    return (f"{out}: not finished: of {len(state.config['cells'])} cells, {' and '.join(p for p in parts if p)}; "
            f"{rerun(out, state.config)} to compute them")


def warn(message: str) -> None:
    if message:
        warnings.warn(message, ResultsWarning, stacklevel=3)


# -- one writer ------------------------------------------------------------------------------------------

@contextmanager
def folder_lock(out: Path):
    """Hold ``out/.lock`` exclusively (``fcntl.flock``) while the block runs; :class:`FolderBusy` at
    once when another process holds it. Creates ``out``; removes the lock file at the end. On a file
    system without locks, warns in one line and runs unlocked."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover - no POSIX locks here
        yield
        return
    path = out / LOCK
    fd = _take_lock(out, path)
    try:
        if fd is not None:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since "
                          f"{time.strftime('%H:%M:%S UTC', time.gmtime())}\n".encode(), 0)
        yield
    finally:
        try:
            path.unlink(missing_ok=True)  # still holding it: whoever opens the path next makes a new one
        except OSError:  # pragma: no cover - e.g. the folder became read-only
            pass
        if fd is not None:
            os.close(fd)


def _take_lock(out: Path, path: Path) -> int | None:
    """The descriptor of the locked ``path`` (None when the file system has no locks)."""
    assert fcntl is not None
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 500, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise FolderBusy(f"{out} is being written by another bandits run ({holder}); wait for it to "
                             "finish (then run again to check), or choose another results folder") from None
        except OSError as exc:  # a file system without locks (some network or FUSE mounts)
            os.close(fd)
            warn(f"{out}: cannot lock the folder ({exc.strerror}); make sure no other run writes it at the same time")
            return None
        except BaseException:
            os.close(fd)
            raise
        try:  # the file may have been removed by the holder we waited for: lock the one at the path
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
