"""The exact structured lower bound, attained (C7): regret per unit of ln t, divided by the
Graves-Lai constant of the structure, approaches 1 for OSSB and not for outcome UCB.

``C`` is :func:`bandits.theory.graves_lai` for agents that see outcomes (the map known on a
deterministic map, the kernel unknown otherwise), the same ``C`` for every agent of an instance,
so outcome-blind agents are measured against the structure they ignore. As in C2 (c)
(:mod:`.horizon`), the statistic is the slope of R against ln t over the last decade,
``s(T) = (R(T) - R(T/10)) / ln 10``, with paired bootstrap intervals over runs:

``limit``   ``s(T) / C`` lies in ``limit`` (a band around 1);
``change``  ``s(T) / s(T/10) - 1`` lies within ``+-change``.
The oracle (regret 0) falls below every band; agents that pay for K (outcome-blind) or for
optimism (outcome UCB) lie above it. An agent listed in the figure's ``claimed`` table with no
checks is measured and drawn, not claimed. One panel per instance.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from bandits import theory
from bandits.checks import METHOD, cell_runs
from bandits.plots import COLUMN_WIDTH, save_figure
from .common import agent_record, claimed_of, controls_of, decade_slopes, fmt_check, instance_of, style


FLOOR = 1e-2  # the oracle's 0, drawn at the bottom of the log axis


def structure_constant(inst):
    """The Graves-Lai constant of agents that see outcomes, with its certificate."""
    return theory.graves_lai(inst, observes="outcomes", map_known=inst.deterministic)


def draw_optimal(folder, table, exp, stem) -> dict:
    cfg = exp.figure
    controls = controls_of(cfg)
    limit = tuple(float(v) for v in cfg["limit"])
    change = float(cfg["change"])
    cells = cell_runs(folder, "regret")
    measured = {"method": METHOD, "bands": {"limit": list(limit), "change": [-change, change]}, "series": {},
                "instances": {}}
    names = sorted({instance_of(row).name for _, row in cells.iterrows()})
    fig, axes = plt.subplots(1, len(names), figsize=(COLUMN_WIDTH * max(1.8, 1.2 * len(names)), 3.5), squeeze=False,
                             constrained_layout=True, sharey=True)
    panel = {name: ax for name, ax in zip(names, axes[0])}
    agents = sorted(cells["agent"].unique())
    for _, row in cells.sort_values(["agent"]).iterrows():
        agent, inst = row["agent"], instance_of(row)
        control = controls.get(agent)
        gl = structure_constant(inst)
        c = gl.lower
        measured["instances"][inst.name] = {
            "graves_lai": [round(gl.lower, 6), round(gl.upper, 6)], "method": gl.method,
            "lai_robbins": round(theory.graves_lai(inst, observes="rewards").lower, 6),
            "eta": [round(float(v), 4) for v in gl.eta]}
        t, X = row["checkpoints"].astype(float), row["values"]
        checks, j1, (tc, mean, low, high) = decade_slopes(t, X, c, limit, change, symbol="C")
        name = f"{row['label']}, {inst.name}"
        record = agent_record(checks, control, claimed_of(cfg, agent))
        record.update({"instance": inst.name, "C": round(c, 6)})
        measured["series"][name] = record
        st = style(agents.index(agent), control is not None)
        st.pop("marker"), st.pop("markersize"), st.pop("markerfacecolor", None)
        ax = panel[inst.name]
        role = " (control)" if control is not None else " (measured)" if record.get("claimed") == [] else ""
        ax.plot(tc, np.maximum(mean, FLOOR), label=f"{row['label']}{role}: limit {fmt_check(checks['limit'])}",
                **st)
        ax.fill_between(tc, np.maximum(low, FLOOR), np.maximum(high, FLOOR), color=st["color"], alpha=0.2,
                        linewidth=0)
        ax.axvline(t[j1], color="0.85", linewidth=0.6, zorder=0)
    for name, ax in panel.items():
        info = measured["instances"][name]
        ax.axhspan(*limit, color="0.9", zorder=0)
        ax.axhline(1.0, color="black", linewidth=0.7, linestyle=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("pulls t (grey line: T/10)")
        ax.set_title(f"{name}\nC = {info['graves_lai'][0]:.4g} (Lai-Robbins {info['lai_robbins']:.4g})", fontsize=6.5)
        ax.legend(fontsize=5, frameon=False, loc="upper right")
    axes[0][0].set_ylabel("(R(t) - R(t/10)) / (C ln 10)")
    n_runs = int(min(len(v) for v in cells["values"]))
    fig.suptitle(f"{cfg.get('title', exp.name)}\nregret per unit of ln t over the past decade / C, the Graves-Lai "
                 f"constant of the structure\nband {list(limit)} shaded; mean and 95% CI over {n_runs} runs; grey "
                 f"dashed: controls (the oracle's 0 drawn at {FLOOR:g})", fontsize=6.5)
    save_figure(fig, stem)
    return measured
