"""Build notebooks/theory.ipynb (run from the repository root; then execute it to store outputs)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell("""# The paper's claims, live and small

Our formalization of the paper's Theorems 4.1 and 4.2 is in `docs/theory.md`. Each section below
runs one claim's experiment file at its quick scale (the `[quick]` tables of `experiments/c*.toml`,
the same runs the tests assert), draws its figure, and tables its checks. A claim is a statistic
with a 95% percentile-bootstrap interval over runs, a band, and at least one **negative control**
(drawn grey) that must fail the same check: if the control passed, the check would prove nothing.
`bandits reproduce` draws the full-scale figures in `figures/`.

The argument, in order: without generalization the worst case grows with the number of traces K
(C1); choosing answers instead of traces removes K (C2); inside a batch, a penalty on repeated
answers trades pseudo-regret for answers found (C3); and policy-gradient training on final-answer
rewards behaves like a sampler whose diversity collapses unless outcomes earn a bonus (C4)."""),
    new_code_cell("""import sys
from pathlib import Path

import pandas as pd
from IPython.display import Image, Markdown, display

import bandits

# the paper's figure code lives beside its experiment files (a source checkout), not in the package
EXPERIMENTS = Path(bandits.__file__).resolve().parent.parent / "experiments"
sys.path.insert(0, str(EXPERIMENTS))
import claims  # noqa: E402

OUT = Path("theory_notebook")  # results and figures of this notebook


def claim(name):
    \"\"\"Run one claim at the quick scale; show its figure and a table of its checks.\"\"\"
    measured = claims.reproduce(EXPERIMENTS, OUT / "results", OUT / "figures", quick=True, only=[name], workers=1,
                                progress=False, log=lambda line: None)[name]
    display(Image(filename=str(OUT / "figures" / f"{name}.png"), width=640))
    rows = []
    groups = measured.get("agents") or measured.get("series") or measured.get("checks") or {}
    if not groups and "batches" in measured:
        groups = {f"{a}, n = {n}": v for n, agents in measured["batches"].items() for a, v in agents.items()}
    for agent, rec in groups.items():
        for check, row in rec["checks"].items():
            low, high = row["ci95"]
            rows.append({"agent": agent, "role": rec["role"], "check": row["statistic"],
                         "estimate": row["estimate"], "95% CI": f"[{low:.3g}, {high:.3g}]" if low is not None else "",
                         "band": row["band"], "holds": row["ok"]})
    return pd.DataFrame(rows)"""),
    new_markdown_cell("""## C1 (a): without generalization, the worst case grows like sqrt(K T ln T)

`minimax_arms(K, eps)`: two outcomes (correct, wrong), arm 0 correct slightly more often. Theorem
4.1 is about the *worst* instance, so the statistic is the worst mean regret W(K) over a grid of
gaps, divided by sqrt(K T ln T) (band: at most 1), and by sqrt(K T) (band: at least the minimax
lower bound 1/20). Controls: uniform play and greedy exceed the upper band; the oracle (it knows
the best arm) falls below the lower one."""),
    new_code_cell('claim("c1a_minimax_arms")'),
    new_markdown_cell("""## C1 (b): needles cost K, even with two outcomes

One trace in K reaches the correct answer. The statistic is the log-log slope of the final regret
in K (band around 1): every arm-control agent finds the needle arm by arm. Uniform play's regret
does not grow with K at this horizon (it pays T/2 whatever K), so its slope fails."""),
    new_code_cell('claim("c1b_needle")'),
    new_markdown_cell("""## C2 (a): choosing answers removes K

The same needles, with outcome control (`outcome_level_ucb`: the agent picks an answer, the
environment a trace with it): the slope in K is 0, while UCB1 and Thompson sampling on traces keep
a slope near 1. Uniform play over traces is the control."""),
    new_code_cell('claim("c2a_needle")'),
    new_markdown_cell("""## C2 (b): the worst case in m, whatever K

The worst case over gaps of outcome-level agents is bounded by sqrt(m T ln T) (here K = 2m);
uniform play over outcomes exceeds it and the oracle falls below the lower bound."""),
    new_code_cell('claim("c2b_minimax_outcomes")'),
    new_markdown_cell("""## C2 (c): regret grows like ln t

At a fixed gap, the slope of R against ln t over the last decade settles between the structured
lower bound and a small multiple of it (`bandits.theory.structured_constant`); uniform play grows
linearly and fails."""),
    new_code_cell('claim("c2c_horizon")'),
    new_markdown_cell("""## C3: batch exploration against historical exploration

Rounds of n pulls on an LLM-like question (most of the base policy on popular wrong answers). The
batch penalty lam spreads a round over more answers and lowers pass regret (rounds with no correct
answer) at a price in pseudo-regret; the checks are ratios against lam = 0 with their intervals."""),
    new_code_cell('claim("c3_batch")'),
    new_markdown_cell("""## C4: RL as sampling

Policy-gradient learners (`bandits.rl`) on 40 questions that share 200 strategies: plain GRPO
solves fewer questions than its samples from pi0 would find, and finds fewer distinct answers on
the hard ones (diversity collapse transfers); the outcome bonuses (`ucb`, `ucb_con`, `batch`)
solve more and keep pass@k higher. `notebooks/rl_sampling.ipynb` walks through it."""),
    new_code_cell('claim("c4_rl")'),
    new_markdown_cell("""Every check above is also asserted by `tests/test_claims.py`, and at full scale
in `figures/claims.md`; `docs/theory.md` section 8 says why each statistic and band is the right
one, and section 9 covers the related GRPO results (C5)."""),
]
nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}})
nbformat.write(nb, "notebooks/theory.ipynb")
