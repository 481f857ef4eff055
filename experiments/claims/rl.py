"""RL as sampling (C4): policy-gradient learners against sampling the base model.

Checks, each a ratio or difference of final means with a percentile-bootstrap interval over runs:

``collapse``  ``distinct_hard(GRPO) / distinct_hard(pi0 sampling) <= collapse_ratio``: plain GRPO
              finds fewer answers on the fixed hard questions than sampling pi0 as often (transfer of
              diversity degradation). Its control is pi0 sampling itself (a learner that does not
              learn), whose ratio is 1.

``solved``    ``solved(bonus) - solved(GRPO) >= solved_gain`` for each exploration bonus;
``pass@32``   ``pass@32(bonus) - pass@32(GRPO) >= pass_gain``.

Their control is a placebo bonus (``ucb_con`` with ``c = 0``), equal in law to plain GRPO.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bandits.checks import INF, METHOD, final_runs, measure
from bandits.plots import COLUMN_WIDTH, OKABE_ITO, save_figure
from .common import GREY, agent_record


def _placebo(label: str) -> bool:
    return "c=0" in label.replace("c=0.", "")


TABLE_METRICS = ["distinct_hard", "distinct_unsolved", "entropy_solved", "entropy_unsolved", "entropy_all", "batch_distinct_solved",
                 "batch_distinct_unsolved", "batch_distinct_all", "solved", "pass@32"]


def draw_rl(folder, table, exp, stem):
    """Four panels (distinct answers on unsolved questions, solved fraction, pass@k, entropy) and a table."""
    param = exp.figure.get("param", "outcome")
    table = table.copy()
    table["samples"] = table.checkpoint * table.group_size
    shown = table[(table.eta == 0) | (table.param == param)]
    labels = list(dict.fromkeys(shown.sort_values(["eta", "bonus"]).label))
    labels = [lab for lab in labels if lab == "pi0 sampling"] + [lab for lab in labels if lab != "pi0 sampling"]
    colours = {lab: ("black" if lab == "pi0 sampling" else GREY if _placebo(lab) else OKABE_ITO[i % len(OKABE_ITO)])
               for i, lab in enumerate(labels)}
    fig, axes = plt.subplots(2, 2, figsize=(2 * COLUMN_WIDTH, 4.8), constrained_layout=True)
    # (i) transfer of diversity degradation: plain GRPO against sampling pi0, on the questions still
    # unsolved (dotted) and on the fixed set of hard questions (solid, the same questions for both)
    ax = axes[0, 0]
    grpo = next(lab for lab in labels if lab.startswith("GRPO ("))
    for lab in ("pi0 sampling", grpo):
        for metric, style in (("distinct_hard", "-"), ("distinct_unsolved", ":")):
            g = shown[(shown.label == lab) & (shown.metric == metric)].sort_values("samples")
            ax.plot(g.samples, g["mean"], color=colours[lab], linestyle=style,
                    label=f"{lab}, {'hard' if metric == 'distinct_hard' else 'unsolved'} questions")
            ax.fill_between(g.samples, g.ci_low, g.ci_high, color=colours[lab], alpha=0.15, linewidth=0)
    ax.set_xscale("log")
    ax.set_xlabel("samples drawn")
    ax.set_ylabel("distinct answers found")
    ax.legend(frameon=False, fontsize=5.5)
    panels = [(axes[0, 1], "solved", "fraction of questions solved"),
              (axes[1, 1], "entropy_all", "answer entropy of the policy (nats)")]
    for ax, metric, ylabel in panels:
        for lab in labels:
            g = shown[(shown.label == lab) & (shown.metric == metric)].sort_values("samples")
            ax.plot(g.samples, g["mean"], color=colours[lab], label=lab,
                    linestyle="--" if lab == "pi0 sampling" else "-")
            ax.fill_between(g.samples, g.ci_low, g.ci_high, color=colours[lab], alpha=0.15, linewidth=0)
        ax.set_xscale("log")
        ax.set_xlabel("samples drawn")
        ax.set_ylabel(ylabel)
    ax = axes[1, 0]
    end = shown[shown.checkpoint == shown.steps]
    ks = [int(m.split("@")[1]) for m in sorted(set(end.metric)) if m.startswith("pass@")]
    ks.sort()
    for lab in labels:
        g = end[end.label == lab].set_index("metric")
        means = [g.loc[f"pass@{k}", "mean"] for k in ks]
        lows = [g.loc[f"pass@{k}", "ci_low"] for k in ks]
        highs = [g.loc[f"pass@{k}", "ci_high"] for k in ks]
        ax.errorbar(ks, means, yerr=np.clip([np.subtract(means, lows), np.subtract(highs, means)], 0, None),
                    color=colours[lab], marker="o", markersize=3, capsize=1.5, label=lab,
                    linestyle="--" if lab == "pi0 sampling" else "-")
    ax.set_xscale("log", base=2)
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_xlabel("k (samples)")
    ax.set_ylabel("pass@k of the final policy")
    handles, names = axes[0, 1].get_legend_handles_labels()
    names = [f"{n}: placebo" if _placebo(n) else n for n in names]
    fig.legend(handles, names, loc="outside lower center", ncol=3, frameon=False)
    runs = int(end[end.metric == "solved"].n.max())
    fig.suptitle(exp.figure.get("title", exp.name) + f"\n{param} logits; mean and 95% CI over {runs} runs", fontsize=7)
    save_figure(fig, stem)

    final = table[table.checkpoint == table.steps]
    rows = []
    for lab, group in final.groupby("label", sort=False):
        means = group.set_index("metric")["mean"]
        rows.append({"learner": lab, **{m: round(float(means[m]), 3) for m in TABLE_METRICS}})
    rows.sort(key=lambda r: (r["learner"] != "pi0 sampling", r["learner"]))
    frame = pd.DataFrame(rows)
    stem.with_name(stem.name + "_table.md").write_text(_markdown(frame) + "\n")
    measured = {"learners": {r["learner"]: {k: v for k, v in r.items() if k != "learner"} for r in rows}}
    measured.update(rl_checks(folder, exp.figure, param))
    return measured


def rl_checks(folder, cfg, param) -> dict:
    """The C4 checks of every learner with ``param`` logits, and of the controls (see the module docstring)."""
    finals = {m: final_runs(folder, m) for m in ("distinct_hard", "solved", "pass@32")}
    frame = finals["solved"]

    def values(metric, row):
        f = finals[metric]
        return f[f.key == row.key]["values"].iloc[0]

    base = frame[frame.eta == 0].iloc[0]
    ours = frame[(frame.eta > 0) & (frame.param == param)]
    grpo = ours[ours.bonus == "none"].iloc[0]
    claimed = [] if cfg.get("measured", False) else None  # measured = true: the checks are recorded, none claimed (C6 d)
    out = {"method": METHOD, "bands": {"collapse": [0, cfg["collapse_ratio"]], "solved": [cfg["solved_gain"], None],
                                       "pass@32": [cfg["pass_gain"], None]}, "checks": {}}
    for row, control in ((grpo, None), (base, ["collapse"])):
        check = measure("distinct answers on hard questions, learner / pi0 sampling",
                        [values("distinct_hard", base), values("distinct_hard", row)],
                        lambda mm: mm[..., 1] / mm[..., 0], (0.0, float(cfg["collapse_ratio"])))
        out["checks"][row.label] = agent_record({"collapse": check}, control, claimed)
    for _, row in ours[ours.bonus != "none"].iterrows():
        control = ["solved", "pass@32"] if row.c == 0 else None
        checks = {metric: measure(f"{metric}, learner - GRPO", [values(metric, grpo), values(metric, row)],
                                  lambda mm: mm[..., 1] - mm[..., 0], (float(cfg[gain]), INF))
                  for metric, gain in (("solved", "solved_gain"), ("pass@32", "pass_gain"))}
        out["checks"][row.label] = agent_record(checks, control, claimed)
    return out


def _markdown(frame: pd.DataFrame) -> str:
    """A GitHub table (pandas' to_markdown needs the optional tabulate package)."""
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


