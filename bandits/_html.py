"""The HTML views that Jupyter shows for instances, results and results folders, and their pieces.

The views belong to the presentation layer: the classes they show (:class:`bandits.Instance`,
:class:`bandits.Result`, :class:`bandits.rl.LearnerResult`, the cells and folders of
:func:`bandits.load`) import nothing of them. Importing this module (``import bandits`` does)
installs each view as its class's ``_repr_html_``, the method Jupyter calls.

Tables go through pandas' ``to_html``; curves are drawn on a :class:`matplotlib.figure.Figure`
(never pyplot: no global figure, no window) and embedded as a base64 PNG. Every piece is bounded
(at most ``MAX_ROWS`` rows, ``MAX_CURVES`` curves), so a 500-cell sweep shows as fast as one cell.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from ._style import METRIC_LABELS, STYLE, plot_curves
from .instances import Instance
from .results import CellResult, SweepResults
from .rl.learner import LearnerResult
from .simulate import Result

MAX_ROWS = 12       # rows of a table (cells, outcomes); "and N more" below it
MAX_CURVES = 8      # curves of a figure (the Okabe-Ito palette's size)
FIGSIZE = (4.0, 2.5)  # inches
DPI = 90
LEVEL = 0.95


def escape(value) -> str:
    return html.escape(str(value))


def fmt(value) -> str:
    """Numbers as tables show them: 4 significant digits."""
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def table(frame: pd.DataFrame) -> str:
    """A small table (pandas' ``to_html``), numbers with 4 significant digits."""
    return frame.to_html(index=False, border=0, na_rep="NaN", float_format=fmt, classes="bandits-table")


def params(values: dict) -> str:
    """A two-column table: parameter, value."""
    frame = pd.DataFrame({"parameter": list(values), "value": [fmt(v) for v in values.values()]})
    return table(frame)


def more(shown: int, total: int, what: str, where: str) -> str:
    """The line under a cut table: how many were left out and where to find them."""
    if total <= shown:
        return ""
    return f"<p><em>and {total - shown} more {what} ({where})</em></p>"


def main_metric(names) -> str:
    """The metric a figure shows: the first of the labelled metrics present (regret for bandits,
    solved for learners), else the first."""
    names = list(names)
    return next((m for m in METRIC_LABELS if m in names), names[0])


def final_rows(summary: pd.DataFrame, metrics=None) -> tuple[pd.DataFrame, int]:
    """The rows of a tidy summary at its last checkpoint: metric, checkpoint, mean, 95% interval, n.

    Only ``metrics`` (default: the labelled ones of :data:`bandits.plots.METRIC_LABELS`, or all when
    none is labelled); also returns how many metrics were left out.
    """
    present = list(dict.fromkeys(summary.metric))
    keep = metrics or [m for m in METRIC_LABELS if m in present] or present
    last = summary[(summary.checkpoint == summary.checkpoint.max()) & summary.metric.isin(keep)]
    frame = last[["metric", "checkpoint", "mean", "ci_low", "ci_high", "n"]].rename(
        columns={"ci_low": f"{LEVEL:.0%} CI low", "ci_high": f"{LEVEL:.0%} CI high"})
    return frame, len(present) - len(set(keep) & set(present))


def png_bytes(fig, dpi: int = DPI) -> bytes:
    """``fig`` rendered as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def figure_png(fig) -> str:
    """``fig`` as an ``<img>`` tag holding a base64 PNG."""
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{data}"/>'


def curves(tables: list, metric: str, xlabel: str, title: str = "") -> str:
    """An ``<img>`` of ``metric``'s mean with its 95% band, one curve per summary table.

    ``tables``: ``(label, tidy summary)`` pairs, at most ``MAX_CURVES`` drawn. Drawn on a
    :class:`matplotlib.figure.Figure`, not through pyplot.
    """
    import matplotlib  # heavy third-party package: imported when a notebook first shows a figure
    from matplotlib.figure import Figure

    frames = []
    for label, summary in tables[:MAX_CURVES]:
        frame = summary[summary.metric == metric]
        frames.append(frame.assign(label=label))
    data = pd.concat(frames, ignore_index=True)
    log = (data.checkpoint > 0).any() and data.checkpoint.max() > 10
    if log:
        data = data[data.checkpoint > 0]
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=FIGSIZE)  # fixed margins: a layout engine would triple the time
        ax = fig.add_axes((0.15, 0.17, 0.82, 0.73 if title else 0.78))
        plot_curves(ax, data, metric)
        ax.set_xscale("log" if log else "linear")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
        if title:
            ax.set_title(title)
        if len(frames) > 1:
            ax.legend(frameon=False)
        return figure_png(fig)


def page(title: str, *parts: str, figure: str = "") -> str:
    """The whole repr: a title, the tables, and the figure beside them (below on a narrow screen)."""
    body = "".join(parts)
    side = f'<div style="flex:0 0 auto">{figure}</div>' if figure else ""
    return (f'<div class="bandits-repr"><p><strong>{escape(title)}</strong></p>'
            f'<div style="display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start">'
            f'<div style="flex:0 1 auto">{body}</div>{side}</div></div>')


def heading(text: str) -> str:
    return f"<p><em>{escape(text)}</em></p>"


def result_page(title: str, settings: dict, summary: pd.DataFrame, xlabel: str, label: str) -> str:
    """The repr of one result (a simulation, a trained learner, a cell): settings, the summary at
    the last checkpoint with 95% intervals, and the main metric's curve with its band."""
    final, hidden = final_rows(summary)
    metric = main_metric(summary.metric)
    checkpoint = summary.checkpoint.max()
    return page(title, params(settings),
                heading(f"at the last checkpoint ({xlabel} = {checkpoint}): mean and {LEVEL:.0%} interval over runs"),
                table(final), more(0, hidden, "metrics", "summary() has them all"),
                figure=curves([(label, summary)], metric, xlabel))


# -- the views, one per class --------------------------------------------------------------------

def instance_view(inst: Instance) -> str:
    """An instance: its parameters and, per outcome (the first few), its mean, its arms and its
    base-policy mass."""
    gaps = inst.gaps
    positive = gaps[gaps > 1e-12]
    uniform = bool(np.allclose(inst.pi0, 1.0 / inst.K))
    settings = {"K (arms)": inst.K, "m (outcomes)": inst.m, "rewards": inst.rewards,
                **({"sigma": inst.sigma} if inst.rewards == "gaussian" else {}),
                "map": "deterministic" if inst.deterministic else "stochastic kernel",
                "theta*": inst.theta_star, "optimal arms": int((gaps <= 1e-12).sum()),
                "smallest positive gap": float(positive.min()) if positive.size else float("nan"),
                "pi0": "uniform" if uniform else "given"}
    shown = min(inst.m, MAX_ROWS)
    Q = inst.Q[:, :shown]
    outcomes = pd.DataFrame({"outcome": np.arange(shown), "mu": inst.mu[:shown],
                             "arms reaching it": (Q > 0).sum(axis=0), "pi0 mass": inst.pi0 @ Q})
    return page(f"Instance: {inst.name}", params(settings), heading("outcomes"),
                table(outcomes), more(shown, inst.m, "outcomes", "the arrays Q and mu"))


def result_view(res: Result) -> str:
    """A simulation: the settings, the metrics at the horizon with 95% intervals, the regret curve."""
    inst = res.instance
    settings = {"agent": res.agent.label, "instance": inst.name, "K": inst.K, "m": inst.m,
                "rewards": inst.rewards, "horizon": res.horizon, "runs": res.runs, "batch": res.batch,
                "seed": res.seed}
    return result_page(f"Result: {res.agent.label} on {inst.name}", settings, res.summary(), "pulls t",
                       res.agent.label)


def learner_view(res: LearnerResult) -> str:
    """A trained learner: the settings, the metrics at the last step with 95% intervals, the solved curve."""
    qs = res.questions
    settings = {"learner": res.label, "questions": qs.name, "X": qs.X, "K": qs.K, "m": qs.m, **res.settings,
                "steps": res.steps, "runs": res.runs, "seed": res.seed}
    return result_page(f"LearnerResult: {res.label} on {qs.name}", settings, res.summary(),
                       "training steps", res.label)


def cell_view(cell: CellResult) -> str:
    """A cell of a results folder: its parameters, its metrics at the last checkpoint with 95%
    intervals, and the main metric's curve with its band."""
    p = cell.params
    length = {"steps": p["steps"]} if "steps" in p else {"horizon": p["horizon"], "batch": p["batch"]}
    settings = {"cell": cell.key, "label": cell.label, "instance": cell.instance_name, **length,
                "runs": cell.runs, "seed": p["seed"]}
    xlabel = "training steps" if "steps" in p else "pulls t"
    return result_page(f"CellResult {cell.key}: {cell.label} on {cell.instance_name}", settings,
                       cell.summary(), xlabel, cell.label)


def sweep_view(sweep: SweepResults) -> str:
    """A results folder: the sweep's settings, each cell's main metric at its last checkpoint with
    its 95% interval, and the first cells' curves; at most ``MAX_ROWS`` cells in the table and
    ``MAX_CURVES`` curves, however large the sweep."""
    summary = sweep.summary
    swept = [s for s in sweep.config.get("swept", []) if s in summary.columns]
    settings = {"folder": sweep.folder, "cells": f"{len(sweep.cells)} of {len(sweep.config['cells'])} finished",
                "swept": ", ".join(swept) or "nothing"}
    if summary.empty:
        return page(f"SweepResults {sweep.name!r}", params(settings))
    metric = main_metric(summary.metric)
    rows = summary[summary.metric == metric]
    last = rows[rows.checkpoint == rows.groupby("cell").checkpoint.transform("max")]
    columns = ["cell", "label", *[s for s in swept if s != "label"], "checkpoint", "mean", "ci_low", "ci_high", "n"]
    shown = last[columns].head(MAX_ROWS).rename(
        columns={"ci_low": f"{LEVEL:.0%} CI low", "ci_high": f"{LEVEL:.0%} CI high"})
    xlabel = "training steps" if "steps" in summary.columns else "pulls t"

    by_cell = last.set_index("cell")

    def label(cell):  # the cell's label, and its swept values that the label does not say
        values = ", ".join(f"{s}={fmt(by_cell.at[cell.key, s])}" for s in swept
                           if s != "label" and f"{s.split('.')[-1]}=" not in cell.label)
        return f"{cell.label} ({values})" if values else cell.label

    drawn = [(label(c), rows[rows.cell == c.key]) for c in sweep.cells[:MAX_CURVES] if c.key in by_cell.index]
    title = (f"first {len(drawn)} of {len(sweep.cells)} cells" if len(sweep.cells) > len(drawn) else "")
    return page(f"SweepResults {sweep.name!r}", params(settings),
                heading(f"{metric} at each cell's last checkpoint: mean and 95% interval over runs"),
                table(shown), more(len(shown), len(last), "cells", "the summary attribute"),
                heading(f"curves: the {title}") if title else "",
                figure=curves(drawn, metric, xlabel, title))


#: Each class and its view; installed as the class's ``_repr_html_`` when this module is imported.
VIEWS = {Instance: instance_view, Result: result_view, LearnerResult: learner_view, CellResult: cell_view,
         SweepResults: sweep_view}

for _cls, _view in VIEWS.items():
    _cls._repr_html_ = _view  # type: ignore[attr-defined]

