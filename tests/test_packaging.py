"""The installed package without the source tree: a built wheel runs `bandits run` on its own, and
`bandits reproduce` (the paper's code, which stays beside experiments/) says in one line what to do."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = """[sweep]
name = "tiny"
horizon = 200
runs = 4
checkpoints = [100, 200]
[instance]
generator = "needle"
K = 4
[[agent]]
name = "ucb1"
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from this checkout, installed (without dependencies) into a folder of its own."""
    root = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(root)],
                           capture_output=True, text=True, timeout=300)
    if build.returncode != 0:
        pytest.fail(f"pip wheel failed: {build.stderr[-2000:]}")
    (wheel,) = root.glob("*.whl")
    target = root / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return wheel, target


def bandits_cli(target, cwd, *args):
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run([sys.executable, "-m", "bandits", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_wheel_holds_the_library_and_not_the_papers_code(installed):
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("bandits/cli.py", "bandits/cells.py", "bandits/engine/loop.py", "bandits/agents/ucb1.py",
                   "bandits/rl/learner.py", "bandits/checks.py"):
        assert module in names
    assert not [n for n in names if "claims" in n or n.startswith("experiments/") or n.startswith("tests/")]


def test_installed_package_runs_an_experiment_outside_the_checkout(installed, tmp_path):
    _, target = installed
    (tmp_path / "tiny.toml").write_text(TINY)
    where = subprocess.run([sys.executable, "-c", "import bandits; print(bandits.__file__)"], cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(target)}, capture_output=True, text=True)
    assert Path(where.stdout.strip()).is_relative_to(target)  # the installed copy, not the checkout
    result = bandits_cli(target, tmp_path, "run", "tiny.toml", "--out", "out", "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "summary.csv").exists() and len(list((tmp_path / "out" / "cells").glob("*.npz"))) == 1


def test_reproduce_outside_a_checkout_says_what_to_do_in_one_line(installed, tmp_path):
    _, target = installed
    result = bandits_cli(target, tmp_path, "reproduce", "--quick")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no claims/ package here" in lines[0] and "source checkout" in lines[0]
    assert not any(tmp_path.iterdir())  # nothing written
