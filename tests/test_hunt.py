"""Further ways to break a run or a load, tried as a new user would (issue 21, item 4): each ends in
one line (one exception with a one-line message in Python) and loses nothing already written."""

import errno
import json
import shutil
import warnings

import numpy as np
import pytest
from numba import njit

import bandits
import bandits.rl
from bandits import Param, define_agent, experiment, sweep
from bandits import folder as store
from bandits.cli import main
from sweeps import TINY_NEEDLE as TINY, one_line, run, write

def saved(out):
    return sorted(p.stem for p in (out / "cells").glob("*.npz"))


def test_disk_full_while_writing_the_summary_keeps_the_cells_and_the_next_run_writes_it(tmp_path, capsys,
                                                                                     monkeypatch):
    exp = write(tmp_path, TINY)
    out = tmp_path / "out"
    real = store.write_atomic

    def full_for_summary(path, data):
        if path.name == "summary.csv":
            raise OSError(errno.ENOSPC, "cannot write: No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(store, "write_atomic", full_for_summary)
    assert run(exp, "--out", out) == 2
    assert "No space left on device" in one_line(capsys)
    assert len(saved(out)) == 4 and not (out / "summary.csv").exists()
    monkeypatch.setattr(store, "write_atomic", real)
    assert run(exp, "--out", out) == 0 and (out / "summary.csv").exists()


@pytest.mark.parametrize("what", ["moved", "deleted"])
def test_a_results_folder_moved_or_deleted_while_running(tmp_path, capsys, monkeypatch, what):
    exp = write(tmp_path, TINY)
    out, moved = tmp_path / "out", tmp_path / "elsewhere"
    real = sweep.save_cell

    def then_move(folder, result):
        real(folder, result)
        if folder.exists():
            shutil.move(folder, moved) if what == "moved" else shutil.rmtree(folder)

    monkeypatch.setattr(sweep, "save_cell", then_move)
    assert run(exp, "--out", out) == 2
    line = one_line(capsys)
    assert "No such file or directory" in line and str(out) in line
    if what == "moved":  # the cell saved before the move is there, and the moved folder resumes
        assert len(saved(moved)) == 1
        monkeypatch.setattr(sweep, "save_cell", real)
        assert run(exp, "--out", moved) == 0 and len(saved(moved)) == 4


def test_a_folder_of_another_version_is_refused_in_one_line_and_still_loads(tmp_path, capsys):
    exp = write(tmp_path, TINY)
    out = tmp_path / "out"
    assert run(exp, "--out", out) == 0
    config = json.loads((out / "config.json").read_text())
    config["config"]["version"] = "0.1.0"
    config["config_hash"] = store._hash16(config["config"])
    (out / "config.json").write_text(json.dumps(config))
    capsys.readouterr()
    assert run(exp, "--out", out) == 2
    line = one_line(capsys)
    assert "made by bandits 0.1.0" in line and f"this is {bandits.__version__}" in line and "--force" in line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(bandits.load(out)) == 4


def test_very_long_and_unicode_paths(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exp = write(tmp_path, TINY, "expé 実験.toml")
    out = tmp_path / "résultats" / "実験 ☃"
    assert run(exp, "--out", out) == 0
    assert len(bandits.load(out)) == 4 and json.loads((out / "config.json").read_text())["source"] == str(exp)
    capsys.readouterr()
    too_long = tmp_path / ("a" * 300)
    assert run(exp, "--out", too_long) == 2
    assert "File name too long" in one_line(capsys)
    assert main(["plot", str(too_long)]) == 2
    one_line(capsys)
    with pytest.raises(OSError, match="File name too long"):
        bandits.load(too_long)
    deep = tmp_path.joinpath(*["b" * 200] * 25)  # longer than PATH_MAX
    assert run(exp, "--out", deep) == 2
    assert "too long" in one_line(capsys)


@pytest.mark.parametrize("field, value", [("horizon", 2**63), ("horizon", 2**64), ("horizon", 10**30)])
def test_lengths_that_overflow_64_bit_integers_are_refused_in_one_line(tmp_path, capsys, field, value):
    exp = write(tmp_path, TINY.replace("horizon = 300", f"{field} = {value}"))
    assert run(exp, "--out", tmp_path / "out") == 2
    assert f"sweep.{field}: must be <= 2**62 (the compiled loop counts in 64-bit integers), got {value}" in one_line(capsys)
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="horizon must be <= 2"):  # was a multi-line Numba typing error
        bandits.simulate(bandits.instances.needle(K=4), "ucb1", horizon=value, runs=2)
    with pytest.raises(ValueError, match="steps must be <= 2"):
        bandits.rl.train(bandits.rl.transfer(), steps=value, runs=2)


def test_a_seed_beyond_64_bits_runs(tmp_path):
    big = bandits.simulate(bandits.instances.needle(K=4), "ucb1", horizon=50, runs=3, seed=2**70 + 1)
    other = bandits.simulate(bandits.instances.needle(K=4), "ucb1", horizon=50, runs=3, seed=1)
    assert big.regret.shape == other.regret.shape and not np.array_equal(big.regret, other.regret)


@pytest.mark.parametrize("arrays", [dict(Q=[[np.nan, 1.0]], mu=[0.0, 1.0]), dict(Q=[[1.0, 0.0]], mu=[np.inf, 1.0]),
                                    dict(Q=[[1.0, 0.0]], mu=[np.nan, 1.0])])
def test_nan_or_infinite_instance_arrays_are_refused_in_one_line(arrays):
    with pytest.raises(ValueError, match="must contain only finite numbers"):
        bandits.Instance(**arrays)


# -- a cell that fails: a user agent raising inside compiled code, a worker process that dies ------------

@njit(cache=True)
def _init(K, m, params):
    return (np.zeros(K), np.zeros(K))


@njit(cache=True)
def _index(state, t, params, out):
    if params[0] > 0.5 and t > 20:
        raise ValueError("this agent gives up at t = 21")
    out[:] = 0.0


@njit(cache=True)
def _update(state, arm, outcome, reward, params):
    state[0][arm] += 1.0


def test_a_user_agent_raising_in_compiled_code_fails_its_cell_in_one_line_and_keeps_the_others(tmp_path, capsys):
    define_agent("gives_up", init=_init, index=_index, update=_update,
                 params={"fail": Param(0, "1: raise inside the compiled loop", low=0, high=1, integer=True)})
    raw = {"sweep": {"name": "agents", "horizon": 100, "runs": 2, "seed": 0, "checkpoints": 5},
           "instance": {"generator": "needle", "K": 4},
           "agent": [{"name": "ucb1"}, {"name": "gives_up", "fail": [0, 1]}, {"name": "thompson"}]}
    exp = experiment.from_dict(raw)
    out = tmp_path / "out"
    with pytest.raises(sweep.CellFailed) as caught:
        sweep.run(exp, out, workers=1, progress=False)
    message = str(caught.value)
    assert "\n" not in message and "ValueError: this agent gives up at t = 21" in message
    assert "gives_up(fail=1)" in message and "2 of 4 cells saved" in message and str(out) in message
    failed = exp.cells[2]
    assert caught.value.key == failed.key and saved(out) == sorted(c.key for c in exp.cells[:2])
    res = bandits.load(out)
    assert len(res) == 2 and len(res.missing) == 2 and not res.damaged


def test_a_dead_worker_or_dask_worker_names_the_cell():
    # a real local worker killed mid-cell: test_damage.py; Dask raises KilledWorker once every worker
    # that tried the cell died (distributed.scheduler.allowed-failures)
    desc = {"key": "abc", "label": "ucb1(alpha=2)", "generator": "needle", "instance": {"K": 4}}
    from concurrent.futures.process import BrokenProcessPool

    died = sweep._failure(desc, BrokenProcessPool("A process in the process pool was terminated abruptly"))
    assert isinstance(died, sweep.CellFailed) and died.key == "abc"
    assert str(died) == ("cell abc (ucb1(alpha=2) on needle(K=4)) failed: the worker process computing it died "
                         "(killed by a signal, or out of memory)")

    class KilledWorker(Exception):
        pass

    killed = sweep._failure(desc, KilledWorker("Attempted to run task 'bandits-cell-abc' on 4 different workers,\n"
                                               "but all those workers died while running it."))
    assert str(killed).endswith("failed: KilledWorker: Attempted to run task 'bandits-cell-abc' on 4 different "
                                "workers,")
    memory = MemoryError()
    assert sweep._failure(desc, memory) is memory  # reported as such ("out of memory")


# -- the lock on file systems that have none ---------------------------------------------------------------

def test_a_file_system_without_locks_runs_unlocked_with_one_warning(tmp_path, capsys, monkeypatch):
    def no_locks(fd, how):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(store.fcntl, "flock", no_locks)
    exp = write(tmp_path, TINY)
    assert run(exp, "--out", tmp_path / "out") == 0
    line = one_line(capsys)
    assert "warning" in line and "cannot lock" in line and "No locks available" in line
    assert len(saved(tmp_path / "out")) == 4 and not (tmp_path / "out" / ".lock").exists()


def test_a_directory_where_the_lock_file_goes_is_one_line(tmp_path, capsys):
    exp = write(tmp_path, TINY)
    (tmp_path / "out" / ".lock").mkdir(parents=True)
    assert run(exp, "--out", tmp_path / "out") == 2
    assert ".lock" in one_line(capsys)
