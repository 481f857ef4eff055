"""Batch against historical exploration (C3): what the batch penalty buys, and at what price.

For each batch size n and agent, comparing the largest ``lam`` with ``lam = 0`` (ratios of means,
percentile bootstrap over the runs of the two cells):

``pass``       pass regret falls: ``pass(lam_max) / pass(0) <= pass_ratio``;
``diversity``  distinct outcomes per round rise: ``rd(lam_max) / rd(0) >= diversity_ratio``;
``price``      pseudo-regret rises: ``regret(lam_max) / regret(0) >= price_ratio``.

And historical exploration: ``regret(historical) / regret(baseline) <= historical_ratio`` at
``lam = 0`` (outcome_ucb against ucb1). The control plays uniformly at random whatever the scores
(epsilon_greedy with eps = 1, whose exploration pulls ignore the penalty): the penalty cannot
change its rounds, so it fails the three penalty checks, and its regret is far above UCB1's.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from bandits.checks import INF, METHOD, final_runs, measure
from bandits.plots import COLUMN_WIDTH, save_figure
from bandits.stats import mean_ci
from .common import agent_record, claimed_of, controls_of, fmt_check, style

METRICS = ("regret", "pass_regret", "round_distinct")


def _ratio(mm):
    return mm[..., 1] / mm[..., 0]


def draw_tradeoff(folder, table, exp, stem) -> dict:
    cfg = exp.figure
    controls = controls_of(cfg)
    finals = {m: final_runs(folder, m) for m in METRICS}
    frame = finals["regret"]
    batches = sorted(frame.batch.unique())
    agents = list(dict.fromkeys(frame.agent))
    bands = {"pass": (0.0, float(cfg["pass_ratio"])), "diversity": (float(cfg["diversity_ratio"]), INF),
             "price": (float(cfg["price_ratio"]), INF)}
    hist = cfg.get("historical", {})
    measured = {"method": METHOD, "bands": {k: list(v) for k, v in bands.items()}, "batches": {}}
    fig, axes = plt.subplots(2, len(batches), figsize=(max(2.4 * len(batches), COLUMN_WIDTH), 5.0), squeeze=False,
                             constrained_layout=True)

    def cells(metric, n, agent):
        f = finals[metric]
        return f[(f.batch == n) & (f.agent == agent)].sort_values("lam")

    for col, n in enumerate(batches):
        top, bottom = axes[0, col], axes[1, col]
        measured["batches"][str(n)] = {}
        for i, agent in enumerate(agents):
            control = controls.get(agent)
            st = style(i, control is not None)
            by = {m: cells(m, n, agent) for m in METRICS}
            ends = {m: [by[m]["values"].iloc[0], by[m]["values"].iloc[-1]] for m in METRICS}
            checks = {"pass": measure("pass regret ratio, lam max / lam 0", ends["pass_regret"], _ratio, bands["pass"]),
                      "diversity": measure("distinct per round ratio, lam max / lam 0", ends["round_distinct"], _ratio,
                                           bands["diversity"]),
                      "price": measure("pseudo-regret ratio, lam max / lam 0", ends["regret"], _ratio,
                                       bands["price"])}
            if hist and agent in (hist["agent"], *controls):
                base = cells("regret", n, hist["baseline"])["values"].iloc[0]
                checks["historical"] = measure(f"regret ratio at lam 0, {agent} / {hist['baseline']}",
                                               [base, by["regret"]["values"].iloc[0]], _ratio,
                                               (0.0, float(hist["ratio"])))
            record = agent_record(checks, control, claimed_of(cfg, agent))
            means = {m: [float(v.mean()) for v in by[m]["values"]] for m in METRICS}
            record.update({"lam": [float(v) for v in by["regret"].lam], "regret": [round(v, 1) for v in means["regret"]],
                           "pass_regret": [round(v, 2) for v in means["pass_regret"]],
                           "round_distinct": [round(v, 3) for v in means["round_distinct"]]})
            measured["batches"][str(n)][agent] = record
            label = agent + (" (control)" if control is not None else "")
            top.plot(means["regret"], means["pass_regret"], label=label, linewidth=1.0, **st)
            top.annotate(f"lam={record['lam'][0]:g}", (means["regret"][0], means["pass_regret"][0]), fontsize=5,
                         color=st["color"], xytext=(2, 2), textcoords="offset points")
            stats = [mean_ci(v) for v in by["round_distinct"]["values"]]
            mean = np.array(means["round_distinct"])
            low, high = np.array([s[2] for s in stats]), np.array([s[3] for s in stats])
            bottom.errorbar(record["lam"], mean, yerr=np.clip([mean - low, high - mean], 0, None), capsize=1.5,
                            linewidth=1.0, label=f"{agent} {fmt_check(checks['pass'])}", **st)
        top.set_xscale("log")
        top.set_yscale("log")
        top.set_xlabel("pseudo-regret at T (log scale)")
        top.set_ylabel("pass regret at T (rounds, log scale)")
        top.set_title(f"rounds of n = {n}")
        bottom.set_xlabel("batch penalty lam")
        bottom.set_ylabel("distinct outcomes per round")
        bottom.set_ylim(bottom=0)
        bottom.legend(frameon=False, fontsize=4.8, loc="lower right", title="pass regret ratio, lam max / lam 0",
                      title_fontsize=4.8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
    n_runs = int(frame["values"].map(len).min())
    fig.suptitle(f"{cfg.get('title', exp.name)}\nmeans over {n_runs} runs, 95% CI bars below; lam grows along each "
                 "upper line;\npass ratio = pass regret at the largest lam / at lam 0 [95% bootstrap]; grey dashed: "
                 "control", fontsize=7)
    save_figure(fig, stem)
    return measured
