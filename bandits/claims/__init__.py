"""The paper's claims as measurements that can fail: run their experiments, draw, check.

Each ``experiments/c*.toml`` carries a ``[figure]`` table that names its kind, the module here
that draws and measures it:

==========  =======================  ==============================================
kind        module                   claim
==========  =======================  ==============================================
minimax     :mod:`.minimax`          worst case over gaps against K or m (C1 a, C2 b)
scaling     :mod:`.scaling`          log-log slope against K (C1 b, C2 a)
horizon     :mod:`.horizon`          regret / ln t converges near its lower bound (C2 c)
tradeoff    :mod:`.tradeoff`         the batch penalty's gains and price (C3)
rl          :mod:`.rl`               policy-gradient learners as samplers (C4)
collision   :mod:`.grpo`             the batch term's mean is minus the collision probability (C5 a)
entropy     :mod:`.grpo`             the entropy mechanism on the learner's real step (C5 b)
amplific.   :mod:`.grpo`             whitened GRPO with a KL penalty converges to p* > p_ref (C5 c)
passk       :mod:`.grpo`             the unbiased pass@k estimator of sampled groups (C5 d)
==========  =======================  ==============================================

Every measured number carries a 95% percentile-bootstrap interval over runs
(:mod:`bandits.checks`); a check holds when its whole interval lies in the claimed band, and
the figure's ``controls`` (agents that must fail) are drawn in grey and recorded with
``"ok": false`` and the reason. :func:`reproduce` runs every experiment into ``results/NAME``
(resuming what is there), writes ``figures/NAME.pdf`` and ``.png``, and returns the measurements
(also saved to ``figures/claims.json``, and every check as a table in ``figures/claims.md``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from .. import sweep
from ..experiment import load
from ..plots import STYLE
from ..sweep import _write_atomic
from .grpo import draw_amplification, draw_collision, draw_entropy, draw_passk
from .horizon import draw_horizon
from .minimax import draw_minimax
from .rl import draw_rl
from .scaling import draw_scaling
from .tradeoff import draw_tradeoff

FIGURES = {"minimax": draw_minimax, "scaling": draw_scaling, "horizon": draw_horizon, "tradeoff": draw_tradeoff,
           "rl": draw_rl, "collision": draw_collision, "entropy": draw_entropy, "amplification": draw_amplification,
           "passk": draw_passk}
MEASURED = {"collision", "entropy", "amplification", "passk"}  # measured on the learner's step pieces: no training sweep to run


def default_experiments_dir() -> Path:
    """``./experiments`` if it exists, else the one beside the package (a source checkout)."""
    here = Path("experiments")
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "experiments"


def reproduce(experiments=None, results="results", figures="figures", quick=False, workers=None, only=None,
              force=False, progress=True, log=print) -> dict:
    """Run every claim experiment, draw its figure, measure its checks; returns ``{name: measurements}``."""
    experiments = Path(experiments) if experiments else default_experiments_dir()
    results, figures = Path(results), Path(figures)
    paths = sorted(p for p in experiments.glob("c*.toml"))
    all_exps = [load(p, quick=quick) for p in paths]  # validate every file before running any
    exps = [e for e in all_exps if e.figure and (not only or e.name in only)]
    if only and set(only) - {e.name for e in exps}:
        raise sweep.SweepError(f"--only: no claim experiment named {sorted(set(only) - {e.name for e in exps})[0]!r} "
                               f"in {experiments} (there are: {', '.join(e.name for e in all_exps)})")
    figures.mkdir(parents=True, exist_ok=True)
    measured = {}
    for exp in exps:
        start = time.perf_counter()
        folder, table = results / exp.name, None
        if exp.figure["kind"] not in MEASURED:
            sweep.run(exp, folder, workers=workers, force=force, progress=progress)
            table = pd.read_csv(folder / "summary.csv")
        draw = FIGURES[exp.figure["kind"]]
        with plt.rc_context(STYLE):
            measured[exp.name] = draw(folder, table, exp, figures / exp.name)
        measured[exp.name]["seconds"] = round(time.perf_counter() - start, 1)
        log(f"{exp.name}: {figures / exp.name}.png  ({measured[exp.name]['seconds']} s)  {_brief(measured[exp.name])}")
    claims_file = figures / "claims.json"
    old = json.loads(claims_file.read_text()) if claims_file.exists() else {}
    old = {k: v for k, v in old.items() if k in {e.name for e in all_exps}}  # drop experiments that are gone
    everything = {**old, **measured}
    _write_atomic(claims_file, (json.dumps(everything, indent=2, default=float) + "\n").encode())
    _write_atomic(figures / "claims.md", markdown_table({k: everything[k] for k in sorted(everything)}).encode())
    return measured


def _brief(measured) -> str:
    """One line per experiment: each claim agent's checks, and whether each control fails."""
    groups = measured.get("agents") or measured.get("series") or measured.get("checks")
    if groups is None and "batches" in measured:
        groups = {f"n={n} {a}": v for n, agents in measured["batches"].items() for a, v in agents.items()}
    if not groups:
        return ""
    parts = []
    for name, rec in groups.items():
        if rec["role"] == "control":
            parts.append(f"{name}: control {'fails' if rec['fails_as_expected'] else 'DOES NOT FAIL'}")
        else:
            parts.append(f"{name}: {'ok' if rec['ok'] else 'FAILS'}")
    return "; ".join(parts)


def markdown_table(measured: dict) -> str:
    """A Markdown table of every check: experiment, agent, role, statistic, estimate [95% interval], band, ok."""
    lines = ["| experiment | agent | role | check | estimate [95% CI] | band | ok |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, m in measured.items():
        groups = m.get("agents") or m.get("series") or m.get("checks")
        if groups is None and "batches" in m:
            groups = {f"{a}, n = {n}": v for n, agents in m["batches"].items() for a, v in agents.items()}
        for agent, rec in (groups or {}).items():
            claimed = rec.get("claimed")
            for check, row in rec["checks"].items():
                lo, hi = row["band"]
                band = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
                est, (a, b) = row["estimate"], row["ci95"]
                value = "undefined" if est is None else f"{est:.3g} [{a:.3g}, {b:.3g}]" if a is not None else f"{est:.3g}"
                role = rec["role"] if claimed is None or check in claimed else "measured"
                mark = "yes" if row["ok"] else "**no**" if role == "claim" else "no"
                lines.append(f"| {name} | {agent} | {role} | {row['statistic']} | {value} | {band} | {mark} |")
    return "\n".join(lines) + "\n"
