"""Claims C1-C3 of the SPEC: run their experiments, draw their figures, measure them.

Each ``experiments/c*.toml`` carries a ``[figure]`` table that says how to draw and measure it:

``kind = "scaling"``
    Final ``metric`` against the swept ``x`` on log-log axes, one line per agent, with the
    least-squares slope next to the ``expected`` one (a number, or a table by agent name with a
    ``default``), and the reference curves that are not vacuous at that scale.
``kind = "horizon"``
    Regret over time for each value of ``m``: ``R(t) / sqrt(m t ln t)`` (bounded, Theorem 4.2)
    and ``R(t)`` against ``ln t`` with a straight-line fit from ``fit_from * T`` on (fixed gap).
``kind = "tradeoff"``
    Batches: pass regret against pseudo-regret as ``lam`` grows, and distinct outcomes per
    round against ``lam``, one panel per batch size. Sweep only ``batch`` and ``lam`` in such a
    file: values of any other swept parameter would be averaged together.

:func:`reproduce` runs every experiment into ``results/NAME`` (resuming what is there), writes
``figures/NAME.pdf`` and ``.png``, and returns the measurements (also saved to
``figures/claims.json``).
"""

from __future__ import annotations

import inspect
import json
import time
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from . import sweep, theory
from .sweep import _write_atomic
from .experiment import TOML_FAMILIES, load
from .plots import COLUMN_WIDTH, MARKERS, METRIC_LABELS, OKABE_ITO, STYLE, _control, _save, final_rows, fit_slope

GREY = "0.45"


def default_experiments_dir() -> Path:
    """``./experiments`` if it exists, else the one beside the package (a source checkout)."""
    here = Path("experiments")
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "experiments"


def reproduce(experiments=None, results="results", figures="figures", quick=False, workers=None, only=None,
              force=False, progress=True, log=print) -> dict:
    """Run every claim experiment and draw its figure; returns ``{name: measurements}``."""
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
        folder = results / exp.name
        sweep.run(exp, folder, workers=workers, force=force, progress=progress)
        table = pd.read_csv(folder / "summary.csv")
        draw = FIGURES[exp.figure["kind"]]
        with plt.rc_context(STYLE):
            measured[exp.name] = draw(table, exp, figures / exp.name)
        measured[exp.name]["seconds"] = round(time.perf_counter() - start, 1)
        log(f"{exp.name}: {figures / exp.name}.png  ({measured[exp.name]['seconds']} s)  {_brief(measured[exp.name])}")
    claims_file = figures / "claims.json"
    old = json.loads(claims_file.read_text()) if claims_file.exists() else {}
    old = {k: v for k, v in old.items() if k in {e.name for e in all_exps}}  # drop experiments that are gone
    _write_atomic(claims_file, (json.dumps({**old, **measured}, indent=2, default=float) + "\n").encode())
    return measured


# -- scaling: final metric against a swept parameter ------------------------------------------

def expected_slope(figure, agent):
    expected = figure["expected"]
    return expected.get(agent, expected.get("default")) if isinstance(expected, dict) else expected


def draw_scaling(table, exp, stem):
    fig_cfg = exp.figure
    x, metric = fig_cfg["x"], fig_cfg.get("metric", "regret")
    tol = fig_cfg.get("tolerance", 0.15)
    rows = final_rows(table, metric).sort_values(x)
    n_labels = rows.label.nunique()
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.5 + 0.16 * (n_labels + 3)), constrained_layout=True)
    measured = {"x": x, "metric": metric, "tolerance": tol, "agents": {}}
    for i, (label, group) in enumerate(rows.groupby("label", sort=False)):
        agent = group.agent.iloc[0]
        slope = fit_slope(group[x], group["mean"])
        want = expected_slope(fig_cfg, agent)
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        yerr = np.clip(np.vstack([group["mean"] - group.ci_low, group.ci_high - group["mean"]]), 0, None)
        ax.errorbar(group[x], group["mean"], yerr=yerr, color=colour, marker=MARKERS[i % len(MARKERS)],
                    markersize=3.5, capsize=2, linewidth=1.0,
                    label=f"{label}: slope {slope:.2f} (expected {want:g})")
        measured["agents"][label] = {"slope": round(slope, 3), "expected": want, "ok": bool(abs(slope - want) <= tol),
                                     "final": [round(v, 3) for v in group["mean"]]}
    _slope_guides(ax, rows, x, fig_cfg)
    _scaling_references(ax, rows, x)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ticks = np.unique(rows[x])
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    horizon = int(rows.horizon.max())
    ax.set_xlabel(f"{x} ({_unit(x)})")
    ax.set_ylabel(f"{METRIC_LABELS.get(metric, metric)} at T = {horizon:,}")
    ax.set_title(fig_cfg.get("title", exp.name) + f"\n{int(rows.n.max())} runs: mean, 95% CI; "
                 "slope: log-log fit", fontsize=7)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: (labels[i].startswith(("guide", "Lai", "$")), i))
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="outside lower center", frameon=False,
               fontsize=6, ncol=1)
    _save(fig, stem)
    return measured


def _slope_guides(ax, rows, x, fig_cfg):
    """Thin black lines with each expected slope, through the mean first point of its agents."""
    xs = np.sort(rows[x].unique()).astype(float)
    first = rows[rows[x] == xs[0]]
    wanted = {}
    for agent, group in first.groupby("agent"):
        wanted.setdefault(expected_slope(fig_cfg, agent), []).extend(group["mean"])
    for slope, starts in sorted(wanted.items()):
        y0 = float(np.exp(np.mean(np.log(np.maximum(starts, 1e-12)))))
        ax.plot(xs, y0 * (xs / xs[0]) ** slope, color="0.8", linewidth=3, solid_capstyle="round", zorder=0,
                label=f"guide: slope {slope:g}")


def _scaling_references(ax, rows, x):
    """Lai-Robbins (arms, outcomes) and sqrt(m T ln T) at each x, where they are not vacuous."""
    points = rows.drop_duplicates("cell").drop_duplicates(x).sort_values(x)
    curves = {"Lai-Robbins, arms": [], "Lai-Robbins, outcomes": [], r"$\sqrt{m\,T\ln T}$": []}
    outcome_agents = any(_control(a) == "outcome" for a in rows.agent.unique())
    xs = []
    for _, row in points.iterrows():
        params = {k: _plain(row[k]) for k in _instance_params(row)}
        inst = TOML_FAMILIES[row.family](**params)
        T = float(row.horizon)
        cap = T * float(inst.gaps.max()) if inst.gaps.max() > 0 else np.inf
        xs.append(row[x])
        for name, value in (("Lai-Robbins, arms", theory.lai_robbins_constant(inst, "arm") * np.log(T)),
                            ("Lai-Robbins, outcomes", theory.lai_robbins_constant(inst, "outcome") * np.log(T)
                             if outcome_agents and inst.deterministic else 0.0),
                            (r"$\sqrt{m\,T\ln T}$", float(theory.sqrt_m_t_log_t(inst.m, T))
                             if outcome_agents else 0.0)):
            curves[name].append(value if 0 < value < cap else np.nan)
    styles = {"Lai-Robbins, arms": ":", "Lai-Robbins, outcomes": "-.", r"$\sqrt{m\,T\ln T}$": "--"}
    for name, values in curves.items():
        if np.isfinite(values).sum() >= 2:
            ax.plot(xs, values, color=GREY, linestyle=styles[name], linewidth=1.0, label=name)


# -- horizon: regret over time against sqrt(m t ln t) and ln t ---------------------------------

def draw_horizon(table, exp, stem):
    fig_cfg = exp.figure
    fit_from = fig_cfg.get("fit_from", 0.01)
    rows = table[table.metric == "regret"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(2 * COLUMN_WIDTH, 2.6), constrained_layout=True)
    measured = {"series": {}}
    for i, ((label, m), group) in enumerate(rows.groupby(["label", "m"], sort=True)):
        group = group.sort_values("checkpoint")
        t = group.checkpoint.to_numpy(float)
        keep = t >= 3
        t, mean = t[keep], group["mean"].to_numpy()[keep]
        low, high = group.ci_low.to_numpy()[keep], group.ci_high.to_numpy()[keep]
        scale = theory.sqrt_m_t_log_t(int(m), t)
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        name = f"{label}, m={int(m)}"
        left.plot(t, mean / scale, color=colour, label=name)
        left.fill_between(t, low / scale, high / scale, color=colour, alpha=0.2, linewidth=0)
        per = max(int(m) - 1, 1)  # regret per suboptimal outcome, so that the values of m share an axis
        right.plot(np.log(t), mean / per, color=colour, label=name)
        right.fill_between(np.log(t), low / per, high / per, color=colour, alpha=0.2, linewidth=0)
        fit = t >= fit_from * t.max()
        slope, intercept = np.polyfit(np.log(t[fit]), mean[fit], 1)
        pred = slope * np.log(t[fit]) + intercept
        r2 = 1 - np.sum((mean[fit] - pred) ** 2) / np.sum((mean[fit] - mean[fit].mean()) ** 2)
        right.plot(np.log(t[fit]), pred / per, color="black", linewidth=0.7, linestyle="--")
        ratio = mean / scale
        tail = t >= 0.1 * t.max()
        measured["series"][name] = {"max_ratio": round(float(ratio[t >= 100].max()), 4),
                                    "final_ratio": round(float(ratio[-1]), 4),
                                    "ratio_at_T_over_10": round(float(ratio[tail][0]), 4),
                                    "log_slope": round(float(slope), 3), "r2_vs_log_t": round(float(r2), 5)}
    left.set_xscale("log")
    left.set_xlabel("pulls t")
    left.set_ylabel(r"regret / $\sqrt{m\,t\,\ln t}$")
    left.set_title("bounded as t grows (Theorem 4.2)")
    right.set_xlabel("ln t  (t in pulls)")
    right.set_ylabel("pseudo-regret / (m - 1)")
    right.set_title(f"linear in ln t (dashed: fit on t >= {fit_from:g} T)")
    left.legend(frameon=False, fontsize=6)
    fig.suptitle(fig_cfg.get("title", exp.name) + f"; mean and 95% CI over {int(rows.n.max())} runs", fontsize=7)
    _save(fig, stem)
    return measured


# -- tradeoff: the batch penalty --------------------------------------------------------------

def draw_tradeoff(table, exp, stem):
    final = table[table.checkpoint == table.horizon]
    batches = sorted(final.batch.unique())
    fig, axes = plt.subplots(2, len(batches), figsize=(max(2.3 * len(batches), COLUMN_WIDTH), 4.8), squeeze=False,
                             constrained_layout=True)
    measured = {"batches": {}}
    agents = list(dict.fromkeys(final.agent))
    for col, n in enumerate(batches):
        top, bottom = axes[0, col], axes[1, col]
        measured["batches"][str(n)] = {}
        for i, agent in enumerate(agents):
            sub = final[(final.batch == n) & (final.agent == agent)]
            wide = sub.pivot_table(index="lam", columns="metric", values="mean").sort_index()
            colour, marker = OKABE_ITO[i % len(OKABE_ITO)], MARKERS[i % len(MARKERS)]
            top.plot(wide["regret"], wide["pass_regret"], color=colour, marker=marker, markersize=3, label=agent)
            top.annotate(f"lam={wide.index[0]:g}", (wide["regret"].iloc[0], wide["pass_regret"].iloc[0]), fontsize=5,
                         color=colour, xytext=(2, 2), textcoords="offset points")
            rd = sub[sub.metric == "round_distinct"].sort_values("lam")
            bottom.errorbar(rd.lam, rd["mean"], yerr=np.clip(np.vstack([rd["mean"] - rd.ci_low,
                                                                        rd.ci_high - rd["mean"]]), 0, None),
                            color=colour, marker=marker, markersize=3, capsize=1.5, label=agent)
            first, last = wide.iloc[0], wide.iloc[-1]
            measured["batches"][str(n)][agent] = {
                "lam": [float(v) for v in wide.index],
                "regret": [round(v, 2) for v in wide["regret"]],
                "pass_regret": [round(v, 3) for v in wide["pass_regret"]],
                "round_distinct": [round(v, 3) for v in wide["round_distinct"]],
                "penalty_raises_round_distinct": bool(last["round_distinct"] > first["round_distinct"]),
                "penalty_costs_regret": bool(last["regret"] > first["regret"]),
                "penalty_lowers_pass_regret": bool(last["pass_regret"] < first["pass_regret"]),
            }
        top.set_xscale("log")
        top.set_xlabel("pseudo-regret at T (log scale)")
        top.set_ylabel("pass regret at T (rounds)")
        top.set_title(f"rounds of n = {n}")
        bottom.set_xlabel("batch penalty lam")
        bottom.set_ylabel("distinct outcomes per round")
        bottom.set_ylim(bottom=0)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
    rows = final[final.metric == "regret"]
    fig.suptitle(exp.figure.get("title", exp.name) + f"\nmeans over {int(rows.n.max())} runs, 95% CI bars "
                 "below; lam grows along each upper line", fontsize=7)
    _save(fig, stem)
    return measured


# -- rl: policy-gradient learners as samplers (claim C4) -------------------------------------

TABLE_METRICS = ["distinct_hard", "distinct_unsolved", "entropy_solved", "entropy_unsolved", "entropy_all", "batch_distinct_solved",
                 "batch_distinct_unsolved", "batch_distinct_all", "solved", "pass@32"]


def draw_rl(table, exp, stem):
    """Four panels (distinct answers on unsolved questions, solved fraction, pass@k, entropy) and a table."""
    param = exp.figure.get("param", "outcome")
    table = table.copy()
    table["samples"] = table.checkpoint * table.group_size
    shown = table[(table.eta == 0) | (table.param == param)]
    labels = list(dict.fromkeys(shown.sort_values(["eta", "bonus"]).label))
    labels = [lab for lab in labels if lab == "pi0 sampling"] + [lab for lab in labels if lab != "pi0 sampling"]
    colours = {lab: ("black" if lab == "pi0 sampling" else OKABE_ITO[i % len(OKABE_ITO)])
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
    fig.legend(handles, names, loc="outside lower center", ncol=3, frameon=False)
    runs = int(end[end.metric == "solved"].n.max())
    fig.suptitle(exp.figure.get("title", exp.name) + f"\n{param} logits; mean and 95% CI over {runs} runs", fontsize=7)
    _save(fig, stem)

    final = table[table.checkpoint == table.steps]
    rows = []
    for lab, group in final.groupby("label", sort=False):
        means = group.set_index("metric")["mean"]
        rows.append({"learner": lab, **{m: round(float(means[m]), 3) for m in TABLE_METRICS}})
    rows.sort(key=lambda r: (r["learner"] != "pi0 sampling", r["learner"]))
    frame = pd.DataFrame(rows)
    stem.with_name(stem.name + "_table.md").write_text(_markdown(frame) + "\n")
    measured = {"learners": {r["learner"]: {k: v for k, v in r.items() if k != "learner"} for r in rows}}
    return measured


def _markdown(frame: pd.DataFrame) -> str:
    """A GitHub table (pandas' to_markdown needs the optional tabulate package)."""
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


FIGURES = {"scaling": draw_scaling, "horizon": draw_horizon, "tradeoff": draw_tradeoff, "rl": draw_rl}


# -- helpers ----------------------------------------------------------------------------------

def _instance_params(row):
    return [k for k in inspect.signature(TOML_FAMILIES[row.family]).parameters if k in row.index
            and not (isinstance(row[k], float) and np.isnan(row[k]))]


def _plain(value):
    """A CSV value as the plain Python number the instance generators expect."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _unit(x):
    return {"K": "arms", "m": "outcomes", "horizon": "pulls", "batch": "pulls per round"}.get(x, "value")


def _brief(measured) -> str:
    if "agents" in measured:
        return "; ".join(f"{k} slope {v['slope']:.2f} (expected {v['expected']:g})"
                         for k, v in measured["agents"].items())
    if "learners" in measured:
        return "; ".join(f"{k}: solved {v['solved']:.2f}, pass@32 {v['pass@32']:.2f}"
                         for k, v in measured["learners"].items())
    if "series" in measured:
        return "; ".join(f"{k} max ratio {v['max_ratio']:.3f}, R^2 vs ln t {v['r2_vs_log_t']:.3f}"
                         for k, v in measured["series"].items())
    return "trade-off measured per batch size"
