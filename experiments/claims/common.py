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


def agent_record(checks: dict[str, Check], control: list | None, claimed: list | None = None) -> dict:
    """The claims.json entry of one agent: its checks, ``ok`` and, for a control, why it fails.

    A claim agent is ``ok`` when every check claimed for it holds (``claimed``: all by default; the
    others are measured and recorded, not claimed). A control is ``ok: false`` by design; its
    ``fails_as_expected`` says whether each check it must fail does fail.
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
    reasons = [f"{name}: {checks[name].why}" for name in must_fail if not checks[name].ok]
    return {"role": role, "ok": False, "fails_as_expected": bool(must_fail) and len(reasons) == len(must_fail),
            "must_fail": must_fail, "reason": "; ".join(reasons) or "passes checks it must fail", "checks": rows}


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
