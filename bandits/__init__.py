"""outcome-bandits: a Numba-accelerated simulator of outcome-based bandits.

>>> import bandits
>>> inst = bandits.instances.needle(K=16, m=2)
>>> res = bandits.simulate(inst, "ucb1", horizon=1000, runs=50, seed=0)
>>> res.summary()          # tidy pandas table: checkpoint, metric, mean, sem, ci_low, ci_high, n

Where things live: :mod:`bandits.instances` (the model and its generators),
:mod:`bandits.agents` (one module per agent, :func:`define_agent` to add yours),
:mod:`bandits.engine` (the compiled run loop), :mod:`bandits.simulate`, :func:`compare` (agents
on common random numbers, paired differences),
:mod:`bandits.plots`, :mod:`bandits.cli`; :func:`load` reads a results folder back.
"""

__version__ = "0.2.0"

from . import agents, instances  # noqa: E402
from ._validate import declared  # noqa: E402
from .agents import Agent, Param, batch_penalty, define_agent, make_agent  # noqa: E402
from .instances import Instance  # noqa: E402
from .simulate import Result, default_checkpoints, simulate  # noqa: E402
from .results import load  # noqa: E402
from .compare import Comparison, compare  # noqa: E402

__all__ = [
    "agents", "instances", "Instance", "Agent", "Param", "declared", "define_agent", "make_agent", "batch_penalty",
    "simulate", "Result", "default_checkpoints", "load", "compare", "Comparison", "__version__",
]
