"""``simulate``: run an agent on an instance many times and collect the SPEC 4 metrics."""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import __version__, engine
from ._validate import check_int
from .agents.base import Agent, make_agent
from .instances import Instance
from .seeding import content_key, resolve_seed, run_seeds
from .stats import ci_method, mean_ci

__all__ = ["simulate", "Result", "default_checkpoints"]


def default_checkpoints(horizon: int, batch: int = 1, count: int = 100) -> np.ndarray:
    """About ``count`` log-spaced pull counts from 1 to ``horizon``, ``horizon`` included.

    With rounds of ``batch`` pulls they are moved up to the end of their round, so that the
    round metrics (pass regret, distinct outcomes per round) are read on whole rounds.
    """
    count = min(count, horizon)
    asked = count
    points = np.unique(np.round(np.geomspace(1, horizon, asked)).astype(np.int64))
    while len(points) < count:  # small counts collide after rounding: ask for more points
        asked += count - len(points)
        points = np.unique(np.round(np.geomspace(1, horizon, asked)).astype(np.int64))
    if batch > 1:
        points = np.minimum(np.ceil(points / batch).astype(np.int64) * batch, horizon)
    return np.unique(np.append(points, horizon))


@dataclass
class Result:
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

    @property
    def regret(self) -> np.ndarray:
        return self.metrics["regret"]

    @property
    def distinct(self) -> np.ndarray:
        return self.metrics["distinct"]

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
        """Tidy table: checkpoint, metric, mean, sem, ci_low, ci_high, n (Student-t interval)."""
        return tidy_summary(self.checkpoints, self.metrics, level)

    def table(self) -> pd.DataFrame:
        """Tidy per-run table: run, checkpoint, metric, value."""
        frames = []
        runs = np.repeat(np.arange(self.runs), len(self.checkpoints))
        ckpts = np.tile(self.checkpoints, self.runs)
        for name, values in self.metrics.items():
            frames.append(pd.DataFrame({"run": runs, "checkpoint": ckpts, "metric": name, "value": values.ravel()}))
        return pd.concat(frames, ignore_index=True)

    def describe(self) -> dict:
        """Provenance: what was simulated, with which seed and which version."""
        return {"instance": self.instance.describe(), "agent": self.agent.describe(), "horizon": self.horizon,
                "runs": self.runs, "seed": self.seed, "batch": self.batch, "version": __version__}

    def __repr__(self) -> str:
        reg = self.regret[:, -1]
        return (f"Result({self.agent.label} on {self.instance.name}: T={self.horizon}, runs={self.runs}, "
                f"batch={self.batch}, final regret {reg.mean():.4g} +- {reg.std(ddof=1) / np.sqrt(len(reg)) if len(reg) > 1 else float('nan'):.2g})")


def simulate(instance, agent, *, horizon, runs=100, seed=0, batch=1, checkpoints=None, n_jobs=None,
             **agent_params) -> Result:
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
        agent, horizon, batch and seed give bit-identical results, whatever ``n_jobs`` is.
    batch : int
        Pulls per round n: the agent sees a round's results only after the round.
    checkpoints : int or array of int, optional
        Pull counts at which to record the metrics (an int asks for that many log-spaced
        points); default about 100 log-spaced counts, ``horizon`` included.
    n_jobs : int, optional
        Threads that share the runs (default: every core).
    **agent_params
        The agent's parameters, and ``lam`` for the batch penalty.
    """
    if not isinstance(instance, Instance):
        raise TypeError(f"instance must be a bandits Instance, got {type(instance).__name__}")
    agent = make_agent(agent, **agent_params)
    horizon = check_int(horizon, "horizon", low=1)
    runs = check_int(runs, "runs", low=1)
    batch = check_int(batch, "batch", low=1)
    seed = resolve_seed(seed)
    n_jobs = check_int((os.cpu_count() or 1) if n_jobs is None else n_jobs, "n_jobs", low=1)
    checkpoints = _resolve_checkpoints(checkpoints, horizon, batch)
    spec = agent.spec
    spec.check_instance(instance)

    params = spec.prepare(instance, agent.params)
    env = engine.environment(instance, spec.control, spec.each_once)
    key = content_key(instance.fingerprint(), repr(sorted(agent.describe().items())).encode(),
                      f"{horizon}|{batch}".encode())
    seeds = run_seeds(seed, key, runs)
    out = np.zeros((runs, len(engine.NAMES), len(checkpoints)))
    loop = engine.runner(spec)

    def work(lo, hi):
        loop(seeds[lo:hi], params, agent.lam, batch, horizon, checkpoints, env, out[lo:hi])

    run_in_blocks(work, runs, n_jobs)

    defined = engine.applicable(instance, batch)
    metrics = {name: out[:, i, :] for i, name in enumerate(engine.NAMES) if name in defined}
    return Result(instance, agent, horizon, runs, seed, batch, checkpoints, metrics)


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


def tidy_summary(checkpoints, metrics: dict, level: float = 0.95) -> pd.DataFrame:
    """Tidy table of per-run metric arrays: checkpoint, metric, mean, sem, ci_low, ci_high, n."""
    frames = []
    for name, values in metrics.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, sem, low, high, n = mean_ci(values, level=level)
        frames.append(pd.DataFrame({"checkpoint": checkpoints, "metric": name, "mean": mean, "sem": sem,
                                    "ci_low": low, "ci_high": high, "n": n}))
    table = pd.concat(frames, ignore_index=True)
    table.attrs["ci_method"] = ci_method(level)
    return table


def _resolve_checkpoints(checkpoints, horizon, batch):
    if checkpoints is None:
        return default_checkpoints(horizon, batch)
    if isinstance(checkpoints, (int, np.integer)) and not isinstance(checkpoints, bool):
        count = check_int(checkpoints, "checkpoints", low=1)
        return default_checkpoints(horizon, batch, count)
    arr = np.asarray(checkpoints)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError("checkpoints must be a count or a non-empty 1-D list of pull counts (integers)")
    arr = np.unique(arr.astype(np.int64))
    if arr[0] < 1 or arr[-1] > horizon:
        raise ValueError(f"checkpoints must lie in [1, horizon={horizon}], got {arr[0]}..{arr[-1]}")
    return arr
