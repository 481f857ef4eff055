"""The environment: an instance as the arrays the compiled loop reads, and its answer to a choice.

:class:`Environment` is a named tuple of plain arrays and numbers (Numba passes it to compiled
code as it is); :func:`environment` builds it from an :class:`~bandits.instances.Instance`;
:func:`step` is the environment's side of one pull: the arm played (under outcome control, drawn
from pi0 restricted to the arms of the chosen outcome), its outcome and its reward. Every random
draw of the environment happens in :func:`step`, in this order: the arm (outcome control), the
outcome (stochastic kernel), the reward (Bernoulli or Gaussian).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

#: Who chooses; the agent picks an arm (R1) or an outcome (R2).
CONTROLS = {"arm": 0, "outcome": 1}
#: Reward laws, by the code the compiled loop reads; r ~ Bernoulli(mu_o), r ~ N(mu_o, sigma^2),
#: or r = mu_o exactly (verifiable). A new law is a name here and a branch of :func:`draw_reward`.
REWARD_LAWS = {"bernoulli": 0, "gaussian": 1, "verifiable": 2}


class Environment(NamedTuple):
    """An instance as the compiled loop reads it (K arms, m outcomes)."""

    control: int            # CONTROLS code
    each_once: bool         # the agent starts by visiting every choice once, in a random order
    deterministic: bool     # one-hot kernel: the outcome of arm a is phi[a]
    phi: np.ndarray         # (K,) outcome of each arm (zeros for a stochastic kernel)
    q_cdf: np.ndarray       # (K, m) cumulative kernel rows, last column exactly 1
    mu: np.ndarray          # (m,) outcome means
    law: int                # REWARD_LAWS code
    sigma: float            # Gaussian noise
    gaps: np.ndarray        # (K,) theta* - theta_a: the pseudo-regret of a pull of arm a
    correct: np.ndarray     # (m,) outcomes with reward 1 on a verifiable instance
    group_ptr: np.ndarray   # (m + 1,) outcome control: arms of outcome o are group_arms[ptr[o]:ptr[o+1]]
    group_arms: np.ndarray  # (K,) arms sorted by outcome
    group_cdf: np.ndarray   # (K,) cumulative pi0 restricted to each group

    @property
    def n_choices(self) -> int:
        return self.q_cdf.shape[0] if self.control == CONTROLS["arm"] else self.q_cdf.shape[1]


@njit(cache=True)
def draw_categorical(cdf, lo, hi):
    """An index in [lo, hi) drawn from the cumulative weights ``cdf[lo:hi]`` (last one = 1)."""
    j = lo + np.searchsorted(cdf[lo:hi], np.random.random(), side="right")
    return min(j, hi - 1)


@njit(cache=True)
def draw_reward(law, mean, sigma):
    """One reward of a pull whose outcome has mean ``mean`` (see REWARD_LAWS)."""
    if law == 0:
        return 1.0 if np.random.random() < mean else 0.0
    if law == 1:
        return mean + sigma * np.random.standard_normal()
    return mean


@njit(cache=True)
def draw_arm(choice, group_ptr, group_arms, group_cdf):
    """Outcome control: the arm pulled for outcome ``choice``, drawn from pi0 restricted to its arms."""
    return group_arms[draw_categorical(group_cdf, group_ptr[choice], group_ptr[choice + 1])]


@njit(cache=True)
def draw_outcome(q_cdf, a):
    """A stochastic kernel: the outcome of a pull of arm ``a``, drawn from Q[a]."""
    return draw_categorical(q_cdf[a], 0, q_cdf.shape[1])


@njit(cache=True)
def step(env, choice):
    """The environment's answer to ``choice`` (an arm, or an outcome): ``(arm, outcome, reward)``.

    The run loop does the same in three lines on the unpacked fields (reading an array out of a
    tuple at every pull costs reference counts, which roughly halves the speed of a light agent):
    the arm (:func:`draw_arm` under outcome control), the outcome (:func:`draw_outcome` under a
    stochastic kernel), the reward (:func:`draw_reward`).
    """
    a = choice if env.control == 0 else draw_arm(choice, env.group_ptr, env.group_arms, env.group_cdf)
    o = env.phi[a] if env.deterministic else draw_outcome(env.q_cdf, a)
    return a, o, draw_reward(env.law, env.mu[o], env.sigma)


def environment(instance, control: str, each_once: bool) -> Environment:
    """The :class:`Environment` of ``instance`` for an agent with this control and start."""
    K, m = instance.K, instance.m
    phi = instance.phi if instance.deterministic else np.zeros(K, np.int64)
    q_cdf = np.cumsum(instance.Q, axis=1)
    q_cdf[:, -1] = 1.0
    # outcome control: for each outcome o, the arms with phi(a) = o and pi0 restricted to them
    ptr = np.zeros(m + 1, np.int64)
    group_arms = np.zeros(max(K, 1), np.int64)
    group_cdf = np.ones(max(K, 1))
    if instance.deterministic:
        order = np.argsort(phi, kind="stable")
        group_arms[:] = order
        ptr[1:] = np.cumsum(np.bincount(phi, minlength=m))
        w = instance.pi0[order]
        for o in range(m):
            lo, hi = ptr[o], ptr[o + 1]
            if hi > lo and w[lo:hi].sum() > 0:
                c = np.cumsum(w[lo:hi]) / w[lo:hi].sum()
                c[-1] = 1.0
                group_cdf[lo:hi] = c
    return Environment(
        control=np.int64(CONTROLS[control]), each_once=bool(each_once), deterministic=bool(instance.deterministic),
        phi=np.ascontiguousarray(phi, dtype=np.int64), q_cdf=q_cdf, mu=np.array(instance.mu, dtype=np.float64),
        law=np.int64(REWARD_LAWS[instance.rewards]), sigma=float(instance.sigma),
        gaps=np.array(instance.gaps, dtype=np.float64), correct=np.array(instance.correct, dtype=np.bool_),
        group_ptr=ptr, group_arms=group_arms, group_cdf=group_cdf,
    )
