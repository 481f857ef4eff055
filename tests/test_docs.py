"""The documentation site builds with warnings as errors, and its key pages exist.

Runs the README's build command (``python -m sphinx -W --keep-going -b html docs OUT``) in a
subprocess, into a temporary folder, from a cold start (no doctree cache): a malformed docstring,
a broken cross-reference or a notebook that does not render fails it. About 20-30 s on this
project's 2-core machine, most of it importing the package and reading the notebooks.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

pytest.importorskip("sphinx", reason="the docs extra is not installed: pip install -e '.[docs]' (the test extra has it)")
pytest.importorskip("myst_nb", reason="the docs extra is not installed: pip install -e '.[docs]' (the test extra has it)")

PAGES = [
    "index.html",
    "theory.html",
    "tutorials/index.html",
    "tutorials/quickstart.html",
    "tutorials/theory.html",
    "tutorials/rl_sampling.html",
    "tutorials/rollouts.html",
    "api/index.html",
    "api/instances.html",
    "api/agents.html",
    "api/simulate.html",
    "api/experiments.html",
    "api/plots.html",
    "api/stats.html",
    "api/theory.html",
    "api/rl.html",
    "api/rollouts.html",
    "api/cli.html",
    "api/engine.html",
    "py-modindex.html",
    "genindex.html",
    *(f"{page.stem}.html" for page in sorted(DOCS.glob("guide_*.md"))),   # the guides (README's "where next")
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs_html")
    doctrees = tmp_path_factory.mktemp("docs_doctrees")
    env = dict(os.environ, MPLBACKEND="Agg")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-d", str(doctrees),
         str(DOCS), str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"sphinx failed ({done.returncode}):\n{done.stderr[-6000:]}"
    return out


def test_docs_build_without_warnings(site):
    for page in PAGES:
        assert (site / page).is_file(), f"{page} was not built"


def test_docs_pages_have_their_content(site):
    def text(page):
        return (site / page).read_text(encoding="utf-8")

    assert "Theorem 4.1" in text("theory.html")
    api = text("api/simulate.html")
    assert 'id="bandits.simulate.simulate"' in api and 'id="bandits.simulate.Result"' in api
    assert 'id="bandits.agents.base.define_agent"' in text("api/agents.html")
    assert 'id="bandits.instances.needle"' in text("api/instances.html")
    assert 'id="bandits.rl.learner.train"' in text("api/rl.html")
    assert "usage: bandits run" in text("api/cli.html")
    assert "outcome-bandits: a quickstart" in text("tutorials/quickstart.html")
    assert "define_agent" in text("guide_extending.html") and "common random numbers" in text("guide_reproducibility.html")
    for link in ("theory.html", "tutorials/index.html", "api/index.html", "guide_model.html", "guide_speed.html"):
        assert f'href="{link}' in text("index.html")


def test_a_broken_reference_fails_the_build(tmp_path):
    """docs/_ext/refcheck.py: a re-exported name resolves, a reference to nothing is an error."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(DOCS / '_ext')!r})\n"
        "extensions = ['myst_parser', 'refcheck']\n")
    (src / "index.rst").write_text(
        "Page\n====\n\n.. py:function:: bandits.results.load(folder)\n\n"
        "Re-exported: :func:`bandits.load`; another library: :mod:`ast`, :class:`ValueError`.\n\n"
        ".. toctree::\n\n   broken\n")
    (src / "broken.md").write_text("# Broken\n\n{func}`bandits.no_such_function`\n")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html",
                           str(src), str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode != 0
    broken = [line for line in done.stderr.splitlines() if "broken reference" in line]
    assert len(broken) == 1 and "bandits.no_such_function" in broken[0] and "broken.md" in broken[0], done.stderr
    assert "bandits.load" not in done.stderr and "ast" not in done.stderr.replace("last", "")
