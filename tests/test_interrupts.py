"""Ctrl-C, SIGTERM and kill -9 of a running sweep, with real processes: the runner exits within
seconds with 130 or 143 and one line, the finished cells (and only those) are saved, and no
worker process outlives it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bandits.experiment import load

from test_cli import dask_cluster  # noqa: F401  (the fixture: a scheduler and two workers)

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table in /proc")

# three cells that take a moment and one that would take minutes
LONG = """
[sweep]
name = "long"
horizon = [100, 200, 300, 4000000000]
runs = 2
seed = 1
checkpoints = 5
[instance]
generator = "needle"
K = 4
[[agent]]
name = "ucb1"
"""


def start(tmp_path, workers, **popen):
    exp = tmp_path / "long.toml"
    exp.write_text(LONG)
    out = tmp_path / "out"
    # files, not pipes: a stray worker holding a pipe open would block the test
    proc = subprocess.Popen([sys.executable, "-m", "bandits", "run", str(exp), "--out", str(out), "--workers",
                             str(workers), "--quiet"], stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "stderr", "w"), **popen)
    proc.stderr_path = tmp_path / "stderr"
    short = {c.key for c in load(exp).cells if c.horizon < 1000}
    deadline = time.time() + 180
    while saved(out) != short:
        assert proc.poll() is None, proc.stderr_path.read_text()
        assert time.time() < deadline, "the short cells should finish"
        time.sleep(0.1)
    time.sleep(0.5)  # the long cell is running now
    return proc, out, short


@pytest.fixture(autouse=True)
def no_strays():
    """Whatever the outcome, kill the processes a test started (a failing runner may leave workers)."""
    started = set()
    yield started
    for pid in alive(started):
        os.kill(pid, signal.SIGKILL)


def saved(out):
    return {p.stem for p in (out / "cells").glob("*.npz")} if (out / "cells").exists() else set()


def descendants(pid):
    """Live (not zombie) processes below ``pid``, from /proc."""
    children, found = {}, set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pids):
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def wait_gone(pids, seconds=15):
    deadline = time.time() + seconds
    while alive(pids) and time.time() < deadline:
        time.sleep(0.2)
    return alive(pids)


def stop(proc, sig, group=False):
    began = time.time()
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"the runner did not exit within 20 s of {sig!r}")
    return time.time() - began, proc.stderr_path.read_text()


def test_sigterm_saves_the_finished_cells_and_leaves_no_worker(tmp_path, no_strays):
    proc, out, short = start(tmp_path, workers=2)
    workers = descendants(proc.pid)
    no_strays.update(workers)
    assert len(workers) >= 2  # the pool's processes
    seconds, err = stop(proc, signal.SIGTERM)
    assert proc.returncode == 143
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "3 of 4 cells saved" in lines[0] and "resume" in lines[0] and str(out) in lines[0]
    assert saved(out) == short  # exactly the finished cells; the long one was abandoned
    assert not list((out / "cells").glob(".*.tmp"))
    assert not wait_gone(workers), "worker processes outlived the runner"


def test_ctrl_c_in_process_exits_at_once_with_130(tmp_path, no_strays):
    # Ctrl-C at a terminal signals the whole process group; --workers 1 computes in the runner itself
    proc, out, short = start(tmp_path, workers=1, start_new_session=True)
    no_strays.add(proc.pid)
    seconds, err = stop(proc, signal.SIGINT, group=True)
    assert proc.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "3 of 4 cells saved" in err and "Traceback" not in err
    assert saved(out) == short


def test_ctrl_c_to_the_group_with_workers_gives_no_worker_tracebacks(tmp_path, no_strays):
    proc, out, short = start(tmp_path, workers=2, start_new_session=True)
    workers = descendants(proc.pid)
    no_strays.update(workers)
    seconds, err = stop(proc, signal.SIGINT, group=True)
    assert proc.returncode == 130
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert saved(out) == short
    assert not wait_gone(workers)


def test_workers_of_a_killed_runner_exit_by_themselves(tmp_path, no_strays):
    proc, out, short = start(tmp_path, workers=2)
    workers = descendants(proc.pid)
    no_strays.update(workers)
    proc.kill()  # kill -9: no handler runs in the runner
    proc.communicate()
    assert not wait_gone(workers), "workers kept running after their runner was killed"
    assert saved(out) == short


def test_sigterm_on_a_dask_run_saves_the_finished_cells_and_cancels_the_rest(tmp_path, dask_cluster):
    from distributed import Client

    exp = tmp_path / "long.toml"
    exp.write_text(LONG.replace("4000000000", "300000000"))  # seconds, not minutes, once the workers have it
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "bandits", "run", str(exp), "--out", str(out), "--scheduler",
                             dask_cluster, "--quiet"], stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "stderr", "w"))
    proc.stderr_path = tmp_path / "stderr"
    short = {c.key for c in load(exp).cells if c.horizon < 1000}
    deadline = time.time() + 180
    while saved(out) != short:
        assert proc.poll() is None and time.time() < deadline, proc.stderr_path.read_text()
        time.sleep(0.1)
    seconds, err = stop(proc, signal.SIGTERM)
    assert proc.returncode == 143
    assert len(err.strip().splitlines()) == 1 and "3 of 4 cells saved" in err, err
    assert saved(out) == short
    with Client(dask_cluster, timeout="10s") as client:
        deadline = time.time() + 15
        while time.time() < deadline:
            tasks = client.run_on_scheduler(lambda dask_scheduler: [str(k) for k in dask_scheduler.tasks])
            if not any(k.startswith("bandits-cell-") for k in tasks):
                break
            time.sleep(0.2)
        assert not any(k.startswith("bandits-cell-") for k in tasks)
