"""Reference curves: which lower bound applies to which agent, the Graves-Lai constant, and the sqrt(m T ln T) rate.

Three asymptotic lower bounds ``liminf R_T / ln T >= c`` (docs/theory.md, "Reference curves"):

(a) :func:`lai_robbins_constant`, **outcome-blind agents** (they use rewards only). Lai and
    Robbins (1985): ``c = sum_{a: Delta_a > 0} Delta_a / kl(theta_a, theta*)``, with ``kl`` the
    divergence of the arms' reward laws: Bernoulli (an arm of a Bernoulli or verifiable instance
    pays Bernoulli(theta_a), whatever its kernel), or Gaussian with known sigma on a
    deterministic map (``Delta^2 / (2 sigma^2)``). Deterministic verifiable rewards: one pull
    tells an arm's mean, ``kl`` is infinite and ``c = 0``. A Gaussian instance with a stochastic
    kernel pays a mixture of Gaussians: no closed form, ``None``.
(b) :func:`structured_constant`, **agents that see outcomes** on a deterministic map (R1 agents
    with outcome statistics, and outcome control R2): the arms of one outcome share one reward
    law, and after one pull of an arm its outcome is known, so the problem is an m-armed bandit
    over the outcomes its arms reach: ``c = sum_{o: Delta_o > 0} Delta_o / kl(mu_o, mu*)``. K
    enters only through the first pull of each arm, an additive term that does not grow with T.
(c) Stochastic kernels, agents that see outcomes: :func:`graves_lai`, the Graves-Lai programme of
    the structure solved numerically with a certified gap (docs/theory.md section 11).

:func:`sqrt_m_t_log_t`: Theorem 4.2's upper-bound rate, drawn with constant 1 (its constant is
not known): a shape to compare with, not a bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import linprog

from ._validate import check_real
from .agents.base import control_of

from .agents.base import control_of

if TYPE_CHECKING:
    from .instances import Instance

#: Built-in agents that read outcomes (the structured bound (b) applies to them).
OUTCOME_AWARE = frozenset({"outcome_ucb", "outcome_thompson", "ossb", "outcome_kl_ucb", "outcome_level_ucb", "outcome_level_thompson",
                           "outcome_level_uniform"})
#: Minimax lower bound of Auer, Cesa-Bianchi, Freund and Schapire (2002, Theorem 5.1); for T >= K
#: every policy has regret >= MINIMAX_LOWER * sqrt(K T) on some K-armed Bernoulli instance of the
#: minimax_arms kind (one arm 1/2 + eps, the others 1/2).
MINIMAX_LOWER = 1.0 / 20.0


def kl_bernoulli(p: ArrayLike, q: ArrayLike) -> np.ndarray:
    """Binary Kullback-Leibler divergence kl(p, q), elementwise (q clipped away from 0 and 1)."""
    p = np.clip(np.asarray(p, float), 0.0, 1.0)
    q = np.clip(np.asarray(q, float), 1e-15, 1 - 1e-15)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log(p / q), 0.0)
        b = np.where(p < 1, (1 - p) * np.log((1 - p) / (1 - q)), 0.0)
    return a + b


def _constant(means, rewards, sigma):
    best = means.max()
    gaps = best - means
    sub = gaps > 1e-12
    if not sub.any():
        return 0.0
    if rewards == "gaussian":
        kl = gaps[sub] ** 2 / (2 * sigma ** 2)
    else:
        kl = kl_bernoulli(means[sub], best)
    return float(np.sum(gaps[sub] / kl))


def lai_robbins_constant(instance: Instance) -> float | None:
    """(a) The arm-level constant for outcome-blind agents (``None``: no closed form)."""
    if instance.rewards == "verifiable" and instance.deterministic:
        return 0.0  # rewards are exact: one pull tells an arm's mean
    if instance.rewards == "gaussian" and not instance.deterministic:
        return None  # an arm's reward is a mixture of Gaussians
    return _constant(np.asarray(instance.theta, float), instance.rewards, instance.sigma)


def structured_constant(instance: Instance, control: str = "arm") -> float | None:
    """(b) The outcome-level constant for agents that see outcomes (``None`` off deterministic maps).

    ``control="arm"`` sums over the outcomes some arm maps to; ``"outcome"`` over the outcomes
    that outcome control can choose (an arm with positive base probability maps to them).
    """
    if not instance.deterministic:
        return None
    if instance.rewards == "verifiable":
        return 0.0
    present = instance.reachable if control == "outcome" else np.bincount(instance.phi, minlength=instance.m) > 0
    return _constant(np.asarray(instance.mu, float)[present], instance.rewards, instance.sigma)


def lower_bound_constant(instance: Instance, agent: str, control: str | None = None) -> tuple[float | None, str]:
    """The constant of the lower bound that applies to ``agent`` on ``instance``, and its label.

    ``control``: what the agent chooses (default: as registered, ``"arm"`` for an unknown name).
    The constant is :func:`graves_lai`'s certified lower value for the agent's class:

    * outcome control: the bandit over the outcomes it can choose;
    * agents that see outcomes (:data:`OUTCOME_AWARE`): the structure, with the map known on a
      deterministic map (the agents know it is deterministic) and the kernel unknown otherwise
      (they estimate it); Gaussian rewards with a stochastic kernel: the known-kernel bound, a
      weaker one that still applies;
    * outcome-blind agents: Lai-Robbins; on a Gaussian instance with a stochastic kernel (an arm
      pays a mixture) the bound of agents that see outcomes, which applies to them as well
      (seeing more can only help).
    """
    if control is None:
        control = control_of(agent)
    if control == "outcome":
        return _cached(instance, "outcomes", True, "outcome"), "structured bound, agents that see outcomes"
    seeing = agent in OUTCOME_AWARE
    if not seeing and not (instance.rewards == "gaussian" and not instance.deterministic):
        return _cached(instance, "rewards", True, "arm"), "Lai-Robbins, outcome-blind agents"
    who = "agents that see outcomes" if seeing else "agents that see outcomes (also bounds outcome-blind ones)"
    if instance.deterministic:
        return _cached(instance, "outcomes", True, "arm"), f"structured bound, {who}"
    if instance.rewards == "gaussian":
        return _cached(instance, "outcomes", True, "arm"), f"Graves-Lai, kernel known, {who}"
    return _cached(instance, "outcomes", False, "arm"), f"Graves-Lai, kernel unknown, {who}"


_CACHE: dict = {}


def _cached(instance: Instance, observes: str, map_known: bool, control: str) -> float:
    """``graves_lai(...).lower``, memoised by the instance's content (panels ask once per agent)."""
    key = (instance.fingerprint(), observes, map_known, control)
    if key not in _CACHE:
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = graves_lai(instance, observes=observes, map_known=map_known, control=control).lower
    return _CACHE[key]


def sqrt_m_t_log_t(m: int, t: ArrayLike) -> np.ndarray:
    """``sqrt(m t ln t)``, Theorem 4.2's rate with constant 1."""
    t = np.asarray(t, float)
    return np.sqrt(m * t * np.log(np.maximum(t, 1.0)))


def ucb1_upper_bound(means: ArrayLike, T: float) -> float:
    """Auer, Cesa-Bianchi and Fischer's (2002, Theorem 1) finite-time bound on UCB1's expected regret
    over T pulls of arms with these means (rewards in [0, 1]):
    ``sum_{a: Delta_a > 0} (8 ln T / Delta_a + (1 + pi^2 / 3) Delta_a)``. On outcomes (the means of
    the outcomes the arms reach) it bounds outcome-level UCB (UCB1 on the m outcomes), whatever K."""
    means = np.asarray(means, float)
    gaps = means.max() - means
    gaps = gaps[gaps > 1e-12]
    return float(np.sum(8.0 * np.log(T) / gaps + (1.0 + np.pi ** 2 / 3.0) * gaps))


# ---------------------------------------------------------------------------------------------
# The Graves-Lai constant (docs/theory.md section 11)
# ---------------------------------------------------------------------------------------------
OBSERVES = ("rewards", "outcomes")
_CAP = 1.0 - 1e-12   # Bernoulli means of the confusing parameters stay in [0, 1 - 1e-12]


@dataclass(frozen=True)
class GravesLai:
    """The Graves-Lai constant ``C`` of an instance, certified: ``lower <= C <= upper``.

    ``eta`` (one entry per arm; 0 on optimal arms, which are pulled ~T times) is a feasible
    allocation of cost ``upper``: a uniformly good agent must pull arm ``a`` about
    ``eta_a ln T`` times. ``value`` is ``upper``; ``gap = upper / lower - 1`` (0 when exact).
    ``method`` says how it was computed (``"closed form"``, ``"cutting planes (convex inner)"``,
    ``"cutting planes (branch and bound inner)"``), ``iterations`` the linear programmes solved.
    """

    lower: float
    upper: float
    eta: np.ndarray
    observes: str
    map_known: bool
    method: str
    iterations: int = 0

    @property
    def value(self) -> float:
        return self.upper

    @property
    def gap(self) -> float:
        return self.upper / self.lower - 1.0 if self.lower > 0 else (0.0 if self.upper == 0 else math.inf)


@dataclass(frozen=True)
class _Model:
    """A structure for the solver: arm ``a`` shows an outcome ``o ~ P[a]`` and a reward of mean ``mu_o``.

    ``family``: "bernoulli", "gaussian" (``sigma``) or "exact" (the reward is ``mu_o``).
    ``fixed[o]``: the outcome's law cannot change (the optimal arms produce it).
    ``kernel_known``: confusing parameters keep ``P`` (else they may change the row of the arm
    they make optimal).
    """

    P: np.ndarray
    mu: np.ndarray
    family: str
    sigma: float
    kernel_known: bool

    @cached_property
    def theta(self) -> np.ndarray:
        return self.P @ self.mu

    @cached_property
    def gaps(self) -> np.ndarray:
        g = self.theta.max() - self.theta
        return np.where(g > 1e-12, g, 0.0)

    @cached_property
    def fixed(self) -> np.ndarray:
        return (self.P[self.gaps == 0] > 0).any(axis=0)

    def kl(self, p, q):
        if self.family == "gaussian":
            return (np.asarray(q, float) - p) ** 2 / (2 * self.sigma ** 2)
        return kl_bernoulli(p, q)


def _alternatives(model: _Model) -> list[int]:
    """The suboptimal arms some confusing parameter can make optimal (one constraint family each)."""
    star = model.theta.max()
    out = []
    for b in np.flatnonzero(model.gaps > 0):
        q, free = model.P[b], ~model.fixed
        if model.family == "gaussian" and (free & (q > 0)).any():
            out.append(int(b))
            continue
        top = np.where(free, 1.0, model.mu)  # Bernoulli means can rise to 1
        best = q @ top if model.kernel_known else top.max()
        if best > star + 1e-12:
            out.append(int(b))
    return out


def graves_lai(instance: Instance, observes: str = "outcomes", map_known: bool = True, control: str = "arm",
               tol: float = 1e-10, max_iter: int = 200) -> GravesLai:
    """The Graves-Lai constant ``C``: ``liminf R_T / ln T >= C`` for every uniformly good agent.

    ``C = min_{eta >= 0} sum_a eta_a Delta_a`` subject to ``sum_a eta_a KL_a(theta, lambda) >= 1``
    for every confusing parameter ``lambda`` (same observation law at the optimal arms, another
    arm optimal), with ``KL_a`` the divergence of what the agent observes when it pulls ``a``.

    observes : "rewards" (outcome-blind agents: each arm is its own reward law; Lai-Robbins) or
        "outcomes" (the agent sees the outcome and its reward: the arms share the outcomes' laws).
    map_known : with ``observes="outcomes"``, whether the agent knows the kernel Q (on a
        deterministic map an agent that knows the map is deterministic learns it in one pull).
        When it does not, ``lambda`` may also change the kernel row of the arm it makes optimal.
    control : "outcome" for agents that choose outcomes (deterministic maps): an unstructured
        bandit over the outcomes they can choose.
    tol : relative gap at which the cutting planes stop (at least 1e-3 is enforced on the
        branch-and-bound path, whose default is 1e-4).

    Method (docs/theory.md section 11): cutting planes. A linear programme over ``eta`` with the
    constraints of finitely many ``lambda`` gives a lower value of ``C`` (fewer constraints); for
    each alternative best arm the inner problem ``min_lambda sum_a eta_a KL_a`` is solved with a
    certified lower bound (a Lagrange dual when the kernel is known: convex; a monotone branch
    and bound over the raised outcome means when it is not), and ``eta`` divided by the smallest
    certified inner value is feasible: an upper value. Its ``lambda`` is added as a cut.
    """
    if observes not in OBSERVES:
        raise ValueError(f"observes must be one of {', '.join(OBSERVES)}; got {observes!r}")
    if control not in ("arm", "outcome"):
        raise ValueError(f"control must be 'arm' or 'outcome'; got {control!r}")
    tol = check_real(tol, "tol", low=0.0, low_open=True)
    K = instance.K
    rewards = instance.rewards
    if control == "outcome":
        if not instance.deterministic:
            raise ValueError("control='outcome' needs a deterministic map")
        keep = np.flatnonzero(instance.reachable)
        model = _Model(np.eye(keep.size), np.asarray(instance.mu, float)[keep],
                       "exact" if rewards == "verifiable" else rewards, instance.sigma, True)
        res = _solve(model, tol, max_iter)
        eta = np.zeros(instance.m)
        eta[keep] = res.eta  # per outcome
        return replace(res, eta=eta, observes=observes, map_known=True)
    if observes == "rewards":
        if rewards == "gaussian" and not instance.deterministic:
            raise ValueError("observes='rewards' on a Gaussian instance with a stochastic kernel: an arm pays a "
                             "mixture of Gaussians, outside the one-parameter families the solver knows")
        exact = rewards == "verifiable" and instance.deterministic
        model = _Model(np.eye(K), np.asarray(instance.theta, float), "exact" if exact else
                       ("gaussian" if rewards == "gaussian" else "bernoulli"), instance.sigma, True)
        return replace(_solve(model, tol, max_iter), observes=observes, map_known=True)
    known = bool(map_known) or False
    if not known and rewards == "gaussian":
        raise ValueError("map_known=False is solved for Bernoulli and verifiable rewards only (Gaussian means are "
                         "unbounded, so the branch and bound has no finite box)")
    if rewards == "verifiable" and not known:
        # exact rewards: an observed outcome's reward can never change, so only the kernel row of the
        # arm made optimal moves, toward outcomes worth 1: the arm's reward law, Bernoulli(theta_b)
        model = _Model(np.eye(K), np.asarray(instance.theta, float), "bernoulli", 1.0, True)
        return replace(_solve(model, tol, max_iter), observes=observes, map_known=False)
    if not known and instance.deterministic and (np.bincount(instance.phi, minlength=instance.m) > 0).all():
        # every outcome has an arm: moving b's row toward outcome c costs at least raising mu_c,
        # which the constraints of c's own arms already price (docs/theory.md section 11, (c))
        known = True
        note = "; deterministic map, every outcome produced: the kernel-known value"
    else:
        note = ""
    model = _Model(np.asarray(instance.Q, float), np.asarray(instance.mu, float),
                   "exact" if rewards == "verifiable" else rewards, instance.sigma, known)
    res = _solve(model, tol if known else max(tol, 1e-4), max_iter)
    return replace(res, observes=observes, map_known=bool(map_known), method=res.method + note)


def _solve(model: _Model, tol: float, max_iter: int) -> GravesLai:
    K = model.P.shape[0]
    gaps = model.gaps
    alts = _alternatives(model)
    if not alts:
        return GravesLai(0.0, 0.0, np.zeros(K), "", True, "closed form (no arm can be made optimal)")
    if model.family == "exact":
        # any observation of a changed outcome has infinite divergence: arbitrarily small pulls suffice
        return GravesLai(0.0, 0.0, np.zeros(K), "", True, "closed form (exact rewards)")
    sub = np.flatnonzero(gaps > 0)
    inner = _inner_known if model.kernel_known else _inner_unknown
    cuts = [c for b in alts for c in _initial_cuts(model, b)]
    lower, upper, best_eta, history, previous, stalled = 0.0, math.inf, None, [], None, 0
    it = 0
    for it in range(1, max_iter + 1):
        A = -np.array(cuts)[:, sub]
        lp = linprog(gaps[sub], A_ub=A, b_ub=-np.ones(len(cuts)), bounds=(0, None), method="highs",
                     options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
        if lp.status != 0:
            raise RuntimeError(f"graves_lai: the linear programme failed ({lp.message})")
        eta = np.zeros(K)
        eta[sub] = np.maximum(lp.x, 0.0)
        # certified lower value: the LP's dual y >= 0, scaled until A^T y <= Delta holds exactly
        y = np.maximum(-np.asarray(lp.ineqlin.marginals, float), 0.0)
        load = -A.T @ y
        scale = np.min(np.where(load > 0, gaps[sub] / np.where(load > 0, load, 1.0), np.inf))
        if y.sum() > 0 and np.isfinite(scale):
            lower = max(lower, float(y.sum() * min(scale, 1.0)))
        # certified upper values: an allocation divided by the smallest certified inner value is
        # feasible (each inner value is linear in eta); tried at the LP's vertex and at the mean of
        # the recent vertices (the inner values are concave in eta, so the mean does at least as well)
        history.append(eta)
        new = []
        for cand in [eta] + ([np.mean(history[-8:], axis=0)] if len(history) > 1 else []):
            low_v = math.inf
            for b in alts:
                v_low, v_up, coeff = inner(model, cand, b, tol / 4)
                low_v = min(low_v, v_low)
                if v_up < 1.0 - tol / 4:
                    new.append(coeff)
            if low_v > 0 and float(gaps @ cand) / low_v < upper:
                upper = float(gaps @ cand) / low_v
                best_eta = cand / low_v
        progress = (lower, upper)
        stalled = stalled + 1 if progress == previous else 0
        previous = progress
        if upper <= lower * (1 + tol) or not new or stalled >= 3:
            break
        cuts.extend(new)
    method = "cutting planes (convex inner)" if model.kernel_known else "cutting planes (branch and bound inner)"
    if best_eta is None:
        raise RuntimeError("graves_lai: no certified allocation found")
    upper = max(upper, lower)
    if sub.size == len(alts) and model.P.shape == (K, K) and (model.P == np.eye(K)).all():
        method = "cutting planes (convex inner); unstructured: Lai-Robbins"
    return GravesLai(lower, upper, best_eta, "", model.kernel_known, method, it)


def _initial_cuts(model: _Model, b: int) -> list[np.ndarray]:
    """Cuts of simple confusing parameters for alternative ``b``: raise one outcome of ``b``'s row
    alone (when that suffices), or all its free outcomes by the same share of their room."""
    star = model.theta.max()
    q, mu, free = model.P[b], model.mu, ~model.fixed
    cuts = []
    room = np.where(free & (q > 0), 1.0 - mu, 0.0) if model.family == "bernoulli" else None
    if model.family == "gaussian":
        for o in np.flatnonzero(free & (q > 0)):
            x = mu.copy()
            x[o] += (star - q @ mu) / q[o] * (1 + 1e-12)
            cuts.append(model.P @ model.kl(mu, x))
    else:
        for o in np.flatnonzero(free & (q > 0)):
            x = mu.copy()
            x[o] = mu[o] + (star - q @ mu) / q[o] * (1 + 1e-12)
            if x[o] <= _CAP:
                cuts.append(model.P @ model.kl(mu, x))
        total = q @ room
        if total > 0 and q @ mu + total > star:
            s = min((star - q @ mu) / total * (1 + 1e-12), 1.0)
            x = np.minimum(mu + s * room, _CAP)
            if q @ x >= star:
                cuts.append(model.P @ model.kl(mu, x))
    if not model.kernel_known:
        v_low, v_up, coeff = _inner_unknown(model, np.ones(model.P.shape[0]), b, 1e-2)
        cuts.append(coeff)
    if not cuts:  # only the unknown-kernel route makes b optimal
        cuts.append(_inner_unknown(model, np.ones(model.P.shape[0]), b, 1e-2)[2])
    return cuts


def _x_of(model: _Model, w, s):
    """argmin over x >= mu of ``w kl(mu, x) - s x`` (elementwise; s >= 0)."""
    mu = model.mu
    if model.family == "gaussian":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w > 0, mu + s * model.sigma ** 2 / np.where(w > 0, w, 1.0), np.where(s > 0, np.inf, mu))
    # root in [mu, 1) of s x^2 + (w - s) x - w mu = 0, in a form stable for small s
    d = w - s
    disc = np.sqrt(np.maximum(d * d + 4 * s * w * mu, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        big = np.where(d >= 0, 2 * w * mu / (d + disc), (disc - d) / (2 * s))
    x = np.where(w > 0, big, np.where(s > 0, 1.0, mu))
    return np.clip(np.where(np.isfinite(x), x, mu), mu, _CAP)


def _inner_known(model: _Model, eta, b, tol):
    """``min_x sum_o w_o kl(mu_o, x_o)`` s.t. ``P[b] . x >= theta*``, the fixed outcomes kept.

    Convex; the Lagrange dual ``D(nu)`` is maximised by bisection on ``nu`` (the constraint is
    increasing in it). Returns (certified lower value ``D``, primal value, cut coefficients)."""
    star = model.theta.max()
    w = model.P.T @ eta
    q = np.where(model.fixed, 0.0, model.P[b])
    need = star - model.P[b] @ model.mu  # what the free outcomes must add: sum q_o (x_o - mu_o)
    mu = model.mu

    def x_at(nu):
        x = _x_of(model, w, nu * q)
        return np.where(q > 0, x, mu)

    def dual(nu, x):
        return float(np.sum(w * model.kl(mu, x)) - nu * (q @ (x - mu) - need))

    lo, hi = 0.0, 1.0
    while q @ (x_at(hi) - mu) < need:
        hi *= 4.0
        if hi > 1e30:
            raise RuntimeError("graves_lai: inner problem without a feasible point")
    for _ in range(200):
        mid = 0.5 * (lo + hi) if hi < 2 * lo or lo == 0 else math.sqrt(lo * hi)
        if q @ (x_at(mid) - mu) >= need:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-15 * hi:
            break
    x = x_at(hi)
    kl = np.where(q > 0, model.kl(mu, x), 0.0)
    kl = np.where(np.isfinite(kl), kl, 0.0)
    primal = float(w @ kl)
    d = max(dual(hi, x), dual(lo, x_at(lo)))
    if not np.isfinite(d):
        d = 0.0
    return min(d, primal), primal, model.P @ kl


# -- unknown kernel: monotone branch and bound ------------------------------------------------
def _kinf(p, X, vmax, c):
    """``K_inf``: ``min KL(p || q)`` over laws q on the values ``X`` (plus an atom at ``vmax``)
    with mean >= c (Honda and Takemura 2010): ``max_{0 <= l <= 1/(vmax - c)} sum p log(1 - l (X - c))``.

    Vectorised over the rows of ``X`` (boxes, (n, s)); ``vmax`` (n,). Concave in l: bisection on
    the derivative. Returns the value at the best l found, a lower bound of the maximum within
    the bisection's tolerance (and 0 where the mean p.X already reaches c)."""
    n = X.shape[0]
    out = np.zeros(n)
    mean = X @ p
    todo = mean < c
    inf = todo & (vmax <= c + 1e-15)
    out[inf] = np.inf
    todo &= ~inf
    if not todo.any():
        return out
    Xt, vt = X[todo], vmax[todo]
    lo, hi = np.zeros(len(vt)), 1.0 / (vt - c)
    # the derivative at the right end: if still positive, the maximum is there
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        deriv = -(p * (Xt - c) / np.maximum(1 - mid[:, None] * (Xt - c), 1e-300)).sum(axis=1)
        up = deriv > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    out[todo] = (p * np.log(np.maximum(1 - lo[:, None] * (Xt - c), 1e-300))).sum(axis=1)
    return out


def _kinf_law(p, x, vmax, c):
    """A law q on the values x (plus an atom at vmax) with mean >= c and KL(p || q) close to K_inf:
    the tilt p / (1 - l (x - c)) at the dual optimum, normalised, then mixed with the atom as
    little as the mean needs. Returns (q on x, mass at vmax, KL(p || q))."""
    l = 0.0
    if p @ x < c:
        lo, hi = 0.0, 1.0 / (vmax - c)
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if -(p * (x - c) / np.maximum(1 - mid * (x - c), 1e-300)).sum() > 0:
                lo = mid
            else:
                hi = mid
        l = lo
    q = p / np.maximum(1 - l * (x - c), 1e-300)
    q = q / q.sum()
    mean = q @ x
    alpha = 0.0
    if mean < c:
        alpha = min(1.0, (c - mean) / (vmax - mean) * (1 + 1e-12))
    q = (1 - alpha) * q
    if alpha > 0 and vmax <= x.max():  # the atom is one of the row's own values
        q[int(np.argmax(x))] += alpha
        alpha = 0.0
    pos = p > 0
    kl = float(np.sum(p[pos] * np.log(p[pos] / q[pos])))
    return q, alpha, kl


def _unknown_cut(model: _Model, eta, b, x_supp, supp, z, R):
    """Cut coefficients of the confusing parameter of a branch-and-bound point: the raised means
    (b's row at ``x_supp``, the cheapest outcome outside it at ``z``), and b's row moved to the
    ``K_inf`` law. Feasible by construction (its mean reaches theta*)."""
    star = model.theta.max()
    mu, free = model.mu, ~model.fixed
    w = model.P.T @ eta
    x = mu.copy()
    x[supp] = x_supp
    p = model.P[b]
    others = [o for o in range(len(mu)) if p[o] == 0]
    vmax = float(x_supp.max())
    if others:
        if z is not None:
            costs = [(0.0 if z <= mu[o] and (free[o] or mu[o] > star) else
                      (w[o] * float(kl_bernoulli(mu[o], z)) if free[o] else np.inf), o) for o in others]
            cost, c = min(costs)
            x[c] = max(mu[c], z)
        else:
            c = max(others, key=lambda o: mu[o])
        if x[c] > vmax:
            vmax = float(x[c])
    _, alpha, klq = _kinf_law(p[supp], x_supp, vmax, star)
    kl = np.where(np.isfinite(model.kl(mu, x)), model.kl(mu, x), 0.0)
    coeff = model.P @ kl
    coeff[b] += klq
    return coeff


def _unknown_setup(model: _Model, b):
    p = model.P[b]
    supp = np.flatnonzero(p > 0)
    free = ~model.fixed
    R = [o for o in supp if free[o]]
    others = [o for o in range(model.P.shape[1]) if p[o] == 0]
    return p, supp, R, others


def _inner_unknown(model: _Model, eta, b, tol, max_boxes=4000):
    """``min over (q, x)`` of ``eta_b KL(P[b] || q) + sum_o w_o kl(mu_o, x_o)`` s.t. ``q . x >= theta*``.

    Bilinear: for fixed outcome means x the kernel part is ``eta_b K_inf(P[b], x, theta*)``
    (convex, one-dimensional dual), decreasing in every x_o; the means part increases in them.
    So over a box ``[l, u]`` of the raised means (the free outcomes of b's row, plus the mean z of
    the best outcome outside the row, where q may put new mass) the objective is at least
    ``sum w kl(mu, l) + h(l_z) + eta_b K_inf(x = u, z = u_z)``: a monotone branch and bound,
    best-first, splitting the widest side, until the best value found is within ``tol`` of the
    smallest box bound (or ``max_boxes`` boxes; the bound returned is certified either way)."""
    star = model.theta.max()
    mu = model.mu
    w = model.P.T @ eta
    p, supp, R, others = _unknown_setup(model, b)
    free = ~model.fixed
    eb = float(eta[b])
    ps = p[supp]
    base_x = mu[supp].copy()
    r_idx = [int(np.flatnonzero(supp == o)[0]) for o in R]
    # new mass: the outcome outside b's row with the highest reachable mean
    free_others = [o for o in others if free[o]]
    z0 = max([mu[o] for o in others], default=-np.inf)
    has_z = bool(free_others)
    if any(w[o] == 0 for o in free_others):  # an outcome nobody observes: its mean is free up to 1
        has_z, z0 = False, _CAP

    def h(z):
        """The cheapest way to have an outcome outside the row with mean >= z."""
        best = np.full(np.shape(z), np.inf)
        for o in others:
            if free[o]:
                cost = np.where(z <= mu[o], 0.0, w[o] * kl_bernoulli(mu[o], np.minimum(z, _CAP)))
            else:  # a fixed outcome serves as an atom only if it beats theta*
                cost = np.where((z <= mu[o]) & (mu[o] > star), 0.0, np.inf)
            best = np.minimum(best, cost)
        return best

    d = len(R) + (1 if has_z else 0)
    lows = np.array([mu[o] for o in R] + ([max(z0, star)] if has_z else []), float)
    highs = np.array([_CAP] * len(R) + ([_CAP] if has_z else []), float)

    def values(L, U):
        """(lower bound over the box, value at the box's upper corner)."""
        def parts(Xr, z):
            X = np.tile(base_x, (Xr.shape[0], 1))
            if r_idx:
                X[:, r_idx] = Xr
            vmax = X.max(axis=1)
            if others:
                vmax = np.maximum(vmax, z if has_z else np.full(len(vmax), z0))
            k = _kinf(ps, X, vmax, star)
            return X, k
        def cost(P):
            c = (w[R] * kl_bernoulli(mu[R], P[:, :len(R)])).sum(axis=1) if R else np.zeros(len(P))
            return c + h(P[:, -1]) if has_z else c

        def kernel_part(P):
            k = parts(P[:, :len(R)], P[:, -1] if has_z else None)[1]
            return np.where(np.isinf(k), np.inf, eb * np.where(np.isinf(k), 0.0, k))  # infeasible whatever eta_b

        lb = cost(L) + kernel_part(U)
        # values at three points of the box (its centre; its top with z at its bottom, where the
        # cost of z jumps; its top corner), each attained by a feasible lambda (q from K_inf)
        pts = [0.5 * (L + U), U.copy(), U]
        if has_z:
            pts[1][:, -1] = L[:, -1]
        vals = np.array([cost(P) + kernel_part(P) for P in pts])
        k = np.argmin(vals, axis=0)
        return lb, vals[k, np.arange(len(L))], np.stack(pts)[k, np.arange(len(L))]

    if d == 0:
        X = base_x[None, :]
        vmax = np.array([max(X.max(), z0 if others else -np.inf)])
        v = float(eb * _kinf(ps, X, vmax, star)[0])
        return v, v, _unknown_cut(model, eta, b, base_x, supp, _CAP if z0 == _CAP else None, None)
    floor, best_val, best_U = _branch_and_bound(values, lows[None, :], highs[None, :], tol, max_boxes)
    xr = best_U[:len(R)]
    z = best_U[-1] if has_z else (_CAP if z0 == _CAP else None)
    x = base_x.copy()
    if r_idx:
        x[r_idx] = xr
    return max(floor, 0.0), best_val, _unknown_cut(model, eta, b, x, supp, z, R)


def _branch_and_bound(values, L, U, tol, max_boxes):
    """Best-first monotone branch and bound from the one box ``[L, U]`` (rows: boxes): ``values``
    maps boxes to (lower bounds, best values found in them, where); the lowest-bound boxes are split
    on their widest side until the best value is within ``tol`` of the smallest bound, or
    ``max_boxes`` boxes. Returns (certified lower bound, best value, its point)."""
    lb, vu, pu = values(L, U)
    best_val, best_U = float(vu[0]), pu[0]
    boxes_L, boxes_U, boxes_lb = L, U, lb
    n = 1
    while True:
        i = int(np.argmin(boxes_lb))
        floor = float(boxes_lb[i])
        if best_val - floor <= tol * max(best_val, 1e-300) or n >= max_boxes:
            break
        # split the lowest-bound boxes (up to 64 at a time), each on its widest side
        order = np.argsort(boxes_lb)[:64]
        order = order[boxes_lb[order] < best_val * (1 - tol)]
        if order.size == 0:
            break
        keep = np.ones(len(boxes_lb), bool)
        keep[order] = False
        Ls, Us = boxes_L[order], boxes_U[order]
        j = np.argmax(Us - Ls, axis=1)
        mid = 0.5 * (Ls[np.arange(len(j)), j] + Us[np.arange(len(j)), j])
        L1, U1 = Ls.copy(), Us.copy()
        U1[np.arange(len(j)), j] = mid
        L2, U2 = Ls.copy(), Us.copy()
        L2[np.arange(len(j)), j] = mid
        NL, NU = np.vstack([L1, L2]), np.vstack([U1, U2])
        nlb, nvu, npu = values(NL, NU)
        k = int(np.argmin(nvu))
        if nvu[k] < best_val:
            best_val, best_U = float(nvu[k]), npu[k]
        boxes_L = np.vstack([boxes_L[keep], NL])
        boxes_U = np.vstack([boxes_U[keep], NU])
        boxes_lb = np.concatenate([boxes_lb[keep], nlb])
        prune = boxes_lb < best_val * (1 - tol * 0.5) + 1e-300
        boxes_L, boxes_U, boxes_lb = boxes_L[prune], boxes_U[prune], boxes_lb[prune]
        n += 2 * len(order)
        if len(boxes_lb) == 0:
            break
    floor = min(float(boxes_lb.min()) if len(boxes_lb) else best_val, best_val)
    return floor, best_val, best_U
