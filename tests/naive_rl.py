"""Naive plain-NumPy reference for policy-gradient learners on multi-question
outcome bandits. It is deliberately simple and slow, and is meant to be obviously
correct. It is independent of the fast implementation in bandits/.

Setting: X questions and K arms (strategies shared by all questions). Arm a
answers question x with phi[x, a] in [0, m). Answer 0 is the correct one, so
the reward is r = 1{phi[x, a] == 0}.

Policy on question x (softmax over arms with a base policy pi0):
    theta_x(a) = u[a] + v[x, a]            (param = "arm")
    theta_x(a) = u[a] + w[x, phi[x, a]]    (param = "outcome")
    pi_x(a)    = pi0(a) exp(theta_x(a)) / sum_b pi0(b) exp(theta_x(b))
Here `per_q` is v (X, K) or w (X, m), depending on `param`.
"""
import itertools
import math

import numpy as np

BONUSES = ("none", "ucb", "ucb_mean", "ucb_con", "batch")
PARAMS = ("arm", "outcome")
PASS_KS = (1, 2, 4, 8, 16, 32)
DEFAULTS = dict(group_size=8, eta=0.5, beta=0.0, bonus="none", c=0.2, b0=0.5, param="arm", advantage="whitened",
                reward="plain", k=1, entropy_coef=0.0, rank_penalty=0.0, psr_weight=0.1)


class SimpleQuestions:
    """Instance with attributes X, K, m, phi (X, K) and pi0 (K,).
    pi0 is uniform by default. m defaults to phi.max() + 1."""

    def __init__(self, phi, pi0=None, m=None):
        self.phi = np.asarray(phi, dtype=np.int64)
        assert self.phi.ndim == 2 and self.phi.min() >= 0
        self.X, self.K = self.phi.shape
        self.m = int(self.phi.max()) + 1 if m is None else int(m)
        assert self.phi.max() < self.m
        if pi0 is None:
            pi0 = np.full(self.K, 1.0 / self.K)
        self.pi0 = np.asarray(pi0, dtype=float)
        assert self.pi0.shape == (self.K,) and abs(self.pi0.sum() - 1.0) < 1e-9


# ----------------------------------------------------------------- policy ---

def logits(inst, u, per_q, x, param):
    """theta_x(a) = u[a] + v[x, a]  or  u[a] + w[x, phi[x, a]]."""
    if param == "arm":
        return u + per_q[x]
    if param == "outcome":
        return u + per_q[x, inst.phi[x]]
    raise ValueError(param)


def softmax_with_base(pi0, theta):
    """pi(a) proportional to pi0(a) exp(theta(a)), computed stably in log space.
    Arms with pi0(a) = 0 get probability 0."""
    with np.errstate(divide="ignore"):
        z = np.log(pi0) + theta
    z = np.exp(z - z.max())
    return z / z.sum()


def policy(inst, u, per_q, x, param):
    return softmax_with_base(inst.pi0, logits(inst, u, per_q, x, param))


def outcome_dist(inst, pi, x):
    """P_x(o) = sum_{a: phi[x, a] = o} pi_x(a)."""
    return np.bincount(inst.phi[x], weights=pi, minlength=inst.m)


# ------------------------------------------------------- advantage / bonus ---

def grpo_advantage(r):
    """A_i = (r_i - mean(r)) / (std(r) + 1e-6), with ddof = 0."""
    r = np.asarray(r, dtype=float)
    return (r - r.mean()) / (r.std() + 1e-6)


def centered_advantage(r):
    """A_i = r_i - mean(r) (no whitening)."""
    r = np.asarray(r, dtype=float)
    return r - r.mean()


def pass_at_k_rewards(r, k):
    """PKPO's transformed rewards, by brute force: r~_i = (1 / C(n, k)) times the sum over the
    k-subsets S of the group that contain i of max_{j in S} r_j (the per-sample weight of the
    unbiased gradient estimator of pass@k, Walder and Karkhanis, arXiv 2505.15201)."""
    r = np.asarray(r, dtype=float)
    n = len(r)
    out = np.zeros(n)
    subsets = list(itertools.combinations(range(n), k))
    for S in subsets:
        best = max(r[j] for j in S)
        for i in S:
            out[i] += best
    return out / len(subsets)


def passk_training_advantages(r, k):
    """Pass@k Training's advantage (Chen et al., arXiv 2508.10751), by brute force: every k-subset S
    of the group is a "group" with reward max_{j in S} r_j; whiten those rewards over all subsets
    (population std, + 1e-6); a sample's advantage is the mean of the whitened rewards of the
    subsets that contain it."""
    r = np.asarray(r, dtype=float)
    n = len(r)
    subsets = list(itertools.combinations(range(n), k))
    best = np.array([max(r[j] for j in S) for S in subsets])
    z = (best - best.mean()) / (best.std() + 1e-6)
    total, count = np.zeros(n), np.zeros(n)
    for S, zs in zip(subsets, z):
        for i in S:
            total[i] += zs
            count[i] += 1
    return total / count


def unlikeliness_rewards(r, logp, beta):
    """The unlikeliness reward (He et al., arXiv 2506.02355): r_i (1 - beta rank_i / n), rank_i the
    position of sample i when the group is sorted by log-likelihood, least likely first (0), ties
    in the order drawn."""
    r = np.asarray(r, dtype=float)
    order = np.argsort(np.asarray(logp, dtype=float), kind="stable")
    rank = np.empty(len(r))
    rank[order] = np.arange(len(r))
    return r * (1.0 - beta * rank / len(r))


def weighted_reinforce_advantages(r, lam):
    """W-REINFORCE (Zhu et al., arXiv 2506.01347): +lambda on correct samples, -1 on wrong ones."""
    return np.where(np.asarray(r) > 0, float(lam), -1.0)


def pass_at_k_estimate(n, c, k):
    """1 - C(n - c, k) / C(n, k), with Python's exact binomials."""
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def exploration_terms(kind, outcomes, N_row, c, b0):
    """Exploration terms e_i. N_row[o] = N(x, o) is the count from earlier steps
    only, and b(x, o) = min(1, 1 / sqrt(max(N(x, o), 1)))."""
    o = np.asarray(outcomes, dtype=np.int64)
    n = len(o)
    b = np.minimum(1.0, 1.0 / np.sqrt(np.maximum(np.asarray(N_row, float)[o], 1.0)))
    if kind == "none":       # e_i = 0
        return np.zeros(n)
    if kind == "ucb":        # e_i = c b(x, o_i)
        return c * b
    if kind == "ucb_mean":   # e_i = c (b(x, o_i) - mean_j b(x, o_j))
        return c * (b - b.mean())
    if kind == "ucb_con":    # e_i = c (b(x, o_i) - b0)
        return c * (b - b0)
    if kind == "batch":      # e_i = -(c/n) #{j != i : o_j == o_i}
        same = np.array([sum(1 for j in range(n) if j != i and o[j] == o[i])
                         for i in range(n)], dtype=float)
        return -c * same / n
    raise ValueError(kind)


# --------------------------------------------------------------- gradient ---

def logit_gradient(pi, theta, arms, adv, beta, entropy_coef=0.0):
    """Gradient w.r.t. theta_x of
        J = (1/n) sum_i A'_i log pi_x(a_i) - beta KL(pi_x || pi0) + c_H H(pi_x):
    g(b) = (1/n) sum_i A'_i (1{a_i == b} - pi(b))
           - beta pi(b) (theta(b) - sum_a pi(a) theta(a))
           - c_H pi(b) (log pi(b) + H(pi))."""
    K, n = len(pi), len(arms)
    g = np.zeros(K)
    for i in range(n):
        onehot = np.zeros(K)
        onehot[arms[i]] = 1.0
        g += adv[i] * (onehot - pi) / n
    g -= beta * pi * (theta - np.dot(pi, theta))
    if entropy_coef:
        s = pi > 0
        logpi = np.zeros(K)
        logpi[s] = np.log(pi[s])
        H = -np.sum(pi[s] * logpi[s])
        g -= entropy_coef * pi * (logpi + H)
    return g


def objective(pi0, theta, arms, adv, beta, entropy_coef=0.0):
    """J(theta) = (1/n) sum_i A'_i log pi(a_i) - beta sum_a pi(a) log(pi(a)/pi0(a))
    - entropy_coef sum_a pi(a) log pi(a) (with 0 log 0 = 0)."""
    pi = softmax_with_base(pi0, theta)
    s = pi > 0
    kl = np.sum(pi[s] * np.log(pi[s] / pi0[s]))
    H = -np.sum(pi[s] * np.log(pi[s]))
    return np.mean(np.asarray(adv) * np.log(pi[np.asarray(arms)])) - beta * kl + entropy_coef * H


def numeric_logit_gradient(inst, u, per_q, x, param, arms, adv, beta, h=1e-6, entropy_coef=0.0):
    """Central finite differences of J with respect to the K logits theta_x."""
    theta = logits(inst, u, per_q, x, param)
    g = np.zeros(inst.K)
    for k in range(inst.K):
        tp, tm = theta.copy(), theta.copy()
        tp[k] += h
        tm[k] -= h
        g[k] = (objective(inst.pi0, tp, arms, adv, beta, entropy_coef)
                - objective(inst.pi0, tm, arms, adv, beta, entropy_coef)) / (2 * h)
    return g


# ---------------------------------------------------------------- metrics ---

def _group_mean(vals, mask):
    return float(vals[mask].mean()) if mask.any() else math.nan


def metrics(inst, u, per_q, param, n, seen, regret):
    """seen[x, o] is True if answer o has been sampled on question x so far."""
    P = np.array([outcome_dist(inst, policy(inst, u, per_q, x, param), x)
                  for x in range(inst.X)])                       # (X, m)
    solved = seen[:, 0]          # a correct answer was sampled at least once
    unsolved = ~solved
    everyone = np.ones(inst.X, dtype=bool)
    distinct = seen.sum(axis=1).astype(float)
    PlogP = np.where(P > 0, P * np.log(np.where(P > 0, P, 1.0)), 0.0)
    entropy = -PlogP.sum(axis=1)                                 # natural log
    batch_distinct = (1.0 - (1.0 - P) ** n).sum(axis=1)          # E #distinct in n draws
    out = {
        "solved": float(solved.mean()),
        "distinct_solved": _group_mean(distinct, solved),
        "distinct_unsolved": _group_mean(distinct, unsolved),
        "entropy_all": _group_mean(entropy, everyone),
        "entropy_solved": _group_mean(entropy, solved),
        "entropy_unsolved": _group_mean(entropy, unsolved),
        "batch_distinct_all": _group_mean(batch_distinct, everyone),
        "batch_distinct_solved": _group_mean(batch_distinct, solved),
        "batch_distinct_unsolved": _group_mean(batch_distinct, unsolved),
    }
    for k in PASS_KS:
        out[f"pass@{k}"] = float(np.mean(1.0 - (1.0 - P[:, 0]) ** k))
    out["failed_samples"] = float(regret)  # cumulative number of samples with r = 0
    return out


# --------------------------------------------------------------- training ---

def train_naive(inst, params, steps, rng, checkpoints=None):
    """Run `steps` training steps. Returns a dict mapping each metric name to an
    array over the checkpoints, which are step counts in [0, steps] (sorted and
    deduplicated; 0 means before any step)."""
    unknown = set(params) - set(DEFAULTS)
    assert not unknown, f"unknown params {unknown}"
    p = {**DEFAULTS, **params}
    n, eta, beta, c, b0 = int(p["group_size"]), p["eta"], p["beta"], p["c"], p["b0"]
    advantage, reward, k = p["advantage"], p["reward"], int(p["k"])
    entropy_coef, rank_penalty, lam = p["entropy_coef"], p["rank_penalty"], p["psr_weight"]
    assert advantage in ("whitened", "centered", "passk_training", "weighted_reinforce")
    assert reward in ("plain", "pass@k") and 1 <= k <= n
    bonus, param = p["bonus"], p["param"]
    assert bonus in BONUSES and param in PARAMS and beta >= 0
    checkpoints = sorted(set([steps] if checkpoints is None else checkpoints))
    assert all(0 <= t <= steps for t in checkpoints)

    X, K, m, phi = inst.X, inst.K, inst.m, np.asarray(inst.phi)
    u = np.zeros(K)                                                # shared logits
    per_q = np.zeros((X, K)) if param == "arm" else np.zeros((X, m))  # v or w
    N = np.zeros((X, m), dtype=np.int64)     # N(x, o): times answer o was seen
    seen = np.zeros((X, m), dtype=bool)      # discovered answers
    regret = 0
    history = []

    if 0 in checkpoints:
        history.append(metrics(inst, u, per_q, param, n, seen, regret))
    for t in range(1, steps + 1):
        x = int(rng.integers(X))                             # 1. x ~ U(questions)
        theta = logits(inst, u, per_q, x, param)
        pi = softmax_with_base(inst.pi0, theta)
        arms = rng.choice(K, size=n, p=pi)                   # 2. a_i ~ pi_x i.i.d.
        o = phi[x, arms]
        r = (o == 0).astype(float)
        if reward == "pass@k":
            shaped = pass_at_k_rewards(r, k)
        elif rank_penalty:
            shaped = unlikeliness_rewards(r, np.log(pi[arms]), rank_penalty)
        else:
            shaped = r
        if advantage == "whitened":                          # 3.
            A = grpo_advantage(shaped)
        elif advantage == "centered":
            A = centered_advantage(shaped)
        elif advantage == "passk_training":
            A = passk_training_advantages(shaped, k)
        else:
            A = weighted_reinforce_advantages(shaped, lam)
        e = exploration_terms(bonus, o, N[x], c, b0)         # 4. uses earlier counts
        adv = A + e                                          # 5. A' = A + e
        g = logit_gradient(pi, theta, arms, adv, beta, entropy_coef)  # 6.
        u += eta * g                                         # 7. ascent
        if param == "arm":
            per_q[x] += eta * g
        else:  # w[x, o] += eta * sum_{b: phi[x, b] = o} g(b)
            per_q[x] += eta * np.bincount(phi[x], weights=g, minlength=m)
        for oi in o:                                         # 8. counts / discovery
            N[x, oi] += 1
            seen[x, oi] = True
        regret += int(np.sum(r == 0))
        if t in checkpoints:
            history.append(metrics(inst, u, per_q, param, n, seen, regret))

    return {k: np.array([h[k] for h in history]) for k in history[0]}


def simulate_naive(inst, params, steps, runs, seed):
    """`runs` independent runs (seeds come from SeedSequence(seed).spawn(runs)).
    Returns a dict mapping each metric to an array (runs,) of values at the
    final step."""
    results = [train_naive(inst, params, steps, np.random.default_rng(s))
               for s in np.random.SeedSequence(seed).spawn(runs)]
    return {k: np.array([res[k][-1] for res in results]) for k in results[0]}
