"""Build notebooks/rollouts.ipynb (run from the repository root; then execute it to store outputs)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell("""# Real rollouts: a model's samples as bandits (claim C6)

The project ships 30 samples per question from a real model: code-davinci-002 writing Python programs for
999 SVAMP word problems (Program-of-Thoughts, MIT licence; `bandits/data/pot_svamp/README.md`). The
programs are never run: `bandits.rollouts` walks their syntax tree (assignments and arithmetic only), and a
program that does not store a number in `ans` is the explicit class `"<no answer>"`. Answers are grouped
by their value to 6 significant digits."""),
    new_code_cell("""import matplotlib.pyplot as plt
import numpy as np
import bandits
from bandits import rollouts
from bandits.plots import plot_result

pot = rollouts.load_pot_svamp()
print(pot)
print(pot.notes)        # never silent: the prompt line dropped, programs without an answer
pot.classes(pot.ids[7]) # one question's answer classes: the correct one first"""),
    new_markdown_cell("""## The answer space: m << K

Per question: the distinct programs (the traces, K), the distinct answers (m) and Chao1's estimate of the
answers more samples would reveal (with its 95% interval)."""),
    new_code_cell("""space = pot.answer_space()
print(space[["samples", "distinct_traces", "distinct_answers", "chao1", "p_correct"]].mean().round(3))
fig, ax = plt.subplots(figsize=(4.5, 2.6))
bins = np.arange(0.5, 31.5)
ax.hist(space.distinct_traces, bins=bins, histtype="step", color="0.5", linestyle="--", label="distinct traces (K)")
ax.hist(space.distinct_answers, bins=bins, histtype="step", label="distinct answers (m)")
ax.set_xlabel("per question, of 30 samples"); ax.set_ylabel("questions"); ax.legend(frameon=False)
plt.close(fig)
fig"""),
    new_markdown_cell("""## Discovery: how many answers do more samples show?

Split every question's samples at random, 10 in hand and 20 held out. From the 10: the rarefaction curve
(unbiased up to k = 10) and Chao et al.'s extrapolation beyond; the held-out 20 measure the truth. The plug-in
law (the 10 samples' empirical frequencies) is the control: it can never reveal a new answer. Bands: 95%
intervals over questions."""),
    new_code_cell("""fit, held = pot.split(1 / 3, seed=6)
ks = np.arange(1, 21)
_, _, in_hand = fit.counts()
_, _, held_out = held.counts()
curves = {"held out (rarefaction)": np.array([rollouts.expected_distinct(c, ks) for c in held_out]),
          "rarefaction, Chao extrapolation": np.array([rollouts.discovery(c, ks) for c in in_hand]),
          "plug-in law (control)": np.array([rollouts.discovery(c, ks, model="plugin") for c in in_hand])}
fig, ax = plt.subplots(figsize=(4.5, 2.8))
for (label, values), colour in zip(curves.items(), ("black", "C2", "0.55")):
    mean, half = values.mean(axis=0), 1.96 * values.std(axis=0, ddof=1) / np.sqrt(len(values))
    ax.plot(ks, mean, color=colour, label=label, linestyle="--" if "control" in label else "-")
    ax.fill_between(ks, mean - half, mean + half, color=colour, alpha=0.2, linewidth=0)
ax.axvline(10, color="0.8", linewidth=0.6)
ax.set_xlabel("k (fresh samples)"); ax.set_ylabel("distinct answers (mean)"); ax.legend(frameon=False, fontsize=7)
plt.close(fig)
fig"""),
    new_markdown_cell("""Up to the 10 samples in hand the prediction is right; beyond, Chao's estimator (a lower bound) misses
about a seventh of the answers 20 samples show. `bandits reproduce --only c6_rollouts` measures this with
bootstrap intervals and bands (`figures/claims.md`), with pass@k predicted by a Beta-binomial law across
questions.

## A real question as a bandit

Arms are the question's distinct programs, pi0 their frequencies among the 30 samples, the map to answer
classes deterministic, the reward 1 on the correct class. Every agent runs on it."""),
    new_code_cell("""q = space.sort_values("distinct_answers").question.iloc[-1]   # the question with the most answers
inst = pot.instance(q)
print(inst, "; pi0 of each class:", np.round(inst.pi0 @ inst.Q, 3))
results = [bandits.simulate(inst, agent, horizon=2000, runs=50, seed=0, progress=False)
           for agent in ("ucb1", "outcome_ucb", "outcome_level_ucb")]
ax = plot_result(results, xscale="log")
ax.set_title(f"question {q}: {inst.K} programs, {inst.m} answers");"""),
    new_markdown_cell("""## Your own samples

`rollouts.read` takes a file (`.jsonl`, `.csv`, `.parquet`) or a DataFrame, one row per sample or one row per
question with a list column, and presets for the public layouts:

```python
rollouts.read("generations.jsonl", layout="verl")   # verl dumps: input, output, gts, score (acc, pred)
rollouts.read("completions.csv", layout="trl")      # TRL logs: prompt, completion, one column per reward
rollouts.read(frame, question="problem", completion="text", gold="answer", extract="boxed")  # e.g. vLLM
```

`docs/guide_rollouts.md` lists the options (answer extraction, equivalence, correctness) and the claim C6."""),
]
nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}})
nbformat.write(nb, "notebooks/rollouts.ipynb")
