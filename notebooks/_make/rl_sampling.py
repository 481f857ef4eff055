"""Build notebooks/rl_sampling.ipynb (run from the repository root; then execute it to store outputs)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell("""# RL as sampling (claim C4)

A small model of RL post-training on many questions. 40 questions share 200 *strategies* (arms); each
question maps every strategy to one of 48 answers, answer 0 being correct. A few good strategies solve the
easy questions; each hard question is solved by one rare strategy only. The policy is a softmax over
strategies with the base policy pi0 as prior, with logits shared across questions plus per-question
logits per answer. A step samples a question and a group of 8 answers, computes the GRPO advantage, adds an
exploration term and takes a gradient step (`bandits/rl/learner.py` has the exact definitions; `bandits
list` prints every setting). Every curve below is a mean over independent runs with its 95% band."""),
    new_code_cell("""import matplotlib.pyplot as plt
import numpy as np
from bandits import rl
from bandits.plots import plot_result
from bandits.stats import mean_ci

qs = rl.transfer(X=40, K=200, m=48, seed=0)
qs"""),
    new_markdown_cell("""**Transfer of diversity degradation.** Plain GRPO against drawing the same number of samples from pi0
(learning rate 0): how many distinct answers have been found on the hard questions (a fixed set,
so both see the same questions)?"""),
    new_code_cell("""common = dict(steps=2000, runs=16, seed=0, checkpoints=25, progress=False)
base = rl.sample_base(qs, **common)
grpo = rl.train(qs, bonus="none", param="outcome", eta=0.5, **common)
ax = plot_result([base, grpo], metric="distinct_hard")
ax.set_xlabel("training steps (8 samples each)");"""),
    new_markdown_cell("""GRPO learns the good strategies on the easy questions; the shared logits carry that collapse to the
hard ones, where it then finds fewer answers than pi0 would.

**Outcome-based exploration.** The historical bonus (`ucb`, `ucb_con`: rarely seen answers get a bonus) and
the batch bonus (`batch`: answers repeated inside the group get a penalty) against plain GRPO, each a
`LearnerResult` (its HTML view shows the settings and the last checkpoint with intervals):"""),
    new_code_cell("""learners = [grpo] + [rl.train(qs, bonus=b, param="outcome", eta=0.5, c=1.0, **common)
                     for b in ("ucb", "ucb_con", "batch")]
learners[2]"""),
    new_code_cell("""fig, axes = plt.subplots(1, 2, figsize=(7.5, 2.6), constrained_layout=True)
plot_result([base] + learners, ax=axes[0], metric="solved")
axes[0].set_xlabel("training steps"); axes[0].legend(fontsize=6, frameon=False)
colours = {line.get_label(): line.get_color() for line in axes[0].get_lines()}  # the same colour per learner
ks = np.array(rl.PASS_KS)
for res in [base] + learners:
    mean, _, low, high, _ = mean_ci(np.stack([res.final[f"pass@{k}"] for k in ks], axis=1))
    axes[1].plot(ks, mean, marker="o", markersize=3, color=colours[res.label])
    axes[1].fill_between(ks, low, high, color=colours[res.label], alpha=0.2, linewidth=0)
axes[1].set_xscale("log", base=2); axes[1].set_xticks(ks, ks)
axes[1].set_xlabel("k"); axes[1].set_ylabel("pass@k of the final policy")
plt.close(fig)
fig"""),
    new_markdown_cell("""The bonuses solve more questions and keep pass@k higher at large k: the policy keeps several answers
alive instead of collapsing onto one. `bandits reproduce` draws the full-scale version in
`figures/c4_rl.png` with its checks and controls (`figures/claims.md`); C5 (`docs/theory.md`
section 9) adds the related GRPO results: the batch term as a collision probability, the entropy
mechanism, success amplification and pass@k training."""),
]
nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}})
nbformat.write(nb, "notebooks/rl_sampling.ipynb")
