"""The pieces of the HTML reprs that Jupyter shows for instances, results and results folders.

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
    from .plots import METRIC_LABELS

    names = list(names)
    return next((m for m in METRIC_LABELS if m in names), names[0])


def final_rows(summary: pd.DataFrame, metrics=None) -> tuple[pd.DataFrame, int]:
    """The rows of a tidy summary at its last checkpoint: metric, checkpoint, mean, 95% interval, n.

    Only ``metrics`` (default: the labelled ones of :data:`bandits.plots.METRIC_LABELS`, or all when
    none is labelled); also returns how many metrics were left out.
    """
    from .plots import METRIC_LABELS

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
    import matplotlib
    from matplotlib.figure import Figure

    from .plots import METRIC_LABELS, STYLE, plot_curves

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
