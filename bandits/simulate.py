"""``simulate``: run an agent on an instance many times and collect the metrics
(``bandits.engine.METRICS``; README "Metrics")."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from . import __version__, engine
from .engine.blocks import run_in_blocks
from ._validate import check_int
from .agents.base import Agent, AgentSpec, make_agent
from .instances import Instance
from .seeding import content_key, env_seeds, resolve_seed, run_seeds
from .stats import tidy_summary

__all__ = ["simulate", "Result", "default_checkpoints", "estimate_bytes"]


SEARCH_LIMIT = 1000


def default_checkpoints(horizon: int, batch: int = 1, count: int = 100) -> np.ndarray:
    """About ``count`` log-spaced pull counts from 1 to ``horizon``, ``horizon`` included.

    With rounds of ``batch`` pulls they are moved up to the end of their round, so that the
    round metrics (pass regret, distinct outcomes per round) are read on whole rounds. The
    work is O(count) whatever ``count`` is (up to ``horizon``).
    """
    count = min(count, horizon)
    points = _log_points(horizon, count)
    if batch > 1:
        points = np.minimum(np.ceil(points / batch).astype(np.int64) * batch, horizon)
    return np.unique(np.append(points, horizon))


def _log_points(horizon: int, count: int) -> np.ndarray:
    """``count`` distinct integers in [1, horizon], log-spaced, 1 and ``horizon`` included.

    Rounding ``geomspace(1, horizon, count)`` makes small values collide; asking for a few more
    points fills the gaps. For up to ``SEARCH_LIMIT`` points that search is kept, so the usual
    counts (about 100) give the checkpoints of earlier versions; it stops after a work budget of
    ``64 * count`` points, and beyond it (or above ``SEARCH_LIMIT``) the points are built
    directly (:func:`_dense_log_points`), so any count up to ``horizon`` costs O(count).
    """
    if count <= SEARCH_LIMIT:
        asked, work = count, 0
        points = np.unique(np.round(np.geomspace(1, horizon, asked)).astype(np.int64))
        while len(points) < count:
            asked += count - len(points)
            work += asked
            if work > 64 * count:
                break
            points = np.unique(np.round(np.geomspace(1, horizon, asked)).astype(np.int64))
        else:
            return points
    return _dense_log_points(horizon, count)


def _dense_log_points(horizon: int, count: int) -> np.ndarray:
    """Every integer 1..k, then ``count - k`` geometric points from k to ``horizon``.

    k is the smallest value for which the geometric part has steps of at least 1 (so its
    rounded points are distinct): exactly ``count`` points, in O(count).
    """
    if count >= horizon:
        return np.arange(1, horizon + 1, dtype=np.int64)
    if count == 1:
        return np.array([horizon], dtype=np.int64)
    k = np.arange(1, count, dtype=np.float64)        # candidate dense prefixes 1..k
    with np.errstate(over="ignore"):
        first_step = k * np.expm1(np.log(horizon / k) / (count - k))
    k = int(k[np.argmax(first_step >= 1.0)]) if (first_step >= 1.0).any() else count - 1
    tail = np.round(np.geomspace(k, horizon, count - k + 1)[1:]).astype(np.int64)
    return np.unique(np.concatenate([np.arange(1, k + 1, dtype=np.int64), tail]))


def estimate_bytes(runs: int, checkpoints: int, K: int = 0, m: int = 0) -> int:
    """Memory one simulation needs: the metric arrays (runs x metrics x checkpoints x 8 bytes)
    and the instance's arrays (K x m kernel and its temporaries, per-arm state)."""
    return 8 * runs * len(engine.METRICS) * checkpoints + 8 * K * (4 * m + 8)


def machine_memory() -> int:
    """Physical memory of this machine in bytes (0 when unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return 0


def check_memory(nbytes: int, what: str) -> None:
    """Refuse, with one line, what cannot fit in this machine's memory."""
    total = machine_memory()
    if total and nbytes > total:
        raise ValueError(f"{what} needs about {_gib(nbytes)} of memory, more than this machine has "
                         f"({_gib(total)}); use fewer runs, checkpoints or arms")


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.3g} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.3g} MiB"


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

    def _repr_html_(self) -> str:
        """Jupyter's view: the settings, the metrics at the horizon with 95% intervals, the regret curve."""
        from . import _html

        inst = self.instance
        settings = {"agent": self.agent.label, "instance": inst.name, "K": inst.K, "m": inst.m,
                    "rewards": inst.rewards, "horizon": self.horizon, "runs": self.runs, "batch": self.batch,
                    "seed": self.seed}
        return _html.result_page(f"Result: {self.agent.label} on {inst.name}", settings, self.summary(), "pulls t",
                                 self.agent.label)


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
    horizon = check_int(horizon, "horizon", low=1)
    runs = check_int(runs, "runs", low=1)
    batch = check_int(batch, "batch", low=1)
    seed = resolve_seed(seed)
    n_jobs = check_int((os.cpu_count() or 1) if n_jobs is None else n_jobs, "n_jobs", low=1)
    if batch > horizon:
        warnings.warn(f"batch={batch} is larger than horizon={horizon}: not one round completes, so the agent "
                      "never learns from what it sees", stacklevel=2)
    if runs < 2:
        warnings.warn("runs=1: a single run has no spread, so sem and the 95% interval are NaN", stacklevel=2)
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


def resolve_checkpoints(checkpoints, length: int, batch: int = 1, *, length_name: str = "horizon",
                        low: int = 1) -> np.ndarray:
    """The checkpoints of a run of ``length`` pulls (or steps): ``None`` gives the default (about 100
    log-spaced counts), an int that many, a list exactly those counts (each in [low, length]).

    The one resolver of :func:`simulate`, :func:`bandits.rl.train` and experiment files.
    """
    if checkpoints is None:
        return default_checkpoints(length, batch)
    if isinstance(checkpoints, (int, np.integer)) and not isinstance(checkpoints, bool):
        count = check_int(checkpoints, "checkpoints", low=1)
        return default_checkpoints(length, batch, count)
    arr = np.asarray(checkpoints)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError("checkpoints must be a count or a non-empty 1-D list of counts (integers)")
    arr = np.unique(arr.astype(np.int64))
    if arr[0] < low or arr[-1] > length:
        raise ValueError(f"checkpoints must lie in [{low}, {length_name}={length}], got {arr[0]}..{arr[-1]}")
    return arr
