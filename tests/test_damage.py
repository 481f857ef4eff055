"""Damaged results folders (issue 21): real files are truncated, emptied, altered, replaced by another
cell's file or by a directory; each time the damage is found, named in one line, set aside (never
deleted) and recomputed on resume, and the resumed folder equals an undamaged run's bit for bit.
Also: damaged config.json and summary.csv, folders of older versions, stale temporary files, and
one writer per folder (two real processes)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bandits
from bandits import folder as store, sweep
from bandits.cli import main
from bandits.folder import ResultsError, ResultsWarning
from sweeps import TINY_NEEDLE as TINY

@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("damage")
    (tmp / "exp.toml").write_text(TINY)
    assert main(["run", str(tmp / "exp.toml"), "--out", str(tmp / "r"), "--workers", "1", "--quiet"]) == 0
    SOURCE[:] = [str(tmp / "exp.toml")]
    return tmp / "r"


SOURCE: list = []  # the experiment file of the undamaged folder


@pytest.fixture
def folder(pristine, tmp_path):
    """A copy of the undamaged folder, and its experiment file where config.json says it is."""
    shutil.copytree(pristine, tmp_path / "r")
    return tmp_path / "r"


@pytest.fixture
def drawn(monkeypatch):
    """``bandits plot`` draws (the tables it draws are recorded) but writes no figure files: faster."""
    from bandits import plots

    tables = []
    real = plots._curves_figure

    def record(table, *args, **kwargs):
        tables.append(table)
        return real(table, *args, **kwargs)

    def save(fig, stem):
        plots._pyplot().close(fig)
        return [Path(f"{stem}.png")]

    monkeypatch.setattr(plots, "_curves_figure", record)
    monkeypatch.setattr(plots, "save_figure", save)
    return tables


@pytest.fixture
def computed(monkeypatch):
    """The keys of the cells that a run computes."""
    keys = []
    real = sweep.compute_cell

    def record(desc):
        keys.append(desc["key"])
        return real(desc)

    monkeypatch.setattr(sweep, "compute_cell", record)
    return keys


def keys_of(folder):
    return [c["key"] for c in json.loads((folder / "config.json").read_text())["cells"]]


def arrays(folder):
    return {k: store.load_cell(folder, k) for k in keys_of(folder)}


def same_results(a, b):
    one, two = arrays(a), arrays(b)
    assert one.keys() == two.keys()
    for key in one:
        assert one[key].keys() == two[key].keys()
        for name in one[key]:
            assert one[key][name].dtype == two[key][name].dtype
            assert np.array_equal(one[key][name], two[key][name]), (key, name)
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()


def resume(folder, capsys):
    """``bandits run`` again on ``folder``: exit status and stderr lines."""
    capsys.readouterr()
    status = main(["run", SOURCE[0], "--out", str(folder), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return status, err.strip().splitlines()


def truncate(path):
    path.write_bytes(path.read_bytes()[:500])


def empty(path):
    path.write_bytes(b"")


def flip(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def directory(path):
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("x")


DAMAGE = {"truncated to 500 bytes": truncate, "emptied": empty, "one byte flipped": flip,
          "a directory in its place": directory}


def damage_cell(folder, how):
    first, second = keys_of(folder)[:2]
    path = folder / "cells" / f"{first}.npz"
    if how == "another cell's file":
        shutil.copyfile(folder / "cells" / f"{second}.npz", path)
    elif how == "another cell's file and record":
        shutil.copyfile(folder / "cells" / f"{second}.npz", path)
        shutil.copyfile(folder / "cells" / f"{second}.json", folder / "cells" / f"{first}.json")
    elif how == "its record emptied":
        empty(folder / "cells" / f"{first}.json")
    else:
        DAMAGE[how](path)
    return first


CELL_DAMAGE = [*DAMAGE, "another cell's file", "another cell's file and record", "its record emptied"]


@pytest.mark.parametrize("how", CELL_DAMAGE)
def test_a_damaged_cell_is_listed_by_load_refused_by_plot_and_recomputed_on_resume(folder, pristine, how, capsys,
                                                                                 computed):
    key = damage_cell(folder, how)
    before = (folder / "cells" / f"{key}.npz")
    damaged_bytes = before.read_bytes() if before.is_file() else None
    with pytest.warns(ResultsWarning, match=f"1 damaged cell not loaded: {key}") as caught:
        res = bandits.load(folder)
    assert len(caught) == 1
    assert res.missing == [key] and list(res.damaged) == [key] and len(res) == 3
    assert set(res.summary.cell) == set(keys_of(folder)) - {key}
    good = pd.read_csv(pristine / "summary.csv")
    pd.testing.assert_frame_equal(res.summary, good[good.cell != key].reset_index(drop=True), check_like=True)
    assert "damaged" in repr(res)

    capsys.readouterr()
    assert main(["plot", str(folder), "--out", str(folder.parent / "fig")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1 damaged" in err[0] and key in err[0] and "bandits run" in err[0], err
    assert not (folder.parent / "fig").exists()

    status, err = resume(folder, capsys)
    assert status == 0
    warned = [line for line in err if "warning" in line]
    assert len(warned) == 1 and key in warned[0] and f"{key}.npz.damaged-1" in warned[0], err
    assert computed == [key]  # exactly the damaged cell
    aside = folder / "cells" / f"{key}.npz.damaged-1"
    assert aside.exists()  # set aside, not deleted
    if damaged_bytes is not None:
        assert aside.read_bytes() == damaged_bytes
    same_results(folder, pristine)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(bandits.load(folder)) == 4


def test_several_damaged_cells_and_set_aside_twice(folder, pristine, capsys, computed):
    keys = keys_of(folder)
    for key, how in zip(keys[:3], (truncate, empty, flip)):
        how(folder / "cells" / f"{key}.npz")
    with pytest.warns(ResultsWarning, match="3 damaged cells"):
        assert sorted(bandits.load(folder).missing) == sorted(keys[:3])
    dry = sweep.plan(bandits.experiment.load(SOURCE[0]), folder)
    assert "3 to run (1 already in" in dry and "3 damaged" in dry and dry.count("DAMAGED") == 3
    status, err = resume(folder, capsys)
    assert status == 0 and len(err) == 3 and sorted(computed) == sorted(keys[:3])
    truncate(folder / "cells" / f"{keys[0]}.npz")  # damaged again: a second name
    assert resume(folder, capsys)[0] == 0
    assert (folder / "cells" / f"{keys[0]}.npz.damaged-2").exists()
    assert (folder / "cells" / f"{keys[0]}.npz.damaged-1").exists()
    same_results(folder, pristine)


def test_a_cell_written_by_an_interrupted_run_is_missing_not_damaged(folder, pristine, capsys, computed):
    key = keys_of(folder)[0]
    cell = folder / "cells" / f"{key}.npz"
    # killed between the record and the cell: a record alone; killed while writing: a half temporary file
    (folder / "cells" / f".{key}.npz.999999999-0.tmp").write_bytes(cell.read_bytes()[:300])
    cell.unlink()
    (folder / "summary.csv").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = bandits.load(folder)
    assert res.missing == [key] and not res.damaged
    status, err = resume(folder, capsys)
    assert status == 0 and err == [] and computed == [key]
    assert not list((folder / "cells").glob(".*.tmp"))  # its writer is dead
    same_results(folder, pristine)


def test_a_folder_of_an_older_version_loads_and_its_cells_get_records(folder, pristine, capsys, computed):
    keys = keys_of(folder)
    for record in (folder / "cells").glob("*.json"):
        record.unlink()
    (folder / "summary.json").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = bandits.load(folder)
    assert len(res) == 4 and not res.missing
    pd.testing.assert_frame_equal(res.summary, pd.read_csv(pristine / "summary.csv"))
    # without records, damage is found by reading the file back (zip CRC, shapes)
    flip(folder / "cells" / f"{keys[0]}.npz")
    truncate(folder / "cells" / f"{keys[1]}.npz")
    with pytest.warns(ResultsWarning, match="2 damaged cells"):
        res = bandits.load(folder)
    assert "CRC" in res.damaged[keys[0]] and "readable" in res.damaged[keys[1]]
    status, err = resume(folder, capsys)
    assert status == 0 and len(err) == 2 and sorted(computed) == sorted(keys[:2])
    assert {p.stem for p in (folder / "cells").glob("*.json")} == set(keys)  # every cell has its record now
    same_results(folder, pristine)


def test_a_cell_of_the_wrong_shape_is_damaged(folder):
    key = keys_of(folder)[0]
    for record in (folder / "cells").glob("*.json"):
        record.unlink()
    data = store.load_cell(folder, key)
    np.savez(folder / "cells" / f"{key}.npz", **{k: v[:5] if k != "checkpoints" else v for k, v in data.items()})
    with pytest.warns(ResultsWarning):
        res = bandits.load(folder)
    assert "not 20 runs x 20 checkpoints" in res.damaged[key]


CONFIG_DAMAGE = {"truncated to 500 bytes": truncate, "emptied": empty, "a directory in its place": directory,
                 "a value changed": lambda p: p.write_text(p.read_text().replace('"horizon": 300', '"horizon": 301')),
                 "not JSON": lambda p: p.write_text(p.read_text()[:-3])}


@pytest.mark.parametrize("how", sorted(CONFIG_DAMAGE))
def test_a_damaged_config_gets_one_line_and_is_rewritten_by_the_run(folder, pristine, how, capsys, computed):
    CONFIG_DAMAGE[how](folder / "config.json")
    with pytest.raises(ResultsError, match=r"config.json is damaged .*run .bandits run \S+ --out") as caught:
        bandits.load(folder)
    assert "\n" not in str(caught.value)
    capsys.readouterr()
    assert main(["plot", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "config.json is damaged" in err[0], err
    status, err = resume(folder, capsys)
    assert status == 0 and len(err) == 1 and "set aside as config.json.damaged-1" in err[0], err
    assert computed == []  # the cells were kept
    assert (folder / "config.json.damaged-1").exists()
    assert (folder / "config.json").read_bytes() == (pristine / "config.json").read_bytes()
    same_results(folder, pristine)


def test_a_damaged_config_next_to_cells_of_another_experiment_is_not_replaced(folder, capsys, tmp_path):
    empty(folder / "config.json")
    other = tmp_path / "other.toml"
    other.write_text(TINY.replace("horizon = 300", "horizon = 200"))
    capsys.readouterr()
    assert main(["run", str(other), "--out", str(folder), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "config.json is damaged (empty)" in err[0] and "--force" in err[0], err
    assert (folder / "config.json").read_bytes() == b"" and len(list((folder / "cells").glob("*.npz"))) == 4


SUMMARY_DAMAGE = {"truncated to 500 bytes": truncate, "emptied": empty, "one byte flipped": flip,
                  "a directory in its place": directory, "its record removed": None}


@pytest.mark.parametrize("how", sorted(SUMMARY_DAMAGE))
def test_a_damaged_summary_is_never_used(folder, pristine, how, capsys, computed, drawn):
    if how == "its record removed":  # an older version's summary: not trusted, rebuilt without a word
        (folder / "summary.json").unlink()
        (folder / "summary.csv").write_text("cell,metric\nmade,up\n")
    else:
        SUMMARY_DAMAGE[how](folder / "summary.csv")
    good = pd.read_csv(pristine / "summary.csv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = bandits.load(folder)
    pd.testing.assert_frame_equal(res.summary, good)
    assert len(caught) == (0 if how == "its record removed" else 1)
    capsys.readouterr()
    assert main(["plot", str(folder), "--out", str(folder.parent / "fig"), "--metric", "regret"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == (0 if how == "its record removed" else 1), err
    pd.testing.assert_frame_equal(drawn[0], good)  # what was drawn: the cells' summary
    assert all("rebuilt from the cells" in line for line in err)
    status, err = resume(folder, capsys)
    assert status == 0 and computed == []
    assert len(err) == (1 if how == "a directory in its place" else 0), err
    same_results(folder, pristine)


def test_a_summary_is_not_used_once_a_cell_changed(folder, pristine, capsys, drawn):
    key = keys_of(folder)[0]
    data = store.load_cell(folder, key)
    data["regret"] = data["regret"] + 1.0
    store.save_cell(folder, {"key": key, **data})  # a valid cell with other numbers (a record of its own)
    with pytest.warns(ResultsWarning, match=f"made from other cells .*{key}"):
        res = bandits.load(folder)
    regret = res.summary[(res.summary.cell == key) & (res.summary.metric == "regret")]
    old = pd.read_csv(pristine / "summary.csv")
    old = old[(old.cell == key) & (old.metric == "regret")]
    assert np.allclose(regret["mean"].to_numpy(), old["mean"].to_numpy() + 1.0)
    capsys.readouterr()
    assert main(["plot", str(folder), "--out", str(folder.parent / "fig"), "--metric", "regret"]) == 0
    assert "made from other cells" in capsys.readouterr().err  # not silently the stale summary
    pd.testing.assert_frame_equal(drawn[0], res.summary)


def test_cells_folder_replaced_by_a_file(folder, pristine, capsys, computed):
    shutil.rmtree(folder / "cells")
    (folder / "cells").write_text("not a folder")
    with pytest.warns(ResultsWarning, match="4 damaged"):
        assert len(bandits.load(folder).missing) == 4
    status, err = resume(folder, capsys)
    assert status == 0 and len(err) == 1 and "cells.damaged-1" in err[0] and len(computed) == 4
    same_results(folder, pristine)


def test_stale_temporary_files_only_of_dead_writers_are_removed(tmp_path):
    (tmp_path / "cells").mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    files = {"dead": tmp_path / "cells" / f".abc.npz.{dead_pid}-1a2b.tmp",
             "alive": tmp_path / "cells" / f".abc.npz.{os.getppid()}-1a2b.tmp",
             "old, unnamed": tmp_path / f".config.json.{'0' * 32}.tmp",
             "recent, unnamed": tmp_path / "cells" / f".def.npz.{'1' * 32}.tmp"}
    for path in files.values():
        path.write_bytes(b"half")
    os.utime(files["old, unnamed"], (time.time() - 7200,) * 2)
    removed = store.remove_stale_temps(tmp_path)
    assert sorted(removed) == sorted([files["dead"], files["old, unnamed"]])
    assert files["alive"].exists() and files["recent, unnamed"].exists()
    # this process's own temporary names carry its pid
    assert f".x.npz.{os.getpid()}-" in store._temp_name(tmp_path / "x.npz").name


# -- one writer per folder: two real processes -------------------------------------------------------------

LONG = TINY.replace("horizon = 300", "horizon = [300, 4000000000]").replace("K = [2, 8]", "K = 2") \
    .replace('[[agent]]\nname = "thompson"\n', "")


def spawned_workers(pid):
    """The pool's worker processes below ``pid`` (not multiprocessing's resource tracker), from /proc."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


@pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
                    reason="reads the process table in /proc")
def test_a_second_run_on_a_folder_in_use_refuses_in_one_line_and_a_dead_worker_is_one_line(tmp_path):
    exp = tmp_path / "long.toml"
    exp.write_text(LONG)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "bandits", "run", str(exp), "--out", str(out), "--workers", "2", "--quiet"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "first.err", "w"))
    try:
        deadline = time.time() + 120
        while not (out / ".lock").exists() or f"pid {first.pid} " not in (out / ".lock").read_text():
            assert first.poll() is None, (tmp_path / "first.err").read_text()
            assert time.time() < deadline
            time.sleep(0.05)
        began = time.time()  # the first run holds the folder (its workers are starting)
        second = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and str(out) in lines[0] and f"pid {first.pid} " in lines[0], second.stderr
        assert "being written by another bandits run" in lines[0]
        assert time.time() - began < 30  # at once, not after the first run
        while not list((out / "cells").glob("*.npz")):  # the first goes on: the short cell is saved
            assert first.poll() is None, (tmp_path / "first.err").read_text()
            assert time.time() < deadline
            time.sleep(0.1)
        assert (tmp_path / "first.err").read_text() == ""
        # bandits.load works on a folder being written: the cells saved so far
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = bandits.load(out)
        assert len(res) == 1 and len(res.missing) == 1 and not res.damaged
        before = {p.name for p in (out / "cells").iterdir()}
        # the worker computing the long cell is killed (as by the OOM killer): one line, the short cell kept
        workers = spawned_workers(first.pid)
        assert workers
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        assert first.wait(timeout=30) == 2
        err = (tmp_path / "first.err").read_text().strip().splitlines()
        assert len(err) == 1 and "worker process computing it died" in err[0] and "1 of 2 cells saved" in err[0], err
        assert {p.name for p in (out / "cells").iterdir()} == before and not (out / ".lock").exists()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path):
    (tmp_path / "out").mkdir()
    lock = tmp_path / "out" / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time\n"
                               "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
                               "fcntl.flock(fd, fcntl.LOCK_EX)\n"
                               "os.write(fd, f'pid {os.getpid()} on a host'.encode())\n"
                               "print('locked', flush=True)\n"
                               "time.sleep(120)", str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(store.FolderBusy, match=f"pid {holder.pid} on a host"):
            with store.folder_lock(tmp_path / "out"):
                pass
    finally:
        holder.kill()  # kill -9: the lock file stays behind, the lock does not
        holder.wait()
    assert lock.exists()
    with store.folder_lock(tmp_path / "out"):
        assert f"pid {os.getpid()} " in lock.read_text()
    assert not lock.exists()
