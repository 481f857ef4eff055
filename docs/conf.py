"""Sphinx configuration of the outcome-bandits documentation.

Build (from the repository root; warnings are errors, as in CI)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The API pages are autodoc of the docstrings (Google/NumPy style through napoleon), the model and
theory page is ``docs/theory.md`` (MyST Markdown), and the tutorials are the committed notebooks
of ``notebooks/`` (symlinked into ``docs/tutorials/``), rendered with their stored outputs by
myst-nb without executing them. No remote inventories are fetched: the build needs no network.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))  # the package from this checkout, installed or not

os.environ.setdefault("MPLBACKEND", "Agg")

import bandits  # noqa: E402

project = "outcome-bandits"
author = "outcome-bandits developers"
copyright = "2026, outcome-bandits developers"
version = release = bandits.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_nb",  # MyST Markdown (docs/theory.md, the pages) and the notebooks
    "clihelp",  # docs/_ext/clihelp.py: the `bandits` command's --help, read at build time
    "refcheck",  # docs/_ext/refcheck.py: references follow re-exports; a broken one is a warning
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/.ipynb_checkpoints", "README.md"]

# Notebooks are committed with their outputs: render those, never execute (the notebook tests run
# them). A notebook without outputs still renders (its code and text).
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# autodoc: the documented members of each module, in source order, with the signatures' hints in
# the signature (the descriptions are the docstrings').
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True}  # no "Bases: object" lines
autodoc_preserve_defaults = True  # `horizon=DEFAULTS["steps"]`, not the value at import time
napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# A reference to a name that is not documented here (numpy.ndarray, pandas.DataFrame, ...) stays
# plain text: there are no remote inventories to resolve it against (no network in CI).
nitpicky = False

html_theme = "alabaster"
html_title = f"outcome-bandits {release}"
html_theme_options = {
    "description": "Numba-accelerated simulator of outcome-based bandits",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_static_path: list[str] = []
html_show_sourcelink = False

