"""Multi-question instances for the policy-gradient learners (R3; docs/theory.md section 5).

X questions share K arms (strategies, the traces a model can produce); question x maps arm a to
answer ``phi[x, a]`` in [0, m). Answer 0 is the correct answer of every question and pays 1; the
others pay 0 (verifiable rewards). The base policy ``pi0`` over arms is shared.

:func:`transfer` builds the setting of claim C4: a few "good" strategies answer the easy questions
correctly, while each hard question is answered correctly only by rare strategies, so that a
policy that collapses onto the good strategies (learning on easy questions) loses the hard ones.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validate import Param, TomlView, check_int, declared


class Questions:
    """X questions over K shared arms, m answers each (answer 0 correct).

    Attributes: ``X``, ``K``, ``m``, ``phi`` (X x K ints), ``pi0`` (K,), ``hard`` (X bools,
    the questions built to be hard; informational), ``name``.
    """

    def __init__(self, phi: ArrayLike, pi0: ArrayLike | None = None, m: int | None = None,
                 hard: ArrayLike | None = None, name: str | None = None):
        phi = np.asarray(phi)
        if phi.ndim != 2 or phi.size == 0 or not np.issubdtype(phi.dtype, np.integer):
            raise ValueError("phi must be a non-empty 2-D array of integers (questions x arms)")
        if phi.min() < 0:
            raise ValueError("phi values must be >= 0 (answer indices)")
        X, K = phi.shape
        m = int(phi.max()) + 1 if m is None else check_int(m, "m", low=2)
        if phi.max() >= m:
            raise ValueError(f"phi values must lie in [0, m) with m = {m}")
        if pi0 is None:
            pi0 = np.full(K, 1.0 / K)
        pi0 = np.asarray(pi0, dtype=np.float64)
        if pi0.shape != (K,) or (pi0 < 0).any() or abs(pi0.sum() - 1) > 1e-9:
            raise ValueError(f"pi0 must be K = {K} non-negative probabilities summing to 1")
        self.phi = np.ascontiguousarray(phi, dtype=np.int64)
        self.pi0 = pi0
        self.m = m
        self.hard = np.zeros(X, bool) if hard is None else np.asarray(hard, bool)
        self.name = name or f"questions(X={X}, K={K}, m={m})"
        for arr in (self.phi, self.pi0, self.hard):
            arr.setflags(write=False)

    @property
    def X(self) -> int:
        return self.phi.shape[0]

    @property
    def K(self) -> int:
        return self.phi.shape[1]

    def p_correct(self) -> np.ndarray:
        """pi0's probability of the correct answer, per question."""
        return ((self.phi == 0) * self.pi0).sum(axis=1)

    def fingerprint(self) -> bytes:
        return b"|".join([np.int64([self.X, self.K, self.m]).tobytes(), self.phi.tobytes(), self.pi0.tobytes()])

    def describe(self) -> dict:
        return {"name": self.name, "X": self.X, "K": self.K, "m": self.m}

    def __repr__(self) -> str:
        p = self.p_correct()
        return (f"Questions({self.name!r}: X={self.X}, K={self.K}, m={self.m}, pi0(correct) from {p.min():.3g} "
                f"to {p.max():.3g}, {int(self.hard.sum())} hard)")


@declared(X=Param(doc="questions", integer=True, low=1), K=Param(doc="arms (strategies)", integer=True, low=2),
          m=Param(doc="answers", integer=True, low=2), frac_hard=Param(doc="share of hard questions", low=0.0, high=1.0),
          good=Param(doc="share of good strategies", low=0.0, high=1.0, low_open=True, high_open=True),
          easy_share=Param(doc="good strategies right on an easy question", low=0.0, high=1.0, low_open=True),
          hard_correct=Param(doc="arms right on a hard question", integer=True, low=1),
          zipf_s=Param(doc="Zipf exponent of wrong answers", low=0.0), seed=Param(doc="seed", integer=True, low=0))
def transfer(*, X: int = 40, K: int = 200, m: int = 16, frac_hard: float = 0.5, good: float = 0.1,
             easy_share: float = 0.5, hard_correct: int = 1, zipf_s: float = 1.0, seed: int = 0) -> Questions:
    """Easy questions solved by shared good strategies, hard ones by rare strategies (claim C4).

    The first ``round(good * K)`` arms are the good strategies. On an easy question a random
    ``easy_share`` of them gives the correct answer; on a hard question ``hard_correct`` random
    arms outside the good ones do. Every other arm gives a wrong answer 1..m-1 drawn from a Zipf
    law with exponent ``zipf_s`` (a few popular wrong answers). pi0 is uniform, so pi0's chance of
    the correct answer is about ``good * easy_share`` on easy questions and ``hard_correct / K`` on
    hard ones. The last ``round(frac_hard * X)`` questions are hard.
    """
    n_good = max(1, round(good * K))
    hard_correct = check_int(hard_correct, "hard_correct", low=1, high=K - n_good)
    rng = np.random.default_rng(seed)
    weights = np.arange(1, m, dtype=float) ** -zipf_s
    weights /= weights.sum()
    phi = 1 + rng.choice(m - 1, size=(X, K), p=weights)
    n_hard = round(frac_hard * X)
    hard = np.arange(X) >= X - n_hard
    for x in range(X):
        if hard[x]:
            phi[x, rng.choice(np.arange(n_good, K), size=hard_correct, replace=False)] = 0
        else:
            phi[x, rng.choice(n_good, size=max(1, round(easy_share * n_good)), replace=False)] = 0
    return Questions(phi, m=m, hard=hard,
                     name=f"transfer(X={X}, K={K}, m={m}, hard={frac_hard:g}, good={good:g}, seed={seed})")


def from_arrays(*, phi: ArrayLike, pi0: ArrayLike | None = None, m: int | None = None) -> Questions:
    """Questions from an answer map ``phi`` (X x K, answer 0 correct) and a base policy."""
    return Questions(phi, pi0=pi0, m=m)


GENERATORS = {"transfer": transfer, "from_arrays": from_arrays}
#: The generators experiment files may name (``[questions] generator = ...``): all but ``from_arrays``.
TOML_GENERATORS = TomlView(GENERATORS)
