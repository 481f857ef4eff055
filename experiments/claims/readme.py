"""The README's claims table, written from ``figures/claims.json`` so that it cannot go stale.

:func:`claims_table` turns the measurements into one Markdown table, a row per (claim, check):
the claimed agents' estimates with their 95% intervals (listed when few, else as a range), the
band, and the controls' estimates with their verdict (fails decisively, or inconclusive).
:func:`update_readme` rewrites only the block between ``<!-- claims-table:start -->`` and
``<!-- claims-table:end -->``; ``bandits reproduce`` calls it after a full-scale run.
"""

from __future__ import annotations

import json
from pathlib import Path

from bandits.experiment import load

START, END = "<!-- claims-table:start -->", "<!-- claims-table:end -->"
NOTE = "<!-- written by bandits reproduce from figures/claims.json; do not edit by hand -->"
LISTED = 6  # at most this many agents are listed one by one; more are given as a range


def _groups(m: dict) -> dict:
    groups = m.get("agents") or m.get("series") or m.get("checks")
    if groups is None and "batches" in m:
        groups = {f"{a}, n = {n}": v for n, agents in m["batches"].items() for a, v in agents.items()}
    return groups or {}


def _value(row: dict) -> str:
    est, (a, b) = row["estimate"], row["ci95"]
    if est is None:
        return "undefined"
    return f"{est:.3g} [{a:.3g}, {b:.3g}]" if a is not None else f"{est:.3g}"


def _band(row: dict) -> str:
    lo, hi = row["band"]
    return f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"


def _verdict(row: dict) -> str:
    """A control row's verdict; derived from its interval and band when claims.json predates verdicts
    (whole interval outside: fails, inside: passes, else inconclusive), as in ``Check.excluded``."""
    if "verdict" in row:
        return str(row["verdict"])
    (lo, hi), (a, b) = row["band"], row["ci95"]
    lo, hi = -float("inf") if lo is None else lo, float("inf") if hi is None else hi
    if a is None or b is None or b < lo or a > hi:
        return "fails"
    return "passes" if lo <= a and b <= hi else "inconclusive"


def _short(agent: str) -> str:
    return agent.split(" (")[0] if agent.count("(") == 1 and agent.endswith(")") and "=" in agent else agent


def _summary(rows: list[tuple[str, dict]], verdicts: bool = False) -> str:
    if not rows:
        return ""
    if len(rows) <= LISTED:
        parts = []
        for agent, row in rows:
            v = f" ({_verdict(row) if _verdict(row) != 'fails' else 'fails decisively'})" if verdicts else ""
            parts.append(f"{agent} {_value(row)}{v}")
        return "; ".join(parts)
    ests = [r["estimate"] for _, r in rows if r["estimate"] is not None]
    lows = [r["ci95"][0] for _, r in rows if r["ci95"][0] is not None]
    highs = [r["ci95"][1] for _, r in rows if r["ci95"][1] is not None]
    text = f"{len(rows)} rows: {min(ests):.3g} to {max(ests):.3g}" if ests else f"{len(rows)} rows"
    if lows and highs:
        text += f", intervals within [{min(lows):.3g}, {max(highs):.3g}]"
    if verdicts:
        counts = {}
        for _, r in rows:
            counts[_verdict(r)] = counts.get(_verdict(r), 0) + 1
        text += " (" + ", ".join(f"{'fails decisively' if k == 'fails' else k}: {n}" for k, n in sorted(counts.items())) + ")"
    return text


def claims_table(measured: dict, titles: dict | None = None) -> str:
    """The Markdown table of every claim's checks (``measured``: the contents of claims.json)."""
    titles = titles or {}
    lines = ["| claim | figure | check | claimed: estimate [95% CI] | band | controls that must fail it |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name in sorted(measured):
        checks: dict[str, dict] = {}
        for agent, rec in _groups(measured[name]).items():
            claimed = rec.get("claimed")
            for check, row in rec["checks"].items():
                entry = checks.setdefault(row["statistic"], {"claim": [], "control": [], "bands": []})
                if rec["role"] == "control":
                    if check in rec.get("must_fail", []):
                        entry["control"].append((agent, row))
                elif claimed is None or check in claimed:
                    entry["claim"].append((agent, row))
                else:
                    continue
                if _band(row) not in entry["bands"]:
                    entry["bands"].append(_band(row))
        figure = f"[{name}](figures/{name}.png)"
        claim = titles.get(name, name)
        for statistic, entry in checks.items():
            if not entry["claim"] and not entry["control"]:
                continue
            lines.append(f"| {claim} | {figure} | {statistic} | {_summary(entry['claim']) or 'none claimed'} | "
                         f"{'; '.join(entry['bands'])} | {_summary(entry['control'], verdicts=True) or 'none'} |")
    return "\n".join(lines) + "\n"


def titles_of(experiments: Path) -> dict:
    """``{experiment name: claim name}`` ("C1 (a)") from the titles of the experiments' [figure] tables."""
    out = {}
    for path in sorted(Path(experiments).glob("c*.toml")):
        exp = load(path)
        if exp.figure:
            out[exp.name] = str(exp.figure.get("title", exp.name)).split(":")[0]
    return out


def block(measured: dict, titles: dict | None = None) -> str:
    """The README block, markers included."""
    return f"{START}\n{NOTE}\n{claims_table(measured, titles)}{END}"


def update_readme(readme: str | Path, claims: str | Path, experiments: str | Path) -> bool:
    """Rewrite the block between the markers of ``readme`` from ``claims`` (claims.json); False (and
    no change) when the README has no markers."""
    readme = Path(readme)
    text = readme.read_text()
    if START not in text or END not in text:
        return False
    measured = json.loads(Path(claims).read_text())
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = head + block(measured, titles_of(Path(experiments))) + tail
    if new != text:
        readme.write_text(new)
    return True
