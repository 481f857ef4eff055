"""The README and the guides on the docs site: their Python examples run as written, their
experiment examples parse, and the README stays a front door."""

import re
import tomllib
from pathlib import Path

import matplotlib
import pytest

from bandits import experiment

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GUIDES = sorted((ROOT / "docs").glob("guide_*.md"))
PAGES = [README, *GUIDES]


def blocks(language):
    """(page, number, code) for every fenced block of `language` in the README and the guides."""
    return [(page.name, number, code) for page in PAGES
            for number, code in enumerate(re.findall(rf"```{language}\n(.*?)```", page.read_text(), flags=re.S))]


PYTHON = blocks("python")
TOML = blocks("toml")


@pytest.mark.parametrize(("page", "number", "code"), PYTHON, ids=[f"{p}-{n}" for p, n, _ in PYTHON])
def test_python_block_runs(page, number, code, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, f"{page} block {number}", "exec"), namespace)
    if "res" in namespace:
        assert namespace["res"].regret.shape[0] in (50, 200)


@pytest.mark.parametrize(("page", "number", "code"), TOML, ids=[f"{p}-{n}" for p, n, _ in TOML])
def test_toml_block_is_a_valid_experiment(page, number, code):
    table = tomllib.loads(code)
    if "sweep" in table:
        assert experiment.from_dict(table).cells, f"{page} block {number} expands to no cell"


def test_readme_is_a_front_door():
    text = README.read_text()
    assert "python -m pytest" in text and "bandits reproduce --quick" in text
    assert "bandits run experiments/demo.toml" in text
    assert len(text.splitlines()) <= 250, "the README is a front door: the guides live in docs/"
    assert "<!-- claims-table:start -->" in text and "<!-- claims-table:end -->" in text
    for guide in GUIDES:                       # every guide is linked from the front door
        assert f"(docs/{guide.name})" in text, f"README does not link {guide.name}"


def test_every_guide_is_on_the_docs_site():
    index = (ROOT / "docs" / "index.md").read_text()
    for guide in GUIDES:
        assert re.search(rf"^{guide.stem}$", index, flags=re.M), f"{guide.name} is not in docs/index.md's toctree"


def test_the_checks_can_fail(tmp_path):
    """A guide block that raises fails its test; a guide missing from the toctree is caught."""
    with pytest.raises(ZeroDivisionError):
        exec(compile("1 / 0", "guide block", "exec"), {})
    assert not re.search(r"^guide_nowhere$", (ROOT / "docs" / "index.md").read_text(), flags=re.M)
