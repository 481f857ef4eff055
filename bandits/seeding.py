"""Random seeds: one SeedSequence tree, keyed by what is simulated (rlberry style).

The root of a simulation is ``SeedSequence([seed, *key])`` where ``key`` is a hash of the
instance's arrays, the agent and its parameters, the horizon and the batch size: two different
cells of a sweep never share random numbers, and adding a cell never changes another. Run ``i``
gets the ``i``-th spawned child, so the first runs do not depend on how many runs there are, nor
on which thread or process computes them.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ._validate import check_int


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
    """One 32-bit seed per run for Numba's generator, from ``SeedSequence([seed, *key])``."""
    root = np.random.SeedSequence([seed, *key])
    return np.array([child.generate_state(1, np.uint32)[0] for child in root.spawn(runs)], dtype=np.uint32)
