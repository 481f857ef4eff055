"""Failures of every kind end in one line and exit status 2, and leave the results folder as it was;
costs are checked before any work (issue 11)."""

import errno
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import bandits
from bandits import folder as store, sweep
from bandits.cli import main
from bandits.experiment import ExperimentError, load
from sweeps import one_line, run, write

TINY = """
[sweep]
name = "tiny"
horizon = 300
runs = 20
seed = 3
checkpoints = 20
[instance]
generator = "minimax_arms"
K = [2, 4]
eps = "= sqrt(K / T) / 2"
[[agent]]
name = "ucb1"
[[agent]]
name = "thompson"
"""


def tree(folder):
    """Every file below ``folder`` with its bytes (the state a failed run must not change)."""
    folder = Path(folder)
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# -- OS errors: read-only, disk full, a file where a folder is expected --------------------------------

def test_read_only_out_is_one_line(tmp_path, capsys, monkeypatch):
    exp = write(tmp_path, TINY)
    out = tmp_path / "out"

    real = os.open

    def refuse(path, *args, **kwargs):  # new files cannot be created, as in a read-only folder
        if str(path).endswith(".tmp"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(sweep.os, "open", refuse)  # (root ignores chmod, so a real one is tested below)
    assert run(exp, "--out", out) == 2
    line = one_line(capsys)
    assert "Permission denied" in line and str(out) in line
    assert not out.exists()  # nothing left behind


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder_for_real(tmp_path, capsys):
    exp = write(tmp_path, TINY)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert run(exp, "--out", locked / "out") == 2
        assert "Permission denied" in one_line(capsys)
    finally:
        locked.chmod(0o700)


class FullDisk:
    """A file object whose write fails as on a full disk."""

    def __init__(self, f):
        self.f = f

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.f, name)


def test_disk_full_is_one_line_and_leaves_no_config(tmp_path, capsys, monkeypatch):
    exp = write(tmp_path, TINY)
    out = tmp_path / "out"
    real = os.fdopen
    monkeypatch.setattr(sweep.os, "fdopen", lambda fd, *a, **k: FullDisk(real(fd, *a, **k)))
    assert run(exp, "--out", out) == 2
    line = one_line(capsys)
    assert "No space left on device" in line and "config.json" in line
    assert not out.exists()


def test_disk_full_during_the_cells_keeps_an_existing_folder_as_it_was(tmp_path, capsys, monkeypatch):
    exp = write(tmp_path, TINY)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    real = os.fdopen
    write_atomic = store.write_atomic

    def full_for_cells(path, data):
        if path.suffix == ".npz":
            monkeypatch.setattr(sweep.os, "fdopen", lambda fd, *a, **k: FullDisk(real(fd, *a, **k)))
        return write_atomic(path, data)

    monkeypatch.setattr(store, "write_atomic", full_for_cells)
    assert main(["run", str(exp), "--out", str(out), "--workers", "1", "--quiet", "--force"]) == 2
    line = one_line(capsys)
    assert "No space left on device" in line and ".npz" in line
    assert tree(out) == {Path("notes.txt"): b"mine"}  # no stray config.json, versions.json or cells/


def test_a_file_where_a_folder_is_expected(tmp_path, capsys):
    exp = write(tmp_path, TINY)
    (tmp_path / "file").write_text("x")
    assert run(exp, "--out", tmp_path / "file" / "sub") == 2
    assert "file" in one_line(capsys)
    assert run(exp, "--out", tmp_path / "r") == 0
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "r"), "--out", str(tmp_path / "file")]) == 2
    line = one_line(capsys)
    assert "is a file, not a folder" in line and str(tmp_path / "file") in line
    assert (tmp_path / "file").read_text() == "x"


def test_memory_error_in_a_cell_is_one_line(tmp_path, capsys, monkeypatch):
    exp = write(tmp_path, TINY)

    def no_memory(desc):
        raise MemoryError()

    monkeypatch.setattr(sweep, "compute_cell", no_memory)
    assert run(exp, "--out", tmp_path / "out") == 2
    assert "out of memory" in one_line(capsys)
    assert not (tmp_path / "out").exists()


# -- cost checks before any work -------------------------------------------------------------------------

HUGE = {
    "K = 10^9": ('[sweep]\nhorizon = 1000\nruns = 10\n[instance]\ngenerator = "needle"\nK = 1000000000\n'
                 '[[agent]]\nname = "ucb1"\n', "K=1000000000"),
    "runs x checkpoints": (TINY.replace("runs = 20", "runs = 2000000").replace("horizon = 300", "horizon = 10000000")
                           .replace("checkpoints = 20", "checkpoints = 10000"), "runs=2000000"),
}


@pytest.mark.parametrize("case", sorted(HUGE))
def test_what_cannot_fit_in_memory_is_refused_before_anything_is_written(tmp_path, case):
    text, where = HUGE[case]
    exp = write(tmp_path, text)
    began = time.time()
    result = subprocess.run([sys.executable, "-m", "bandits", "run", str(exp), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "more than this machine has" in lines[0] and where in lines[0], result.stderr
    assert not (tmp_path / "out").exists()
    assert time.time() - began < 60  # refused up front, not after allocating


def test_simulate_refuses_arrays_larger_than_memory():
    with pytest.raises(ValueError, match="more than this machine has"):
        bandits.simulate(bandits.instances.needle(K=4), "ucb1", horizon=10**7, runs=10**7, checkpoints=10**4)


def test_a_huge_grid_is_refused_at_once_unless_yes(tmp_path, capsys):
    values = ", ".join(str(k) for k in range(2, 1002))  # 1000 K x 1000 alpha = 10^6 cells
    alphas = ", ".join(f"{1 + i / 1000:g}" for i in range(1000))
    text = TINY.replace("K = [2, 4]", f"K = [{values}]").replace('name = "ucb1"', f'name = "ucb1"\nalpha = [{alphas}]')
    exp = write(tmp_path, text)
    began = time.time()
    assert run(exp, "--out", tmp_path / "out") == 2
    line = one_line(capsys)
    assert "1,001,000 cells" in line and "--yes" in line  # 10^6 ucb1 cells and 1000 thompson cells
    assert time.time() - began < 20 and not (tmp_path / "out").exists()
    small = write(tmp_path, TINY, "small.toml")
    with pytest.raises(ExperimentError, match="4 cells, more than 3"):
        load(small, max_cells=3)
    assert len(load(small, max_cells=None).cells) == 4


def test_checkpoint_counts_up_to_the_horizon_are_fast():
    began = time.time()
    points = bandits.default_checkpoints(10**5, 1, 10**5)
    assert np.array_equal(points, np.arange(1, 10**5 + 1))
    for horizon, count, batch in [(10**5, 5 * 10**4, 1), (10**6, 10**6 - 1, 1), (20000, 15000, 4), (1001, 1000, 1)]:
        points = bandits.default_checkpoints(horizon, batch, count)
        assert points[-1] == horizon and (np.diff(points) > 0).all() and points[0] >= 1
        if batch == 1:
            assert len(points) == count
        else:
            assert (points[:-1] % batch == 0).all()
    assert time.time() - began < 30  # the old search took minutes on each of these


def old_default_checkpoints(horizon, batch=1, count=100):
    """The search of earlier versions (slow when count nears horizon)."""
    count = min(count, horizon)
    asked = count
    points = np.unique(np.round(np.geomspace(1, horizon, asked)).astype(np.int64))
    while len(points) < count:
        asked += count - len(points)
        points = np.unique(np.round(np.geomspace(1, horizon, asked)).astype(np.int64))
    if batch > 1:
        points = np.minimum(np.ceil(points / batch).astype(np.int64) * batch, horizon)
    return np.unique(np.append(points, horizon))


@pytest.mark.parametrize("horizon", [50, 300, 2000, 20000, 10**6])
@pytest.mark.parametrize("count,batch", [(5, 1), (20, 1), (60, 1), (100, 1), (100, 4), (200, 8)])
def test_usual_checkpoints_are_those_of_earlier_versions(horizon, count, batch):
    assert np.array_equal(bandits.default_checkpoints(horizon, batch, count),
                          old_default_checkpoints(horizon, batch, count))


def test_batch_larger_than_horizon_and_a_single_run(tmp_path, capsys):
    exp = write(tmp_path, TINY.replace("checkpoints = 20", "checkpoints = 20\nbatch = 400"))
    assert run(exp, "--out", tmp_path / "a") == 2
    assert "sweep.batch: batch = 400 is larger than horizon = 300" in one_line(capsys)
    assert not (tmp_path / "a").exists()
    with pytest.warns(UserWarning, match="larger than horizon"):
        bandits.simulate(bandits.instances.needle(K=4), "ucb1", horizon=10, runs=2, batch=20)
    with pytest.warns(UserWarning, match="runs = 1"):
        bandits.simulate(bandits.instances.needle(K=4), "ucb1", horizon=10, runs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bandits.simulate(bandits.instances.needle(K=4), "ucb1", horizon=10, runs=2, batch=2)

    exp = write(tmp_path, TINY.replace("runs = 20", "runs = 1"), "one.toml")
    assert run(exp, "--out", tmp_path / "one") == 0
    err = capsys.readouterr().err
    assert "warning" in err and "sweep.runs = 1" in err and "no confidence" in err


# -- names, expressions, agents ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../../escaped_name", "/tmp/abs", "a/b", "..", "", "-rf", "x" * 101, "a b"])
def test_the_sweep_name_is_a_plain_name(tmp_path, capsys, name):
    (tmp_path / "work").mkdir()
    exp = write(tmp_path / "work", TINY.replace('name = "tiny"', f"name = {json.dumps(name)}"))
    before = set(tmp_path.rglob("*"))
    cwd = os.getcwd()
    os.chdir(tmp_path / "work")
    try:
        assert main(["run", str(exp), "--workers", "1", "--quiet"]) == 2  # default --out: results/NAME
    finally:
        os.chdir(cwd)
    line = one_line(capsys)
    assert "sweep.name" in line and "plain name" in line
    assert set(tmp_path.rglob("*")) == before


def test_plain_names_still_work(tmp_path):
    exp = write(tmp_path, TINY.replace('name = "tiny"', 'name = "c1a_minimax-arms.v2"'))
    assert load(exp).name == "c1a_minimax-arms.v2"


@pytest.mark.parametrize("expression,words", [
    ("= " + "(" * 100000 + "1" + ")" * 100000, "at most 1000"),
    ("= " + "(" * 300 + "1" + ")" * 300, "nests 300 brackets deep"),
    ("= " + "-" * 900 + "1", "nests more than 100"),
])
def test_expression_parser_limits_are_one_line(tmp_path, expression, words):
    exp = write(tmp_path, TINY.replace('"= sqrt(K / T) / 2"', json.dumps(expression)))
    result = subprocess.run([sys.executable, "-m", "bandits", "run", str(exp), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "instance.eps" in lines[0] and words in lines[0], result.stderr[-500:]
    assert not (tmp_path / "out").exists()


def test_define_agent_does_not_replace_a_built_in_agent_unless_asked():
    ucb1 = bandits.agents.registered()["ucb1"]
    kwargs = dict(init=ucb1.init, index=ucb1.index, update=ucb1.update, params=ucb1.params)
    with pytest.raises(ValueError, match="'ucb1' is a built-in agent.*replace=True"):
        bandits.define_agent("ucb1", **kwargs)
    assert bandits.agents.registered()["ucb1"] is ucb1
    try:
        mine = bandits.define_agent("ucb1", replace=True, **kwargs)
        assert bandits.agents.registered()["ucb1"] is mine
    finally:
        bandits.define_agent("ucb1", replace=True, **{**kwargs, "doc": ucb1.doc})
        from bandits.agents import base
        base._REGISTRY["ucb1"] = ucb1
    # an agent of one's own may be defined again (a notebook cell run twice)
    try:
        bandits.define_agent("my_twice", **kwargs)
        bandits.define_agent("my_twice", **kwargs)
    finally:
        base._REGISTRY.pop("my_twice", None)  # it reuses ucb1's functions: leave no look-alike built-in behind
