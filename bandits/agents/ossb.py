"""OSSB, Optimal Sampling for Structured Bandits (Combes, Magureanu and Proutiere, NeurIPS 2017), for
the outcome structure; arm control (R1; docs/theory.md section 11).

OSSB plays the allocation of the Graves-Lai programme (:func:`bandits.theory.graves_lai`) computed
at the estimated parameter, with a little forced exploration. Each arm once, then at each pull
with ``t`` pulls observed::

    if every suboptimal choice x has N_x >= (1 + gamma) eta_x(theta_hat) ln t:   exploit
        play an arm of largest estimated mean theta_hat_a = sum_o Qhat[a, o] mean_o
    else:  s += 1 (exploration rounds)
        x = the choice with fewest observations; if N_x <= eps * s: play x        (estimation)
        else play the suboptimal choice of smallest N_x / eta_x(theta_hat)       (exploration)

A choice, its count ``N_x`` and its allocation ``eta_x`` (per unit of ln t) depend on the structure:

* **deterministic map** (the agent knows the map is deterministic, so one pull of an arm tells its
  outcome): a choice is an outcome, ``N_o`` its observations pooled over its arms, and the
  programme's solution is ``eta_o = 1 / kl(mean_o, mean*)`` for the outcomes below the best
  (docs/theory.md section 11, reduction (b)); playing an outcome plays one of its arms (uniformly).
* **stochastic kernel** (estimated, ``Qhat``): a choice is an arm, ``N_a`` its pulls, and
  ``eta_a = 1 / K_inf(Qhat[a]; mean, theta_hat*)``, the smallest divergence of a law over the
  outcome means with mean theta_hat* from the arm's outcome law (Honda and Takemura 2010). This is
  the programme's solution when the best arm's kernel row gives every outcome positive
  probability (then every outcome's mean is pinned by the best arm and the programme separates
  by arm; section 11, reduction (d)); otherwise it is the separable approximation.

``kl`` is that of the reward law (Bernoulli; Gaussian ``Delta^2 / (2 sigma^2)`` on deterministic
maps; exact verifiable rewards: infinite, so ``eta = 0`` and OSSB exploits). The allocation is
re-solved (m divergences, or K ``K_inf`` problems) only when ``t`` has grown by 10% since the last
solve, or, on a deterministic map, when the estimated best outcome changes; between solves the
stored ``eta`` is used with the current ``ln t`` and the current estimated best. A lazy update:
the estimates converge and the allocation is continuous in them, which is what OSSB's analysis
uses. Combes et al.
prove ``limsup R_T / ln T <= C(theta) F(eps, gamma)`` with ``F -> 1`` as ``eps, gamma -> 0``; the
defaults are ``eps = 0.01, gamma = 0``.
"""

import numpy as np
from numba import njit

from .base import Param, define_agent
from .kl_ucb import kl_bernoulli

# params: [eps, gamma, deterministic, family (0 Bernoulli, 1 Gaussian, 2 exact), sigma]
_FAMILIES = {"bernoulli": 0.0, "gaussian": 1.0, "verifiable": 2.0}


def ossb_params(instance, values):
    return [values["eps"], values["gamma"], 1.0 if instance.deterministic else 0.0, _FAMILIES[instance.rewards],
            instance.sigma]


def ossb_requires(instance):
    if not instance.deterministic and instance.rewards == "gaussian":
        return ("OSSB's stochastic-kernel allocation (K_inf over the outcome means) is for rewards in [0, 1]; "
                "Gaussian rewards with a stochastic kernel are not supported")
    return None


@njit(cache=True)
def init(K, m, params):
    # N_o, S_o, outcome counts per arm, N_a, phi (first outcome seen, -1 none), scalars
    # [s, last t, next solve, best outcome at the last solve], eta per arm (stochastic kernel),
    # mean per outcome (scratch), eta per outcome (deterministic map)
    return (np.zeros(m), np.zeros(m), np.zeros((K, m)), np.zeros(K), np.full(K, -1, np.int64),
            np.array([0.0, -1.0, 0.0, -1.0]), np.zeros(K), np.zeros(m), np.zeros(m))


@njit(cache=True)
def divergence(p, q, family, sigma):
    """kl of the reward law between means p < q (infinite for exact rewards)."""
    if family == 2.0:
        return np.inf
    if family == 1.0:
        return (q - p) * (q - p) / (2.0 * sigma * sigma)
    return kl_bernoulli(p, q)


@njit(cache=True)
def k_inf(counts_a, n_a, mean, seen, c):
    """``K_inf(Qhat[a]; mean, c)``: max over 0 <= l <= 1 / (vmax - c) of
    sum_o Qhat[a, o] log(1 - l (mean_o - c)), vmax the largest mean of the outcomes seen
    (the law may move mass to any of them). 0 if the arm's mean reaches c, inf if vmax <= c."""
    m = mean.shape[0]
    avg, vmax = 0.0, -np.inf
    for o in range(m):
        if seen[o]:
            vmax = max(vmax, mean[o])
        if counts_a[o] > 0:
            avg += counts_a[o] / n_a * mean[o]
    if avg >= c:
        return 0.0
    if vmax <= c:
        return np.inf
    lo, hi = 0.0, 1.0 / (vmax - c)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        d = 0.0
        for o in range(m):
            if counts_a[o] > 0:
                d -= counts_a[o] / n_a * (mean[o] - c) / max(1.0 - mid * (mean[o] - c), 1e-300)
        if d > 0.0:
            lo = mid
        else:
            hi = mid
    v = 0.0
    for o in range(m):
        if counts_a[o] > 0:
            v += counts_a[o] / n_a * np.log(max(1.0 - lo * (mean[o] - c), 1e-300))
    return v


@njit(cache=True)
def _estimates(n_o, s_o, counts, n_a, phi, det, mean, out):
    """The outcome means into ``mean``, the arm means into ``out`` (inf: never pulled); returns the
    best seen outcome and the best arm mean."""
    K, m = out.shape[0], mean.shape[0]
    top = -1
    for o in range(m):
        mean[o] = s_o[o] / n_o[o] if n_o[o] > 0 else -np.inf
        if n_o[o] > 0 and (top < 0 or mean[o] > mean[top]):
            top = o
    best = -np.inf
    for a in range(K):
        v = 0.0
        if n_a[a] == 0:
            v = np.inf
        elif det == 1.0:
            v = mean[phi[a]]
        else:
            for o in range(m):
                if counts[a, o] > 0:
                    v += counts[a, o] / n_a[a] * mean[o]
        out[a] = v
        best = max(best, v)
    return top, best


@njit(cache=True)
def _solve_outcomes(mean, seen, best, top, eta_o, scal, t, family, sigma):
    """Deterministic map: the outcome allocation ``eta_o = 1 / kl(mean_o, best)`` (outcomes below the
    best), and when it is next due."""
    for o in range(mean.shape[0]):
        eta_o[o] = 1.0 / divergence(mean[o], best, family, sigma) if seen[o] and mean[o] < best else 0.0
    scal[2] = max(t * 1.1, t + 1.0)
    scal[3] = top


@njit(cache=True)
def _arms_short(counts, n_a, mean, seen, best, eta, scal, solve, t, log_t, gamma, out):
    """Stochastic kernel: re-solve the arm allocation if due; is an arm below its share?"""
    K = out.shape[0]
    if solve:
        for a in range(K):
            if out[a] < best:
                k = k_inf(counts[a], n_a[a], mean, seen, best)
                eta[a] = 1.0 / k if k > 0.0 else 1e300  # K_inf = 0: rounding; explore the arm
            else:
                eta[a] = 0.0
        scal[2] = max(t * 1.1, t + 1.0)
    explore = False
    for a in range(K):
        if out[a] < best and n_a[a] < (1.0 + gamma) * eta[a] * log_t:
            explore = True
    return explore


@njit(cache=True)
def _explore_outcome(n_o, mean, seen, best, eta_o, phi, eps, s, out):
    """Deterministic map: the arms of the least observed outcome (estimation) or of the outcome of
    smallest N_o / eta_o (exploration)."""
    least, fewest = -1, np.inf
    for o in range(mean.shape[0]):
        if seen[o] and n_o[o] < fewest:
            least, fewest = o, n_o[o]
    pick = least
    if fewest > eps * s:
        pick, ratio = -1, np.inf
        for o in range(mean.shape[0]):
            if seen[o] and mean[o] < best and eta_o[o] > 0:
                r = n_o[o] / eta_o[o]
                if r < ratio:
                    pick, ratio = o, r
    for a in range(out.shape[0]):
        out[a] = 1.0 if phi[a] == pick else 0.0


@njit(cache=True)
def _explore_arm(n_a, best, eta, eps, s, out):
    """Stochastic kernel: the least pulled arms (estimation) or the suboptimal arms of smallest
    N_a / eta_a (exploration)."""
    K = out.shape[0]
    fewest = np.inf
    for a in range(K):
        fewest = min(fewest, n_a[a])
    if fewest <= eps * s:
        for a in range(K):
            out[a] = 1.0 if n_a[a] == fewest else 0.0
        return
    ratio = np.inf
    for a in range(K):
        if out[a] < best and eta[a] > 0:
            ratio = min(ratio, n_a[a] / eta[a])
    for a in range(K):
        out[a] = 1.0 if out[a] < best and eta[a] > 0 and n_a[a] / eta[a] == ratio else 0.0


@njit(cache=True)
def index(state, t, params, out):
    n_o, s_o, counts, n_a, phi, scal, eta, mean, eta_o = state
    K = out.shape[0]
    eps, gamma, det, family, sigma = params[0], params[1], params[2], params[3], params[4]
    fresh = t != scal[1]  # the first index call of a round (a batch calls it again with the same t)
    scal[1] = t
    log_t = np.log(max(t, 1))
    seen = n_o > 0
    top, best = _estimates(n_o, s_o, counts, n_a, phi, det, mean, out)
    if best == np.inf:  # an arm never pulled (a batch's first rounds): play those
        for a in range(K):
            out[a] = 1.0 if n_a[a] == 0 else 0.0
        return
    solve = fresh and t >= scal[2]
    if det == 1.0:
        if solve or top != scal[3]:
            _solve_outcomes(mean, seen, best, top, eta_o, scal, t, family, sigma)
        explore = False  # this check stays here: as a function of its own it cost ~20% of the pulls/s
        for o in range(mean.shape[0]):
            if seen[o] and mean[o] < best and n_o[o] < (1.0 + gamma) * eta_o[o] * log_t:
                explore = True
    else:
        explore = _arms_short(counts, n_a, mean, seen, best, eta, scal, solve, t, log_t, gamma, out)
    if not explore:
        for a in range(K):
            out[a] = 1.0 if out[a] == best else 0.0
        return
    if fresh:
        scal[0] += 1.0
    if det == 1.0:
        _explore_outcome(n_o, mean, seen, best, eta_o, phi, eps, scal[0], out)
    else:
        _explore_arm(n_a, best, eta, eps, scal[0], out)


@njit(cache=True)
def update(state, arm, outcome, reward, params):
    n_o, s_o, counts, n_a, phi = state[0], state[1], state[2], state[3], state[4]
    n_o[outcome] += 1.0
    s_o[outcome] += reward
    counts[arm, outcome] += 1.0
    n_a[arm] += 1.0
    if phi[arm] < 0:
        phi[arm] = outcome


ossb = define_agent("ossb", init=init, index=index, update=update,
                    params={"eps": Param(0.01, "forced-exploration share", low=0.0),
                            "gamma": Param(0.0, "exploration slack", low=0.0)},
                    prepare=ossb_params, requires=ossb_requires, doc=__doc__)
