"""Figures: regret curves with 95% bands, and final metrics against a swept parameter.

Every band and error bar is the Student-t 95% confidence interval of the mean over runs
(:mod:`bandits.stats`). Colours are the Okabe-Ito palette (colour-blind safe); figures are
sized for one column of a two-column paper and saved as PDF and PNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import theory
from ._style import COLUMN_WIDTH, MARKERS, METRIC_LABELS, OKABE_ITO, STYLE, fit_slope, plot_curves
from .agents.base import control_of
from .experiment import NAME_PATTERN
from .folder import ResultsError, read_config, read_summary, scan, summary_note, unfinished_note, warn
from .instances import TOML_GENERATORS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _pyplot():
    """matplotlib's pyplot, imported when the first figure is drawn: the command line imports this
    module for every command, and most of them (``run``, ``list``, ``--help``) draw nothing."""
    import matplotlib.pyplot as plt  # heavy third-party package (about 0.5 s): lazy on purpose

    return plt


def plot_result(results: Any, ax: Axes | None = None, metric: str = "regret", xscale: str = "log") -> Axes:
    """Plot results on one axis; returns the axis.

    ``results``: a :class:`bandits.Result`, a cell of :func:`bandits.load`, a list of them, or
    what :func:`bandits.load` returns (every cell). Results that share a label are told apart
    by their instance (added to the label).
    """
    results = list(results) if isinstance(results, (list, tuple)) or hasattr(results, "cells") else [results]
    labels = [_result_label(res) for res in results]
    repeated = {label for label in labels if labels.count(label) > 1}
    plt = _pyplot()
    with plt.rc_context(STYLE):
        if ax is None:
            _, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.4), constrained_layout=True)
        frames = []
        for res, label in zip(results, labels):
            frame = res.summary()
            frame["label"] = f"{label} on {_result_instance(res)}" if label in repeated else label
            frames.append(frame)
        plot_curves(ax, pd.concat(frames), metric)
        ax.set_xscale(xscale)
        ax.set_xlabel("pulls t")
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
        ax.legend(frameon=False)
    return ax


def _result_label(res) -> str:
    return res.agent.label if hasattr(res, "agent") else res.label


def _result_instance(res) -> str:
    return res.instance.name if hasattr(res, "instance") else res.instance_name


def interval_note(table: pd.DataFrame) -> str:
    """What the bands of a figure are: a 95% interval only where more than one run was summarised."""
    if "n" in table and len(table) and (table["n"] < 2).all():
        return "one run per cell: no interval"
    return "mean and 95% CI over runs"


def plot_folder(folder: str | Path, out: str | Path | None = None, xscale: str = "log", yscale: str = "linear",
                metrics: list[str] | None = None) -> list[Path]:
    """Every figure for a results folder; returns the paths written (PDF and PNG)."""
    folder = Path(folder)
    out = Path(out) if out else folder / "figures"
    config = read_config(folder)
    state = scan(folder, config, parse=False)
    if state.missing or state.damaged:
        raise ResultsError(unfinished_note(folder, state))
    table, reason = read_summary(folder, state)  # summary.csv if it matches the cells, else rebuilt from them
    warn(summary_note(folder, reason))
    if table.empty:
        return []
    present = [m for m in METRIC_LABELS if m in set(table.metric)]
    present += sorted(m for m in set(table.metric) if m.endswith(PAIRED))  # [sweep] baseline: paired rows
    metrics = metrics or [m for m in present if m != "distinct"]
    unknown = sorted(set(metrics) - set(table.metric))
    if unknown:
        raise ValueError(f"no metric {unknown[0]!r} in these results (there are: {', '.join(sorted(set(table.metric)))})")
    name = config["name"]
    if not isinstance(name, str) or not _plain(name):
        raise ValueError(f"config.json: sweep name {name!r} is not a plain name")
    # panels and x axes come from the instance and sweep parameters; swept agent parameters
    # are already in the labels
    swept = [s for s in config["swept"] if s in table.columns and table[s].nunique() > 1
             and pd.api.types.is_numeric_dtype(table[s]) and not s.startswith("agent.") and s != "lam"]
    colours = {label: OKABE_ITO[i % len(OKABE_ITO)] for i, label in enumerate(dict.fromkeys(table.label))}
    cells = {c["key"]: c for c in config["cells"]}
    written = []
    out.mkdir(parents=True, exist_ok=True)
    plt = _pyplot()
    with plt.rc_context(STYLE):
        for metric in metrics:
            fig = _curves_figure(table, metric, swept, colours, cells, xscale, yscale, name)
            stem = metric.replace(PAIRED, "_minus_baseline")  # a file name without spaces
            written += save_figure(fig, out / f"{name}_{stem}_curves")
            for x in swept:
                fig = _final_figure(table, metric, x, swept, colours, name)
                written += save_figure(fig, out / f"{name}_{stem}_vs_{x}")
    return written


PAIRED = " - baseline"


def metric_label(metric: str, table: pd.DataFrame | None = None) -> str:
    """The axis label of a metric; a paired difference says against which baseline."""
    if metric.endswith(PAIRED):
        base = metric[: -len(PAIRED)]
        against = "baseline"
        if table is not None and "baseline" in table:
            names = table.loc[table.metric == metric, "baseline"].dropna().unique()
            against = names[0] if len(names) == 1 else against
        return f"{base} \u2212 {against}, paired"
    return METRIC_LABELS.get(metric, metric)


def _panels(table, swept, limit=6):
    """Groups of the table by the swept parameters' values, at most ``limit`` (spread evenly)."""
    keys = [s for s in swept]
    if not keys:
        return [("", table)]
    groups = list(table.groupby(keys, sort=True))
    if len(groups) > limit:
        pick = np.unique(np.linspace(0, len(groups) - 1, limit).round().astype(int))
        groups = [groups[i] for i in pick]
    panels = []
    for values, group in groups:
        values = values if isinstance(values, tuple) else (values,)
        title = ", ".join(f"{k}={_fmt(v)}" for k, v in zip(keys, values))
        panels.append((title, group))
    return panels


def _curves_figure(table, metric, swept, colours, cells, xscale, yscale, name):
    panels = _panels(table[table.metric == metric], swept)
    cols = min(3, len(panels))
    rows = int(np.ceil(len(panels) / cols))
    width = COLUMN_WIDTH if cols == 1 else 2.4 * cols
    n_labels = table[table.metric == metric].label.nunique()
    legend_rows = n_labels if cols == 1 else int(np.ceil(n_labels / 3))
    plt = _pyplot()
    fig, axes = plt.subplots(rows, cols, figsize=(width, 2.2 * rows + 0.5 + 0.15 * legend_rows), squeeze=False,
                             constrained_layout=True)
    for i, (ax, (title, group)) in enumerate(zip(axes.flat, panels)):
        plot_curves(ax, group, metric, colours)
        if metric.endswith(PAIRED):
            ax.axhline(0.0, color="0.5", linewidth=0.6, zorder=0)
        if metric == "regret" and "agent" in group:
            _reference_curves(ax, group, cells)
        ax.set_xscale(xscale)
        ax.set_yscale(yscale)
        ax.set_title(title)
        ax.set_xlabel("training steps" if "steps" in group else "pulls t")
        if i % cols == 0:
            ax.set_ylabel(metric_label(metric, table))
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    handles, labels = _legend_entries(axes)
    fig.legend(handles, labels, loc="outside lower center", ncol=1 if cols == 1 else min(3, len(labels)),
               frameon=False)
    fig.suptitle(f"{name}: {metric_label(metric, table)}\n{interval_note(table)}", fontsize=7)
    return fig


def _reference_curves(ax, group, cells):
    """The lower bound that applies to each agent on the panel, and sqrt(m t ln t) for outcome control.

    Outcome-blind agents get Lai-Robbins on the arms, agents that see outcomes the structured
    bound on the outcomes (:mod:`bandits.theory`); a bound without a closed form is not drawn.
    """
    key = group.cell.iloc[0]
    cell = cells[key]
    instance = TOML_GENERATORS[cell["generator"]](**cell["instance"])
    t = np.unique(group.checkpoint)
    bounds = {}
    for agent in group.agent.unique():
        c, label = theory.lower_bound_constant(instance, agent)
        bounds.setdefault((label, c), []).append(agent)
    for (label, c), agents in sorted(bounds.items(), key=lambda kv: kv[0][0]):
        if c:
            ax.plot(t, c * np.log(np.maximum(t, 1)), color="0.45", linestyle=":" if "blind" in label else "-.",
                    linewidth=1.0, label=f"{label} ({', '.join(agents)})")
    if any(control_of(a) == "outcome" for a in group.agent.unique()):
        ax.plot(t, theory.sqrt_m_t_log_t(instance.m, t), color="0.3", linestyle="--", linewidth=1.0,
                label=r"$\sqrt{m\,t\,\ln t}$ (upper-bound rate, constant unknown)")


def _final_figure(table, metric, x, swept, colours, name):
    horizon_rows = final_rows(table, metric)
    others = [s for s in swept if s != x]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.6), constrained_layout=True)
    series = horizon_rows.groupby(["label", *others], sort=False) if others else horizon_rows.groupby("label",
                                                                                                         sort=False)
    for i, (keys, group) in enumerate(series):
        keys = keys if isinstance(keys, tuple) else (keys,)
        label = keys[0]
        group = group.sort_values(x)
        slope = fit_slope(group[x], group["mean"])
        points = int(((group[x] > 0) & (group["mean"] > 0)).sum())
        extra = ", ".join(f"{k}={_fmt(v)}" for k, v in zip(others, keys[1:]))
        colour = colours.get(label, OKABE_ITO[i % len(OKABE_ITO)])
        yerr = np.vstack([group["mean"] - group.ci_low, group.ci_high - group["mean"]])
        ax.errorbar(group[x], group["mean"], yerr=np.clip(yerr, 0, None), color=colour,
                    marker=MARKERS[i % len(MARKERS)], markersize=3.5, capsize=2,
                    label=f"{label}{' (' + extra + ')' if extra else ''}: slope {slope:.2f}"
                          + (f" ({points} points)" if points < 3 else ""))
    ax.set_xscale("log")
    ticks = np.unique(horizon_rows[x])
    ax.set_xticks(ticks, [_fmt(v) for v in ticks])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    if (horizon_rows["mean"] > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(f"final {metric_label(metric, table)}")
    note = "95% CI" if interval_note(horizon_rows).startswith("mean") else "one run: no interval"
    ax.set_title(f"{name}: at the horizon, {note}; slope = log-log least squares", fontsize=7)
    ax.legend(frameon=False)
    return fig


def _legend_entries(axes):
    seen = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, handle)
    return list(seen.values()), list(seen)


def final_rows(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The rows of ``metric`` at the horizon of each cell."""
    return table[(table.metric == metric) & (table.checkpoint == table.horizon)]


SAVE_METADATA = {".pdf": {"CreationDate": None}, ".png": {}}  # no dates: the same figure, the same bytes


def save_figure(fig: Figure, stem: Path) -> list[Path]:
    """Save ``fig`` as ``stem.pdf`` and ``stem.png`` (folders created), close it, return the paths;
    regenerating an identical figure changes no byte."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".pdf"), stem.with_suffix(".png")]
    for path in paths:
        fig.savefig(path, metadata=SAVE_METADATA[path.suffix])
    plt = _pyplot()
    plt.close(fig)
    return paths


def _plain(name: str) -> bool:
    return bool(NAME_PATTERN.fullmatch(name)) and name.strip(".") != ""


def _fmt(value):
    if isinstance(value, (float, np.floating)):
        return f"{value:.3g}"
    return str(value)
