"""``compare``: several agents on common random numbers, and their paired differences.

Every agent is simulated with the same seed on the same instance, so in run ``i`` they all meet
the same environment: the j-th pull of arm a gives the same outcome and reward whatever the agent
(the environment's counter-based generator, :mod:`bandits.engine.env`; its seed depends on the
seed, the instance and the run only, :func:`bandits.seeding.env_seeds`). The difference of a
metric between an agent and the baseline is then taken run by run, and its mean gets a Student-t
interval over the runs (:func:`bandits.stats.mean_ci`): the noise the two agents share cancels.

The agents' own random numbers (ties, posterior samples, exploration coins) stay separate streams
keyed by each agent's whole cell, so adding an agent to a comparison changes no other agent's
numbers, and each agent's result is exactly what ``simulate`` gives with the same arguments.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from . import engine
from ._validate import MAX_LENGTH, check_int, check_real
from .agents.base import Agent, AgentSpec, make_agent
from .instances import Instance
from .seeding import resolve_seed
from .engine.checkpoints import resolve_checkpoints
from .simulate import Result, simulate
from .stats import ci_method, mean_ci

__all__ = ["compare", "Comparison"]


@dataclass
class Comparison:
    """What :func:`compare` returns.

    Attributes
    ----------
    baseline : str
        The label of the baseline agent.
    labels : list of str
        Every agent's label, in the order given (the baseline included).
    metric : str
        The metric compared (``"regret"`` by default).
    checkpoints : int array (C,)
    results : dict of label to :class:`~bandits.simulate.Result`
        Each agent's simulation (the same as ``simulate`` with the same arguments).
    differences : dict of label to array (runs, C)
        Per run, the agent's metric minus the baseline's, for every agent but the baseline.
    level : float
        Confidence level of the intervals.
    """

    baseline: str
    labels: list
    metric: str
    checkpoints: np.ndarray
    results: dict = field(repr=False)
    differences: dict = field(repr=False)
    level: float = 0.95

    def summary(self) -> pd.DataFrame:
        """Tidy table of the paired differences, one row per agent (other than the baseline) and checkpoint.

        Columns: ``agent``, ``baseline``, ``checkpoint``, ``metric``, ``mean`` (of agent - baseline),
        ``sem``, ``ci_low``, ``ci_high`` (Student t at ``level`` over the runs' differences), ``n``,
        and ``sem_unpaired``: the standard error the same difference of means would have from two
        independent sets of runs, ``sqrt(sem_agent^2 + sem_baseline^2)`` (each agent's own spread
        does not depend on the pairing), so ``sem_unpaired / sem`` is the variance reduction's
        factor on the standard error.
        """
        frames = []
        base = self.results[self.baseline].metrics[self.metric]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _, base_sem, _, _, _ = mean_ci(base, level=self.level)
            for label, diff in self.differences.items():
                mean, sem, low, high, n = mean_ci(diff, level=self.level)
                _, sem_agent, _, _, _ = mean_ci(self.results[label].metrics[self.metric], level=self.level)
                frames.append(pd.DataFrame({
                    "agent": label, "baseline": self.baseline, "checkpoint": self.checkpoints, "metric": self.metric,
                    "mean": mean, "sem": sem, "ci_low": low, "ci_high": high, "n": n,
                    "sem_unpaired": np.sqrt(sem_agent ** 2 + base_sem ** 2)}))
        table = pd.concat(frames, ignore_index=True)
        table.attrs["ci_method"] = "paired differences over runs (common random numbers); " + ci_method(self.level)
        return table

    def final(self) -> pd.DataFrame:
        """The rows of :meth:`summary` at the last checkpoint (the horizon), one per agent."""
        table = self.summary()
        return table[table["checkpoint"] == self.checkpoints[-1]].reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        """Tidy per-run table of the differences: ``agent``, ``run``, ``checkpoint``, ``difference``."""
        frames = []
        for label, diff in self.differences.items():
            runs, count = diff.shape
            frames.append(pd.DataFrame({"agent": label, "run": np.repeat(np.arange(runs), count),
                                        "checkpoint": np.tile(self.checkpoints, runs), "difference": diff.ravel()}))
        return pd.concat(frames, ignore_index=True)

    def __repr__(self) -> str:
        rows = "; ".join(f"{r.agent} {r['mean']:+.4g} [{r.ci_low:.4g}, {r.ci_high:.4g}]"
                         for _, r in self.final().iterrows())
        return f"Comparison({self.metric} at T={self.checkpoints[-1]} minus {self.baseline}: {rows})"


def _as_agent(entry, i) -> Agent:
    """An agent from a name, a (name, params) pair, a spec or an agent."""
    if isinstance(entry, (str, Agent, AgentSpec)):
        return make_agent(entry)
    if isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[1], dict):
        name, params = entry
        if not isinstance(name, (str, Agent, AgentSpec)):
            raise TypeError(f"agents[{i}] must be a name or an agent, with a dict of parameters; got {name!r}")
        return make_agent(name, **params)
    raise TypeError(f"agents[{i}] must be an agent name, a (name, params dict) pair or an Agent, got {entry!r}")


def _baseline_label(baseline, labels, agents) -> str:
    if baseline is None:
        return labels[0]
    if isinstance(baseline, numbers.Integral) and not isinstance(baseline, bool):
        index = check_int(baseline, "baseline", low=-len(labels), high=len(labels) - 1)
        return labels[index]
    if isinstance(baseline, str):
        if baseline in labels:
            return baseline
        named = [label for label, agent in zip(labels, agents) if agent.name == baseline]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise ValueError(f"baseline {baseline!r} names {len(named)} of the agents; give its label, one of: "
                             + ", ".join(named))
    raise ValueError(f"baseline must be one of the agents (a label, a name or an index), got {baseline!r}; "
                     f"agents: {', '.join(labels)}")


def compare(instance: Instance, agents: Sequence, *, horizon: int, runs: int = 100, seed: int | None = 0,
            baseline: str | int | None = None, batch: int = 1, checkpoints: int | Sequence[int] | None = None,
            metric: str = "regret", level: float = 0.95, n_jobs: int | None = None) -> Comparison:
    """Simulate several agents on common random numbers and compare each with a baseline, run by run.

    Parameters
    ----------
    instance : Instance
    agents : list
        At least two agents, each a registered name, a ``(name, params dict)`` pair (``lam`` in the
        dict adds the batch penalty), an :class:`~bandits.Agent` or an agent spec. Their labels
        (``agent.label``) must differ.
    horizon, runs, seed, batch, checkpoints, n_jobs
        As for :func:`~bandits.simulate`; the same ``seed`` is used for every agent, so they meet
        the same outcomes and rewards in each run. ``runs`` must be at least 2.
    baseline : str or int, optional
        The agent the others are compared with: its label, its name (if only one agent has it) or its
        position in ``agents``; default the first.
    metric : str
        The metric compared (one of ``bandits.engine.NAMES`` that applies to the instance and batch).
    level : float
        Confidence level of the paired Student-t intervals, in (0, 1).

    Returns
    -------
    Comparison
        ``summary()``: per agent and checkpoint, the mean of agent - baseline, its sem and interval,
        and the unpaired sem for reference; ``results``: each agent's :class:`~bandits.simulate.Result`.
    """
    if not isinstance(instance, Instance):
        raise TypeError(f"instance must be a bandits Instance, got {type(instance).__name__}")
    if isinstance(agents, (str, Agent, AgentSpec)) or not isinstance(agents, (list, tuple)):
        raise TypeError(f"agents must be a list of at least two agents, got {agents!r}")
    if len(agents) < 2:
        raise ValueError(f"agents must list at least two agents to compare, got {len(agents)}")
    agent_list = [_as_agent(entry, i) for i, entry in enumerate(agents)]
    labels = [agent.label for agent in agent_list]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ValueError(f"agents must differ, but {repeated[0]!r} is listed more than once")
    horizon = check_int(horizon, "horizon", low=1, high=MAX_LENGTH)
    runs = check_int(runs, "runs", low=2)
    batch = check_int(batch, "batch", low=1)
    seed = resolve_seed(seed)
    level = check_real(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)
    if n_jobs is not None:
        check_int(n_jobs, "n_jobs", low=1)
    if not isinstance(metric, str) or metric not in engine.NAMES:
        raise ValueError(f"metric must be one of {', '.join(engine.NAMES)}, got {metric!r}")
    if metric not in engine.applicable(instance, batch):
        raise ValueError(f"metric {metric!r} is not defined for {instance.name} with batch={batch}")
    base = _baseline_label(baseline, labels, agent_list)
    points = resolve_checkpoints(checkpoints, horizon, batch)
    for agent in agent_list:
        agent.spec.check_instance(instance)

    results: dict[str, Result] = {}
    for label, agent in zip(labels, agent_list):
        results[label] = simulate(instance, agent, horizon=horizon, runs=runs, seed=seed, batch=batch,
                                  checkpoints=points, n_jobs=n_jobs)
    reference = results[base].metrics[metric]
    differences = {label: res.metrics[metric] - reference for label, res in results.items() if label != base}
    return Comparison(base, labels, metric, points, results, differences, level)
