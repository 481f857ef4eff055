"""What every claim figure shares: roles (claim or control), grey controls, checks, labels."""

from __future__ import annotations

import inspect

import numpy as np

from bandits.checks import Check, measure
from bandits.experiment import TOML_GENERATORS
from bandits.plots import MARKERS, OKABE_ITO
from bandits.stats import mean_ci

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


def decade_slopes(t: np.ndarray, X: np.ndarray, c: float, limit: tuple, change: float, symbol: str = "c"):
    """The checks of a logarithmic-regret claim (C2 (c), C7), paired over runs: ``limit``, the regret per
    unit of ln t over the last decade (T/10 to T) divided by the constant ``c``, and ``change``, that slope
    over the slope of the decade before, minus 1. Also returns the checkpoint index of T/10 and the figure's
    curve: (t, mean, low, high) of the per-decade slope / c at every t >= 10 t_0."""
    T = t[-1]
    j1 = int(np.searchsorted(t, T / 10, side="right") - 1)
    j2 = int(np.searchsorted(t, t[j1] / 10, side="right") - 1)
    samples = [X[:, -1], X[:, j1], X[:, j2]]
    span1, span2 = np.log(T / t[j1]), np.log(t[j1] / t[j2])
    checks = {"limit": measure(f"slope of R against ln t from t = {int(t[j1])} to T, / {symbol}", samples,
                               lambda mm: (mm[..., 0] - mm[..., 1]) / span1 / c, limit, paired=True),
              "change": measure(f"change of that slope from the decade before (t = {int(t[j2])} on)", samples,
                                lambda mm: ((mm[..., 0] - mm[..., 1]) / span1)
                                / np.where((mm[..., 1] - mm[..., 2]) != 0, (mm[..., 1] - mm[..., 2]) / span2,
                                           np.nan) - 1, (-change, change), paired=True)}
    later = np.flatnonzero(t >= 10 * t[0])
    earlier = np.searchsorted(t, t[later] / 10, side="right") - 1
    mean, _, low, high, _ = mean_ci((X[:, later] - X[:, earlier]) / np.log(t[later] / t[earlier]) / c)
    return checks, j1, (t[later], mean, low, high)
