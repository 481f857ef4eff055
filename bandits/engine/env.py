"""The environment: an instance as the arrays the compiled loop reads, and its answer to a choice.

:class:`Environment` is a named tuple of plain arrays and numbers (Numba passes it to compiled
code as it is); :func:`environment` builds it from an :class:`~bandits.instances.Instance`;
:func:`step` is the environment's side of one pull: the arm played (under outcome control, drawn
from pi0 restricted to the arms of the chosen outcome), its outcome and its reward.

Common random numbers (a counter-based generator)
-------------------------------------------------
The environment does not use ``np.random``: every number it draws is a hash of integers, so the
outcome and the reward of the j-th pull of arm a in a run are a function of ``(env_seed, a, j)``
only, whatever the agent did before (SPEC 6, common random numbers). Two agents run on the same
environment seed meet the same "tape" of outcomes and rewards per arm, and their difference of
regret is measured in pairs.

* The hash is SplitMix64's output function :func:`mix64` (Steele, Lea and Flood 2014; the
  finaliser of MurmurHash3 with Stafford's "variant 13" constants): two multiplications and three
  xor-shifts, a bijection of 64-bit words with full avalanche.
* A *stream* is a 64-bit key; the j-th number of stream ``key`` is ``mix64(key + (j + 1) G)``
  with G = 0x9E3779B97F4A7C15 (a SplitMix64 sequence started at ``key``), turned into a uniform
  on [0, 1) from its top 53 bits (:func:`counter_uniform`).
* A run has one stream per (tag, index), keyed by ``stream_key(env_seed, tag, i) =
  mix64(mix64(env_seed ^ tag) + (i + 1) G)``, with three tags (distinct 64-bit constants):
  ``TAG_REWARD`` (index: the arm; j counts the pulls of the arm; Bernoulli: ``1{u_j < mu}``;
  Gaussian: Box-Muller on numbers 2j and 2j + 1, exact), ``TAG_OUTCOME`` (index: the arm; the
  outcome of its j-th pull drawn from Q[a] by inversion, stochastic kernels only) and ``TAG_ARM``
  (index: the outcome; under outcome control, the arm returned for the j-th choice of outcome o,
  drawn from pi0 restricted to the arms of o by inversion). Under outcome control the reward of
  the arm returned still comes from that arm's own reward stream, at that arm's own count.
* The keys of a run are computed once at its start (:func:`new_streams`: one ``uint64`` array
  of ``2K + m`` keys) with the counters beside them (one ``int64`` array of ``K + m``); a pull
  costs a counter increment, a multiply-add and one :func:`mix64`, about as much as
  ``np.random.random()``.

The agent's own randomness (tie-breaks, posterior samples, the random first-visit order,
exploration coins) stays on Numba's ``np.random``, seeded per run from the cell's key (see
:mod:`bandits.seeding`), a separate stream.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, uint64

#: Who chooses; the agent picks an arm (R1) or an outcome (R2).
CONTROLS = {"arm": 0, "outcome": 1}
#: Reward laws, by the code the compiled loop reads; r ~ Bernoulli(mu_o), r ~ N(mu_o, sigma^2),
#: or r = mu_o exactly (verifiable). A new law is a name here and a branch of :func:`draw_reward`.
REWARD_LAWS = {"bernoulli": 0, "gaussian": 1, "verifiable": 2}

#: SplitMix64's increment (the golden ratio in 64 bits).
GAMMA = np.uint64(0x9E3779B97F4A7C15)
#: Stream tags: the reward of a pull of an arm, the outcome of a pull of an arm (stochastic kernel),
#: the arm returned for a choice of an outcome (outcome control). Arbitrary distinct 64-bit words.
TAG_REWARD = np.uint64(0x5245574152445F31)   # "REWARD_1"
TAG_OUTCOME = np.uint64(0x4F5554434F4D4532)  # "OUTCOME2"
TAG_ARM = np.uint64(0x41524D5F4452574E)      # "ARM_DRWN"
TAGS = {"reward": TAG_REWARD, "outcome": TAG_OUTCOME, "arm": TAG_ARM}
_TO_UNIT = 1.0 / 9007199254740992.0  # 2^-53
_TWO_PI = 2.0 * np.pi


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


# ----------------------------------------------------------------------------- the generator

@njit(cache=True, inline="always")
def mix64(z):
    """SplitMix64's output function: a bijection of ``uint64`` words with full avalanche."""
    z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
    return z ^ (z >> uint64(31))


@njit(cache=True, inline="always")
def counter_bits(key, j):
    """The j-th 64-bit number (j >= 0) of the stream ``key``."""
    return mix64(key + (uint64(j) + uint64(1)) * GAMMA)


@njit(cache=True, inline="always")
def counter_uniform(key, j):
    """The j-th uniform on [0, 1) (53 bits) of the stream ``key``."""
    return np.float64(counter_bits(key, j) >> uint64(11)) * _TO_UNIT


@njit(cache=True, inline="always")
def stream_key(env_seed, tag, i):
    """The key of stream ``i`` (an arm, or an outcome) with ``tag`` in the run of ``env_seed``."""
    return mix64(mix64(uint64(env_seed) ^ tag) + (uint64(i) + uint64(1)) * GAMMA)


@njit(cache=True)
def new_streams(env_seed, K, m):
    """A run's stream keys and counters: ``keys`` (2K + m,) uint64 = reward keys of the arms,
    outcome keys of the arms, arm-draw keys of the outcomes; ``counts`` (K + m,) int64 = pulls of
    each arm so far, choices of each outcome so far (outcome control)."""
    keys = np.empty(2 * K + m, np.uint64)
    for a in range(K):
        keys[a] = stream_key(env_seed, TAG_REWARD, a)
        keys[K + a] = stream_key(env_seed, TAG_OUTCOME, a)
    for o in range(m):
        keys[2 * K + o] = stream_key(env_seed, TAG_ARM, o)
    return keys, np.zeros(K + m, np.int64)


@njit(cache=True)
def crn_uniforms(env_seed, tag, i, n):
    """Numbers ``0 .. n-1`` of stream (``tag``, ``i``) in the run of ``env_seed``, as uniforms on
    [0, 1) (for tests, and for reading a run's tape from Python)."""
    key = stream_key(env_seed, tag, i)
    out = np.empty(n)
    for j in range(n):
        out[j] = counter_uniform(key, j)
    return out


# ----------------------------------------------------------------------------- the draws

@njit(cache=True, inline="always")
def draw_categorical(cdf, lo, hi, u):
    """The index in [lo, hi) of the uniform ``u`` under the cumulative weights ``cdf[lo:hi]`` (last one = 1)."""
    j = lo + np.searchsorted(cdf[lo:hi], u, side="right")
    return min(j, hi - 1)


@njit(cache=True, inline="always")
def standard_normal(u1, u2):
    """Box-Muller: an exact standard normal from two uniforms on [0, 1)."""
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(_TWO_PI * u2)


@njit(cache=True, inline="always")
def draw_reward(law, mean, sigma, key, j):
    """The reward of the j-th pull of an arm whose reward stream is ``key`` and outcome has mean ``mean``."""
    if law == 0:
        return 1.0 if counter_uniform(key, j) < mean else 0.0
    if law == 1:
        return mean + sigma * standard_normal(counter_uniform(key, 2 * j), counter_uniform(key, 2 * j + 1))
    return mean


@njit(cache=True, inline="always")
def draw_arm(choice, group_ptr, group_arms, group_cdf, key, j):
    """Outcome control: the arm returned for the j-th choice of outcome ``choice`` (stream ``key``),
    drawn from pi0 restricted to its arms."""
    return group_arms[draw_categorical(group_cdf, group_ptr[choice], group_ptr[choice + 1], counter_uniform(key, j))]


@njit(cache=True, inline="always")
def draw_outcome(q_cdf, a, key, j):
    """A stochastic kernel: the outcome of the j-th pull of arm ``a`` (stream ``key``), drawn from Q[a]."""
    return draw_categorical(q_cdf[a], 0, q_cdf.shape[1], counter_uniform(key, j))


@njit(cache=True)
def step(env, choice, keys, counts):
    """The environment's answer to ``choice`` (an arm, or an outcome): ``(arm, outcome, reward)``.

    ``keys, counts`` are the run's streams (:func:`new_streams`); the counters advance. The run
    loop does the same in a few lines on the unpacked fields (reading an array out of a tuple at
    every pull costs reference counts, which roughly halves the speed of a light agent).
    """
    K = env.q_cdf.shape[0]
    if env.control == 0:
        a = choice
    else:
        a = draw_arm(choice, env.group_ptr, env.group_arms, env.group_cdf, keys[2 * K + choice], counts[K + choice])
        counts[K + choice] += 1
    j = counts[a]
    counts[a] = j + 1
    o = env.phi[a] if env.deterministic else draw_outcome(env.q_cdf, a, keys[K + a], j)
    return a, o, draw_reward(env.law, env.mu[o], env.sigma, keys[a], j)


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
