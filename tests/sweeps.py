"""Helpers of the command-line and results-folder tests: a tiny experiment file, writing one, running
``bandits run`` in this process, and reading the one line an error must print."""

from bandits.cli import main

#: Two needles (K = 2 and 8), UCB1 and Thompson, 20 runs of 300 pulls: a sweep of four cells in about a second.
TINY_NEEDLE = """
[sweep]
name = "tiny"
horizon = 300
runs = 20
seed = 3
checkpoints = 20
[instance]
generator = "needle"
K = [2, 8]
[[agent]]
name = "ucb1"
[[agent]]
name = "thompson"
"""


def write(tmp_path, text, name="exp.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def one_line(capsys):
    """The one line a failure printed on stderr (and no traceback)."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def run(*args):
    """``bandits run ARGS`` in this process, one worker, quiet; its exit status."""
    return main(["run", *map(str, args), "--workers", "1", "--quiet"])
