"""What every claim figure shares: roles (claim or control), grey controls, checks, labels."""

from __future__ import annotations

import inspect

import numpy as np

from bandits.checks import Check
from bandits.experiment import TOML_GENERATORS
from bandits.plots import MARKERS, OKABE_ITO

GREY = "0.55"


def controls_of(figure: dict) -> dict:
    """``{agent name: [checks it must fail]}`` from a figure's ``controls`` table."""
    controls = figure.get("controls", {})
    return {name: list(checks) for name, checks in controls.items()}


def claimed_of(figure: dict, agent: str):
    """The checks claimed for ``agent`` (``None``: all of them), from a figure's ``claimed`` table."""
    claimed = figure.get("claimed", {})
    return list(claimed[agent]) if agent in claimed else None


def style(i: int, control: bool) -> dict:
    """Line style of the i-th series: a palette colour, or grey and dashed for a control."""
    if control:
        return {"color": GREY, "linestyle": "--", "marker": MARKERS[(i + 3) % len(MARKERS)], "markersize": 3,
                "markerfacecolor": "white"}
    return {"color": OKABE_ITO[i % len(OKABE_ITO)], "linestyle": "-", "marker": MARKERS[i % len(MARKERS)],
            "markersize": 3.5}


def control_verdict(check: Check) -> str:
    """``"fails"`` when the check's whole interval lies outside its band (or it is undefined),
    ``"passes"`` when it lies inside, and ``"inconclusive"`` when it straddles a band edge."""
    return "fails" if check.excluded else "passes" if check.ok else "inconclusive"


def agent_record(checks: dict[str, Check], control: list | None, claimed: list | None = None) -> dict:
    """The claims.json entry of one agent: its checks, ``ok`` and, for a control, why it fails.

    A claim agent is ``ok`` when every check claimed for it holds (``claimed``: all by default; the
    others are measured and recorded, not claimed). A control is ``ok: false`` by design; it fails
    as expected only when every check it must fail fails decisively: the whole interval outside the
    band. ``verdict`` is ``"fails"``, ``"inconclusive"`` (some interval straddles a band edge: more
    runs are needed; ``reason`` says which) or ``"passes"`` (some check it must fail holds).
    """
    role = "control" if control is not None else "claim"
    rows = {name: c.record(role) for name, c in checks.items()}
    if control is None:
        claimed = [name for name in (checks if claimed is None else claimed) if name in checks]  # [] claims none
        record = {"role": role, "ok": all(checks[name].ok for name in claimed), "checks": rows}
        if set(claimed) != set(checks):
            record["claimed"] = claimed
        return record
    must_fail = [name for name in control if name in checks]
    verdicts = {name: control_verdict(checks[name]) for name in must_fail}
    for name, v in verdicts.items():
        rows[name]["verdict"] = v
    verdict = ("passes" if not must_fail or "passes" in verdicts.values()
               else "inconclusive" if "inconclusive" in verdicts.values() else "fails")
    reasons = []
    for name in must_fail:
        c = checks[name]
        if verdicts[name] == "fails":
            reasons.append(f"{name}: {c.why}")
        elif verdicts[name] == "inconclusive":
            reasons.append(f"{name}: inconclusive: {c.statistic} {c.estimate:.3g} [{c.low:.3g}, {c.high:.3g}] "
                           f"straddles an edge of [{c.band[0]:g}, {c.band[1]:g}]; more runs needed")
        else:
            reasons.append(f"{name}: passes ({c.estimate:.3g} [{c.low:.3g}, {c.high:.3g}] inside "
                           f"[{c.band[0]:g}, {c.band[1]:g}])")
    return {"role": role, "ok": False, "fails_as_expected": verdict == "fails", "verdict": verdict,
            "must_fail": must_fail, "reason": "; ".join(reasons) or "no check it must fail", "checks": rows}


def instance_of(row):
    """The instance of a summary or cell row (its generator's parameters are columns)."""
    generator = TOML_GENERATORS[row["generator"]]
    params = {k: _plain(row[k]) for k in inspect.signature(generator).parameters
              if k in row.index and not (isinstance(row[k], float) and np.isnan(row[k]))}
    return generator(**params)


def _plain(value):
    """A table value as the plain Python number the instance generators expect."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def fmt_check(c: Check, digits: int = 2) -> str:
    """``0.78 [0.74, 0.82]``."""
    return f"{c.estimate:.{digits}f} [{c.low:.{digits}f}, {c.high:.{digits}f}]"


def unit(x: str) -> str:
    return {"K": "arms", "m": "outcomes", "horizon": "pulls", "batch": "pulls per round"}.get(x, "value")
