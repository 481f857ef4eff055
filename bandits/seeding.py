"""Random seeds: one SeedSequence tree per stream, keyed by what is simulated (rlberry style).

A run has two independent sources of randomness:

* **The agent's** (tie-breaks, posterior samples, the random first-visit order, exploration
  coins): Numba's ``np.random``, seeded per run by :func:`run_seeds` from
  ``SeedSequence([seed, *key])`` where ``key`` is a hash of the instance's arrays, the agent and
  its parameters, the horizon and the batch size: two different cells of a sweep never share
  these numbers, and adding a cell never changes another.
* **The environment's** (outcomes, rewards, the arm returned under outcome control): a
  counter-based generator (:mod:`bandits.engine.env`) keyed by one 64-bit *environment seed* per
  run, :func:`env_seeds`, from ``SeedSequence([seed, *ENV_WORDS, *instance_key])``: it depends on
  the seed, the instance's content and the run index only, **not** on the agent, its parameters,
  the horizon or the batch. So every agent simulated with the same seed on the same instance
  meets the same outcomes and rewards in run ``i`` (common random numbers; see
  :func:`bandits.compare`).

Run ``i`` gets the ``i``-th spawned child of each tree, so the first runs do not depend on how
many runs there are, nor on which thread or process computes them.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ._validate import check_int

#: Words that separate the environment's tree from the agents' (a hash of the word "environment").
ENV_WORDS = [int(w) for w in np.frombuffer(hashlib.sha256(b"environment").digest()[:8], dtype=np.uint32)]


def resolve_seed(seed) -> int:
    """``seed`` as a non-negative int; ``None`` draws fresh entropy (recorded in the result)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    return check_int(seed, "seed", low=0)


def content_key(*parts: bytes) -> list[int]:
    """32-bit words of a SHA-256 hash of ``parts``."""
    digest = hashlib.sha256(b"\x00".join(parts)).digest()
    return [int(w) for w in np.frombuffer(digest, dtype=np.uint32)]


def run_seeds(seed: int, key: list[int], runs: int) -> np.ndarray:
    """One 32-bit seed per run for Numba's generator (the agent's stream), from ``SeedSequence([seed, *key])``."""
    root = np.random.SeedSequence([seed, *key])
    return np.array([child.generate_state(1, np.uint32)[0] for child in root.spawn(runs)], dtype=np.uint32)


def env_seeds(seed: int, instance_key: list[int], runs: int) -> np.ndarray:
    """One 64-bit environment seed per run, from ``SeedSequence([seed, *ENV_WORDS, *instance_key])``.

    ``instance_key`` is ``content_key(instance.fingerprint())``: nothing about the agent, the
    horizon or the batch enters, so every agent meets the same environment in run ``i``.
    """
    root = np.random.SeedSequence([seed, *ENV_WORDS, *instance_key])
    return np.array([child.generate_state(1, np.uint64)[0] for child in root.spawn(runs)], dtype=np.uint64)
