"""Runs shared among threads: the compiled loops release the GIL, so blocks of runs use every core.

A progress bar (``tqdm.auto``: a widget in Jupyter, text in a terminal) advances as blocks of
runs finish, never inside the compiled loop, so it costs nothing per pull.

Ctrl-C (SIGINT: a terminal, or Jupyter's "interrupt kernel") reaches only the main thread, and only
when it runs Python: so the main thread waits while worker threads run the compiled loops, and on a
KeyboardInterrupt it raises a flag the loops look at every few thousand pulls
(:func:`run_in_blocks`). The call then raises within a fraction of a second, worker threads ended.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import numpy as np

#: Blocks per thread when runs are split for the progress bar (and for load balance).
BLOCKS_PER_THREAD = 8
#: ``progress=None`` shows the bar only for calls that last longer than this (seconds).
AUTO_DELAY = 1.0


def blocks_of(runs: int, n_jobs: int, split: bool) -> list[tuple[int, int]]:
    """Contiguous ``(lo, hi)`` blocks covering ``range(runs)``.

    One block per thread without ``split``; with it, about ``BLOCKS_PER_THREAD`` per thread (at
    least one run each), so that a bar moves while the runs go on.
    """
    count = min(runs, n_jobs * BLOCKS_PER_THREAD if split else n_jobs)
    edges = [runs * i // count for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


def progress_bar(progress, total: int, desc: str):
    """A ``tqdm.auto`` bar over ``total`` runs, or None.

    ``progress``: True (shown from the start), False (none), None (shown only once the call has
    lasted ``AUTO_DELAY`` seconds, so short calls print nothing).
    """
    if progress is not None and not isinstance(progress, (bool, int, np.bool_)):
        raise TypeError(f"progress must be True, False or None, got {progress!r}")
    if progress is not None and not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="run", dynamic_ncols=True, delay=AUTO_DELAY if progress is None else 0)


def run_in_blocks(work, runs: int, n_jobs: int, progress=False, desc: str = "runs") -> None:
    """Call ``work(lo, hi, stop)`` on contiguous blocks of the runs, in ``n_jobs`` threads.

    The compiled loops release the GIL, so the threads run on separate cores; every run seeds
    its own generator, so the blocks do not change any number. ``progress`` (True, False or
    None: see :func:`progress_bar`) shows a bar that advances as blocks finish.

    Ctrl-C: ``stop`` is a one-element array the compiled loop reads between blocks of pulls; called
    from the main thread, the blocks run in worker threads while the main thread waits, so the
    KeyboardInterrupt of a Ctrl-C (or any error) is raised there at once: it sets ``stop[0]``, the
    running blocks return within a block of pulls, and the call raises once every worker thread has
    ended. ``work(0, 0, stop)`` runs first, in the calling thread: no run, but the compiled loop is
    compiled (or loaded from the disk cache) where Ctrl-C can still stop it.
    """
    stop = np.zeros(1, np.int64)
    work(0, 0, stop)
    bar = progress_bar(progress, runs, desc)
    blocks = blocks_of(runs, n_jobs, split=bar is not None)
    threads = min(n_jobs, len(blocks))
    try:
        if threads == 1 and threading.current_thread() is not threading.main_thread():
            for lo, hi in blocks:  # no signal reaches this thread: no need for another
                work(lo, hi, stop)
                if bar is not None:
                    bar.update(hi - lo)
            return
        pool = ThreadPoolExecutor(threads, thread_name_prefix="bandits-runs")
        try:
            pending = {pool.submit(work, lo, hi, stop): hi - lo for lo, hi in blocks}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()  # a block's error stops the call
                    size = pending.pop(future)
                    if bar is not None:
                        bar.update(size)
        finally:  # done, Ctrl-C or an error: running blocks stop at their next look, the rest never start
            stop[0] = 1
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        if bar is not None:
            bar.close()
