"""Every agent against an independent plain-NumPy implementation of its SPEC definition.

tests/naive.py was written from the SPEC alone, without reading the engine. Mean final
metrics over runs must agree within 4 standard errors of their difference (fixed seeds).
"""

import numpy as np
import pytest

import bandits
from naive import simulate_naive

ARM_AGENTS = ["greedy", "epsilon_greedy", "ucb1", "kl_ucb", "thompson", "outcome_ucb", "outcome_thompson", "ossb",
              "uniform", "oracle"]
OUTCOME_AGENTS = ["outcome_level_ucb", "outcome_level_thompson", "outcome_level_uniform"]
PARAMS = {"epsilon_greedy": {"eps": 0.2}, "ucb1": {"alpha": 1.0}, "outcome_level_ucb": {"alpha": 1.0}}
HORIZON, RUNS = 300, 200


def agree(fast, slow, what):
    diff = fast.mean() - slow.mean()
    se = np.sqrt(fast.var(ddof=1) / len(fast) + slow.var(ddof=1) / len(slow))
    if se == 0:
        assert diff == pytest.approx(0.0, abs=1e-9), what
    else:
        assert abs(diff) <= 4 * se, f"{what}: engine {fast.mean():.4g} vs naive {slow.mean():.4g} (se {se:.3g})"


CASES = ([(a, i) for a in ARM_AGENTS for i in ("kernel", "outcomes", "llm")]
         + [(a, i) for a in OUTCOME_AGENTS for i in ("outcomes", "llm")]
         + [("thompson", "gauss"), ("ucb1", "gauss"), ("outcome_level_thompson", "gauss"),
            ("outcome_thompson", "gauss"), ("outcome_ucb", "gauss"),
            ("outcome_kl_ucb", "outcomes")])


@pytest.mark.parametrize("agent,inst_name", CASES)
def test_final_regret_matches_naive(agent, inst_name, instances):
    inst = instances[inst_name]
    params = PARAMS.get(agent, {})
    # naive.py's bisections (kl_ucb, outcome_kl_ucb) and scipy K_inf solves (ossb) are the slowest references
    runs = RUNS // 2 if agent == "kl_ucb" else RUNS // 4 if agent in ("ossb", "outcome_kl_ucb") else RUNS
    fast = bandits.simulate(inst, agent, horizon=HORIZON, runs=runs, seed=11, **params)
    slow = simulate_naive(inst, agent, params, HORIZON, runs, seed=12)
    agree(fast.final["regret"], slow["regret"], f"{agent} regret on {inst.name}")
    agree(fast.final["distinct"], slow["distinct"], f"{agent} distinct outcomes on {inst.name}")


@pytest.mark.parametrize("agent,lam", [("ucb1", 0.0), ("ucb1", 1.5), ("outcome_ucb", 1.5), ("thompson", 1.5),
                                       ("outcome_level_ucb", 1.5), ("outcome_thompson", 3.0),
                                       ("epsilon_greedy", 1.5), ("uniform", 1.5)])
def test_batched_metrics_match_naive(agent, lam, instances):
    inst = bandits.instances.llm_like(K=12, m=4, zipf_s=1.0, p_correct=0.1)
    params = {"eps": 0.5} if agent == "epsilon_greedy" else {}  # half the pulls explore, immune to the penalty
    fast = bandits.simulate(inst, agent, horizon=160, runs=RUNS, seed=5, batch=4, lam=lam, **params)
    slow = simulate_naive(inst, agent, params, 160, RUNS, seed=6, batch=4, lam=lam)
    for metric in ("regret", "pass_regret", "round_distinct", "distinct"):
        agree(fast.final[metric], slow[metric], f"{agent} lam={lam} {metric}")
