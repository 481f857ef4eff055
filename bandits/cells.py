"""The cells of an experiment: one simulation each, described by plain values.

A sweep is a list of cells. Every cell type answers the same four questions, so that the sweep
runner, the results folder, ``summary.csv`` and ``bandits run --dry-run`` never ask which kind of
experiment they hold:

===================  ===========================================================================
``describe()``       plain values (JSON) that identify the cell; stored in ``config.json``
``key``              a hash of that description: the cell's file name ``cells/KEY.npz``
``compute(desc)``    rebuild the simulation from its description and run it (in a worker
                     process, a thread or a Dask worker): ``{"checkpoints": ..., metric: array}``
``columns(desc)``    the cell's parameters as ``summary.csv`` columns
===================  ===========================================================================

:class:`BanditCell` runs an agent on an instance (:func:`bandits.simulate`); :class:`LearnerCell`
trains a policy-gradient learner on a question set (:func:`bandits.rl.train`). A new kind of
experiment is a new cell type registered in ``CELL_TYPES``, plus its parsing in
:mod:`bandits.experiment`.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass

from . import rollouts  # noqa: F401  (registers generator = "rollouts" for [instance] and [questions])
from ._version import __version__
from .agents.base import Agent
from .instances import TOML_GENERATORS
from .rl.learner import learner_label, train
from .rl.questions import GENERATORS as QUESTION_GENERATORS
from .simulate import simulate

__all__ = ["Cell", "BanditCell", "LearnerCell", "CELL_TYPES", "compute_cell", "cell_columns"]


class Cell:
    """What every cell type provides (see the module docstring)."""

    kind: str = ""

    def describe(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def key(self) -> str:
        """A short hash of the cell's content: its file name in the results folder."""
        return hashlib.sha256(json.dumps(self.describe(), sort_keys=True).encode()).hexdigest()[:16]

    @staticmethod
    def compute(desc: dict) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def columns(desc: dict) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError


def _checkpoints(value):
    return list(value) if isinstance(value, (list, tuple)) else value


@dataclass(frozen=True)
class BanditCell(Cell):
    """An agent on an instance: ``runs`` runs of ``horizon`` pulls in rounds of ``batch``."""

    generator: str          # a name of bandits.instances.GENERATORS
    instance_params: dict
    agent: Agent
    horizon: int
    batch: int
    runs: int
    seed: int
    checkpoints: object     # a count, or a tuple of pull counts

    kind = "bandit"

    def describe(self) -> dict:
        return {"kind": self.kind, "generator": self.generator, "instance": dict(self.instance_params),
                "agent": self.agent.name, "agent_params": dict(self.agent.params), "lam": self.agent.lam,
                "label": self.agent.label, "horizon": self.horizon, "batch": self.batch, "runs": self.runs,
                "seed": self.seed, "checkpoints": self.checkpoints, "version": __version__}

    @staticmethod
    def compute(desc: dict) -> dict:
        instance = TOML_GENERATORS[desc["generator"]](**desc["instance"])
        with warnings.catch_warnings():  # the experiment file was checked (and warned about) already
            warnings.filterwarnings("ignore", message="runs=1", category=UserWarning)
            res = simulate(instance, desc["agent"], horizon=desc["horizon"], runs=desc["runs"], seed=desc["seed"],
                           batch=desc["batch"], checkpoints=_checkpoints(desc["checkpoints"]), n_jobs=1,
                           progress=False, lam=desc["lam"], **desc["agent_params"])
        return {"checkpoints": res.checkpoints, **res.metrics}

    @staticmethod
    def columns(desc: dict) -> dict:
        return {"generator": desc["generator"], **desc["instance"], "horizon": desc["horizon"],
                "batch": desc["batch"], "agent": desc["agent"], "label": desc["label"],
                **{f"agent.{k}": v for k, v in desc["agent_params"].items()}, "lam": desc["lam"]}


@dataclass(frozen=True)
class LearnerCell(Cell):
    """A policy-gradient learner trained ``steps`` steps on a question set, ``runs`` times."""

    generator: str          # a name of bandits.rl.GENERATORS
    instance_params: dict
    settings: dict          # the learner's settings, every one given (bandits.rl.learner.SETTINGS)
    steps: int
    runs: int
    seed: int
    checkpoints: object
    common_seeds: bool = False  # [sweep] seeds = "common": run seeds keyed by the questions and steps only

    kind = "learner"

    def describe(self) -> dict:
        desc = {"kind": self.kind, "generator": self.generator, "instance": dict(self.instance_params),
                "settings": dict(self.settings), "label": learner_label(self.settings), "steps": self.steps,
                "runs": self.runs, "seed": self.seed, "checkpoints": self.checkpoints, "version": __version__}
        if self.common_seeds:  # only when set: the cells of files without it keep their keys
            desc["common_seeds"] = True
        return desc

    @staticmethod
    def compute(desc: dict) -> dict:
        res = train(QUESTION_GENERATORS[desc["generator"]](**desc["instance"]), **desc["settings"], steps=desc["steps"],
                    runs=desc["runs"], seed=desc["seed"], checkpoints=_checkpoints(desc["checkpoints"]), n_jobs=1,
                    progress=False, common_seeds=desc.get("common_seeds", False))
        return {"checkpoints": res.checkpoints, **res.metrics}

    @staticmethod
    def columns(desc: dict) -> dict:
        return {"generator": desc["generator"], **desc["instance"], "steps": desc["steps"], "label": desc["label"],
                **desc["settings"]}


CELL_TYPES = {cls.kind: cls for cls in (BanditCell, LearnerCell)}


def compute_cell(desc: dict) -> dict:
    """Run the cell that ``desc`` describes (``{"key": ..., **cell.describe()}``); its arrays and key."""
    return {"key": desc["key"], **CELL_TYPES[desc["kind"]].compute(desc)}


def cell_columns(desc: dict) -> dict:
    """The ``summary.csv`` columns of the cell that ``desc`` describes."""
    return CELL_TYPES[desc["kind"]].columns(desc)
