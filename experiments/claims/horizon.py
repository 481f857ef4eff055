"""Logarithmic regret at a fixed gap (C2 c): regret per unit of ln t converges, near the lower bound.

``R(t) / ln t = c_A + d / ln t`` converges to the agent's constant ``c_A`` at the rate ``1 / ln t``,
too slowly to read off at any horizon we can simulate; the slope of ``R`` against ``ln t`` over a
decade, ``s(t) = (R(t) - R(t/10)) / ln 10``, converges to the same ``c_A`` much faster. With ``c``
the constant of the lower bound that applies to the agent (:func:`bandits.theory.lower_bound_constant`),
two checks with paired bootstrap intervals over runs:

``limit``   ``s(T) / c`` lies in ``limit`` (at least the lower bound, at most a stated multiple);
``change``  ``s(T) / s(T/10) - 1`` lies within ``+-change`` (the slope has stopped changing).
Linear regret multiplies ``s`` by about 10 per decade and fails both.

The last two decades start at ``T/100``, after every arm or outcome has been tried (the
experiment file says why). The right panel keeps Theorem 4.2's scale: ``R(t) / sqrt(m t ln t)``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from bandits import theory
from bandits.checks import INF, METHOD, cell_runs, measure
from bandits.plots import COLUMN_WIDTH, save_figure
from bandits.stats import mean_ci
from .common import agent_record, controls_of, decade_slopes, fmt_check, instance_of, style


def draw_horizon(folder, table, exp, stem) -> dict:
    cfg = exp.figure
    controls = controls_of(cfg)
    limit = tuple(float(v) for v in cfg["limit"])
    change = float(cfg["change"])
    cells = cell_runs(folder, "regret")
    measured = {"method": METHOD, "bands": {"limit": list(limit), "change": [-change, change]}, "series": {}}
    fig, (left, right) = plt.subplots(1, 2, figsize=(2 * COLUMN_WIDTH, 3.4), constrained_layout=True)
    for i, (_, row) in enumerate(cells.sort_values(["agent", "m"]).iterrows()):
        agent, inst = row["agent"], instance_of(row)
        control = controls.get(agent)
        c, bound = theory.lower_bound_constant(inst, agent)
        t, X = row["checkpoints"].astype(float), row["values"]
        checks, j1, (tc, mean, low, high) = decade_slopes(t, X, c, limit, change)
        keep = t >= 100
        scale = theory.sqrt_m_t_log_t(inst.m, t[keep])
        peak = measure("max over t >= 100 of R(t) / sqrt(m t ln t)", list(X[:, keep].T),
                       lambda mm: (mm / scale).max(axis=-1), (-INF, INF), paired=True)
        name = f"{row['label']}, m={inst.m}"
        record = agent_record(checks, control)
        record.update({"bound": bound, "bound_constant": round(c, 4),
                       "max_ratio_sqrt_m_t_ln_t": peak.record()["estimate"], "max_ratio_ci95": peak.record()["ci95"]})
        measured["series"][name] = record
        st = style(i, control is not None)
        st.pop("marker"), st.pop("markersize"), st.pop("markerfacecolor", None)
        left.plot(tc, mean, label=f"{name}{' (control)' if control is not None else ''}: s(T)/c "
                                        f"{fmt_check(checks['limit'])}, change {fmt_check(checks['change'])}", **st)
        left.fill_between(tc, low, high, color=st["color"], alpha=0.2, linewidth=0)
        left.axvline(t[j1], color="0.85", linewidth=0.6, zorder=0)
        mean, _, low, high, _ = mean_ci(X[:, keep] / scale)
        right.plot(t[keep], mean, **st)
        right.fill_between(t[keep], low, high, color=st["color"], alpha=0.2, linewidth=0)
    for level, text in zip(limit, ("lower bound (c ln t)", f"{limit[1]:g} x lower bound")):
        left.axhline(level, color="black", linewidth=0.7, linestyle=":" if level == limit[0] else "--")
        left.annotate(text, xy=(0.02, level), xycoords=("axes fraction", "data"), fontsize=6, xytext=(0, 2),
                      textcoords="offset points")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("pulls t (grey line: T/10)")
    left.set_ylabel("(R(t) - R(t/10)) / (c ln 10)")
    left.set_title("regret per unit of ln t over the past decade, / c", fontsize=7)
    right.set_xscale("log")
    right.set_xlabel("pulls t")
    right.set_ylabel(r"regret / $\sqrt{m\,t\,\ln t}$")
    right.set_title("bounded (Theorem 4.2's rate)", fontsize=7)
    n_runs = int(min(len(v) for v in cells["values"]))
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", frameon=False, fontsize=5.5, ncol=1)
    fig.suptitle(f"{cfg.get('title', exp.name)}\nc: the lower-bound constant that applies to each agent; mean and "
                 f"95% CI over {n_runs} runs, [paired bootstrap intervals]; grey dashed: controls", fontsize=7)
    save_figure(fig, stem)
    return measured
