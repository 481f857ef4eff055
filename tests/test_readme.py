"""The README's Python examples run as written."""

import re
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_readme_python_block_runs(number, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(BLOCKS[number], f"README.md block {number}", "exec"), namespace)
    if "res" in namespace:
        assert namespace["res"].regret.shape[0] in (50, 200)


def test_readme_has_the_two_commands():
    text = README.read_text()
    assert "python -m pytest" in text and "bandits reproduce --quick" in text
    assert "bandits run experiments/demo.toml" in text
    assert len(BLOCKS) >= 2
