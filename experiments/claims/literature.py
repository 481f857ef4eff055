"""The RLVR literature's exploration methods beside the paper's, on the same questions and seeds.

Every learner of the experiment runs on C4's questions with the same run seeds (``[sweep] seeds =
"common"``), so run i of each learner meets the same question sequence and the same uniforms behind
its groups, and each comparison is a *paired* difference of final values over runs (percentile
bootstrap resampling runs together, :func:`bandits.checks.measure` with ``paired=True``).

``main``      each method at its constant of ``figure.main`` (the authors' default, or C4's c = 1)
              against plain GRPO: solved fraction, pass@1, pass@32, distinct answers found on the hard
              questions and answer entropy, learner - GRPO.
``matched``   each method at the constant (of those run) whose final pass@1, or answer entropy, is
              closest to that of the reference ``figure.reference`` (GRPO + ucb_con, c = 1), against that
              reference: the matched metric's own difference (how close the match is) and the others'.
              A method is then not credited for learning slower (matched pass@1) or for merely
              keeping entropy (matched entropy). The constant is chosen on the same runs it is
              compared on (a small selection effect, stated in docs/theory.md 10.5).

Claims, only where a control exists (the bands of C4 and C5 d):

* the entropy bonus at ``figure.main``'s c_H: solved - GRPO's >= ``solved_gain`` and pass@32 - GRPO's
  >= ``pass_gain``. Control: c_H = 0, which is GRPO itself (the learner's step skips the term), so on
  common seeds its differences are exactly 0 and fail both bands decisively;
* Pass@k Training at ``figure.main``'s k: the same two gains and pass@1 - GRPO's <= ``pass1_change``
  (its cost, as PKPO's in C5 d). Control: k = 1, whose closed form is GRPO's advantage up to rounding:
  it must fail all three.

Every other row (the bonuses, PKPO, the unlikeliness reward, W-REINFORCE, and all matched rows) is
measured and recorded, not claimed.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bandits.checks import INF, METHOD, final_runs, measure
from bandits.plots import COLUMN_WIDTH, OKABE_ITO, save_figure
from bandits.rl.learner import SETTINGS
from .common import GREY, agent_record
from .rl import _markdown

METRICS = {"solved": "solved", "pass@1": "pass@1", "pass@32": "pass@32", "distinct": "distinct_hard",
           "entropy": "entropy_all"}
TITLES = {"solved": "solved", "pass@1": "pass@1", "pass@32": "pass@32", "distinct": "distinct (hard q.)",
          "entropy": "entropy (nats)"}
SYMBOLS = {"entropy_coef": "c_H", "rank_penalty": "beta", "psr_weight": "lambda"}
MATCH_ON = {"pass@1": "pass@1", "entropy": "entropy"}


def method_of(s: dict) -> tuple[str, str | None]:
    """``(method, the name of its constant)`` of a learner's settings."""
    if s["eta"] == 0:
        return "pi0 sampling", None
    if s["advantage"] == "passk_training":
        return "Pass@k Training", "k"
    if s["reward"] == "pass@k":
        return "PKPO", "k"
    if s["advantage"] == "weighted_reinforce":
        return "W-REINFORCE", "psr_weight"
    if s["rank_penalty"] != 0:
        return "unlikeliness", "rank_penalty"
    if s["entropy_coef"] != 0:
        return "entropy", "entropy_coef"
    if s["bonus"] != "none":
        return s["bonus"], "c"
    return "GRPO", None


def _row_settings(row) -> dict:
    return {k: (row[k].item() if hasattr(row[k], "item") else row[k]) for k in SETTINGS}


def _name(method: str, constant: str | None, value) -> str:
    symbol = SYMBOLS.get(constant or "", constant)
    return method if constant is None else f"{method} ({symbol} = {value:g})"


def literature_checks(folder, cfg) -> dict:
    finals = {name: final_runs(folder, metric) for name, metric in METRICS.items()}
    frame = finals["solved"]
    cells = []
    for row in frame.itertuples(index=False):
        s = _row_settings(row._asdict())
        method, constant = method_of(s)
        cells.append({"key": row.key, "label": row.label, "settings": s, "method": method, "constant": constant,
                      "value": s[constant] if constant else None,
                      "values": {n: finals[n][finals[n].key == row.key]["values"].iloc[0] for n in METRICS}})
    grpo = next(c for c in cells if c["method"] == "GRPO")
    main = {str(k): float(v) for k, v in cfg.get("main", {}).items()}
    reference = next(c for c in cells if c["method"] == cfg["reference"] and c["value"] == main[cfg["reference"]])
    bands = {"solved": (float(cfg["solved_gain"]), INF), "pass@32": (float(cfg["pass_gain"]), INF),
             "pass@1": (-INF, float(cfg["pass1_change"])), "distinct": (-INF, INF), "entropy": (-INF, INF)}

    def diff(base, other, name, band=(-INF, INF)):
        return measure(f"{METRICS[name]}, learner - {base['method']} (paired over runs)",
                       [base["values"][name], other["values"][name]], lambda mm: mm[..., 1] - mm[..., 0], band,
                       paired=True)

    out = {"method": METHOD + "; paired over runs (common seeds); statistic: difference of final means",
           "bands": {k: [None if not np.isfinite(b) else b for b in v] for k, v in bands.items()},
           "reference": reference["label"], "checks": {}, "main": {}, "matched": {}}
    # the main table: every learner at its main constant (and the controls), against GRPO
    rows = [c for c in cells if c["method"] not in ("GRPO", "pi0 sampling")
            and (c["constant"] is None or main.get(c["method"]) == c["value"])]
    controls = [c for c in cells if (c["method"], c["value"]) == ("Pass@k Training", 1)]
    claimed = {"entropy": ["solved", "pass@32"], "Pass@k Training": ["solved", "pass@32", "pass@1"]}

    def band(method, name):  # a claimed check's band; the whole line for what is only measured
        return bands[name] if name in claimed.get(method, ()) else (-INF, INF)

    for c in rows + controls:
        checks = {name: diff(grpo, c, name, band(c["method"], name)) for name in METRICS}
        name = _name(c["method"], c["constant"], c["value"])
        if c in controls:
            out["checks"][name + " (control: GRPO up to rounding)"] = agent_record(checks, claimed[c["method"]])
        elif c["method"] in claimed:
            out["checks"][name] = agent_record(checks, None, claimed[c["method"]])
        else:
            out["main"][name] = {n: ch.record("measured") for n, ch in checks.items()}
    if "entropy" in main:  # its control: c_H = 0 is plain GRPO, the same cell on the same seeds
        checks = {name: diff(grpo, grpo, name, band("entropy", name)) for name in METRICS}
        out["checks"]["entropy (c_H = 0: GRPO itself) (control)"] = agent_record(checks, claimed["entropy"])
    # matched comparisons: each method's constant whose final metric is closest to the reference's
    for match, metric in MATCH_ON.items():
        target = reference["values"][metric].mean()
        table = {}
        for method in dict.fromkeys(c["method"] for c in cells):
            group = [c for c in cells if c["method"] == method and c["constant"] is not None and c is not reference
                     and (c["method"], c["value"]) != ("Pass@k Training", 1)]
            if method in ("GRPO", "pi0 sampling", reference["method"]) or not group:
                continue
            best = min(group, key=lambda c: abs(c["values"][metric].mean() - target))
            checks = {name: diff(reference, best, name).record("measured") for name in METRICS}
            gap = checks[metric]["ci95"]
            table[method] = {"constant": best["constant"], "value": best["value"],
                             "tried": sorted(c["value"] for c in group),
                             "matched": bool(gap[0] is not None and gap[0] <= 0 <= gap[1]), "differences": checks}
        out["matched"][match] = {"target": round(float(target), 4), "methods": table}
    finals_table = {}
    for c in [grpo, reference] + rows:
        finals_table[_name(c["method"], c["constant"], c["value"])] = {
            n: round(float(c["values"][n].mean()), 4) for n in METRICS}
    out["finals"] = finals_table
    return out


def _fmt(rec) -> str:
    est, (a, b) = rec["estimate"], rec["ci95"]
    return "undefined" if est is None else f"{est:+.3f} [{a:+.3f}, {b:+.3f}]"


def write_table(out: dict, path) -> None:
    lines = ["# C4 questions: the RLVR literature's learners against GRPO (paired over runs, common seeds)", "",
             "Final means: " + "; ".join(f"{k}: " + ", ".join(f"{n} {v:.3f}" for n, v in f.items())
                                          for k, f in list(out["finals"].items())[:2]), "",
             "## Learner - GRPO, difference of final means [95% paired bootstrap CI]", ""]
    rows = []
    for name, rec in list(out["checks"].items()) + list(out["main"].items()):
        checks, role = rec.get("checks", rec), rec.get("role", "measured")
        rows.append({"learner": name, "role": role, **{n: _fmt(checks[n]) for n in METRICS}})
    lines.append(_markdown(pd.DataFrame(rows)))
    for match, block in out["matched"].items():
        lines += ["", f"## At matched {match}: each method at its constant closest to {out['reference']}'s "
                      f"{match} ({block['target']:.3f}); method - reference", ""]
        rows = []
        for method, m in block["methods"].items():
            rows.append({"method": method, "constant": f"{m['constant']} = {m['value']:g}",
                         "tried": ", ".join(f"{v:g}" for v in m["tried"]),
                         "matched": "yes" if m["matched"] else "no (closest)",
                         **{n: _fmt(m["differences"][n]) for n in METRICS}})
        lines.append(_markdown(pd.DataFrame(rows)))
    path.write_text("\n".join(lines) + "\n")


def draw_literature(folder, table, exp, stem):
    cfg = exp.figure
    out = literature_checks(folder, cfg)
    fig = plt.figure(figsize=(2 * COLUMN_WIDTH, 5.6), layout="constrained")
    grid = fig.add_gridspec(2, 5, height_ratios=[1.25, 1])
    # top: learner - GRPO on each metric
    entries = [(n, r.get("checks", r), r.get("role", "measured")) for n, r in
               list(out["checks"].items()) + list(out["main"].items())]
    entries.sort(key=lambda e: (e[2] == "control", e[2] != "claim", e[0]))
    colours = {}
    for n, _, role in entries:
        colours[n] = GREY if role == "control" else OKABE_ITO[len([c for c in colours.values() if c != GREY])
                                                               % len(OKABE_ITO)]
    for j, metric in enumerate(METRICS):
        ax = fig.add_subplot(grid[0, j])
        for y, (n, checks, role) in enumerate(entries):
            rec = checks[metric]
            est, (a, b) = rec["estimate"], rec["ci95"]
            face = "white" if role != "claim" else colours[n]
            ax.errorbar([est], [y], xerr=[[max(est - a, 0)], [max(b - est, 0)]], color=colours[n], marker="o",
                        markersize=3, capsize=1.5, linewidth=0.9, markerfacecolor=face)
        lo, hi = out["bands"][metric]
        if lo is not None or hi is not None:
            left, right = ax.get_xlim()
            ax.axvspan(lo if lo is not None else left, hi if hi is not None else right, color="0.9", zorder=0,
                       linewidth=0)
            ax.set_xlim(left, right)
        ax.axvline(0, color="black", linewidth=0.5)
        ax.set_ylim(len(entries) - 0.5, -0.5)
        ax.set_yticks(range(len(entries)), [n + ("" if role != "claim" else " *") for n, _, role in entries]
                      if j == 0 else [], fontsize=5.5)
        ax.set_title(TITLES[metric], fontsize=6.5)
        ax.tick_params(axis="x", labelsize=5.5)
        if j == 2:
            ax.set_xlabel("learner - GRPO, final value (paired 95% CI; grey band: a claim's band)", fontsize=6)
    # bottom: at matched pass@1 and matched entropy, each method - the reference
    bottom = grid[1, :].subgridspec(1, 2, wspace=0.1)
    for j, (match, block) in enumerate(out["matched"].items()):
        ax = fig.add_subplot(bottom[0, j])
        methods = list(block["methods"])
        for k, (metric, marker) in enumerate((("solved", "o"), ("pass@32", "s"), (MATCH_ON[match], "x"))):
            for y, method in enumerate(methods):
                m = block["methods"][method]
                rec = m["differences"][metric]
                est, (a, b) = rec["estimate"], rec["ci95"]
                ax.errorbar([est], [y + 0.22 * (k - 1)], xerr=[[max(est - a, 0)], [max(b - est, 0)]],
                            color=OKABE_ITO[k] if k < 2 else "black", marker=marker, markersize=2.8, capsize=1.2,
                            linewidth=0.8, label=(metric if k < 2 else f"{metric} (the matched one)") if y == 0 else None)
        ax.axvline(0, color="black", linewidth=0.5)
        ax.set_yticks(range(len(methods)), [_name(mth, block["methods"][mth]["constant"], block["methods"][mth]["value"])
                                            + ("" if block["methods"][mth]["matched"] else " ~") for mth in methods],
                      fontsize=5.5)
        ax.set_ylim(len(methods) - 0.5, -0.5)
        ax.tick_params(axis="x", labelsize=5.5)
        ax.set_title(f"at matched {match}: method - GRPO+ucb_con", fontsize=6.5)
        ax.set_xlabel("difference of final values (paired 95% CI)", fontsize=6)
        handles, names = ax.get_legend_handles_labels()
        ax.legend(handles, names, frameon=False, fontsize=5, loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=3)
    cell = exp.cells[0]
    fig.suptitle(cfg.get("title", exp.name) + f"\n{cell.runs} paired runs of {cell.steps} steps (common seeds); "
                 "* claimed, grey: controls, open: measured; ~: the closest constant tried, its metric not matched",
                 fontsize=7)
    save_figure(fig, stem)
    write_table(out, stem.with_name(stem.name + "_table.md"))
    return out
