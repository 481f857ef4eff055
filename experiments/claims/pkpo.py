"""pass@k training against outcome exploration (C5d c): PKPO, GRPO and two outcome bonuses side by side.

On C4's transfer questions, every learner's final pass@1, pass@32, solved fraction and answer entropy
(mean and Student-t 95% interval over runs, in a table), and checks on the differences of final means
against plain GRPO's (percentile bootstrap over runs, each learner's runs resampled independently):

``pass@32``  ``pass@32(learner) - pass@32(GRPO) >= pass_gain``
``solved``   ``solved(learner) - solved(GRPO) >= solved_gain``
``pass@1``   ``pass@1(learner) - pass@1(GRPO) <= pass1_change`` (claimed for PKPO: the cost of
             optimising pass@k; for the bonuses it is measured, not claimed)
``entropy``  ``entropy_all(learner) - entropy_all(GRPO)``, measured (band: the whole line)

Claims: PKPO with k > 1 (and k < group_size): all of pass@32, solved and pass@1; ucb_con and batch:
pass@32 and solved. Controls: PKPO with k = 1 (GRPO up to the 1e-6 of the whitening) must fail all
three; PKPO with k = group_size (a zero advantage in every group: it samples pi0) must fail pass@32.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from bandits.checks import INF, METHOD, final_runs, measure
from bandits.plots import COLUMN_WIDTH, OKABE_ITO, save_figure
from .common import GREY, agent_record
from .rl import _markdown

METRICS = {"pass@1": "pass@1", "pass@32": "pass@32", "solved": "solved", "entropy": "entropy_all"}
YLABELS = {"pass@1": "pass@1 of the policy", "pass@32": "pass@32 of the policy",
           "solved": "fraction of questions solved", "entropy": "answer entropy (nats)"}


def _role(settings: dict) -> str:
    """``reference`` (pi0 sampling), ``grpo``, ``claim`` or ``control`` (PKPO k = 1 or k = group size)."""
    if settings["eta"] == 0:
        return "reference"
    if settings.get("reward", "plain") == "pass@k":
        return "control" if settings["k"] in (1, settings["group_size"]) else "claim"
    return "grpo" if settings["bonus"] == "none" else "claim"


def _why(settings: dict) -> str:
    k = settings["k"]
    return "k = 1: plain GRPO" if k == 1 else f"k = n = {k}: zero advantage, samples pi0"


def pkpo_checks(folder, cfg) -> dict:
    """The checks of every learner against GRPO's final means (see the module docstring)."""
    finals = {name: final_runs(folder, metric) for name, metric in METRICS.items()}
    frame = finals["pass@1"]

    def values(name, key):
        f = finals[name]
        return f[f.key == key]["values"].iloc[0]

    settings = [dict(row._asdict()) for row in frame.itertuples(index=False)]
    grpo = next(s for s in settings if _role(s) == "grpo")
    bands = {"pass@32": (float(cfg["pass_gain"]), INF), "solved": (float(cfg["solved_gain"]), INF),
             "pass@1": (-INF, float(cfg["pass1_change"])), "entropy": (-INF, INF)}
    out = {"method": METHOD + "; statistic: difference of final means, learner - GRPO",
           "bands": {k: [None if not np.isfinite(b) else b for b in v] for k, v in bands.items()}, "checks": {}}
    for s in settings:
        role = _role(s)
        if role in ("reference", "grpo"):
            continue
        checks = {name: measure(f"{METRICS[name]}, learner - GRPO", [values(name, grpo["key"]), values(name, s["key"])],
                                lambda mm: mm[..., 1] - mm[..., 0], bands[name])
                  for name in ("pass@32", "solved", "pass@1", "entropy")}
        pkpo = s.get("reward", "plain") == "pass@k"
        if role == "control":
            control = ["pass@32", "solved", "pass@1"] if s["k"] == 1 else ["pass@32"]
            out["checks"][s["label"]] = agent_record(checks, control)
        else:
            out["checks"][s["label"]] = agent_record(checks, None, ["pass@32", "solved", "pass@1"] if pkpo
                                                     else ["pass@32", "solved"])
    # where each wins: the bonuses against PKPO itself (measured, not claimed)
    pkpo = [s for s in settings if _role(s) == "claim" and s.get("reward", "plain") == "pass@k"]
    if pkpo:
        p = pkpo[0]
        out["versus_pkpo"] = {}
        for s in settings:
            if _role(s) == "claim" and s is not p:
                out["versus_pkpo"][s["label"]] = {
                    METRICS[name]: measure(f"{METRICS[name]}, learner - {p['label']}",
                                           [values(name, p["key"]), values(name, s["key"])],
                                           lambda mm: mm[..., 1] - mm[..., 0], (-INF, INF)).record("measured")
                    for name in METRICS}
    return out


def _short(label: str) -> str:
    """``PKPO k=4``, ``GRPO+ucb_con``: a learner's name in the checks panel."""
    name = label.split(" (")[0]
    return f"PKPO k={name.split('@')[1]}" if name.startswith("PKPO pass@") else name


def draw_pkpo(folder, table, exp, stem):
    """Four panels of the metrics over training, one of the differences against GRPO; a table."""
    cfg = exp.figure
    table = table.copy()
    table["samples"] = table.checkpoint * table.group_size
    out = pkpo_checks(folder, cfg)
    roles = {}
    for lab, g in table.groupby("label", sort=False):
        row = g.iloc[0]
        roles[lab] = _role({"eta": row.eta, "reward": row.get("reward", "plain"), "k": int(row.get("k", 1)),
                            "group_size": int(row.group_size), "bonus": row.bonus})
    order = {"reference": 0, "grpo": 1, "claim": 2, "control": 3}
    labels = sorted(roles, key=lambda lab: (order[roles[lab]], "PKPO" in lab, lab))
    colours, styles, i = {}, {}, 0
    for lab in labels:
        if roles[lab] == "reference":
            colours[lab], styles[lab] = "black", ":"
        elif roles[lab] == "control":
            colours[lab], styles[lab] = GREY, "--" if "pass@1 " in lab else "-."
        else:
            colours[lab], styles[lab] = OKABE_ITO[i % len(OKABE_ITO)], "-"
            i += 1

    fig = plt.figure(figsize=(2 * COLUMN_WIDTH, 4.6), layout="constrained")
    grid = fig.add_gridspec(2, 3, width_ratios=[1, 1, 1.15])
    panels = {"pass@1": grid[0, 0], "pass@32": grid[0, 1], "solved": grid[1, 0], "entropy": grid[1, 1]}
    for name, where in panels.items():
        ax = fig.add_subplot(where)
        for lab in labels:
            g = table[(table.label == lab) & (table.metric == METRICS[name])].sort_values("samples")
            g = g[g.samples > 0]
            ax.plot(g.samples, g["mean"], color=colours[lab], linestyle=styles[lab], linewidth=0.9, label=lab)
            ax.fill_between(g.samples, g.ci_low, g.ci_high, color=colours[lab], alpha=0.15, linewidth=0)
        ax.set_xscale("log")
        ax.set_xlabel("samples drawn")
        ax.set_ylabel(YLABELS[name])
        if name == "pass@1":
            handles, names = ax.get_legend_handles_labels()
    # the checks: differences of final means against GRPO, with bootstrap intervals and the claimed bands
    ax = fig.add_subplot(grid[:, 2])
    checked = [lab for lab in labels if lab in out["checks"]]
    rows = ["pass@1", "pass@32", "solved"]
    inside = [v for lab in checked for name in rows for v in out["checks"][lab]["checks"][name]["ci95"]
              if abs(v) < float(cfg.get("diff_limit", 0.3))]
    left, right = min(inside + [0.0]) - 0.03, max(inside + [0.0]) + 0.03
    ticks, names_y, y = [], [], 0
    for name in rows:
        lo, hi = out["bands"][name]
        ax.text(left + 0.005, y, f"{name}, learner - GRPO's", fontsize=6, ha="left", va="center", fontweight="bold")
        y += 1
        top = y
        for lab in checked:
            c = out["checks"][lab]["checks"][name]
            est, (a, b) = c["estimate"], c["ci95"]
            control = roles[lab] == "control"
            face = "white" if control else colours[lab]
            if left <= est <= right:
                ax.errorbar([est], [y], xerr=[[max(est - a, 0)], [max(b - est, 0)]], color=colours[lab], marker="o",
                            markersize=3, capsize=1.5, linewidth=0.9, markerfacecolor=face)
            else:  # off scale: an arrow at the edge, and the value
                edge = left if est < left else right
                ax.plot([edge], [y], marker="<" if est < left else ">", color=colours[lab], markersize=3.5,
                        markerfacecolor=face)
                ax.text(edge + (0.01 if est < left else -0.01), y - 0.35, f"{est:.2f}", fontsize=5,
                        ha="left" if est < left else "right", va="center", color=colours[lab])
            ticks.append(y)
            names_y.append(_short(lab) + (" (control)" if roles[lab] == "control" else ""))
            y += 1
        ax.fill_between([max(left, -1e9 if lo is None else lo), min(right, 1e9 if hi is None else hi)],
                        top - 0.5, y - 0.5, color="0.9", linewidth=0, zorder=0)
        y += 1
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_yticks(ticks, names_y, fontsize=5.5)
    ax.set_ylim(y - 1.5, -0.6)
    ax.set_xlim(left, right)
    ax.set_xlabel("difference of final means")
    ax.set_title("checks, 95% CI (grey: band)", fontsize=7)
    fig.legend(handles, names, loc="outside lower center", ncol=3, frameon=False, fontsize=5.5)
    runs = int(table[table.metric == "solved"].n.max())
    fig.suptitle(cfg.get("title", exp.name) + f"\noutcome logits; mean and 95% CI over {runs} runs", fontsize=7)
    save_figure(fig, stem)

    final = table[table.checkpoint == table.steps]
    learners, rows_md = {}, []
    for lab in labels:
        g = final[final.label == lab].set_index("metric")
        rec = {name: [round(float(g.loc[m, k]), 4) for k in ("mean", "ci_low", "ci_high")] for name, m in METRICS.items()}
        learners[lab] = rec
        rows_md.append({"learner": lab, **{name: f"{v[0]:.3f} [{v[1]:.3f}, {v[2]:.3f}]" for name, v in rec.items()}})
    import pandas as pd
    stem.with_name(stem.name + "_table.md").write_text(_markdown(pd.DataFrame(rows_md)) + "\n")
    out["learners"] = learners
    out["ci_method_learners"] = "Student t, 95%, over independent runs"
    return out
