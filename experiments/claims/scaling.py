"""Scaling claims (C1 b, C2 a): the final regret against x, and its log-log slope.

The check: the least-squares slope of ``log R`` against ``log x`` (R the mean final regret), with
a percentile-bootstrap interval over runs, lies in the agent's band (``expected``: a band, or a
table of bands by agent name with a ``default``). Controls are checked against their own band
when ``expected`` names them, else against the default band. The lower-bound curve that applies
to each agent (:mod:`bandits.theory`) is drawn where it is not vacuous.

A slope says how regret grows, not how large it is: under outcome control the law of the regret
does not depend on K, so an agent that never learns is as flat as one that does. Each
``[[figure.level]]`` table adds a level check: ``over`` (``"max"`` or ``"min"``) over x of
``R(x) / scale``, in ``band``, for the agents it names (``agents``; default all), with ``scale``
an expression (:mod:`bandits.expressions`) of x, ``T`` and ``ucb1_outcomes``, Auer et al.'s
finite-time bound on UCB1 over the outcomes the arms reach
(:func:`bandits.theory.ucb1_upper_bound`).
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import matplotlib.ticker

import numpy as np

from bandits import theory
from bandits.expressions import evaluate
from bandits.checks import METHOD, final_runs, measure
from bandits.plots import COLUMN_WIDTH, save_figure
from bandits.stats import loglog_slope, mean_ci
from .common import GREY, agent_record, claimed_of, controls_of, fmt_check, instance_of, style, unit


def level_checks(cfg: dict, agent: str, g, x: str, T: int) -> dict:
    """The ``[[figure.level]]`` checks that apply to ``agent`` (its rows ``g``, sorted by x)."""
    checks = {}
    for level in cfg.get("level", []):
        if "agents" in level and agent not in level["agents"]:
            continue
        scales = []
        for _, row in g.iterrows():
            inst = instance_of(row)
            reached = inst.Q.sum(axis=0) > 0
            variables = {x: float(row[x]), "T": float(T), "ucb1_outcomes": theory.ucb1_upper_bound(inst.mu[reached], T)}
            scales.append(float(evaluate(level["scale"].lstrip("= "), variables)))
        scale = np.array(scales)
        over = np.max if level.get("over", "max") == "max" else np.min
        checks[level["name"]] = measure(f"{level.get('over', 'max')} over {x} of regret / {level.get('label', level['scale'].lstrip('= '))}",
                                        list(g["values"]), lambda mm, s=scale, f=over: f(mm / s, axis=-1),
                                        tuple(float(b) for b in level["band"]))
    return checks


def band_of(figure: dict, agent: str) -> tuple[float, float]:
    expected = figure["expected"]
    band = expected.get(agent, expected.get("default")) if isinstance(expected, dict) else expected
    return float(band[0]), float(band[1])


def draw_scaling(folder, table, exp, stem) -> dict:
    cfg = exp.figure
    x, metric = cfg["x"], cfg.get("metric", "regret")
    controls = controls_of(cfg)
    runs = final_runs(folder, metric).sort_values(x)
    T = int(runs.horizon.max())
    measured = {"x": x, "metric": metric, "horizon": T, "method": METHOD, "agents": {}}
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.6 + 0.16 * (runs.label.nunique() + 2)), constrained_layout=True)
    for i, (label, g) in enumerate(runs.groupby("label", sort=False)):
        agent = g.agent.iloc[0]
        control = controls.get(agent)
        xs = g[x].to_numpy(float)
        named = isinstance(cfg["expected"], dict) and agent in cfg["expected"]
        band = band_of(cfg, "default" if control is not None and not named else agent)
        check = measure(f"slope of log {metric} against log {x}", list(g["values"]),
                        lambda mm: loglog_slope(xs, mm), band)
        checks = {"slope": check, **level_checks(cfg, agent, g, x, T)}
        record = agent_record(checks, control, claimed_of(cfg, agent))
        means = np.array([v.mean() for v in g["values"]])
        record["final"] = [round(float(v), 2) for v in means]
        measured["agents"][label] = record
        st = style(i, control is not None)
        stats = [mean_ci(v) for v in g["values"]]
        low, high = np.array([s[2] for s in stats]), np.array([s[3] for s in stats])
        shown = means > 0
        name = (f"{label}{' (control)' if control is not None else ''}: slope {fmt_check(check)} "
                f"(band {band[0]:g} to {band[1]:g})"
                + "".join(f";\n    {k} {fmt_check(c)}" for k, c in checks.items() if k != "slope"))
        if shown.any():
            ax.errorbar(xs[shown], means[shown], yerr=np.clip([means - low, high - means], 0, None)[:, shown],
                        capsize=2, linewidth=1.0, label=name, **st)
        else:
            ax.plot([], [], label=f"{label} (control): regret 0, below the log axis", **st)
    _lower_bounds(ax, runs, x, T)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ticks = np.unique(runs[x])
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel(f"{x} ({unit(x)})")
    ax.set_ylabel(f"pseudo-regret at T = {T:,}")
    n_runs = int(runs["values"].map(len).min())
    note = "\n" + textwrap.fill(cfg["note"], 60) if "note" in cfg else ""  # wrapped to the panel's width
    ax.set_title(f"{cfg.get('title', exp.name)}\n{n_runs} runs: mean, 95% CI; slope [95% bootstrap interval];\n"
                 f"grey dashed: negative controls{note}", fontsize=7)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", frameon=False, fontsize=5.5, ncol=1)
    save_figure(fig, stem)
    return measured


def _lower_bounds(ax, runs, x, T):
    """c ln T at each x for the bound that applies to each group of agents, where it is not vacuous."""
    curves = {}
    for (agent, xv), g in runs.groupby(["agent", x]):
        inst = instance_of(g.iloc[0])
        c, name = theory.lower_bound_constant(inst, agent)
        cap = T * float(inst.gaps.max())
        value = c * np.log(T) if c and c * np.log(T) < cap else np.nan
        curves.setdefault(name, {}).setdefault(xv, value)
    for (name, points), ls in zip(sorted(curves.items()), (":", "-.")):
        xs = np.array(sorted(points), float)
        ys = np.array([points[v] for v in sorted(points)])
        if np.isfinite(ys).sum() >= 2:
            ax.plot(xs, ys, color=GREY, linestyle=ls, linewidth=1.0,
                    label=f"{name}:\n    c ln T, asymptotic (liminf R(T) / ln T >= c)")
