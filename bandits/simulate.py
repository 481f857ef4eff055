"""``simulate``: run an agent on an instance many times and collect the metrics
(``bandits.engine.METRICS``; README "Metrics")."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from . import engine
from ._validate import MAX_LENGTH, check_int
from ._version import __version__
from .engine.blocks import run_in_blocks
from .engine.checkpoints import default_checkpoints, resolve_checkpoints
from .engine.memory import check_memory, estimate_bytes
from .agents.base import Agent, AgentSpec, make_agent
from .instances import Instance
from .rules import round_problem, runs_problem
from .seeding import content_key, env_seeds, resolve_seed, run_seeds
from .stats import tidy_summary

__all__ = ["simulate", "Result", "default_checkpoints", "estimate_bytes"]


class MetricArrays:
    """Accessors of per-run metric arrays read at checkpoints, shared by :class:`Result` and the cells
    of a loaded results folder: the class provides ``checkpoints`` and ``metrics`` (name to array
    runs x checkpoints)."""

    checkpoints: np.ndarray
    metrics: dict

    @property
    def regret(self):
        return self.metrics.get("regret")

    @property
    def distinct(self):
        return self.metrics.get("distinct")

    @property
    def pass_regret(self):
        return self.metrics.get("pass_regret")

    @property
    def round_distinct(self):
        return self.metrics.get("round_distinct")

    @property
    def final(self) -> dict:
        """Each metric at the horizon, one value per run."""
        return {name: values[:, -1] for name, values in self.metrics.items()}

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy table: checkpoint, metric, mean, sem, ci_low, ci_high, n (Student-t interval at ``level``)."""
        return tidy_summary(self.checkpoints, self.metrics, level)

    def table(self) -> pd.DataFrame:
        """Tidy per-run table: run, checkpoint, metric, value."""
        runs, count = next(iter(self.metrics.values())).shape
        frames = [pd.DataFrame({"run": np.repeat(np.arange(runs), count), "checkpoint": np.tile(self.checkpoints, runs),
                                "metric": name, "value": values.ravel()}) for name, values in self.metrics.items()]
        return pd.concat(frames, ignore_index=True)


@dataclass
class Result(MetricArrays):
    """What :func:`simulate` returns.

    Attributes
    ----------
    checkpoints : int array (C,)
        Pull counts at which the metrics were read.
    metrics : dict of str to array (runs, C)
        ``regret`` (pseudo-regret), ``distinct`` (distinct outcomes discovered), and, where they
        apply, ``pass_regret`` (rounds without a correct outcome; verifiable instances with a
        deterministic map) and ``round_distinct`` (mean distinct outcomes per round; batch > 1).
    """

    instance: Instance
    agent: Agent
    horizon: int
    runs: int
    seed: int
    batch: int
    checkpoints: np.ndarray
    metrics: dict = field(repr=False)

    def describe(self) -> dict:
        """Provenance: what was simulated, with which seed and which version."""
        return {"instance": self.instance.describe(), "agent": self.agent.describe(), "horizon": self.horizon,
                "runs": self.runs, "seed": self.seed, "batch": self.batch, "version": __version__}

    def __repr__(self) -> str:
        reg = self.regret[:, -1]
        return (f"Result({self.agent.label} on {self.instance.name}: T={self.horizon}, runs={self.runs}, "
                f"batch={self.batch}, final regret {reg.mean():.4g} +- {reg.std(ddof=1) / np.sqrt(len(reg)) if len(reg) > 1 else float('nan'):.2g})")


def simulate(instance: Instance, agent: str | AgentSpec | Agent, *, horizon: int, runs: int = 100,
             seed: int | None = 0, batch: int = 1, checkpoints: int | Sequence[int] | None = None,
             n_jobs: int | None = None, progress: bool | None = None, **agent_params: float) -> Result:
    """Simulate ``runs`` independent runs of ``agent`` on ``instance`` for ``horizon`` pulls.

    Parameters
    ----------
    instance : Instance
    agent : str, AgentSpec or Agent
        A registered name (``bandits.agents.registered()``), or an agent object.
    horizon : int
        Number of pulls T per run.
    runs : int
        Number of independent runs R.
    seed : int or None
        Root seed; ``None`` draws fresh entropy (kept in ``result.seed``). The same instance,
        agent, horizon, batch and seed give bit-identical results, whatever ``n_jobs`` is. The
        environment's numbers (outcomes and rewards) depend on the seed and the instance only:
        in run ``i`` the j-th pull of arm a gives the same outcome and reward for every agent
        (common random numbers, see :func:`bandits.compare`).
    batch : int
        Pulls per round n: the agent sees a round's results only after the round.
    checkpoints : int or array of int, optional
        Pull counts at which to record the metrics (an int asks for that many log-spaced
        points); default about 100 log-spaced counts, ``horizon`` included.
    n_jobs : int, optional
        Threads that share the runs (default: every core).
    progress : bool or None
        A progress bar over the runs (``tqdm.auto``: a widget in Jupyter, text on stderr in a
        terminal), advanced as blocks of runs finish, never inside the compiled loop. ``None``
        (default): shown only once the call has lasted a second, so short calls print nothing;
        ``True``: shown from the start; ``False``: none. It changes no number.
    **agent_params
        The agent's parameters, and ``lam`` for the batch penalty.
    """
    if not isinstance(instance, Instance):
        raise TypeError(f"instance must be a bandits Instance, got {type(instance).__name__}")
    agent = make_agent(agent, **agent_params)
    horizon = check_int(horizon, "horizon", low=1, high=MAX_LENGTH)
    runs = check_int(runs, "runs", low=1)
    batch = check_int(batch, "batch", low=1)
    seed = resolve_seed(seed)
    n_jobs = check_int((os.cpu_count() or 1) if n_jobs is None else n_jobs, "n_jobs", low=1)
    for problem in (round_problem(horizon, batch), runs_problem(runs)):
        if problem:
            warnings.warn(problem, stacklevel=2)
    points = resolve_checkpoints(checkpoints, horizon, batch)
    check_memory(estimate_bytes(runs, len(points), instance.K, instance.m),
                 f"simulate(runs={runs}, {len(points)} checkpoints)")
    spec = agent.spec
    spec.check_instance(instance)

    params = spec.prepare(instance, agent.params)
    env = engine.environment(instance, spec.control, spec.each_once)
    fingerprint = instance.fingerprint()
    key = content_key(fingerprint, repr(sorted(agent.describe().items())).encode(),
                      f"{horizon}|{batch}".encode())
    seeds = run_seeds(seed, key, runs)                                 # the agent's stream: the whole cell
    tapes = env_seeds(seed, content_key(fingerprint), runs)  # the environment's: seed, instance, run
    out = np.zeros((runs, len(engine.NAMES), len(points)))
    loop = engine.runner(spec)

    def work(lo, hi, stop):
        loop(seeds[lo:hi], tapes[lo:hi], params, agent.lam, batch, horizon, points, env, out[lo:hi], stop)

    run_in_blocks(work, runs, n_jobs, progress, desc=agent.label)

    defined = engine.applicable(instance, batch)
    metrics = {name: out[:, i, :] for i, name in enumerate(engine.NAMES) if name in defined}
    return Result(instance, agent, horizon, runs, seed, batch, points, metrics)
