"""The command line end to end: run, resume after kill -9, Dask, plot, list, bad input."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import bandits
from bandits.cli import main
from bandits.sweep import load_cell
from sweeps import write

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
alpha = [1.0, 2.0]
[[agent]]
name = "thompson"
"""


def cells_of(folder):
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    return {c["key"]: load_cell(folder, c["key"]) for c in config["cells"]}


def assert_same_results(a, b):
    ca, cb = cells_of(a), cells_of(b)
    assert ca.keys() == cb.keys()
    for key in ca:
        assert ca[key].keys() == cb[key].keys()
        for name in ca[key]:
            assert np.array_equal(ca[key][name], cb[key][name], equal_nan=True), (key, name)


def cli(*args, cwd=None, timeout=300, env=None):
    return subprocess.run([sys.executable, "-m", "bandits", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env=None if env is None else {**os.environ, **env})


def test_run_writes_a_self_describing_folder(tmp_path):
    exp = write(tmp_path, TINY)
    assert main(["run", str(exp), "--out", str(tmp_path / "r"), "--workers", "1", "--quiet"]) == 0
    folder = tmp_path / "r"
    config = json.loads((folder / "config.json").read_text())
    versions = json.loads((folder / "versions.json").read_text())
    assert set(versions) >= {"bandits", "numpy", "numba"}
    assert len(config["cells"]) == 2 * 3 and len(list((folder / "cells").glob("*.npz"))) == 6
    import pandas as pd
    table = pd.read_csv(folder / "summary.csv")
    for column in ("K", "eps", "agent", "label", "agent.alpha", "checkpoint", "metric", "mean", "sem", "ci_low",
                   "ci_high", "n"):
        assert column in table.columns
    # the expression was evaluated per cell: eps = sqrt(K / T) / 2
    for K in (2, 4):
        assert table[table.K == K].eps.unique() == pytest.approx([np.sqrt(K / 300) / 2])
    # a cell equals the direct simulate call
    inst = bandits.instances.minimax_arms(K=4, eps=np.sqrt(4 / 300) / 2)
    direct = bandits.simulate(inst, "ucb1", horizon=300, runs=20, seed=3, checkpoints=20, alpha=1.0)
    cell = next(c for c in config["cells"] if c["instance"]["K"] == 4 and c["agent_params"].get("alpha") == 1.0)
    assert np.array_equal(load_cell(folder, cell["key"])["regret"], direct.regret)


def test_workers_do_not_change_results_and_finished_cells_are_not_recomputed(tmp_path):
    exp = write(tmp_path, TINY)
    assert main(["run", str(exp), "--out", str(tmp_path / "one"), "--workers", "1", "--quiet"]) == 0
    assert main(["run", str(exp), "--out", str(tmp_path / "two"), "--workers", "2", "--quiet"]) == 0
    assert_same_results(tmp_path / "one", tmp_path / "two")
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "one" / "cells").iterdir()}
    assert main(["run", str(exp), "--out", str(tmp_path / "one"), "--workers", "1", "--quiet"]) == 0
    assert stamps == {p: p.stat().st_mtime_ns for p in (tmp_path / "one" / "cells").iterdir()}


SLOW = """
[sweep]
name = "slow"
horizon = 20000
runs = 8
seed = 5
checkpoints = 10
[instance]
generator = "minimax_outcomes"
K = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
m = 4
eps = 0.1
[[agent]]
name = "kl_ucb"
"""


def test_killed_sweep_resumes_to_identical_results(tmp_path):
    exp = write(tmp_path, SLOW)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "bandits", "run", str(exp), "--out", str(out), "--workers", "1",
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        if (out / "cells").exists() and len(list((out / "cells").glob("*.npz"))) >= 2:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list((out / "cells").glob("*.npz")))
    assert 2 <= done < 12, "the sweep should be stopped part way"
    assert not (out / "summary.csv").exists()
    assert cli("run", exp, "--out", out, "--workers", "2", "--quiet").returncode == 0
    assert main(["run", str(exp), "--out", str(tmp_path / "whole"), "--workers", "2", "--quiet"]) == 0
    assert_same_results(out, tmp_path / "whole")
    assert (out / "summary.csv").read_text() == (tmp_path / "whole" / "summary.csv").read_text()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A scheduler and two worker processes on 127.0.0.1, stopped after the test."""
    pytest.importorskip("distributed")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    bindir = Path(sys.executable).parent
    dask = [str(bindir / "dask")] if (bindir / "dask").exists() else [sys.executable, "-m", "distributed.cli.dask"]
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                              cwd=tmp_path)]
    for _ in range(2):
        procs.append(subprocess.Popen([*dask, "worker", address, "--nthreads", "1", "--no-dashboard",
                                       "--host", "127.0.0.1"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, env=env, cwd=tmp_path))
    from distributed import Client
    deadline = time.time() + 60
    while True:
        try:
            with Client(address, timeout="2s") as client:
                client.wait_for_workers(2, timeout=30)
            break
        except (OSError, TimeoutError):
            if time.time() > deadline:
                raise
            time.sleep(0.5)
    yield address
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_dask_cluster_gives_the_local_results(tmp_path, dask_cluster):
    exp = write(tmp_path, TINY)
    result = cli("run", exp, "--out", tmp_path / "dask", "--scheduler", dask_cluster, "--quiet")
    assert result.returncode == 0, result.stderr
    assert main(["run", str(exp), "--out", str(tmp_path / "local"), "--workers", "1", "--quiet"]) == 0
    assert_same_results(tmp_path / "dask", tmp_path / "local")


def test_plot_writes_pdf_and_png(tmp_path):
    exp = write(tmp_path, TINY)
    assert main(["run", str(exp), "--out", str(tmp_path / "r"), "--workers", "1", "--quiet"]) == 0
    assert main(["plot", str(tmp_path / "r"), "--out", str(tmp_path / "fig")]) == 0
    names = {p.name for p in (tmp_path / "fig").iterdir()}
    for stem in ("tiny_regret_curves", "tiny_regret_vs_K"):
        assert {f"{stem}.pdf", f"{stem}.png"} <= names
    assert all((tmp_path / "fig" / n).stat().st_size > 1000 for n in names)


def test_list_names_every_agent_and_generator(capsys):
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    for name in list(bandits.agents.registered()) + ["needle", "llm_like", "minimax_arms"]:
        assert name in text


LEARN = """
[sweep]
name = "learn"
steps = 200
runs = 4
seed = 2
checkpoints = 5
[questions]
generator = "transfer"
X = 6
K = 30
m = 5
[[learner]]
bonus = ["none", "batch"]
eta = 0.5
"""

BAD = {
    "broken toml": ("[sweep\nhorizon = 1", "not valid TOML"),
    "unknown agent": (TINY.replace('name = "thompson"', 'name = "thompsen"'), "unknown agent 'thompsen'"),
    "unknown generator": (TINY.replace('"minimax_arms"', '"minimax"'), "instance.generator: unknown generator 'minimax'"),
    "unknown instance parameter": (TINY.replace("K = [2, 4]", "K = [2, 4]\nkk = 3"),
                                   "instance.kk: generator 'minimax_arms' has no parameter 'kk'"),
    "unknown agent parameter": (TINY.replace("alpha = [1.0, 2.0]", "beta = 1.0"), "no parameter 'beta'"),
    "wrong type": (TINY.replace("runs = 20", 'runs = "many"'), "sweep.runs: must be an integer"),
    "out of range": (TINY.replace("runs = 20", "runs = 0"), "sweep.runs: must be >= 1"),
    "impossible value": (TINY.replace("alpha = [1.0, 2.0]", "alpha = -1.0"), "ucb1.alpha must be > 0"),
    "instance value": (TINY.replace("K = [2, 4]", "K = [0, 4]"), "K must be >= 1"),
    "bad expression": (TINY.replace('"= sqrt(K / T) / 2"', '"= __import__(1)"'), "instance.eps: expression"),
    "unknown name in expression": (TINY.replace('"= sqrt(K / T) / 2"', '"= sqrt(Q)"'), "unknown name 'Q'"),
    "unknown section": (TINY + "\n[extra]\na = 1\n", "extra: unknown section"),
    "missing horizon": (TINY.replace("horizon = 300\n", ""), "sweep.horizon: missing field"),
    "zero checkpoints": (TINY.replace("checkpoints = 20", "checkpoints = 0"), "sweep.checkpoints: must be"),
    "generator not a name": (TINY.replace('generator = "minimax_arms"', 'generator = ["needle"]'), "unknown generator"),
    "huge power": (TINY.replace('"= sqrt(K / T) / 2"', '"= 9 ** 9 ** 9"'), "powers are limited"),
    "text in arithmetic": (TINY.replace('"= sqrt(K / T) / 2"', '"= -family"'), "instance.eps: expression"),
    "figure without kind": (TINY + "\n[figure]\nx = 1\n", "figure.kind: missing field"),
    "quick not a table": (TINY + "\n[quick]\nsweep = 1\n", "[quick]: may only hold"),
    "learner bonus": (LEARN.replace('bonus = ["none", "batch"]', 'bonus = "bonanza"'), "bonus must be one of"),
    "learner empty list": (LEARN.replace('bonus = ["none", "batch"]', "bonus = []"), "an empty list sweeps nothing"),
    "learner seed": (LEARN.replace("seed = 2", "seed = -1"), "sweep.seed: must be >= 0"),
    "learner checkpoints": (LEARN.replace("checkpoints = 5", 'checkpoints = "a"'), "sweep.checkpoints: must be"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, case):
    text, words = BAD[case]
    exp = write(tmp_path, text)
    result = cli("run", exp, "--out", tmp_path / "out", timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(exp) in lines[0] and words in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_a_different_experiment_is_refused_without_force(tmp_path, capsys):
    exp = write(tmp_path, TINY)
    out = tmp_path / "r"
    assert main(["run", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    other = write(tmp_path, TINY.replace("seed = 3", "seed = 4"), "other.toml")
    assert main(["run", str(other), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "different experiment" in err[0] and "--force" in err[0]
    assert before == {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert main(["run", str(other), "--out", str(out), "--workers", "1", "--quiet", "--force"]) == 0
    assert json.loads((out / "config.json").read_text())["config"]["sweep"]["seed"] == 4


def test_missing_file_and_bad_flags(tmp_path):
    result = cli("run", tmp_path / "nope.toml")
    assert result.returncode == 2 and "cannot read the file" in result.stderr
    result = cli("run", tmp_path / "nope.toml", "--workers", "0")
    assert result.returncode == 2 and "--workers must be >= 1" in result.stderr
    result = cli("frobnicate")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    result = cli("plot", tmp_path)
    assert result.returncode == 2 and "not a finished results folder" in result.stderr


def test_learner_experiment_runs_resumes_and_plots(tmp_path):
    exp = write(tmp_path, LEARN)
    assert main(["run", str(exp), "--out", str(tmp_path / "r"), "--workers", "1", "--quiet"]) == 0
    assert main(["run", str(exp), "--out", str(tmp_path / "r2"), "--workers", "2", "--quiet"]) == 0
    assert_same_results(tmp_path / "r", tmp_path / "r2")
    import pandas as pd
    table = pd.read_csv(tmp_path / "r" / "summary.csv")
    assert set(table.label) == {"GRPO (arm logits)", "GRPO+batch (arm logits)"}
    assert {"solved", "pass@32", "distinct_hard"} <= set(table.metric)
    assert main(["plot", str(tmp_path / "r"), "--out", str(tmp_path / "fig")]) == 0
    assert (tmp_path / "fig" / "learn_solved_curves.png").exists()


def test_out_is_a_file_and_unreachable_scheduler_write_nothing(tmp_path):
    exp = write(tmp_path, TINY)
    (tmp_path / "file").write_text("x")
    result = cli("run", exp, "--out", tmp_path / "file")
    assert result.returncode == 2 and "is a file" in result.stderr
    result = cli("run", exp, "--out", tmp_path / "out", "--scheduler", f"tcp://127.0.0.1:{free_port()}",
                 env={"DASK_BANDITS__CONNECT_TIMEOUT": "2s"})  # Dask's own configuration; 10 s by default
    assert result.returncode == 2 and "cannot reach the Dask scheduler" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_results_are_readable_by_others(tmp_path):
    exp = write(tmp_path, TINY)
    assert main(["run", str(exp), "--out", str(tmp_path / "r"), "--workers", "1", "--quiet"]) == 0
    for path in (tmp_path / "r").rglob("*"):
        if path.is_file():
            assert path.stat().st_mode & 0o044, path  # not private to the owner (umask permitting)


def test_reproduce_checks_the_figure_tables_of_its_folder_in_one_line(tmp_path):
    """The paper's figure kinds are known to experiments/claims, not to the library's parser."""
    import shutil
    folder = tmp_path / "paper"
    shutil.copytree(Path(__file__).resolve().parent.parent / "experiments" / "claims", folder / "claims")
    (folder / "c9_pie.toml").write_text(TINY + '\n[figure]\nkind = "pie"\n')
    result = cli("reproduce", folder, "--quick", "--results", tmp_path / "r", "--figures", tmp_path / "f")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "c9_pie.toml: figure.kind: unknown figure kind 'pie'" in lines[0], result.stderr
    assert not (tmp_path / "r").exists() and not (tmp_path / "f").exists()
