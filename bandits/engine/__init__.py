"""The compiled engine: one generic run loop, specialised per agent and cached on disk.

==============================  =====================================================
piece                           module
==============================  =====================================================
the run loop (a template)       :mod:`.loop`: :func:`~.loop.run_loop`, the choice
the environment                 :mod:`.env`: :class:`Environment`, ``step``, the
                                counter-based generator (``mix64``, ``new_streams``)
the batch penalty               :mod:`.penalty`
the metrics (declared once)     :mod:`.metrics`: ``METRICS``, ``count_pull``, ``record``
==============================  =====================================================

:func:`runner` makes a copy of :func:`~.loop.run_loop` whose globals ``INIT``, ``INDEX`` and
``UPDATE`` are bound to one agent's functions and compiles that copy with
``@njit(cache=True, nogil=True)``, with the agent's functions and every piece inlined (Numba IR
inlining), so a built-in and a user-defined agent run at the same speed. The copy's name carries a
hash of the engine's and the agent's code, so its on-disk cache is found by the next process and
never reused after either changes. (Passing the agent functions as arguments would also compile,
but Numba cannot find such a function in its cache from another process.)

One call of the loop simulates a block of independent runs; each run has two random streams of
its own, so a run's numbers do not depend on which thread or process ran it:

* the agent's: Numba's generator (``np.random``), seeded from the run's agent seed (keyed by the
  whole cell: instance, agent, parameters, horizon, batch; :func:`bandits.seeding.run_seeds`);
* the environment's: a counter-based generator (:mod:`.env`, a SplitMix64 hash of the run's
  environment seed, a stream tag, the arm or outcome, and a counter), keyed by the seed, the
  instance and the run only (:func:`bandits.seeding.env_seeds`). The outcome and the reward of the
  j-th pull of arm a in run i are therefore the same for every agent: common random numbers,
  which :func:`bandits.compare` uses to measure differences of agents in pairs.
"""

from __future__ import annotations

import hashlib
import pathlib
import types

import numba
from numba import njit

from .env import CONTROLS, REWARD_LAWS, Environment, environment
from .loop import argmax_random_ties, run_loop
from .metrics import METRICS, NAMES, applicable

__all__ = ["runner", "environment", "Environment", "METRICS", "NAMES", "applicable", "argmax_random_ties",
           "CONTROLS", "REWARD_LAWS"]

_HERE = pathlib.Path(__file__).resolve().parent
_ENGINE_HASH = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(_HERE.glob("*.py")))
                              + numba.__version__.encode()).hexdigest()[:8]
_RUNNERS: dict = {}


def runner(spec):
    """The compiled run loop for an agent spec (compiled once per process, cached on disk)."""
    key = f"run_{spec.name}_{spec.fingerprint()}_{_ENGINE_HASH}"
    fn = _RUNNERS.get(key)
    if fn is None:
        # inline copies of the agent's functions: the call sits in the innermost loop
        inline = {name: njit(inline="always")(fn.py_func)
                  for name, fn in (("INIT", spec.init), ("INDEX", spec.index), ("UPDATE", spec.update))}
        bound = dict(run_loop.__globals__, **inline)
        py = types.FunctionType(run_loop.__code__, bound, key)
        py.__qualname__ = key
        fn = _RUNNERS[key] = njit(cache=True, nogil=True)(py)
    return fn
