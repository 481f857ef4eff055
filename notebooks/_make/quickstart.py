"""Build notebooks/quickstart.ipynb (run from the repository root; then execute it to store outputs)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell("""# outcome-bandits: a quickstart

An outcome bandit has K arms (reasoning traces) that map to m outcomes (answers); pulling an arm
reveals its answer and a reward. Here: 32 traces spread over 4 answers with Bernoulli rewards of
mean 1/2, except answer 0, which pays 1/2 + 0.1. Three agents:

* `ucb1` picks traces and learns each trace on its own (no generalization);
* `thompson` picks traces too, by posterior sampling;
* `outcome_level_ucb` picks answers, and the environment draws a trace with that answer from the
  base policy (generalization across traces that share an answer)."""),
    new_code_cell("""import bandits
from bandits.plots import plot_result

inst = bandits.instances.minimax_outcomes(K=32, m=4, eps=0.1)
inst"""),
    new_code_cell("""results = [bandits.simulate(inst, agent, horizon=5000, runs=50, seed=0)
           for agent in ("ucb1", "thompson", "outcome_level_ucb")]
results[0]   # a Result: its settings, the last checkpoint with 95% intervals, the curve with its band"""),
    new_markdown_cell("""Each curve is the mean pseudo-regret over 50 independent runs with its 95% band (Student t over
runs). Choosing answers removes the 32 traces from the problem: the regret no longer pays for
each trace."""),
    new_code_cell("""ax = plot_result(results, xscale="linear")
ax.set_title("minimax_outcomes(K=32, m=4, eps=0.1)");"""),
    new_code_cell("""results[2].summary().query("metric == 'regret'").tail(3)   # tidy: mean, sem, 95% CI per checkpoint"""),
    new_markdown_cell("""## Comparing two agents honestly: paired differences

With the same seed, every agent meets the same outcomes and rewards in run *i* (the j-th pull of
arm a gives the same result whatever the agent: common random numbers). `bandits.compare` takes
the difference run by run against a baseline (the first agent) and gives its mean, standard error
and 95% Student-t interval; `sem_unpaired` is what two independent sets of runs would give."""),
    new_code_cell("""comp = bandits.compare(inst, ["ucb1", "kl_ucb", "outcome_level_ucb"], horizon=5000, runs=200, seed=0)
comp.final()[["agent", "baseline", "mean", "ci_low", "ci_high", "sem", "sem_unpaired"]]"""),
    new_markdown_cell("""## Adding an agent

An agent is three `@njit` functions and a declaration of its parameters; it runs inside the same
compiled loop as the built-in ones. Here, UCB1 with a tunable exploration constant:"""),
    new_code_cell("""import numpy as np
from numba import njit


@njit
def init(K, m, params):
    return (np.zeros(K), np.zeros(K), np.full(K, np.inf))   # pulls, reward sums, means (+inf: unseen)


@njit
def index(state, t, params, out):                          # t = pulls observed so far
    pulls, sums, means = state
    width = params[0] * np.log(max(t, 1))
    for a in range(out.shape[0]):
        out[a] = means[a] + np.sqrt(width / max(pulls[a], 1.0))


@njit
def update(state, arm, outcome, reward, params):
    pulls, sums, means = state
    pulls[arm] += 1.0
    sums[arm] += reward
    means[arm] = sums[arm] / pulls[arm]


bandits.define_agent("my_ucb", init=init, index=index, update=update, replace=True,
                     params={"alpha": bandits.Param(2.0, "exploration", low=0, low_open=True)})
mine = bandits.compare(inst, ["ucb1", ("my_ucb", {"alpha": 0.5})], horizon=5000, runs=200, seed=0)
mine.final()[["agent", "mean", "ci_low", "ci_high"]]   # less exploration than ucb1's alpha = 2 pays here"""),
    new_markdown_cell("""Next: `bandits list` names every agent, instance generator and learner setting;
`experiments/*.toml` are sweeps that `bandits run` executes in parallel and `bandits plot` draws;
`notebooks/theory.ipynb` walks through the paper's claims with their checks and controls, and
`from bandits.explorer import explore; explore()` (with `pip install "outcome-bandits[notebook]"`)
gives sliders over K, m, eps, batch and lam."""),
]
nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}})
nbformat.write(nb, "notebooks/quickstart.ipynb")
