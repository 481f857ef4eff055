"""Reference curves: which lower bound applies to which agent, and the sqrt(m T ln T) rate.

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
(c) Stochastic kernels, agents that see outcomes: the Graves-Lai bound of that structure needs a
    numerical optimisation; we draw no curve (``None``) and say so on the figures.

:func:`sqrt_m_t_log_t`: Theorem 4.2's upper-bound rate, drawn with constant 1 (its constant is
not known): a shape to compare with, not a bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .agents.base import control_of

if TYPE_CHECKING:
    from .instances import Instance

#: Built-in agents that read outcomes (the structured bound (b) applies to them).
OUTCOME_AWARE = frozenset({"outcome_ucb", "outcome_thompson", "outcome_level_ucb", "outcome_level_thompson",
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
    """
    if control is None:
        control = control_of(agent)
    if agent in OUTCOME_AWARE or control == "outcome":
        return structured_constant(instance, control), "structured bound, agents that see outcomes"
    return lai_robbins_constant(instance), "Lai-Robbins, outcome-blind agents"


def sqrt_m_t_log_t(m: int, t: ArrayLike) -> np.ndarray:
    """``sqrt(m t ln t)``, Theorem 4.2's rate with constant 1."""
    t = np.asarray(t, float)
    return np.sqrt(m * t * np.log(np.maximum(t, 1.0)))
