"""Minimax claims (C1 a, C2 b): the worst mean regret over a grid of gaps, W(x), against x.

A minimax theorem speaks of the worst instance, so the statistic is ``W(x) = max over the
gap grid of the mean final regret`` at each number of arms (or outcomes) ``x``. Three checks,
each with a percentile-bootstrap interval over runs:

``upper``  ``max_x W(x) / sqrt(x T ln T) <= upper``  (the learning agents' rate; uniform and
           greedy fail it);
``lower``  ``min_x W(x) / sqrt(x T) >= lower``  (the minimax lower bound; only an agent that
           knows the instance, the oracle, can fail it);
``slope``  the least-squares slope of ``log W`` against ``log x`` lies in ``slope``: sqrt(x) up to
           logarithms (agents whose regret does not grow with x fail it);
``growth`` (with ``growth = [low, high]``) the slope of ``log W(t)`` against ``log t`` over the
           checkpoints ``t >= T / 10``, the largest over x: ``W(t)`` grows like ``sqrt(t ln t)``
           (slope about 0.55), linear regret like ``t`` (slope 1). A bound on ``W / sqrt(x T ln T)``
           at one T is passed by linear regret with a small enough constant (epsilon-greedy with a
           small fixed eps); the growth in T is not.
``consistency`` (with ``consistency = [low, high]``) the slope of ``log R(t)`` against ``log t`` at
           the grid's largest gap, over ``t >= T / 10``, the largest over x: a gap every learning
           agent has learned by then, where its regret grows like ``ln t`` (slope about
           ``1 / ln t``) and linear regret like ``t`` (slope 1).

The right panel shows ``regret / (T gap)`` against the gap at the largest ``x``: 1 - 1/x for an
agent that cannot tell the choices apart, falling where learning starts.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from bandits.checks import INF, METHOD, cell_runs, measure
from bandits.plots import COLUMN_WIDTH, save_figure
from bandits.stats import bootstrap_interval, loglog_slope, mean_ci
from .common import agent_record, claimed_of, controls_of, fmt_check, style, unit


def draw_minimax(folder, table, exp, stem) -> dict:
    cfg = exp.figure
    x, gap = cfg["x"], cfg.get("gap", "eps")
    controls = controls_of(cfg)
    runs = cell_runs(folder, "regret")
    paths = runs["values"].copy()  # (runs, checkpoints) per cell; "values" becomes the final regrets
    runs["values"] = [v[:, -1] for v in paths]
    T = float(runs.horizon.max())
    xs = np.sort(runs[x].unique()).astype(float)
    bounds = {"upper": (-INF, float(cfg["upper"])), "slope": tuple(cfg["slope"])}
    if "lower" in cfg:
        bounds["lower"] = (float(cfg["lower"]), INF)
    for key in ("growth", "consistency"):
        if key in cfg:
            bounds[key] = tuple(float(v) for v in cfg[key])
    measured = {"x": x, "gap": gap, "horizon": int(T), "method": METHOD,
                "bands": {k: list(v) for k, v in bounds.items()}, "agents": {}}
    fig, (left, right) = plt.subplots(1, 2, figsize=(2 * COLUMN_WIDTH, 3.6), constrained_layout=True)
    for i, (label, g) in enumerate(runs.groupby("label", sort=False)):
        agent = g.agent.iloc[0]
        control = controls.get(agent)
        g = g.sort_values([x, gap])
        n_gap = len(g) // len(xs)
        if n_gap * len(xs) != len(g):
            raise ValueError(f"{exp.name}: {label} does not have the same gaps at every {x}")
        samples = list(g["values"])

        def worst(means):
            return means.reshape(means.shape[:-1] + (len(xs), n_gap)).max(axis=-1)

        checks = {"upper": measure(f"max over {x} of W / sqrt({x} T ln T)", samples,
                                   lambda mm: (worst(mm) / np.sqrt(xs * T * np.log(T))).max(axis=-1),
                                   bounds["upper"]),
                  "slope": measure(f"slope of log W against log {x}", samples,
                                   lambda mm: loglog_slope(xs, worst(mm)), bounds["slope"])}
        if "lower" in bounds:
            checks["lower"] = measure(f"min over {x} of W / sqrt({x} T)", samples,
                                      lambda mm: (worst(mm) / np.sqrt(xs * T)).min(axis=-1), bounds["lower"])
        if "growth" in bounds:
            t = g["checkpoints"].iloc[0].astype(float)
            late = np.flatnonzero(t >= T / 10)
            path = [paths[i][:, j] for i in g.index for j in late]

            def growth(mm, ts=t[late]):
                w = mm.reshape(mm.shape[:-1] + (len(xs), n_gap, len(ts))).max(axis=-2)
                return loglog_slope(ts, w).max(axis=-1)

            checks["growth"] = measure(f"max over {x} of the slope of log W(t) against log t, t = "
                                       f"{int(t[late[0]])} to {int(T)}", path, growth, bounds["growth"], paired=True)
        if "consistency" in bounds:
            t = g["checkpoints"].iloc[0].astype(float)
            late = np.flatnonzero(t >= T / 10)
            widest = [i for i, e in zip(g.index, g[gap]) if e == g[gap].max()]  # one cell per x
            path = [paths[i][:, j] for i in widest for j in late]

            def linear(mm, ts=t[late]):
                r = mm.reshape(mm.shape[:-1] + (len(xs), len(ts)))
                return loglog_slope(ts, r).max(axis=-1)

            checks["consistency"] = measure(f"max over {x} of the slope of log R(t) against log t at {gap} = "
                                            f"{g[gap].max():g}, t = {int(t[late[0]])} to {int(T)}", path, linear,
                                            bounds["consistency"], paired=True)
        per_x = [bootstrap_interval(samples[j * n_gap:(j + 1) * n_gap], lambda mm: mm.max(axis=-1))
                 for j in range(len(xs))]
        W, lo, hi = (np.array(v) for v in zip(*per_x))
        means = np.array([v.mean() for v in samples]).reshape(len(xs), n_gap)
        gaps = g[gap].to_numpy(float).reshape(len(xs), n_gap)
        record = agent_record(checks, control, claimed_of(cfg, agent))
        record.update({"W": [round(v, 1) for v in W], "W_ci95": [[round(a, 1), round(b, 1)] for a, b in zip(lo, hi)],
                       "worst_gap": [round(float(gaps[j, means[j].argmax()]), 4) for j in range(len(xs))]})
        measured["agents"][label] = record

        st = style(i, control is not None)
        shown = W > 0
        name = (f"{label}{' (control)' if control is not None else ''}: slope {fmt_check(checks['slope'])}, "
                f"max W/sqrt({x} T ln T) {fmt_check(checks['upper'])}"
                + (f", growth in T {fmt_check(checks['growth'])}" if "growth" in checks else ""))
        if shown.any():
            left.errorbar(xs[shown], W[shown], yerr=np.clip([W - lo, hi - W], 0, None)[:, shown], capsize=2,
                          linewidth=1.0, label=name, **st)
        else:
            left.plot([], [], label=f"{label} (control): W = 0 at every {x}, below the log axis", **st)
        # where learning starts: regret / (T gap) against the gap, at the largest x
        last = g[g[x] == xs[-1]]
        per_run = [v / (T * e) for v, e in zip(last["values"], last[gap])]
        mean, _, low, high, _ = mean_ci(np.array(per_run).T)
        right.errorbar(last[gap], mean, yerr=np.clip([mean - low, high - mean], 0, None), capsize=1.5,
                       linewidth=1.0, **st)
    upper, lower = bounds["upper"][1], bounds.get("lower", (None,))[0]
    left.plot(xs, upper * np.sqrt(xs * T * np.log(T)), color="black", linestyle="--", linewidth=0.8,
              label=f"claimed upper bound {upper:g} $\\sqrt{{{x}\\,T\\ln T}}$ (learning agents)")
    if lower is not None:
        left.plot(xs, lower * np.sqrt(xs * T), color="black", linestyle=":", linewidth=0.8,
                  label=f"minimax lower bound {lower:g} $\\sqrt{{{x}\\,T}}$ (any agent)")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xticks(xs, [f"{v:g}" for v in xs])
    left.minorticks_off()
    left.set_xlabel(f"{x} ({unit(x)})")
    left.set_ylabel(f"W({x}): worst mean regret at T = {int(T):,}")
    right.axhline(1 - 1 / xs[-1], color="black", linewidth=0.6, linestyle=":")
    right.annotate(f"1 - 1/{x}: no learning", xy=(0.98, 1 - 1 / xs[-1]), xycoords=("axes fraction", "data"),
                   fontsize=6, xytext=(0, -9), textcoords="offset points", ha="right")
    right.set_xscale("log")
    right.set_xlabel(f"gap {gap}")
    right.set_ylabel(f"regret / (T {gap}) at {x} = {xs[-1]:g}")
    right.set_ylim(bottom=0)
    right.set_title("where learning starts", fontsize=7)
    n_runs = int(runs["values"].map(len).min())
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", frameon=False, fontsize=5, ncol=1)  # long labels: one column fits
    fig.suptitle(f"{cfg.get('title', exp.name)}\nW = worst over {n_gap} gaps per {x}; {n_runs} runs; "
                 "bars and [intervals]: 95% bootstrap over runs; grey dashed: negative controls", fontsize=7)
    save_figure(fig, stem)
    return measured
