"""Ablations of one learner setting (c, b0, eta: the reviewers' requests), measured, not claimed.

An ``ablation`` figure sweeps the setting named by ``figure.x`` over several values for one or more
learners (each learner: the cells that share every other setting). Three panels draw the final
solved fraction, pass@32 and answer entropy against that value, mean and Student-t 95% interval over
runs (``summary.csv``'s), as a line with a band; a learner run at one value only (plain GRPO in a c
ablation, pi0 sampling in an eta one) is drawn as a horizontal reference line with its band.
``figure.log_x`` puts the axis on a log scale; ``figure.mark`` draws dotted verticals (the paper's
values). The measurements go to claims.json under ``ablation``: no check, so nothing can fail.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from bandits.plots import COLUMN_WIDTH, MARKERS, OKABE_ITO, save_figure
from bandits.rl.learner import SETTINGS, learner_label

PANELS = (("solved", "solved fraction"), ("pass@32", "pass@32"), ("entropy_all", "answer entropy (nats)"))


def _settings(row) -> dict:
    return {k: (row[k].item() if hasattr(row[k], "item") else row[k]) for k in SETTINGS if k in row.index}


def ablation_series(table, x: str) -> dict:
    """``{series name: {"settings": ..., "points": {value: {metric: [mean, low, high]}}}}`` at the last step."""
    final = table[table.checkpoint == table.steps]
    series: dict = {}
    for _, g in final.groupby("label", sort=False):
        s = _settings(g.iloc[0])
        rest = {k: v for k, v in s.items() if k != x}
        entry = series.setdefault(tuple(sorted(rest.items())), {"settings": rest, "points": {}})
        by_metric = g.set_index("metric")
        entry["points"][float(s[x])] = {m: [round(float(by_metric.loc[m, c]), 4) for c in ("mean", "ci_low", "ci_high")]
                                        for m, _ in PANELS}
    out = {}
    for entry in series.values():
        rest = entry["settings"]
        if len(entry["points"]) == 1:  # a reference line
            name = learner_label({**rest, x: next(iter(entry["points"]))})
        else:
            name = _series_name(rest, x, [e["settings"] for e in series.values() if len(e["points"]) > 1])
        out[name] = {"settings": rest, "points": dict(sorted(entry["points"].items()))}
    return out


def _series_name(rest: dict, x: str, others: list) -> str:
    """The bonus, and every other setting that tells this series from the others (``ucb_con, c=1``)."""
    base = "GRPO" if rest["bonus"] == "none" else rest["bonus"]
    varying = [k for k in SETTINGS if k not in (x, "bonus") and len({str(o.get(k)) for o in others}) > 1]
    extra = [f"{k}={rest[k]:g}" if isinstance(rest[k], float) else f"{k}={rest[k]}" for k in varying]
    return ", ".join([base, *extra])


def draw_ablation(folder, table, exp, stem):
    cfg = exp.figure
    x = cfg["x"]
    series = ablation_series(table, x)
    fig, axes = plt.subplots(1, 3, figsize=(2 * COLUMN_WIDTH, 2.6), constrained_layout=True)
    swept = sorted({v for s in series.values() if len(s["points"]) > 1 for v in s["points"]})
    i = 0
    for name, s in series.items():
        values = list(s["points"])
        reference = len(values) == 1
        colour = "black" if reference else OKABE_ITO[i % len(OKABE_ITO)]
        for ax, (metric, ylabel) in zip(axes, PANELS):
            mean, lo, hi = ([s["points"][v][metric][j] for v in values] for j in range(3))
            if reference:
                ax.axhline(mean[0], color=colour, linewidth=0.8, linestyle="--", label=name)
                ax.axhspan(lo[0], hi[0], color=colour, alpha=0.08, linewidth=0)
            else:
                ax.plot(values, mean, color=colour, marker=MARKERS[i % len(MARKERS)], markersize=3, linewidth=0.9,
                        label=name)
                ax.fill_between(values, lo, hi, color=colour, alpha=0.18, linewidth=0)
            ax.set_title(ylabel + ", final", fontsize=7)
        if not reference:
            i += 1
    for ax in axes:
        for v in cfg.get("mark", []):
            ax.axvline(float(v), color="0.5", linewidth=0.6, linestyle=":")
        if cfg.get("log_x", False):
            ax.set_xscale("log")
        ax.set_xticks(swept, [f"{v:g}" for v in swept])
        ax.minorticks_off()
        ax.set_xlabel(x)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=min(len(names), 4), frameon=False, fontsize=6)
    runs = int(table[table.metric == "solved"].n.max())
    steps = int(table.steps.max())
    fig.suptitle(cfg.get("title", exp.name) + f"\nafter {steps} steps; mean and 95% CI over {runs} runs (the same seeds"
                 " for every learner); dotted: " + ", ".join(f"{x} = {float(v):g}" for v in cfg.get("mark", [])),
                 fontsize=7)
    save_figure(fig, stem)
    return {"ablation": {"x": x, "steps": steps, "runs": runs, "ci": "Student t, 95%, over runs",
                         "series": {name: {"settings": {k: v for k, v in s["settings"].items()
                                                        if v != SETTINGS[k].default},
                                           "final": {f"{v:g}": p for v, p in s["points"].items()}}
                                    for name, s in series.items()}}}
