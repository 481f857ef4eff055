"""The paper's claims as measurements that can fail: run their experiments, draw, check.

This package is the paper's code, beside the paper's experiment files; it is not part of the
installed library (which provides the generic pieces it uses: sweeps, :mod:`bandits.checks`,
:mod:`bandits.stats`, :mod:`bandits.plots`, :mod:`bandits.theory`). ``bandits reproduce [DIR]``
imports ``DIR/claims`` (default ``./experiments``) and calls :func:`reproduce`.

Each ``c*.toml`` here carries a ``[figure]`` table that names its kind, the module here that
draws and measures it (:data:`FIGURE_FIELDS` lists the fields each kind needs):

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
pkpo        :mod:`.pkpo`             PKPO pass@k training against GRPO and outcome bonuses (C5 d)
ablation    :mod:`.ablation`         one learner setting (c, b0, eta) swept: measured, not claimed
literature  :mod:`.literature`       the RLVR literature's learners against GRPO, paired, and matched
rollouts    :mod:`.heldout`          a real model's answer space; held-out pass@k and discovery (C6)
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

from bandits import sweep
from bandits.experiment import ExperimentError, load
from bandits.plots import STYLE
from bandits.sweep import write_atomic
from .ablation import draw_ablation
from .grpo import draw_amplification, draw_collision, draw_entropy, draw_passk
from .horizon import draw_horizon
from .literature import draw_literature
from .minimax import draw_minimax
from .pkpo import draw_pkpo
from .rl import draw_rl
from .scaling import draw_scaling
from .tradeoff import draw_tradeoff
from .heldout import draw_rollouts

FIGURES = {"minimax": draw_minimax, "scaling": draw_scaling, "horizon": draw_horizon, "tradeoff": draw_tradeoff,
           "rl": draw_rl, "collision": draw_collision, "entropy": draw_entropy, "amplification": draw_amplification,
           "passk": draw_passk, "pkpo": draw_pkpo, "ablation": draw_ablation, "literature": draw_literature}
# measured on the learner's step pieces (or its own rl.train calls): no training sweep to run
MEASURED = {"collision", "entropy", "amplification", "passk"}
FIGURES["rollouts"] = draw_rollouts  # C6: measured on the samples of a real model (no sweep)
MEASURED.add("rollouts")


FIGURE_FIELDS = {"minimax": {"x", "upper", "slope"}, "scaling": {"x", "expected"}, "horizon": {"limit", "change"},
                 "tradeoff": {"pass_ratio", "diversity_ratio", "price_ratio"},
                 "rl": {"collapse_ratio", "solved_gain", "pass_gain"},
                 "collision": {"band"}, "entropy": {"etas", "ratio", "slope"}, "amplification": {"band", "p_ref"},
                 "passk": {"band", "ks"}, "pkpo": {"pass_gain", "solved_gain", "pass1_change"},
                 "ablation": {"x"}, "literature": {"solved_gain", "pass_gain", "pass1_change", "reference"}}
FIGURE_FIELDS["rollouts"] = {"fit", "expected"}
LEARNER_FIGURES = {"rl", "collision", "entropy", "amplification", "passk", "pkpo", "ablation", "literature"}  # the kinds of experiments with [[learner]] tables


def check_figure(exp) -> None:
    """The experiment's [figure] table: a known kind, its required fields, bands and controls
    (an :class:`~bandits.experiment.ExperimentError` naming the file and the field)."""
    figure, experiment_kind = exp.figure, exp.kind

    def fail(field, problem):
        raise ExperimentError(f"{exp.path}: {field}: {problem}")

    kind = figure.get("kind")
    learners = experiment_kind == "learner"
    if not isinstance(kind, str) or kind not in FIGURE_FIELDS or (kind in LEARNER_FIGURES) != learners:
        known = ", ".join(sorted(k for k in FIGURE_FIELDS if (k in LEARNER_FIGURES) == learners))
        fail("figure.kind", f"unknown figure kind {kind!r} (known here: {known})")
    for key in sorted(FIGURE_FIELDS[kind] - set(figure)):
        fail(f"figure.{key}", f"missing field of a {kind!r} figure")
    bands = figure.get("expected", {})
    bands = dict(bands) if isinstance(bands, dict) else {"expected": bands}
    if "slope" in figure:
        bands["slope"] = figure["slope"]
    for name, band in bands.items():
        if not (isinstance(band, list) and len(band) == 2 and all(isinstance(v, (int, float))
                                                                and not isinstance(v, bool) for v in band)
                and band[0] <= band[1]):
            fail(f"figure.{'slope' if name == 'slope' else 'expected'}", f"a band must be [low, high], got {band!r}")
    controls = figure.get("controls", {})
    if not isinstance(controls, dict) or not all(isinstance(v, list) and all(isinstance(c, str) for c in v)
                                                 for v in controls.values()):
        fail("figure.controls", "must be a table: agent name = [names of the checks it must fail]")


def reproduce(experiments=None, results="results", figures="figures", quick=False, workers=None, only=None,
              force=False, progress=True, log=print) -> dict:
    """Run every claim experiment, draw its figure, measure its checks; returns ``{name: measurements}``."""
    experiments = Path(experiments) if experiments else Path(__file__).resolve().parent.parent
    results, figures = Path(results), Path(figures)
    paths = sorted(p for p in experiments.glob("c*.toml"))
    all_exps = [load(p, quick=quick) for p in paths]  # validate every file before running any
    for exp in all_exps:
        if exp.figure:
            check_figure(exp)
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
    write_atomic(claims_file, (json.dumps(everything, indent=2, default=float) + "\n").encode())
    write_atomic(figures / "claims.md", markdown_table({k: everything[k] for k in sorted(everything)}).encode())
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
