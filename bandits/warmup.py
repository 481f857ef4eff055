"""Compile the run loops of agents before they are needed.

Numba compiles one run loop per agent on its first call and keeps it in its disk cache
(``NUMBA_CACHE_DIR``, or ``__pycache__`` beside the package), so only the first process on a
machine (or after an upgrade) pays for it. A sweep in worker processes would otherwise let two
workers compile the same agent at once, each for itself: :func:`compile_agent` compiles one agent
on a stand-in instance (the loop's compiled signature is the same for every instance), and
:mod:`bandits.sweep` hands one such task per agent to its workers before the cells, so the agents
compile in parallel, each once.

When a compile cannot be avoided, :func:`compile_note` says so in one line (``bandits run`` and
``bandits reproduce`` print it, and put it in the progress bar), with the time it takes.
"""

from __future__ import annotations

import os
import time

import numpy as np

from . import engine
from .agents.base import AgentSpec, get_spec
from .instances import from_arrays
from .simulate import simulate

#: Seconds of the first call of each built-in agent with an empty Numba cache (CPU seconds, on the
#: project's 2-core machine, docs/guide_speed.md), for the note; any other agent: DEFAULT_COLD_SECONDS.
COLD_SECONDS = {"ucb1": 4.2, "kl_ucb": 8.2, "thompson": 7.1, "outcome_ucb": 4.1, "outcome_thompson": 8.2,
                "outcome_level_ucb": 3.7, "outcome_level_thompson": 7.1, "greedy": 3.9, "epsilon_greedy": 3.7,
                "uniform": 3.6, "outcome_level_uniform": 4.1, "oracle": 4.2}
DEFAULT_COLD_SECONDS = 5.0


def compile_agent(name: str | AgentSpec) -> float:
    """Compile an agent's run loop (a registered name, or a spec), or load it from the disk cache;
    returns the seconds it took."""
    # two arms with their own outcomes: every built-in agent runs on it (arm and outcome control,
    # Bernoulli rewards for kl_ucb), and the compiled signature does not depend on the instance
    stand_in = from_arrays(phi=np.arange(2), mu=np.array([0.2, 0.8]), rewards="bernoulli")
    start = time.perf_counter()
    simulate(stand_in, name, horizon=2, runs=2, seed=0, n_jobs=1, checkpoints=[2], progress=False)
    return time.perf_counter() - start


def needs_compile(name: str | AgentSpec) -> bool:
    """Whether an agent's run loop is neither compiled in this process nor in the disk cache."""
    loop = engine.runner(name if isinstance(name, AgentSpec) else get_spec(name))
    if loop.signatures:
        return False
    # Numba's cache keeps an index file per function once anything of it is cached; if this
    # version of Numba has no such attribute, say nothing rather than something wrong
    index = getattr(getattr(getattr(loop, "_cache", None), "_cache_file", None), "_index_path", None)
    return index is not None and not os.path.exists(index)


def compile_note(names, workers: int = 1) -> str | None:
    """One line naming the agents among ``names`` that must compile and about how long that takes
    with ``workers`` processes; None when every loop is ready."""
    unique = {(name.name if isinstance(name, AgentSpec) else name): name for name in names}
    labels = [label for label, name in unique.items() if needs_compile(name)]
    if not labels:
        return None
    seconds = sum(COLD_SECONDS.get(label, DEFAULT_COLD_SECONDS) for label in labels) / max(1, min(workers, len(labels)))
    return f"compiling {', '.join(labels)}, once per machine (about {seconds:.0f} s)"
