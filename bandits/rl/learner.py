"""Policy-gradient learners with outcome-based exploration terms (R3; docs/theory.md section 5), compiled.

The policy for question x is a softmax over arms with the base policy as prior::

    theta_x(a) = u[a] + v[x, a]            param = "arm"      (a logit per arm: no generalization)
    theta_x(a) = u[a] + w[x, phi[x, a]]    param = "outcome"  (a logit per answer: generalization)
    pi_x(a) proportional to pi0(a) exp(theta_x(a))

``u`` is shared by all questions, so learning on one question moves the others. A step draws a
question uniformly, a group of n arms from pi_x, and rewards r_i = 1{answer correct}; it takes the
GRPO advantage A_i = (r_i - mean r) / (std r + 1e-6) (``advantage = "centered"``: r_i - mean r; ``reward =
"pass@k"``: of PKPO's transformed rewards, :func:`pkpo_rewards`), adds an exploration term e_i, and ascends

    J = (1/n) sum_i (A_i + e_i) log pi_x(a_i) - beta KL(pi_x || pi0)

with learning rate eta; the gradient with respect to the logits is, in closed form,
``g(b) = (1/n) sum_i (A_i + e_i) (1{a_i = b} - pi_x(b)) - beta pi_x(b) (theta_x(b) - E_pi theta_x)``.
Exploration terms, with N(x, o) the times answer o was seen on question x *before* this batch and
b(x, o) = min(1, 1 / sqrt(max(N(x, o), 1))) (a never-seen answer gets the full bonus):
``none``: 0; ``ucb``: c b(x, o_i); ``ucb_mean``: c (b_i - mean_j b_j); ``ucb_con``: c (b_i - b0);
``batch``: c (-(1/n) sum_{j != i} 1{o_i = o_j}). ``eta = 0`` samples the base model.

The RLVR literature's exploration methods (docs/theory.md section 10), each defined as its paper does:
``entropy_coef`` c_H adds c_H H(pi_x) to J (its exact gradient, :func:`add_entropy_gradient`);
``advantage = "passk_training"`` with ``k`` is Pass@k Training's closed-form advantage (Chen et al.,
arXiv 2508.10751); ``rank_penalty`` beta is the unlikeliness reward r_i (1 - beta rank_i / n) (He et al.,
arXiv 2506.02355); ``advantage = "weighted_reinforce"`` is W-REINFORCE, lambda (``psr_weight``) for a
correct sample and -1 for a wrong one (Zhu et al., arXiv 2506.01347). ``train(common_seeds=True)`` gives
every learner the same run seeds (:func:`seed_key`), for paired comparisons.

Metrics (``METRICS``), read at checkpoints: ``solved`` (share of questions with a correct sample
so far); ``distinct_solved``, ``distinct_unsolved`` (distinct answers sampled so far, mean over the
questions solved or not yet solved in that run) and ``distinct_hard`` (the same over the questions
built to be hard: a fixed set, so learners compare on the same questions); ``entropy_*`` and
``batch_distinct_*`` (answer entropy of the policy, and expected distinct answers in a group of n,
over all, solved and unsolved questions); ``pass@k`` (1 - (1 - P(correct))^k, mean over questions);
``failed_samples`` (samples with reward 0 so far, not a pseudo-regret); ``samples``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from numba import njit

from .._validate import MAX_LENGTH, Param, check_int, check_params
from ..seeding import content_key, resolve_seed, run_seeds
from ..engine.blocks import run_in_blocks
from ..engine.checkpoints import resolve_checkpoints
from ..simulate import MetricArrays
from .questions import Questions

BONUSES = ("none", "ucb", "ucb_mean", "ucb_con", "batch")
NONE, UCB, UCB_MEAN, UCB_CON, BATCH = range(len(BONUSES))  # the codes the compiled step reads
PARAMS = ("arm", "outcome")
ADVANTAGES = ("whitened", "centered", "passk_training", "weighted_reinforce")
REWARDS = ("plain", "pass@k")
PASS_KS = (1, 2, 4, 8, 16, 32)
GROUPS = ("all", "solved", "unsolved")
#: Steps between two looks of the compiled loop at its stop flag.
STOP_EVERY = 256
METRICS = (("solved", "distinct_solved", "distinct_unsolved", "distinct_hard")
           + tuple(f"entropy_{g}" for g in GROUPS) + tuple(f"batch_distinct_{g}" for g in GROUPS)
           + tuple(f"pass@{k}" for k in PASS_KS) + ("failed_samples", "samples"))


# -- the pieces of one step, each testable on its own -------------------------------------

@njit(cache=True)
def logits(u, v, w, phi, x, param, out):
    """theta_x into ``out``: u + v[x] (param 0, arm) or u + w[x, phi[x]] (param 1, outcome)."""
    for a in range(u.shape[0]):
        out[a] = u[a] + (v[x, a] if param == 0 else w[x, phi[x, a]])


@njit(cache=True)
def softmax_with_base(pi0, theta, out):
    """pi(a) proportional to pi0(a) exp(theta(a)), computed stably."""
    top = -np.inf
    for a in range(theta.shape[0]):
        if pi0[a] > 0 and theta[a] > top:
            top = theta[a]
    total = 0.0
    for a in range(theta.shape[0]):
        out[a] = pi0[a] * np.exp(theta[a] - top)
        total += out[a]
    for a in range(theta.shape[0]):
        out[a] /= total


@njit(cache=True)
def grpo_advantage(rewards, out):
    """(r_i - mean r) / (std r + 1e-6), population standard deviation."""
    n = rewards.shape[0]
    mean = rewards.mean()
    var = 0.0
    for i in range(n):
        var += (rewards[i] - mean) ** 2
    std = np.sqrt(var / n)
    for i in range(n):
        out[i] = (rewards[i] - mean) / (std + 1e-6)


@njit(cache=True)
def centered_advantage(rewards, out):
    """r_i - mean r: the advantage without whitening (``advantage = "centered"``)."""
    mean = rewards.mean()
    for i in range(rewards.shape[0]):
        out[i] = rewards[i] - mean


@njit(cache=True)
def pass_at_k_unbiased(n, c, k):
    """1 - C(n - c, k) / C(n, k): the unbiased pass@k of n samples with c correct (k <= n).

    Stable product form 1 - prod_{i = n-c+1}^{n} (1 - k / i) (no binomials); 1 when n - c < k.
    """
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


@njit(cache=True)
def pkpo_rewards(rewards, k, out):
    """PKPO's transformed binary rewards (Walder and Karkhanis, arXiv 2505.15201), in place of r_i.

    With c correct of n: a correct sample gets k/n, a wrong one (k/n) rho(n - 1, c, k - 1), rho the
    unbiased pass@k above: the mean over the k-subsets holding sample i of their max reward, times k/n;
    then sum_i r~_i grad log pi(a_i) is unbiased for grad pass@k. k = 1 gives r / n.
    """
    n = rewards.shape[0]
    c = 0
    for i in range(n):
        if rewards[i] > 0:
            c += 1
    wrong = k / n * pass_at_k_unbiased(n - 1, c, k - 1)
    for i in range(n):
        out[i] = k / n if rewards[i] > 0 else wrong


@njit(cache=True)
def passk_training_advantage(rewards, k, out):
    """Pass@k Training's closed-form advantage (Chen et al., arXiv 2508.10751), binary rewards, c correct of n.

    Over the C(n, k) k-subsets of the group, a subset's reward is its best; their mean is
    R = rho(n, c, k) (:func:`pass_at_k_unbiased`) and their standard deviation s = sqrt(R (1 - R)). A
    sample's advantage is the mean over the subsets holding it of (reward - R) / (s + 1e-6): a correct
    one gets (1 - R) / (s + 1e-6), a wrong one (1 - R - C(n-c-1, k-1) / C(n-1, k-1)) / (s + 1e-6), the
    binomial ratio being 1 - rho(n - 1, c, k - 1) (the share of its subsets with no correct sample).
    k = 1 gives GRPO's (r - mean r) / (std r + 1e-6).
    """
    n = rewards.shape[0]
    c = 0
    for i in range(n):
        if rewards[i] > 0:
            c += 1
    mean = pass_at_k_unbiased(n, c, k)
    scale = np.sqrt(mean * (1.0 - mean)) + 1e-6
    right = (1.0 - mean) / scale
    wrong = (pass_at_k_unbiased(n - 1, c, k - 1) - mean) / scale
    for i in range(n):
        out[i] = right if rewards[i] > 0 else wrong


@njit(cache=True)
def weighted_reinforce_advantage(rewards, psr_weight, out):
    """W-REINFORCE (Zhu et al., arXiv 2506.01347): lambda for a correct sample, -1 for a wrong one, no baseline.

    The objective lambda PSR + NSR: positive-sample reinforcement weighted down by lambda
    (``psr_weight``), negative-sample reinforcement in full.
    """
    for i in range(rewards.shape[0]):
        out[i] = psr_weight if rewards[i] > 0 else -1.0


@njit(cache=True)
def unlikeliness_rewards(rewards, pi, arms, rank_penalty, out):
    """The unlikeliness reward (He et al., arXiv 2506.02355): r_i (1 - beta rank_i / n).

    rank_i is sample i's place when the group is sorted by its likelihood pi(a_i), the least likely
    first (0) and the most likely last (n - 1), ties in the order drawn (a stable sort), as the authors'
    code ranks the whole group. A correct sample the policy finds likely gets less reward; a wrong one
    keeps 0.
    """
    n = rewards.shape[0]
    for i in range(n):
        li = pi[arms[i]]
        rank = 0
        for j in range(n):
            lj = pi[arms[j]]
            if lj < li or (lj == li and j < i):
                rank += 1
        out[i] = rewards[i] * (1.0 - rank_penalty * rank / n)


@njit(cache=True)
def exploration(kind, outcomes, counts_x, c, b0, out):
    """The exploration term e_i of each sample (kind: index in BONUSES), from counts before the batch."""
    n = outcomes.shape[0]
    if kind == NONE:
        out[:] = 0.0
        return
    if kind == BATCH:  # batch: -(1/n) * (number of other samples with the same answer)
        for i in range(n):
            same = 0
            for j in range(n):
                if j != i and outcomes[j] == outcomes[i]:
                    same += 1
            out[i] = -c * same / n
        return
    for i in range(n):
        out[i] = min(1.0, 1.0 / np.sqrt(max(counts_x[outcomes[i]], 1.0)))
    if kind == UCB_MEAN:
        out -= out.mean()
    elif kind == UCB_CON:
        out -= b0
    out *= c


@njit(cache=True)
def logit_gradient(pi, theta, arms, adv, beta, out):
    """dJ/dtheta for J = (1/n) sum_i adv_i log pi(a_i) - beta KL(pi || pi0)."""
    n = arms.shape[0]
    total = adv.sum() / n
    mean_theta = 0.0
    for a in range(pi.shape[0]):
        mean_theta += pi[a] * theta[a]
    for a in range(pi.shape[0]):
        out[a] = -total * pi[a] - beta * pi[a] * (theta[a] - mean_theta)
    for i in range(n):
        out[arms[i]] += adv[i] / n


@njit(cache=True)
def add_entropy_gradient(pi, entropy_coef, out):
    """Add c_H dH/dtheta to ``out``: H = -sum_a pi(a) log pi(a), dH/dtheta(b) = -pi(b) (log pi(b) + H).

    The exact gradient of the policy's entropy on the question (arms with pi = 0 contribute nothing).
    """
    h = 0.0
    for a in range(pi.shape[0]):
        if pi[a] > 0:
            h -= pi[a] * np.log(pi[a])
    for b in range(pi.shape[0]):
        if pi[b] > 0:
            out[b] -= entropy_coef * pi[b] * (np.log(pi[b]) + h)


@njit(cache=True)
def ascend(u, v, w, phi, x, param, eta, grad):
    """One ascent step of the parameters along the logit gradient ``grad`` of question x.

    Every parameter that enters theta_x(a) moves by eta grad[a]: the shared u[a], and v[x, a]
    (arm logits) or w[x, phi[x, a]] (outcome logits, which sums the gradients of the arms
    giving the same answer). theta_x therefore moves by 2 eta grad (arm logits) or by
    eta (grad[a] + sum over arms a' with the answer of a of grad[a']) (outcome logits).
    """
    for a in range(u.shape[0]):
        u[a] += eta * grad[a]
        if param == 0:
            v[x, a] += eta * grad[a]
        else:
            w[x, phi[x, a]] += eta * grad[a]


@njit(cache=True, inline="always")
def sample_group(u, v, w, phi, pi0, x, param, theta, pi, cdf, arms, outcomes, rewards):
    """Draw a group of ``arms.shape[0]`` samples from the policy on question ``x``: the arms, their
    answers and rewards 1{answer correct} (``pi`` is left holding the policy)."""
    K = phi.shape[1]
    logits(u, v, w, phi, x, param, theta)
    softmax_with_base(pi0, theta, pi)
    total = 0.0
    for a in range(K):
        total += pi[a]
        cdf[a] = total
    for i in range(arms.shape[0]):
        a = min(np.searchsorted(cdf, np.random.random() * total, side="right"), K - 1)
        arms[i] = a
        outcomes[i] = phi[x, a]
        rewards[i] = 1.0 if outcomes[i] == 0 else 0.0


@njit(cache=True)
def answer_distribution(pi, phi_x, out):
    out[:] = 0.0
    for a in range(pi.shape[0]):
        out[phi_x[a]] += pi[a]


# -- the training loop ---------------------------------------------------------------------

@njit(cache=True)
def _record(u, v, w, phi, pi0, hard, param, n, solved, found, failed, samples, ks, row):
    """Fill one checkpoint's metrics (order of METRICS) from the current policy."""
    X, K = phi.shape
    m = found.shape[1]
    theta = np.empty(K)
    pi = np.empty(K)
    p = np.empty(m)
    sums = np.zeros(3 * 3 + len(ks))  # entropy x3, batch_distinct x3, pass@k
    n_solved = 0
    dist_solved = 0.0
    dist_unsolved = 0.0
    dist_hard = 0.0
    for x in range(X):
        logits(u, v, w, phi, x, param, theta)
        softmax_with_base(pi0, theta, pi)
        answer_distribution(pi, phi[x], p)
        entropy = 0.0
        expected_distinct = 0.0
        for o in range(m):
            if p[o] > 0:
                entropy -= p[o] * np.log(p[o])
            expected_distinct += 1.0 - (1.0 - p[o]) ** n
        group = 1 if solved[x] else 2
        sums[0] += entropy
        sums[group] += entropy
        sums[3] += expected_distinct
        sums[3 + group] += expected_distinct
        for j in range(len(ks)):
            sums[6 + j] += 1.0 - (1.0 - p[0]) ** ks[j]
        n_found = 0.0
        for o in range(m):
            n_found += found[x, o]
        if solved[x]:
            n_solved += 1
            dist_solved += n_found
        else:
            dist_unsolved += n_found
        if hard[x]:
            dist_hard += n_found
    n_unsolved = X - n_solved
    row[0] = n_solved / X
    row[1] = dist_solved / n_solved if n_solved > 0 else np.nan
    row[2] = dist_unsolved / n_unsolved if n_unsolved > 0 else np.nan
    n_hard = hard.sum()
    row[3] = dist_hard / n_hard if n_hard > 0 else np.nan
    for g, size in enumerate((X, n_solved, n_unsolved)):
        row[4 + g] = sums[g] / size if size > 0 else np.nan
        row[7 + g] = sums[3 + g] / size if size > 0 else np.nan
    for j in range(len(ks)):
        row[10 + j] = sums[6 + j] / X
    row[10 + len(ks)] = failed
    row[11 + len(ks)] = samples


@njit(cache=True)
def scratch(K, n):
    """The work arrays of :func:`learn_step`: theta, pi, cdf, grad (per arm), the group's arms,
    outcomes, rewards, shaped rewards, advantages and bonus terms (per sample)."""
    return (np.empty(K), np.empty(K), np.empty(K), np.empty(K), np.empty(n, np.int64), np.empty(n, np.int64),
            np.empty(n), np.empty(n), np.empty(n), np.empty(n))


@njit(cache=True)
def learn_step(u, v, w, phi, pi0, x, param, eta, beta, c, b0, bonus, counts, work,
               advantage=0, reward=0, k_reward=1, entropy_coef=0.0, rank_penalty=0.0, psr_weight=0.1):
    """One step of the learner on question ``x``: sample a group, shape its rewards, its advantages
    plus the exploration bonus, ascend, and count the group's outcomes (``work``: :func:`scratch`)."""
    theta, pi, cdf, grad, arms, outcomes, rewards, shaped, adv, bonus_terms = work
    sample_group(u, v, w, phi, pi0, x, param, theta, pi, cdf, arms, outcomes, rewards)
    if reward == 1:
        pkpo_rewards(rewards, k_reward, shaped)
    elif rank_penalty != 0.0:
        unlikeliness_rewards(rewards, pi, arms, rank_penalty, shaped)
    else:
        shaped[:] = rewards
    if advantage == 0:
        grpo_advantage(shaped, adv)
    elif advantage == 1:
        centered_advantage(shaped, adv)
    elif advantage == 2:
        passk_training_advantage(shaped, k_reward, adv)
    else:
        weighted_reinforce_advantage(shaped, psr_weight, adv)
    exploration(bonus, outcomes, counts[x], c, b0, bonus_terms)
    adv += bonus_terms
    if eta != 0.0:
        logit_gradient(pi, theta, arms, adv, beta, grad)
        if entropy_coef != 0.0:
            add_entropy_gradient(pi, entropy_coef, grad)
        ascend(u, v, w, phi, x, param, eta, grad)
    for i in range(outcomes.shape[0]):
        counts[x, outcomes[i]] += 1.0


@njit(cache=True, nogil=True)
def train_runs(seeds, phi, pi0, hard, m, n, eta, beta, c, b0, bonus, param, steps, checkpoints, ks, out, stop,
               advantage=0, reward=0, k_reward=1, entropy_coef=0.0, rank_penalty=0.0, psr_weight=0.1):
    """Train ``len(seeds)`` independent learners for ``steps`` steps; metrics into ``out[run, metric, ckpt]``.

    Returns early, between steps, once ``stop[0]`` is not 0 (looked at every ``STOP_EVERY`` steps:
    Ctrl-C, :func:`bandits.engine.blocks.run_in_blocks`).
    """
    X, K = phi.shape
    n_ckpt = checkpoints.shape[0]
    for r in range(seeds.shape[0]):
        if stop[0] != 0:
            return
        np.random.seed(seeds[r])
        u = np.zeros(K)
        v = np.zeros((X, K) if param == 0 else (1, 1))
        w = np.zeros((X, m) if param == 1 else (1, 1))
        counts = np.zeros((X, m))
        found = np.zeros((X, m))
        solved = np.zeros(X, np.bool_)
        work = scratch(K, n)
        rewards = work[6]
        failed = 0.0
        k = 0
        while k < n_ckpt and checkpoints[k] == 0:
            _record(u, v, w, phi, pi0, hard, param, n, solved, found, failed, 0.0, ks, out[r, :, k])
            k += 1
        for step in range(1, steps + 1):
            if step % STOP_EVERY == 0 and stop[0] != 0:
                return
            x = np.random.randint(X)
            learn_step(u, v, w, phi, pi0, x, param, eta, beta, c, b0, bonus, counts, work,
                       advantage, reward, k_reward, entropy_coef, rank_penalty, psr_weight)
            outcomes = work[5]
            for i in range(n):
                found[x, outcomes[i]] = 1.0
                failed += 1.0 - rewards[i]
                if rewards[i] > 0:
                    solved[x] = True
            while k < n_ckpt and checkpoints[k] == step:
                _record(u, v, w, phi, pi0, hard, param, n, solved, found, failed, float(step * n), ks, out[r, :, k])
                k += 1


# -- the Python API ------------------------------------------------------------------------

@dataclass
class LearnerResult(MetricArrays):
    """What :func:`train` returns: ``checkpoints`` (steps), per-run ``metrics`` (runs x checkpoints), and
    the accessors of :class:`bandits.simulate.MetricArrays` (``final``, ``summary()``, ``table()``)."""

    questions: Questions
    settings: dict
    steps: int
    runs: int
    seed: int
    checkpoints: np.ndarray
    metrics: dict = field(repr=False)

    @property
    def label(self) -> str:
        return learner_label(self.settings)

    @property
    def samples(self) -> np.ndarray:
        """Samples drawn at each checkpoint (steps x group size)."""
        return self.checkpoints * self.settings["group_size"]

    def __repr__(self) -> str:
        solved = self.metrics["solved"][:, -1]
        sem = solved.std(ddof=1) / np.sqrt(len(solved)) if len(solved) > 1 else float("nan")
        return (f"LearnerResult({self.label} on {self.questions.name}: steps={self.steps}, runs={self.runs}, "
                f"solved {solved.mean():.4g} +- {sem:.2g})")


#: The learner's settings, declared once: :func:`train`'s keywords, the ``[[learner]]`` fields of
#: experiment files and their checks all read this table. The defaults are the plain GRPO learner.
SETTINGS = {
    "bonus": Param("none", "exploration term added to the advantage", choices=BONUSES),
    "param": Param("arm", "a logit per arm, or per answer", choices=PARAMS),
    "group_size": Param(8, "samples per step (n in docs/theory.md)", integer=True, low=1),
    "eta": Param(0.5, "learning rate (0: sample the base policy)", low=0.0),
    "beta": Param(0.0, "KL penalty to pi0", low=0.0),
    "c": Param(0.2, "weight of the exploration term"),
    "b0": Param(0.5, "ucb_con's baseline"),
    "advantage": Param("whitened", "(r - mean r) / std r, r - mean r, Pass@k Training's (with k), or "
                       "W-REINFORCE's (psr_weight for a correct sample, -1 for a wrong one)", choices=ADVANTAGES),
    "reward": Param("plain", "the rewards the advantage is taken of: 1{correct}, or PKPO's for pass@k",
                    choices=REWARDS),
    "k": Param(1, "the k of PKPO's pass@k reward or of Pass@k Training (1 <= k <= group_size)", integer=True, low=1),
    "entropy_coef": Param(0.0, "c_H: the objective gains c_H times the policy's entropy on the question", low=0.0),
    "rank_penalty": Param(0.0, "unlikeliness reward's beta: a correct sample's reward 1 - beta rank / n, rank by "
                               "likelihood (0: off)", low=0.0, high=1.0),
    "psr_weight": Param(0.1, "W-REINFORCE's lambda, the weight of a correct sample", low=0.0),
}
DEFAULTS: dict[str, Any] = {name: p.default for name, p in SETTINGS.items()}
#: Settings added after numbers were published: they enter a run's seed only when not at their default,
#: so that every learner that does not use them keeps its seeds (and its numbers) bit for bit.
LATER_SETTINGS = ("entropy_coef", "rank_penalty", "psr_weight")


def _default(name: str) -> Any:
    """A setting's declared default (so that :func:`train`'s signature cannot disagree with SETTINGS)."""
    return SETTINGS[name].default


def learner_label(settings: dict) -> str:
    """``GRPO+ucb_con (outcome logits, c=1)``: the bonus, the logits and every non-default setting."""
    if settings["eta"] == 0:
        return "pi0 sampling" + ("" if settings["group_size"] == DEFAULTS["group_size"]
                                 else f" (group_size={settings['group_size']:g})")
    used = {"group_size", "eta", "beta"} | ({"c"} if settings["bonus"] != "none" else set()) \
        | ({"b0"} if settings["bonus"] == "ucb_con" else set())
    extra = [f"{k}={settings[k]:g}" for k in DEFAULTS if k in used and settings[k] != DEFAULTS[k]]
    name = "GRPO" if settings["bonus"] == "none" else f"GRPO+{settings['bonus']}"
    if settings.get("reward", "plain") == "pass@k":
        name = f"PKPO pass@{settings['k']}" + name[4:]
    advantage = settings.get("advantage", "whitened")
    if advantage == "passk_training":
        name = f"Pass@k Training k={settings['k']}" + name[4:]
    elif advantage == "weighted_reinforce":
        name = "W-REINFORCE" + name[4:]
        extra.append(f"lambda={settings['psr_weight']:g}")
    elif advantage != "whitened":
        extra.append(f"{advantage} advantage")
    if settings.get("rank_penalty", 0.0) != 0.0:
        name += "+unlikeliness"
        extra.append(f"rank_penalty={settings['rank_penalty']:g}")
    if settings.get("entropy_coef", 0.0) != 0.0:
        name += "+entropy"
        extra.append(f"entropy_coef={settings['entropy_coef']:g}")
    return f"{name} ({', '.join([settings['param'] + ' logits', *extra])})"


def seed_key(questions: Questions, settings: dict, steps: int, common: bool = False) -> list[int]:
    """The words that key a training's run seeds (with the root seed, :func:`bandits.seeding.run_seeds`).

    By default the questions, the settings and the number of steps (the settings of
    :data:`LATER_SETTINGS` only when not at their default), so that two learners never share
    draws. With ``common``, the questions and the steps only: every learner trained with the same
    seed on the same questions for as many steps starts run i from the same random numbers (each
    step draws a question and n uniforms whatever the learner, so the question sequence and the
    uniforms behind each group are shared: common random numbers for paired comparisons).
    """
    if common:
        return content_key(questions.fingerprint(), b"common seeds", str(steps).encode())
    keyed = {k: v for k, v in settings.items() if not (k in LATER_SETTINGS and v == DEFAULTS[k])}
    return content_key(questions.fingerprint(), repr(sorted(keyed.items())).encode(), str(steps).encode())


def check_settings(settings: dict) -> dict:
    """The learner settings validated, defaults filled in, with one-line messages naming the setting."""
    settings = check_params(settings, SETTINGS, "a learner")
    if settings["k"] > settings["group_size"]:
        raise ValueError(f"k must be <= group_size = {settings['group_size']}, got {settings['k']}")
    passk_training = settings["advantage"] == "passk_training"
    if settings["reward"] == "plain" and settings["k"] != 1 and not passk_training:
        raise ValueError(f"k = {settings['k']} is the pass@k reward's k: set reward = 'pass@k' too (or leave k at 1)")
    if settings["advantage"] in ("passk_training", "weighted_reinforce") and settings["reward"] != "plain":
        raise ValueError(f"advantage = {settings['advantage']!r} takes the plain rewards 1{{correct}}: "
                         "leave reward = 'plain'")
    if settings["rank_penalty"] != 0 and (settings["reward"] != "plain"
                                          or settings["advantage"] not in ("whitened", "centered")):
        raise ValueError("rank_penalty (the unlikeliness reward) reshapes the plain rewards before GRPO's "
                         "advantage: use it with reward = 'plain' and advantage 'whitened' or 'centered'")
    if settings["psr_weight"] != DEFAULTS["psr_weight"] and settings["advantage"] != "weighted_reinforce":
        raise ValueError(f"psr_weight = {settings['psr_weight']:g} is W-REINFORCE's lambda: set advantage = "
                         "'weighted_reinforce' too (or leave psr_weight at its default)")
    return settings


def train(questions: Questions, *, bonus: str = _default("bonus"), param: str = _default("param"),
          group_size: int = _default("group_size"), eta: float = _default("eta"), beta: float = _default("beta"),
          c: float = _default("c"), b0: float = _default("b0"), advantage: str = _default("advantage"),
          reward: str = _default("reward"), k: int = _default("k"), entropy_coef: float = _default("entropy_coef"),
          rank_penalty: float = _default("rank_penalty"), psr_weight: float = _default("psr_weight"),
          steps: int = 2000, runs: int = 20, seed: int | None = 0,
          checkpoints: int | Sequence[int] = 50, n_jobs: int | None = None,
          progress: bool | None = None, common_seeds: bool = False) -> LearnerResult:
    """Train ``runs`` independent policy-gradient learners on ``questions``.

    Parameters
    ----------
    bonus : {"none", "ucb", "ucb_mean", "ucb_con", "batch"}
        Exploration term added to the GRPO advantage.
    param : {"arm", "outcome"}
        A logit per arm (no generalization) or per answer (generalization), plus shared arm logits.
    group_size, eta, beta, c, b0
        Group size, learning rate, KL penalty to pi0, bonus weight, ucb_con baseline.
    advantage : {"whitened", "centered", "passk_training", "weighted_reinforce"}
        (r - mean r) / (std r + 1e-6), GRPO's; r - mean r (docs/theory.md 9.3); Pass@k Training's
        closed form with ``k`` (:func:`passk_training_advantage`); or W-REINFORCE's ``psr_weight`` for a
        correct sample and -1 for a wrong one (:func:`weighted_reinforce_advantage`; docs/theory.md 10).
    reward, k : {"plain", "pass@k"}, int
        The rewards the advantage is taken of: r_i = 1{correct}, or PKPO's transformation of the
        group's rewards for pass@k with 1 <= k <= group_size (:func:`pkpo_rewards`; docs/theory.md 9.4).
    entropy_coef, rank_penalty, psr_weight : float
        c_H of the entropy bonus (:func:`add_entropy_gradient`); beta of the unlikeliness reward
        (:func:`unlikeliness_rewards`, 0: off); W-REINFORCE's lambda (docs/theory.md 10).
    steps : int
        Gradient steps; each draws one question and a group of n samples.
    checkpoints : int or list of int
        Step counts where the metrics are read (an int: that many log-spaced steps, ``steps`` included).
    progress : bool or None
        A progress bar over the runs, as :func:`bandits.simulate` shows it (``None``: only for
        calls longer than a second; ``False``: none). It changes no number.
    common_seeds : bool
        Seed the runs from the questions and ``steps`` only, not the settings, so that every learner
        trained with this seed meets the same random numbers in run i (:func:`seed_key`).
    """
    if not isinstance(questions, Questions):
        raise TypeError(f"questions must be a bandits.rl Questions, got {type(questions).__name__}")
    settings = check_settings({"bonus": bonus, "param": param, "group_size": group_size, "eta": eta, "beta": beta,
                               "c": c, "b0": b0, "advantage": advantage, "reward": reward, "k": k,
                               "entropy_coef": entropy_coef, "rank_penalty": rank_penalty, "psr_weight": psr_weight})
    if not isinstance(common_seeds, bool):
        raise TypeError(f"common_seeds must be True or False, got {common_seeds!r}")
    steps = check_int(steps, "steps", low=1, high=MAX_LENGTH)
    runs = check_int(runs, "runs", low=1)
    seed = resolve_seed(seed)
    n_jobs = check_int((os.cpu_count() or 1) if n_jobs is None else n_jobs, "n_jobs", low=1)
    ckpts = resolve_checkpoints(checkpoints, steps, length_name="steps", low=0)
    seeds = run_seeds(seed, seed_key(questions, settings, steps, common_seeds), runs)
    out = np.zeros((runs, len(METRICS), len(ckpts)))
    ks = np.array(PASS_KS, dtype=np.float64)

    def work(lo, hi, stop):
        train_runs(seeds[lo:hi], questions.phi, questions.pi0, questions.hard, questions.m, settings["group_size"], settings["eta"],
                   settings["beta"], settings["c"], settings["b0"], BONUSES.index(bonus), PARAMS.index(param),
                   steps, ckpts, ks, out[lo:hi], stop, ADVANTAGES.index(settings["advantage"]),
                   REWARDS.index(settings["reward"]), settings["k"], settings["entropy_coef"], settings["rank_penalty"],
                   settings["psr_weight"])

    run_in_blocks(work, runs, n_jobs, progress, desc=learner_label(settings))
    metrics = {name: out[:, i, :] for i, name in enumerate(METRICS)}
    return LearnerResult(questions, settings, steps, runs, seed, ckpts, metrics)


def sample_base(questions: Questions, *, group_size: int = DEFAULTS["group_size"], steps: int = 2000, runs: int = 20, seed: int | None = 0,
                checkpoints: int | Sequence[int] = 50, n_jobs: int | None = None,
                progress: bool | None = None) -> LearnerResult:
    """The baseline: the same number of samples drawn from pi0, without learning (eta = 0)."""
    return train(questions, group_size=group_size, eta=0.0, steps=steps, runs=runs, seed=seed, checkpoints=checkpoints,
                 n_jobs=n_jobs, progress=progress)
