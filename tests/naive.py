"""Naive, deliberately slow plain-NumPy reference implementation of the bandit agents.

Used only by the test suite to cross-check the fast engine statistically.  Everything
is done with straight Python loops over pulls, arms and outcomes; there is one small
function per index rule, and comments quote the definitions they implement.

Public API
----------
SimpleInstance(Q, mu, rewards="bernoulli", sigma=1.0, pi0=None)
run_naive(inst, agent, params, horizon, batch=1, lam=0.0, rng=None, checkpoints=None) -> dict
simulate_naive(inst, agent, params, horizon, runs, seed, batch=1, lam=0.0) -> dict

Conventions that the definitions leave open (all documented where used):
* An arm (or, for outcome control, an outcome) with no *observed* pull has index +inf.
  This only matters inside the first rounds when batch > 1 (after the "each once"
  permutation is exhausted but its results are not observed yet); ties among the +inf
  entries are broken uniformly at random like any other tie.
* Thompson agents draw a fresh posterior sample for every pull placed in a round.
* epsilon_greedy: the eps coin is tossed for every placed pull; an exploration pull is
  a uniformly random arm and ignores the batch penalty.
* The batch penalty divides by the nominal batch size n, also in a shorter last round.
* kl_ucb with rewards "gaussian": the empirical mean is clipped to [0, 1] before the
  Bernoulli KL is used.
* outcome_thompson with rewards "gaussian": theta_o ~ Normal(S_o/(N_o+1), sigma^2/(N_o+1)).
* uniform and oracle (control agents) have no initial phase; uniform scores every arm
  0 (a uniform draw through the tie-break), oracle with its true mean theta_a (the batch
  penalty applies to both scores like to any index).
* Outcome control: only outcomes o with positive pi0 mass on {a : phi(a) = o} can be
  chosen (the "each once" phase permutes those; the others get index -inf).  If every
  outcome is reachable this is exactly "over the m outcomes".
* Metrics: "regret" and "distinct" count every pull made so far (including pulls of the
  current round whose results the agent has not seen yet); "pass_regret" and
  "round_distinct" count completed rounds only; "round_distinct" is 0.0 when no round is
  completed yet.  The last (possibly shorter) round is completed at its last pull.
"""

import math

import numpy as np
from scipy.optimize import minimize_scalar

REWARDS = ("bernoulli", "gaussian", "verifiable")
ARM_AGENTS = ("greedy", "epsilon_greedy", "ucb1", "kl_ucb", "thompson",
              "outcome_ucb", "outcome_thompson", "ossb", "outcome_kl_ucb", "uniform", "oracle")
OUTCOME_AGENTS = ("outcome_level_ucb", "outcome_level_thompson", "outcome_level_uniform")
AGENTS = ARM_AGENTS + OUTCOME_AGENTS
# Agents documented with "No initial phase".
NO_INITIAL_PHASE = ("thompson", "outcome_thompson", "outcome_level_thompson", "uniform", "oracle",
                    "outcome_level_uniform")
METRICS = ("regret", "distinct", "pass_regret", "round_distinct")


# ----------------------------------------------------------------------------------
# A tiny instance class so this file can be exercised on its own.
# ----------------------------------------------------------------------------------
class SimpleInstance:
    """Q: K x m outcome distributions per arm; mu: length-m outcome means."""

    def __init__(self, Q, mu, rewards="bernoulli", sigma=1.0, pi0=None):
        self.Q = np.array(Q, dtype=np.float64, ndmin=2)
        self.mu = np.array(mu, dtype=np.float64).ravel()
        self.K, self.m = self.Q.shape
        if self.mu.shape != (self.m,):
            raise ValueError("mu must have length m = Q.shape[1]")
        if not np.allclose(self.Q.sum(axis=1), 1.0) or (self.Q < 0).any():
            raise ValueError("every row of Q must be a probability distribution")
        if rewards not in REWARDS:
            raise ValueError(f"rewards must be one of {REWARDS}")
        self.rewards = rewards
        self.sigma = float(sigma)
        if pi0 is None:
            pi0 = np.full(self.K, 1.0 / self.K)
        self.pi0 = np.array(pi0, dtype=np.float64).ravel()
        if self.pi0.shape != (self.K,):
            raise ValueError("pi0 must have length K")
        # deterministic if every row of Q is one-hot
        self.deterministic = bool(np.all((self.Q == 0.0) | (self.Q == 1.0))
                                  and np.all((self.Q == 1.0).sum(axis=1) == 1))
        self.phi = np.argmax(self.Q, axis=1).astype(np.int64) if self.deterministic else None

    @property
    def theta(self):
        return self.Q @ self.mu

    def __repr__(self):
        return (f"SimpleInstance(K={self.K}, m={self.m}, rewards={self.rewards!r}, "
                f"deterministic={self.deterministic})")


# ----------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------
def argmax_random(index, rng):
    """Ties are broken uniformly at random: rng.choice over flatnonzero(index == max)."""
    index = np.asarray(index, dtype=np.float64)
    return int(rng.choice(np.flatnonzero(index == index.max())))


def draw_reward(inst, o, rng):
    """Reward given outcome o: Bernoulli(mu_o); Normal(mu_o, sigma); or exactly mu_o."""
    mu_o = float(inst.mu[o])
    if inst.rewards == "bernoulli":
        return 1.0 if rng.random() < mu_o else 0.0
    if inst.rewards == "gaussian":
        return float(rng.normal(mu_o, inst.sigma))
    if inst.rewards == "verifiable":
        return mu_o
    raise ValueError(f"unknown rewards {inst.rewards!r}")


def bernoulli_kl(p, q):
    """kl(p, q) = p ln(p/q) + (1-p) ln((1-p)/(1-q)), with 0 ln 0 = 0."""
    q = min(max(q, 1e-15), 1.0 - 1e-15)
    value = 0.0
    if p > 0.0:
        value += p * math.log(p / q)
    if p < 1.0:
        value += (1.0 - p) * math.log((1.0 - p) / (1.0 - q))
    return value


def posterior_sample(rewards, sigma, S, N, rng):
    """One Thompson sample for a cell with reward sum S over N observations.

    bernoulli / verifiable: Beta(1 + S, 1 + N - S).
    gaussian: Normal(S/(N+1), sigma^2/(N+1))  (Agrawal-Goyal).
    """
    if rewards == "gaussian":
        return float(rng.normal(S / (N + 1.0), sigma / math.sqrt(N + 1.0)))
    return float(rng.beta(1.0 + S, 1.0 + N - S))


class State:
    """Observed statistics (updated only at the end of each round)."""

    def __init__(self, K, m):
        self.N_arm = np.zeros(K)          # N_a: observed pulls of arm a
        self.S_arm = np.zeros(K)          # S_a: sum of rewards of arm a
        self.counts = np.zeros((K, m))    # times arm a produced outcome o
        self.N_out = np.zeros(m)          # N_o: observed pulls (any arm) with outcome o
        self.S_out = np.zeros(m)          # S_o: sum of rewards over those pulls

    def update(self, a, o, r):
        self.N_arm[a] += 1
        self.S_arm[a] += r
        self.counts[a, o] += 1
        self.N_out[o] += 1
        self.S_out[o] += r

    def qhat(self):
        """Qhat[a, o] = (times arm a produced outcome o) / N_a; all zeros if N_a = 0."""
        K, m = self.counts.shape
        Qhat = np.zeros((K, m))
        for a in range(K):
            if self.N_arm[a] > 0:
                Qhat[a] = self.counts[a] / self.N_arm[a]
        return Qhat


# ----------------------------------------------------------------------------------
# Index rules (one function per agent).  t = number of observed pulls.
# ----------------------------------------------------------------------------------
def index_greedy(inst, state, t, params, rng):
    """argmax of empirical mean reward (unobserved arm: +inf)."""
    index = np.empty(inst.K)
    for a in range(inst.K):
        if state.N_arm[a] == 0:
            index[a] = math.inf
        else:
            index[a] = state.S_arm[a] / state.N_arm[a]
    return index


def index_ucb1(inst, state, t, params, rng):
    """argmax mean_a + sqrt(alpha ln t / N_a)."""
    alpha = float(params.get("alpha", 2.0))
    index = np.empty(inst.K)
    for a in range(inst.K):
        N = state.N_arm[a]
        if N == 0:
            index[a] = math.inf
        else:
            index[a] = state.S_arm[a] / N + math.sqrt(alpha * math.log(t) / N)
    return index


def kl_upper(mean, N, rhs):
    """max{ q in [mean, 1] : N kl(mean, q) <= rhs }, bisection to 1e-9."""
    if mean >= 1.0:
        return 1.0
    if rhs <= 0.0:
        return mean      # only q = mean satisfies N kl <= 0 (or nothing does)
    lo, hi = mean, 1.0   # invariant: lo is feasible
    while hi - lo > 1e-9:
        mid = 0.5 * (lo + hi)
        if N * bernoulli_kl(mean, mid) <= rhs:
            lo = mid
        else:
            hi = mid
    return lo


def index_kl_ucb(inst, state, t, params, rng):
    """u_a = max{ q in [mean_a, 1] : N_a kl(mean_a, q) <= ln t + c ln ln t }.

    ln ln t is treated as 0 when t < 3.  Gaussian: mean clipped to [0, 1].
    """
    c = float(params.get("c", 0.0))
    lnlnt = math.log(math.log(t)) if t >= 3 else 0.0
    index = np.empty(inst.K)
    for a in range(inst.K):
        N = state.N_arm[a]
        if N == 0:
            index[a] = math.inf
            continue
        rhs = math.log(t) + c * lnlnt
        mean = min(max(state.S_arm[a] / N, 0.0), 1.0)
        index[a] = kl_upper(mean, N, rhs)
    return index


def index_thompson(inst, state, t, params, rng):
    """Beta(1 + S_a, 1 + N_a - S_a) sample per arm (gaussian: Normal(S_a/(N_a+1), sigma^2/(N_a+1)))."""
    index = np.empty(inst.K)
    for a in range(inst.K):
        index[a] = posterior_sample(inst.rewards, inst.sigma, state.S_arm[a], state.N_arm[a], rng)
    return index


def index_outcome_ucb(inst, state, t, params, rng):
    """index_a = sum_o Qhat[a,o] (mean_o + sqrt(alpha ln t / N_o)) + sqrt(alpha ln t / N_a).

    Terms with Qhat[a,o] = 0 contribute nothing; the last term is dropped when
    inst.deterministic is True.
    """
    alpha = float(params.get("alpha", 2.0))
    index = np.empty(inst.K)
    for a in range(inst.K):
        N_a = state.N_arm[a]
        if N_a == 0:
            index[a] = math.inf
            continue
        total = 0.0
        for o in range(inst.m):
            q = state.counts[a, o] / N_a
            if q == 0.0:
                continue
            N_o = state.N_out[o]   # >= counts[a, o] > 0
            mean_o = state.S_out[o] / N_o
            total += q * (mean_o + math.sqrt(alpha * math.log(t) / N_o))
        if not inst.deterministic:
            total += math.sqrt(alpha * math.log(t) / N_a)
        index[a] = total
    return index


def index_outcome_thompson(inst, state, t, params, rng):
    """theta_o ~ Beta(1 + S_o, 1 + N_o - S_o) (pooled over arms);
    q_a ~ Dirichlet(1 + counts of outcomes of arm a); index_a = sum_o q_a[o] theta_o."""
    theta = np.empty(inst.m)
    for o in range(inst.m):
        theta[o] = posterior_sample(inst.rewards, inst.sigma, state.S_out[o], state.N_out[o], rng)
    index = np.empty(inst.K)
    for a in range(inst.K):
        q_a = rng.dirichlet(1.0 + state.counts[a])
        total = 0.0
        for o in range(inst.m):
            total += q_a[o] * theta[o]
        index[a] = total
    return index


def index_outcome_level_ucb(inst, state, t, params, rng, reachable):
    """UCB1 over outcomes: mean_o + sqrt(alpha ln t / N_o)."""
    alpha = float(params.get("alpha", 2.0))
    index = np.empty(inst.m)
    for o in range(inst.m):
        N = state.N_out[o]
        if not reachable[o]:
            index[o] = -math.inf
        elif N == 0:
            index[o] = math.inf
        else:
            index[o] = state.S_out[o] / N + math.sqrt(alpha * math.log(t) / N)
    return index


def index_outcome_level_thompson(inst, state, t, params, rng, reachable):
    """Thompson over outcomes: Beta(1 + S_o, 1 + N_o - S_o) (gaussian as for thompson)."""
    index = np.empty(inst.m)
    for o in range(inst.m):
        if not reachable[o]:
            index[o] = -math.inf
        else:
            index[o] = posterior_sample(inst.rewards, inst.sigma, state.S_out[o], state.N_out[o], rng)
    return index


def bernoulli_kl_accurate(p, q):
    """kl(p, q) written with log1p of the relative gap d = q - p:

        kl(p, q) = -p ln(1 + d/p) - (1-p) ln(1 - d/(1-p)),

    which keeps its relative accuracy when q is close to p (the plain form loses it to
    rounding below about 1e-16 in kl).  +inf for q >= 1 > p."""
    if q >= 1.0:
        return 0.0 if p >= 1.0 else math.inf
    d = q - p
    value = 0.0
    if p > 0.0:
        value -= p * math.log1p(d / p)
    if p < 1.0:
        value -= (1.0 - p) * math.log1p(-d / (1.0 - p))
    return value


def kl_upper_exact(mean, level):
    """max{ q in [mean, 1] : kl(mean, q) <= level }, by bisection down to adjacent floats.

    The feasible set is an interval [mean, q*] because kl(mean, .) increases on [mean, 1);
    the invariant is kl(mean, lo) <= level < kl(mean, hi).  Used to check kl_ucb's upper
    bound to 1e-9 (kl_upper above stops at 1e-9 in q, this one at the last float)."""
    if mean >= 1.0:
        return 1.0
    if level <= 0.0:
        return mean
    lo, hi = mean, 1.0
    while True:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            return lo
        if bernoulli_kl_accurate(mean, mid) <= level:
            lo = mid
        else:
            hi = mid


def _reward_kl(inst, p, q):
    """kl of the reward law between means p and q (exact verifiable rewards: infinite)."""
    if inst.rewards == "verifiable":
        return math.inf
    if inst.rewards == "gaussian":
        return (q - p) ** 2 / (2.0 * inst.sigma ** 2)
    return bernoulli_kl(p, q)


def _k_inf(weights, values, vmax, c):
    """K_inf = max over l in [0, 1/(vmax - c)] of sum_o w_o log(1 - l (v_o - c)) (a concave
    function of l), by scipy's bounded scalar minimisation of its negative."""
    if weights @ values >= c:
        return 0.0
    if vmax <= c:
        return math.inf
    top = 1.0 / (vmax - c)

    def negative(l):
        return -float(np.sum(weights * np.log(np.maximum(1.0 - l * (values - c), 1e-300))))

    res = minimize_scalar(negative, bounds=(0.0, top), method="bounded", options={"xatol": 1e-13 * top})
    return max(-res.fun, -negative(top * (1 - 1e-12)), 0.0)


def index_ossb(inst, state, t, params, rng):
    """OSSB (Combes, Magureanu, Proutiere 2017) on the outcome structure, from its docstring:
    exploit (the arms of largest estimated mean sum_o Qhat[a,o] mean_o) when every suboptimal
    choice x has N_x >= (1 + gamma) eta_x ln t; else s += 1 (once per round) and play the choice
    with fewest observations if it has at most eps * s, else the suboptimal choice of smallest
    N_x / eta_x. Deterministic map: choices are outcomes (N_o pooled), eta_o = 1/kl(mean_o, mean*);
    stochastic kernel: choices are arms, eta_a = 1/K_inf(Qhat[a]; means of the outcomes seen,
    mean*). eta is recomputed when t >= 1.1 x the t of the last solve (and at least one pull
    later), and on a deterministic map also when the estimated best outcome changes.
    Returns an index whose argmax (ties uniform) is the play."""
    eps, gamma = float(params.get("eps", 0.01)), float(params.get("gamma", 0.0))
    K, m = inst.K, inst.m
    if not hasattr(state, "ossb"):
        state.ossb = {"s": 0, "last_t": None, "next_solve": 0.0, "eta": np.zeros(K), "eta_o": np.zeros(m),
                      "best_o": None}
    mem = state.ossb
    fresh = mem["last_t"] != t
    mem["last_t"] = t
    if (state.N_arm == 0).any():
        return np.where(state.N_arm == 0, 1.0, 0.0)
    seen = state.N_out > 0
    mean = np.array([state.S_out[o] / state.N_out[o] if seen[o] else -math.inf for o in range(m)])
    Qhat = state.qhat()
    if inst.deterministic:
        phi = np.array([int(np.flatnonzero(state.counts[a])[0]) for a in range(K)])
        arm_mean = mean[phi]
    else:
        arm_mean = np.array([sum(Qhat[a, o] * mean[o] for o in range(m) if Qhat[a, o] > 0) for a in range(K)])
    best = arm_mean.max()
    log_t = math.log(max(t, 1))
    if inst.deterministic:
        seen_o = [o for o in range(m) if seen[o]]
        best_o = max(seen_o, key=lambda o: (mean[o], -o))  # the first outcome of largest mean
        if (fresh and t >= mem["next_solve"]) or best_o != mem["best_o"]:
            mem["eta_o"] = np.array([1.0 / _reward_kl(inst, mean[o], best) if seen[o] and mean[o] < best else 0.0
                                     for o in range(m)])
            mem["next_solve"] = max(1.1 * t, t + 1.0)
            mem["best_o"] = best_o
        eta = mem["eta_o"]
        sub = [o for o in range(m) if seen[o] and mean[o] < best]
        explore = any(state.N_out[o] < (1 + gamma) * eta[o] * log_t for o in sub)
    else:
        if fresh and t >= mem["next_solve"]:
            vmax = mean[seen].max()
            for a in range(K):
                if arm_mean[a] < best:
                    k = _k_inf(Qhat[a], np.where(seen, mean, 0.0), vmax, best)
                    mem["eta"][a] = 1.0 / k if k > 0 else 1e300
                else:
                    mem["eta"][a] = 0.0
            mem["next_solve"] = max(1.1 * t, t + 1.0)
        eta = mem["eta"]
        sub = [a for a in range(K) if arm_mean[a] < best]
        explore = any(state.N_arm[a] < (1 + gamma) * eta[a] * log_t for a in sub)
    if not explore:
        return np.where(arm_mean == best, 1.0, 0.0)
    if fresh:
        mem["s"] += 1
    if inst.deterministic:
        counts = {o: state.N_out[o] for o in range(m) if seen[o]}
        least = min(counts, key=lambda o: (counts[o], o))
        if counts[least] <= eps * mem["s"]:
            pick = least
        else:
            pick = min((o for o in sub if eta[o] > 0), key=lambda o: (state.N_out[o] / eta[o], o))
        return np.where(phi == pick, 1.0, 0.0)
    fewest = state.N_arm.min()
    if fewest <= eps * mem["s"]:
        return np.where(state.N_arm == fewest, 1.0, 0.0)
    ratios = {a: state.N_arm[a] / eta[a] for a in sub if eta[a] > 0}
    low = min(ratios.values())
    return np.array([1.0 if a in ratios and ratios[a] == low else 0.0 for a in range(K)])


def index_outcome_kl_ucb(inst, state, t, params, rng):
    """index_a = max{q in [mean_o, 1] : N_o kl(mean_o, q) <= ln t + c ln ln t}, o = phi(a) (pooled
    statistics of the arm's outcome; an arm never pulled: +inf). Deterministic maps only."""
    if not inst.deterministic:
        raise ValueError("outcome_kl_ucb needs a deterministic map")
    c = float(params.get("c", 0.0))
    rhs = math.log(t) + (c * math.log(math.log(t)) if t >= 3 else 0.0)
    index = np.empty(inst.K)
    for a in range(inst.K):
        if state.N_arm[a] == 0:
            index[a] = math.inf
            continue
        o = int(inst.phi[a])
        index[a] = kl_upper(state.S_out[o] / state.N_out[o], state.N_out[o], rhs)
    return index


def index_uniform(inst, state, t, params, rng):
    """Uniformly random play: every arm scores 0, so the argmax (ties uniform) is a uniform arm at
    every pull (no "each arm once" phase; observations are ignored). With a batch penalty the
    draw is uniform over the least-penalised arms."""
    return np.zeros(inst.K)


def index_oracle(inst, state, t, params, rng):
    """The oracle knows the instance: score theta_a = sum_o Q[a, o] mu_o, so the argmax
    (ties uniform) is a uniformly random best arm at every pull."""
    Q = np.asarray(inst.Q, dtype=np.float64)
    mu = np.asarray(inst.mu, dtype=np.float64)
    return Q @ mu


ARM_INDEX = {
    "greedy": index_greedy,
    "epsilon_greedy": index_greedy,
    "ucb1": index_ucb1,
    "kl_ucb": index_kl_ucb,
    "thompson": index_thompson,
    "outcome_ucb": index_outcome_ucb,
    "outcome_thompson": index_outcome_thompson,
    "ossb": index_ossb,
    "outcome_kl_ucb": index_outcome_kl_ucb,
    "uniform": index_uniform,
    "oracle": index_oracle,
}
def index_outcome_level_uniform(inst, state, t, params, rng, reachable):
    """Uniformly random play over the outcomes outcome control can choose (all score 0)."""
    return np.where(reachable, 0.0, -math.inf)


OUTCOME_INDEX = {
    "outcome_level_ucb": index_outcome_level_ucb,
    "outcome_level_thompson": index_outcome_level_thompson,
    "outcome_level_uniform": index_outcome_level_uniform,
}

# Every agent this file implements, name -> its index rule (arm rules take
# (inst, state, t, params, rng); outcome rules also take `reachable`).  A test checks
# that the package's built-in agents are exactly these names.
NAIVE_AGENTS = {**ARM_INDEX, **OUTCOME_INDEX}
assert set(NAIVE_AGENTS) == set(AGENTS)


# ----------------------------------------------------------------------------------
# One run
# ----------------------------------------------------------------------------------
def run_naive(inst, agent, params, horizon, batch=1, lam=0.0, rng=None, checkpoints=None):
    """Run one agent for `horizon` pulls.  Returns a dict of float arrays, one value per
    checkpoint (pull count; default [horizon]), taken right after that pull."""
    if agent not in AGENTS:
        raise ValueError(f"unknown agent {agent!r}; expected one of {AGENTS}")
    if inst.rewards not in REWARDS:
        raise ValueError(f"unknown rewards {inst.rewards!r}")
    params = dict(params or {})
    if "epsilon" in params and "eps" not in params:
        params["eps"] = params["epsilon"]
    horizon = int(horizon)
    batch = int(batch)
    lam = float(lam)
    if horizon < 1 or batch < 1 or lam < 0:
        raise ValueError("need horizon >= 1, batch >= 1, lam >= 0")
    if rng is None:
        rng = np.random.default_rng()
    if checkpoints is None:
        checkpoints = [horizon]
    checkpoints = [int(c) for c in checkpoints]
    if any(c < 1 or c > horizon for c in checkpoints):
        raise ValueError("checkpoints must lie in [1, horizon]")

    K, m = int(inst.K), int(inst.m)
    Q = np.asarray(inst.Q, dtype=np.float64)
    mu = np.asarray(inst.mu, dtype=np.float64)
    theta = Q @ mu                        # arm means
    gap = theta.max() - theta             # pseudo-regret of a pull of arm a
    outcome_control = agent in OUTCOME_AGENTS

    if outcome_control:
        if not inst.deterministic:
            raise ValueError("outcome-control agents need a deterministic instance")
        phi = np.asarray(inst.phi, dtype=np.int64)
        pi0 = np.asarray(inst.pi0, dtype=np.float64)
        # outcome o can be chosen only if pi0 puts mass on {a : phi(a) = o}
        reachable = np.array([pi0[phi == o].sum() > 0 for o in range(m)])
        choices = np.flatnonzero(reachable)
    else:
        choices = np.arange(K)

    # "each arm once": the first pulls visit the choices in a random order
    # (a random permutation drawn at the start of the run)
    if agent in NO_INITIAL_PHASE:
        initial_queue = []
    else:
        initial_queue = [int(x) for x in rng.permutation(choices)]

    state = State(K, m)
    eps = float(params.get("eps", 0.1))

    # metrics
    regret = 0.0
    seen = np.zeros(m, dtype=bool)
    rounds_done = 0
    failed_rounds = 0          # completed rounds with no pull on an outcome with mu_o == 1
    round_distinct_sum = 0.0
    recorded = {}
    wanted = set(checkpoints)

    pulls = 0
    while pulls < horizon:
        n_this = min(batch, horizon - pulls)   # last round may be shorter
        t = pulls                              # observed pulls at round start
        Qhat = state.qhat()                    # stale, fixed during the round
        c = np.zeros(m)                        # penalty counts for this round
        round_results = []
        round_outcomes = np.zeros(m, dtype=bool)

        for j in range(n_this):
            # ---- the agent places one pull -------------------------------------
            if initial_queue:
                choice = initial_queue.pop(0)
            elif agent == "epsilon_greedy" and rng.random() < eps:
                # "with prob eps a uniformly random arm"
                choice = int(rng.integers(K))
            else:
                if outcome_control:
                    index = OUTCOME_INDEX[agent](inst, state, t, params, rng, reachable)
                    if lam > 0:
                        # index_o - lam c_o / n
                        index = index - lam * c / batch
                else:
                    index = ARM_INDEX[agent](inst, state, t, params, rng)
                    if lam > 0:
                        # index_a - (lam/n) sum_o Qhat[a,o] c_o
                        penalty = np.zeros(K)
                        for a in range(K):
                            for o in range(m):
                                penalty[a] += Qhat[a, o] * c[o]
                        index = index - (lam / batch) * penalty
                choice = argmax_random(index, rng)

            # ---- the environment ------------------------------------------------
            if outcome_control:
                o = choice
                # arm drawn from pi0 restricted to {a : phi(a) = o}, renormalised
                w = np.where(phi == o, pi0, 0.0)
                a = int(rng.choice(K, p=w / w.sum()))
                c[o] += 1.0    # times o was already chosen in this round
            else:
                a = choice
                o = int(rng.choice(m, p=Q[a] / Q[a].sum()))
                c += Qhat[a]   # c_o = sum over placed pulls b of Qhat[b, o]
            r = draw_reward(inst, o, rng)
            round_results.append((a, o, r))

            # ---- per-pull metrics -----------------------------------------------
            pulls += 1
            regret += gap[a]
            seen[o] = True
            round_outcomes[o] = True

            # ---- end of round: the agent observes all results -------------------
            if j == n_this - 1:
                for (aa, oo, rr) in round_results:
                    state.update(aa, oo, rr)
                rounds_done += 1
                if not any(mu[oo] == 1.0 for (_, oo, _) in round_results):
                    failed_rounds += 1
                round_distinct_sum += float(round_outcomes.sum())

            if pulls in wanted:
                recorded[pulls] = {
                    "regret": regret,
                    "distinct": float(seen.sum()),
                    "pass_regret": float(failed_rounds),
                    "round_distinct": (round_distinct_sum / rounds_done) if rounds_done else 0.0,
                }

    return {key: np.array([recorded[cp][key] for cp in checkpoints], dtype=np.float64)
            for key in METRICS}


def simulate_naive(inst, agent, params, horizon, runs, seed, batch=1, lam=0.0):
    """`runs` independent runs (child seeds spawned from `seed`); returns a dict of
    arrays of shape (runs,) with the metrics at the final pull."""
    children = np.random.SeedSequence(seed).spawn(int(runs))
    out = {key: np.zeros(int(runs)) for key in METRICS}
    for i, child in enumerate(children):
        res = run_naive(inst, agent, params, horizon, batch=batch, lam=lam,
                        rng=np.random.default_rng(child))
        for key in METRICS:
            out[key][i] = res[key][-1]
    return out


if __name__ == "__main__":
    inst = SimpleInstance(np.eye(3), [0.3, 0.5, 0.7])
    res = simulate_naive(inst, "ucb1", {"alpha": 2.0}, horizon=1000, runs=20, seed=0)
    print(inst, "ucb1 T=1000 runs=20:",
          {k: round(float(v.mean()), 3) for k, v in res.items()})
    one = run_naive(inst, "ucb1", {}, 1000, rng=np.random.default_rng(1),
                    checkpoints=[10, 100, 1000])
    print("checkpoints [10, 100, 1000]:", {k: v.tolist() for k, v in one.items()})
