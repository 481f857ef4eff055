"""Reference curves of SPEC section 5, drawn next to measured regret.

Lai and Robbins (1985): any consistent policy has
``liminf R_T / ln T >= sum_{a: Delta_a > 0} Delta_a / kl(theta_a, theta*)``, where ``kl`` is the
Kullback-Leibler divergence of the reward distributions (Bernoulli: the binary KL; Gaussian with
a known sigma: ``Delta^2 / (2 sigma^2)``). Under outcome control (R2) the sum runs over outcomes,
with ``mu_o`` in place of ``theta_a``. Deterministic rewards make ``kl`` infinite and the term 0.

Theorem 4.2's rate: ``C sqrt(m T ln T)``; the plots draw it with C = 1.
"""

from __future__ import annotations

import numpy as np


def kl_bernoulli(p, q):
    p = np.clip(np.asarray(p, float), 0.0, 1.0)
    q = np.clip(np.asarray(q, float), 1e-15, 1 - 1e-15)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log(p / q), 0.0)
        b = np.where(p < 1, (1 - p) * np.log((1 - p) / (1 - q)), 0.0)
    return a + b


def lai_robbins_constant(instance, control: str = "arm") -> float:
    """The constant c with regret >= c ln T asymptotically (0 when every term vanishes)."""
    if control == "outcome":
        reachable = instance.reachable
        means = instance.mu[reachable]
    else:
        means = instance.theta
    best = means.max()
    gaps = best - means
    sub = gaps > 1e-12
    if not sub.any():
        return 0.0
    if instance.family == "gaussian":
        kl = gaps[sub] ** 2 / (2 * instance.sigma ** 2)
    elif instance.family == "verifiable" and instance.deterministic:
        return 0.0  # rewards are exact: one pull tells an arm's mean, kl is infinite
    else:
        kl = kl_bernoulli(means[sub], best)
    return float(np.sum(gaps[sub] / kl))


def sqrt_m_t_log_t(m: int, t) -> np.ndarray:
    t = np.asarray(t, float)
    return np.sqrt(m * t * np.log(np.maximum(t, 1.0)))
