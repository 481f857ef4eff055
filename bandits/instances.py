"""Outcome-bandit instances: K arms, m outcomes, an outcome kernel and a reward law.

An :class:`Instance` is the model of docs/theory.md section 1. Pulling arm ``a`` draws an outcome
``o ~ Q[a]`` and a reward ``r ~ law(mu[o])``; the learner observes ``(a, o, r)``.

Reward laws (``Instance(..., rewards=...)``)
    ``"bernoulli"``   r ~ Bernoulli(mu_o), mu_o in [0, 1]
    ``"gaussian"``    r ~ Normal(mu_o, sigma)
    ``"verifiable"``  r = mu_o exactly, mu_o in {0, 1} (the final-answer checker)

Generators (keyword parameters, validated up front)
    :func:`minimax_arms`, :func:`minimax_outcomes`, :func:`needle`, :func:`llm_like`,
    :func:`random_instance`, :func:`from_arrays`.  ``GENERATORS`` maps each name (as experiment
    files write it: ``[instance] generator = "needle"``) to its function; :func:`define_generator` adds yours.
"""

from __future__ import annotations

from functools import cached_property
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._validate import Param, TomlView, check_real, declared
from .engine.env import REWARD_LAWS

__all__ = [
    "Instance",
    "minimax_arms",
    "minimax_outcomes",
    "needle",
    "llm_like",
    "random_instance",
    "from_arrays",
    "GENERATORS",
    "TOML_GENERATORS",
    "define_generator",
]

REWARDS = tuple(REWARD_LAWS)  # declared once, with their draws, in bandits/engine/env.py


class Instance:
    """An outcome bandit.

    Parameters
    ----------
    Q : array (K, m)
        Outcome kernel; row ``a`` is the distribution of the outcome of arm ``a``.
        A one-hot row is a deterministic map ``phi(a)``.
    mu : array (m,)
        Outcome means.
    rewards : {"bernoulli", "gaussian", "verifiable"}
        The reward law given the outcome.
    sigma : float
        Standard deviation of Gaussian rewards (ignored otherwise).
    pi0 : array (K,), optional
        Base policy over arms (the pre-trained model's prior); uniform by default.
    name : str, optional
        A label used in tables and plots.

    Attributes
    ----------
    K, m : int
    deterministic : bool
        Every row of ``Q`` is one-hot.
    phi : int array (K,) or None
        The outcome of each arm when ``deterministic``.
    theta : array (K,)
        Arm means ``Q @ mu``; ``theta_star`` their maximum and ``gaps`` = ``theta_star - theta``.
    """

    def __init__(self, Q: ArrayLike, mu: ArrayLike, rewards: str = "bernoulli", sigma: float = 1.0,
                 pi0: ArrayLike | None = None, name: str | None = None):
        Q = _as_float_array(Q, "Q", ndim=2)
        mu = _as_float_array(mu, "mu", ndim=1)
        K, m = Q.shape
        if K < 1 or m < 1:
            raise ValueError(f"Q must have K >= 1 rows (arms) and m >= 1 columns (outcomes), got shape {Q.shape}")
        if mu.shape[0] != m:
            raise ValueError(f"mu must have one mean per outcome (m = {m}), got length {mu.shape[0]}")
        if (Q < 0).any():
            a = int(np.argwhere(Q < 0)[0, 0])
            raise ValueError(f"Q must be non-negative; row {a} has a negative entry")
        sums = Q.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-9)
        if bad.size:
            raise ValueError(f"each row of Q must sum to 1; row {bad[0]} sums to {sums[bad[0]]:.6g}")
        if rewards not in REWARDS:
            raise ValueError(f"rewards must be one of {', '.join(REWARDS)}; got {rewards!r}")
        if rewards == "bernoulli" and ((mu < 0) | (mu > 1)).any():
            raise ValueError("mu must lie in [0, 1] for Bernoulli rewards")
        if rewards == "verifiable" and not np.isin(mu, (0.0, 1.0)).all():
            raise ValueError("mu must be 0 or 1 for verifiable rewards")
        sigma = check_real(sigma, "sigma", low=0.0, low_open=True)
        if pi0 is None:
            pi0 = np.full(K, 1.0 / K)
        else:
            pi0 = _as_float_array(pi0, "pi0", ndim=1)
            if pi0.shape[0] != K:
                raise ValueError(f"pi0 must have one probability per arm (K = {K}), got length {pi0.shape[0]}")
            if (pi0 < 0).any() or abs(pi0.sum() - 1.0) > 1e-9:
                raise ValueError("pi0 must be non-negative and sum to 1")
        self.Q = Q
        self.mu = mu
        self.rewards = rewards
        self.sigma = float(sigma)
        self.pi0 = pi0
        self.name = name or "instance"
        for arr in (self.Q, self.mu, self.pi0):
            arr.setflags(write=False)

    # -- derived quantities -------------------------------------------------------------
    @property
    def K(self) -> int:
        return self.Q.shape[0]

    @property
    def m(self) -> int:
        return self.Q.shape[1]

    @cached_property
    def deterministic(self) -> bool:
        return bool(((self.Q == 0.0) | (self.Q == 1.0)).all())

    @cached_property
    def phi(self):
        return np.argmax(self.Q, axis=1) if self.deterministic else None

    @cached_property
    def theta(self) -> np.ndarray:
        return self.Q @ self.mu

    @property
    def theta_star(self) -> float:
        return float(self.theta.max())

    @property
    def gaps(self) -> np.ndarray:
        return self.theta_star - self.theta

    @cached_property
    def reachable(self) -> np.ndarray:
        """Outcomes that some arm with positive base probability produces."""
        return (self.Q[self.pi0 > 0] > 0).any(axis=0)

    @property
    def correct(self) -> np.ndarray:
        """Outcomes with reward 1 on a verifiable instance (all False otherwise)."""
        if self.rewards != "verifiable":
            return np.zeros(self.m, dtype=bool)
        return self.mu == 1.0

    @property
    def has_pass_metric(self) -> bool:
        """Pass regret is defined; verifiable rewards, deterministic map, a correct arm exists."""
        return self.rewards == "verifiable" and self.deterministic and self.theta_star == 1.0

    def describe(self) -> dict:
        """Plain-value description, used for fingerprints and result provenance."""
        return {
            "name": self.name,
            "K": self.K,
            "m": self.m,
            "rewards": self.rewards,
            "sigma": self.sigma,
            "deterministic": self.deterministic,
            "theta_star": self.theta_star,
        }

    def fingerprint(self) -> bytes:
        """Bytes that identify the instance's content (used to key random seeds)."""
        parts = [self.rewards.encode(), np.float64(self.sigma).tobytes(), np.int64([self.K, self.m]).tobytes()]
        parts += [np.ascontiguousarray(a).tobytes() for a in (self.Q, self.mu, self.pi0)]
        return b"|".join(parts)

    def __repr__(self) -> str:
        kind = "deterministic map" if self.deterministic else "stochastic kernel"
        return (f"Instance({self.name!r}, K={self.K}, m={self.m}, {self.rewards}, {kind}, "
                f"theta*={self.theta_star:.4g})")


def _as_float_array(x, name, ndim):
    try:
        arr = np.array(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain only finite numbers")
    return arr


def _one_hot(phi, m):
    Q = np.zeros((len(phi), m))
    Q[np.arange(len(phi)), phi] = 1.0
    return Q


def _even_map(K, m):
    """Spread K arms over m outcomes as evenly as possible: phi(a) = a mod m."""
    return np.arange(K) % m


# -- generators ---------------------------------------------------------------------------

@declared(K=Param(doc="arms", integer=True, low=1), eps=Param(doc="advantage of arm 0", low=0.0, high=0.5))
def minimax_arms(*, K: int, eps: float) -> Instance:
    """The lower-bound instance with arm control (docs/theory.md section 2).

    m = 2 outcomes (0: wrong, reward 0; 1: correct, reward 1) with verifiable rewards.
    Every arm reaches the correct outcome with probability 1/2, arm 0 with 1/2 + eps.
    """
    Q = np.full((K, 2), 0.5)
    Q[0] = (0.5 - eps, 0.5 + eps)
    return Instance(Q, [0.0, 1.0], rewards="verifiable", name=f"minimax_arms(K={K}, eps={eps:.4g})")


@declared(K=Param(doc="arms", integer=True, low=1), m=Param(doc="outcomes", integer=True, low=1),
          eps=Param(doc="advantage of outcome 0", low=0.0, high=0.5))
def minimax_outcomes(*, K: int, m: int, eps: float) -> Instance:
    """Deterministic map spreading K arms evenly over m outcomes (phi(a) = a mod m);
    Bernoulli outcome means 1/2, outcome 0 has 1/2 + eps."""
    if K < m:
        raise ValueError(f"K must be >= m so that every outcome has an arm, got K={K}, m={m}")
    mu = np.full(m, 0.5)
    mu[0] += eps
    return Instance(_one_hot(_even_map(K, m), m), mu, rewards="bernoulli",
                    name=f"minimax_outcomes(K={K}, m={m}, eps={eps:.4g})")


@declared(K=Param(doc="arms", integer=True, low=1), m=Param(doc="outcomes", integer=True, low=1))
def needle(*, K: int, m: int = 2) -> Instance:
    """Deterministic map, verifiable rewards: arm 0 alone reaches the correct outcome 0;
    the other K - 1 arms are spread evenly over the m - 1 wrong outcomes."""
    if m == 1 and K > 1:
        raise ValueError("m must be >= 2 when K > 1 (one correct and at least one wrong outcome)")
    if K < m:
        raise ValueError(f"K must be >= m so that every outcome has an arm, got K={K}, m={m}")
    phi = np.zeros(K, dtype=np.int64)
    if K > 1:
        phi[1:] = 1 + np.arange(K - 1) % (m - 1)
    mu = np.zeros(m)
    mu[0] = 1.0
    return Instance(_one_hot(phi, m), mu, rewards="verifiable", name=f"needle(K={K}, m={m})")


@declared(K=Param(doc="arms", integer=True, low=2), m=Param(doc="outcomes", integer=True, low=2),
          zipf_s=Param(doc="Zipf exponent of the wrong answers' popularity", low=0.0),
          p_correct=Param(doc="pi0's mass on the correct answer", low=0.0, high=1.0, low_open=True, high_open=True))
def llm_like(*, K: int, m: int, zipf_s: float = 1.0, p_correct: float = 0.05) -> Instance:
    """Verifiable instance shaped like an LLM's answers to one hard question.

    Outcome 0 is the correct answer (reward 1), outcomes 1..m-1 are wrong (reward 0).
    ``max(1, round(p_correct * K))`` arms reach the correct answer and hold exactly ``p_correct``
    of pi0's mass; the other arms hold ``1 - p_correct`` uniformly and are spread over the wrong
    answers by a Zipf law (outcome j gets a share proportional to j ** -zipf_s, at least one arm),
    so a few wrong answers are popular. Deterministic map.
    """
    n_correct = min(max(1, round(p_correct * K)), K - (m - 1))
    if n_correct < 1:
        raise ValueError(f"K must be >= m so that every outcome has an arm, got K={K}, m={m}")
    n_wrong = K - n_correct
    weights = np.arange(1, m, dtype=float) ** -zipf_s
    counts = np.ones(m - 1, dtype=np.int64)            # every wrong answer reached by one arm
    extra = n_wrong - (m - 1)
    share = weights / weights.sum() * extra            # the rest by largest remainder
    counts += np.floor(share).astype(np.int64)
    rest = extra - (counts.sum() - (m - 1))
    counts[np.argsort(-(share - np.floor(share)), kind="stable")[:rest]] += 1
    phi = np.concatenate([np.zeros(n_correct, dtype=np.int64), np.repeat(np.arange(1, m), counts)])
    pi0 = np.where(phi == 0, p_correct / n_correct, (1.0 - p_correct) / n_wrong)
    pi0 /= pi0.sum()
    mu = np.zeros(m)
    mu[0] = 1.0
    return Instance(_one_hot(phi, m), mu, rewards="verifiable", pi0=pi0,
                    name=f"llm_like(K={K}, m={m}, s={zipf_s:.3g}, p={p_correct:.3g})")


@declared(K=Param(doc="arms", integer=True, low=1), m=Param(doc="outcomes", integer=True, low=1),
          seed=Param(doc="seed of the draw", integer=True, low=0),
          rewards=Param(doc="reward law", choices=REWARDS),
          deterministic=Param(doc="a deterministic map instead of Dirichlet rows", choices=(False, True)),
          sigma=Param(doc="Gaussian noise", low=0.0, low_open=True))
def random_instance(*, K: int, m: int, seed: int, rewards: str = "bernoulli", deterministic: bool = False,
                    sigma: float = 1.0) -> Instance:
    """A random instance: Dirichlet(1) kernel rows (or a uniform random map when
    ``deterministic``; every outcome gets at least one arm when K >= m) and uniform means
    (0/1 draws when ``rewards`` is "verifiable"; "bernoulli" and "gaussian" also work)."""
    rng = np.random.default_rng(seed)
    if deterministic:
        phi = rng.permutation(_even_map(K, m)) if K >= m else rng.integers(0, m, size=K)
        Q = _one_hot(phi, m)
    else:
        Q = rng.dirichlet(np.ones(m), size=K)
        Q /= Q.sum(axis=1, keepdims=True)
    mu = rng.integers(0, 2, size=m).astype(float) if rewards == "verifiable" else rng.uniform(0, 1, size=m)
    return Instance(Q, mu, rewards=rewards, sigma=sigma, name=f"random(K={K}, m={m}, seed={seed})")


def from_arrays(*, mu: ArrayLike, Q: ArrayLike | None = None, phi: ArrayLike | None = None, rewards: str = "bernoulli",
                sigma: float = 1.0, pi0: ArrayLike | None = None, name: str | None = None) -> Instance:
    """Any instance: give the kernel ``Q`` (K x m) or a deterministic map ``phi`` (K ints in [0, m))."""
    if (Q is None) == (phi is None):
        raise ValueError("give exactly one of Q (outcome kernel) or phi (deterministic map)")
    if phi is not None:
        phi_arr = np.asarray(phi)
        m = len(np.atleast_1d(mu))
        if phi_arr.ndim != 1 or not np.issubdtype(phi_arr.dtype, np.integer):
            raise ValueError("phi must be a 1-D array of integers (the outcome of each arm)")
        if phi_arr.size and (phi_arr.min() < 0 or phi_arr.max() >= m):
            raise ValueError(f"phi values must lie in [0, m) with m = len(mu) = {m}")
        Q = _one_hot(phi_arr, m)
    return Instance(Q, mu, rewards=rewards, sigma=sigma, pi0=pi0, name=name)


GENERATORS = {
    "minimax_arms": minimax_arms,
    "minimax_outcomes": minimax_outcomes,
    "needle": needle,
    "llm_like": llm_like,
    "random": random_instance,
    "from_arrays": from_arrays,
}

BUILTIN_GENERATORS = frozenset(GENERATORS)
#: The generators experiment files may name (``[instance] generator = ...``): all but ``from_arrays``.
TOML_GENERATORS = TomlView(GENERATORS)


def define_generator(name: str, generator: Callable[..., Instance], *, replace: bool = False) -> Callable[..., Instance]:
    """Make ``generator`` reachable by ``name`` from experiment files (``[instance] generator = name``).

    ``generator`` takes keyword parameters (the experiment's ``[instance]`` fields, which may be
    swept or be ``=`` expressions) and returns an :class:`Instance`. Like a custom agent, a
    generator defined in your own code exists in the process that defined it: run such sweeps with
    ``workers=1`` (``bandits.sweep.run(..., workers=1)``), or define the generator in a module that the
    worker processes import. A built-in generator is replaced only with ``replace=True``.
    Returns ``generator``.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"generator name must be an identifier, got {name!r}")
    if not callable(generator):
        raise TypeError(f"the generator {name!r} must be callable, got {type(generator).__name__}")
    if name in BUILTIN_GENERATORS and not replace:
        raise ValueError(f"{name!r} is a built-in generator; pass replace=True to replace it")
    GENERATORS[name] = generator
    return generator
