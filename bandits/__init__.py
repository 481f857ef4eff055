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

from . import _html, agents, instances, rl  # _html: installs the notebook views (_repr_html_)
from ._validate import declared
from ._version import __version__
from .agents import Agent, Param, batch_penalty, define_agent, make_agent
from .compare import Comparison, compare
from .instances import Instance
from .results import load
from .simulate import Result, default_checkpoints, simulate

__all__ = [
    "agents", "instances", "Instance", "Agent", "Param", "declared", "define_agent", "make_agent", "batch_penalty",
    "simulate", "Result", "default_checkpoints", "load", "compare", "Comparison", "__version__",
]
