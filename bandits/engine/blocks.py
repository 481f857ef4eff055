"""Runs shared among threads: the compiled loops release the GIL, so blocks of runs use every core."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np


def run_in_blocks(work, runs: int, n_jobs: int) -> None:
    """Call ``work(lo, hi)`` on ``n_jobs`` contiguous blocks of the runs, in threads.

    The compiled loops release the GIL, so the threads run on separate cores; every run seeds
    its own generator, so the blocks do not change any number.
    """
    blocks = np.linspace(0, runs, min(n_jobs, runs) + 1).astype(int)
    if len(blocks) <= 2:
        work(0, runs)
        return
    with ThreadPoolExecutor(len(blocks) - 1) as pool:
        list(pool.map(work, blocks[:-1], blocks[1:]))
