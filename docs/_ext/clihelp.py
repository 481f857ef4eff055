"""Sphinx directive ``.. command-output:: bandits run --help``: a command's output as a literal block.

The command line page shows what ``bandits ... --help`` and ``bandits list`` print, run at build
time from this checkout (``python -m bandits ...``), so the page cannot drift from the parser.
A command that fails fails the build (a warning, which ``-W`` turns into an error).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]


class CommandOutput(SphinxDirective):
    has_content = False
    required_arguments = 1
    final_argument_whitespace = True

    def run(self):
        words = shlex.split(self.arguments[0])
        if not words or words[0] != "bandits":
            raise self.error("command-output runs 'bandits ...' commands only")
        env = dict(os.environ, COLUMNS="100", PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
        try:
            done = subprocess.run([sys.executable, "-m", "bandits", *words[1:]], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise self.error(f"{self.arguments[0]}: {exc}") from exc
        if done.returncode != 0:
            raise self.error(f"{self.arguments[0]} exited with {done.returncode}: {done.stderr.strip()}")
        text = f"$ {self.arguments[0]}\n{done.stdout.rstrip()}"
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app):
    app.add_directive("command-output", CommandOutput)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
