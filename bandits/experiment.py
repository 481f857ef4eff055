"""Experiment files: a TOML sweep over instance parameters, agents and settings.

::

    [sweep]
    name = "needle_vs_K"
    horizon = 2000          # pulls per run (a list sweeps it)
    runs = 200
    seed = 1
    checkpoints = 100       # a count of log-spaced points (T always included) or a list
    batch = 1               # pulls per round (a list sweeps it)
    [instance]
    family = "needle"       # a generator of bandits.instances
    K = [4, 16, 64]         # a list is swept; several lists make a grid
    m = 2
    [[agent]]
    name = "ucb1"
    alpha = 2.0             # agent parameters may be lists too; lam = batch penalty
    [[agent]]
    name = "thompson"

A string that starts with ``=`` is an expression of the cell's other values
(``eps = "= sqrt(K / T) / 2"``); see :mod:`bandits.expressions` for what it may contain. The
names it can use: the instance parameters, ``T`` (= horizon), ``n`` (= batch), ``runs``.

:func:`load` parses and validates the whole file before anything runs, and every problem is
reported as an :class:`ExperimentError` whose one-line message names the file and the field.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, instances
from .agents.base import Agent, make_agent
from .expressions import ExpressionError, evaluate, is_expression, names_in

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SWEEP_KEYS = {"name": str, "horizon": int, "runs": int, "seed": int, "checkpoints": (int, list), "batch": int,
              "description": str}
SWEEPABLE = ("horizon", "batch")
CELL_LIMIT = 10_000   # more cells than this need --yes (max_cells=None in Python)
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,99}")
def _default_name(source: str) -> str:
    """The file's stem, or ``experiment`` for a table given in Python (``from_dict``)."""
    stem = Path(source).stem
    return stem if NAME_PATTERN.fullmatch(stem) else "experiment"


class _TomlFamilies(Mapping):
    """The instance families an experiment file may name: every registered one (built-in or
    added with :func:`bandits.instances.define_family`) except ``from_arrays``, read live."""

    def __getitem__(self, name):
        if name == "from_arrays":
            raise KeyError(name)
        return instances.FAMILIES[name]

    def __iter__(self):
        return (name for name in instances.FAMILIES if name != "from_arrays")

    def __len__(self):
        return sum(1 for _ in self)


TOML_FAMILIES = _TomlFamilies()


class ExperimentError(ValueError):
    """A problem in an experiment file; the message is one line naming file and field."""


@dataclass(frozen=True)
class Cell:
    """One simulation of a sweep: an instance, an agent and the settings."""

    family: str
    instance_params: dict
    agent: Agent
    horizon: int
    batch: int
    runs: int
    seed: int
    checkpoints: object  # int count or tuple of ints

    def describe(self) -> dict:
        """Plain values identifying the cell (stored with its results)."""
        return {"family": self.family, "instance": dict(self.instance_params), "agent": self.agent.name,
                "agent_params": dict(self.agent.params), "lam": self.agent.lam, "label": self.agent.label,
                "horizon": self.horizon, "batch": self.batch, "runs": self.runs, "seed": self.seed,
                "checkpoints": self.checkpoints, "version": __version__}

    @property
    def key(self) -> str:
        """A short hash of the cell's content: its file name in the results folder."""
        text = json.dumps(self.describe(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Experiment:
    name: str
    path: str
    config: dict          # the parsed file with defaults filled in
    cells: tuple
    swept: tuple          # names of the parameters that take several values
    figure: dict = field(default_factory=dict)  # how `bandits reproduce` draws it (not part of the hash)
    warnings: tuple = ()  # one-line notes on settings that run but may not mean what was meant

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.config, sort_keys=True).encode()).hexdigest()[:16]


def load(path, quick: bool = False, max_cells: int | None = CELL_LIMIT) -> Experiment:
    """Parse, validate and expand an experiment file into its cells.

    With ``quick``, the file's optional ``[quick.sweep]`` and ``[quick.instance]`` tables
    replace the matching fields (a smaller version of the same experiment, for tests).
    A grid of more than ``max_cells`` cells is refused before it is expanded (``None``: no
    limit); a cell that cannot fit in this machine's memory is always refused.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExperimentError(f"{path}: cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ExperimentError(f"{path}: not a UTF-8 text file") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"{path}: not valid TOML: {exc}") from None
    return from_dict(raw, source=str(path), quick=quick, max_cells=max_cells)


def check_name(name, fail) -> None:
    """A sweep name is a plain file name (it names the results folder and the figures)."""
    if not isinstance(name, str):
        fail("sweep.name", f"must be a string, got {name!r}")
    if not NAME_PATTERN.fullmatch(name) or name.strip(".") == "":
        fail("sweep.name", f"must be a plain name (letters, digits, _ . + -; no path), got {name!r}")


def _check_cell_count(count: int, max_cells, fail) -> None:
    if max_cells is not None and count > max_cells:
        fail("sweep", f"the grid has {count:,} cells, more than {max_cells:,}; check the lists, "
                      "or pass --yes to run it anyway")


def from_dict(raw: dict, source: str = "<experiment>", quick: bool = False,
              max_cells: int | None = CELL_LIMIT) -> Experiment:
    def fail(field, problem):
        raise ExperimentError(f"{source}: {field}: {problem}")

    learners = "questions" in raw or "learner" in raw
    sections = {"sweep", "questions", "learner"} if learners else {"sweep", "instance", "agent"}
    unknown = sorted(set(raw) - sections - {"quick", "figure"})
    if unknown:
        expected = ("[sweep], [questions], [[learner]]" if learners else "[sweep], [instance], [[agent]]")
        fail(unknown[0], f"unknown section (expected {expected}, [quick] and [figure])")
    figure = raw.get("figure", {})
    if not isinstance(figure, dict):
        fail("[figure]", "must be a table")
    overrides = raw.get("quick", {})
    if (not isinstance(overrides, dict) or set(overrides) - {"sweep", "instance", "questions"}
            or not all(isinstance(t, dict) for t in overrides.values())):
        fail("[quick]", "may only hold the tables [quick.sweep] and [quick.instance] (or [quick.questions])")
    _check_figure(figure, learners, fail)
    if quick:
        raw = {**raw, **{part: {**raw.get(part, {}), **table} for part, table in overrides.items()}}
    if learners:
        return _learner_experiment(raw, source, figure, fail, max_cells)
    for section, kind in (("sweep", dict), ("instance", dict), ("agent", list)):
        if section not in raw:
            fail(f"[{section}]", "missing section")
        if not isinstance(raw[section], kind):
            fail(f"[{section}]", "must be a table" if kind is dict else "must be an array of tables [[agent]]")

    sweep = dict(raw["sweep"])
    _check_fields(sweep, SWEEP_KEYS, ("horizon", "runs"), "sweep", fail)
    sweep.setdefault("name", _default_name(source))
    check_name(sweep["name"], fail)
    sweep.setdefault("seed", 0)
    sweep.setdefault("checkpoints", 100)
    sweep.setdefault("batch", 1)
    for key, kind in SWEEP_KEYS.items():
        if key not in sweep:
            continue
        values = sweep[key] if (key in SWEEPABLE and isinstance(sweep[key], list)) else [sweep[key]]
        if key in SWEEPABLE and not values:
            fail(f"sweep.{key}", "an empty list sweeps nothing")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, kind):
                name = kind.__name__ if isinstance(kind, type) else "an integer or a list of integers"
                fail(f"sweep.{key}", f"must be {'an integer' if kind is int else name}, got {v!r}")
            if kind is int and key != "seed" and v < 1:
                fail(f"sweep.{key}", f"must be >= 1, got {v}")
            if key == "seed" and v < 0:
                fail("sweep.seed", f"must be >= 0, got {v}")
    if isinstance(sweep["checkpoints"], int) and sweep["checkpoints"] < 1:
        fail("sweep.checkpoints", f"must be a count >= 1 or a list of pull counts, got {sweep['checkpoints']}")
    if isinstance(sweep["checkpoints"], list):
        if not sweep["checkpoints"] or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 1
                                               for c in sweep["checkpoints"]):
            fail("sweep.checkpoints", "must be a count or a non-empty list of pull counts >= 1")
        horizons = sweep["horizon"] if isinstance(sweep["horizon"], list) else [sweep["horizon"]]
        if max(sweep["checkpoints"]) > min(horizons):
            fail("sweep.checkpoints", f"pull counts must not exceed the horizon ({min(horizons)})")

    inst = dict(raw["instance"])
    family = inst.pop("family", None)
    if family is None:
        fail("instance.family", "missing field")
    if not isinstance(family, str) or family not in TOML_FAMILIES:
        fail("instance.family", f"unknown family {family!r} (known: {', '.join(TOML_FAMILIES)})")
    signature = inspect.signature(TOML_FAMILIES[family]).parameters
    for key in inst:
        if key not in signature:
            fail(f"instance.{key}", f"family {family!r} has no parameter {key!r} (its parameters: "
                                    f"{', '.join(signature)})")
    for key, p in signature.items():
        if p.default is inspect.Parameter.empty and key not in inst:
            fail(f"instance.{key}", f"missing parameter of family {family!r}")

    agents = raw["agent"]
    if not agents:
        fail("[[agent]]", "at least one agent is needed")
    for i, entry in enumerate(agents):
        if not isinstance(entry, dict) or "name" not in entry:
            fail(f"agent[{i}].name", "missing field")

    def grid(table, prefix):
        keys = list(table)
        lists = []
        for k in keys:
            value = table[k]
            if isinstance(value, list):
                if not value:
                    fail(f"{prefix}.{k}", "an empty list sweeps nothing")
                lists.append(value)
            else:
                lists.append([value])
        return keys, [dict(zip(keys, combo)) for combo in itertools.product(*lists)]

    settings = {k: sweep[k] for k in SWEEPABLE}
    sizes = [len(v) if isinstance(v, list) else 1 for v in [*settings.values(), *inst.values()]]
    agent_sizes = [math.prod(len(v) if isinstance(v, list) else 1 for k, v in e.items() if k != "name")
                   for e in agents]
    _check_cell_count(math.prod(sizes) * sum(agent_sizes), max_cells, fail)  # before expanding anything
    _, setting_points = grid(settings, "sweep")
    _, instance_points = grid(inst, "instance")
    notes = []
    for setting in setting_points:
        if setting["batch"] > setting["horizon"]:
            fail("sweep.batch", f"batch = {setting['batch']} is larger than horizon = {setting['horizon']}: "
                                "not one round would complete")
    if sweep["runs"] < 2:
        notes.append(f"{source}: sweep.runs = {sweep['runs']}: one run has no spread, so no confidence "
                     "interval is computed (sem and the interval are empty)")
    swept = [k for k in SWEEPABLE if isinstance(sweep[k], list)]
    swept += [k for k in inst if isinstance(inst[k], list)]

    cells, seen = [], set()
    checkpoints = tuple(sweep["checkpoints"]) if isinstance(sweep["checkpoints"], list) else sweep["checkpoints"]
    for setting in setting_points:
        for point in instance_points:
            variables = {"T": setting["horizon"], "horizon": setting["horizon"], "n": setting["batch"],
                         "batch": setting["batch"], "runs": sweep["runs"]}
            params = _resolve(point, variables, "instance", fail)
            _check_cell_memory(params, sweep["runs"], checkpoints, setting["horizon"], fail)
            try:
                instance = TOML_FAMILIES[family](**params)
            except (TypeError, ValueError) as exc:
                fail("instance", f"{exc} (at {_where(params)})")
            except MemoryError:
                fail("instance", f"out of memory building the instance (at {_where(params)})")
            for i, entry in enumerate(agents):
                entry = dict(entry)
                name = entry.pop("name")
                _, agent_points = grid(entry, f"agent[{i}]")
                for apoint in agent_points:
                    aparams = _resolve(apoint, {**variables, **params}, f"agent[{i}]", fail)
                    try:
                        agent = make_agent(name, **aparams)
                        agent.spec.check_instance(instance)
                    except (TypeError, ValueError) as exc:
                        fail(f"agent[{i}]", str(exc))
                    cell = Cell(family, params, agent, setting["horizon"], setting["batch"], sweep["runs"],
                                sweep["seed"], checkpoints)
                    if cell.key in seen:
                        fail(f"agent[{i}]", f"the same cell appears twice ({agent.label} at {_where(params)})")
                    seen.add(cell.key)
                    cells.append(cell)
    for entry in agents:  # swept agent parameters, named as summary.csv names them
        for k, v in entry.items():
            column = "lam" if k == "lam" else f"agent.{k}"
            if isinstance(v, list) and column not in swept:
                swept.append(column)
    config = {"sweep": sweep, "instance": {"family": family, **inst}, "agent": agents, "version": __version__}
    return Experiment(sweep["name"], source, config, tuple(cells), tuple(swept), figure, tuple(notes))


def _check_cell_memory(params: dict, runs: int, checkpoints, horizon: int, fail) -> None:
    """Refuse a cell whose metric arrays or instance cannot fit in memory (before building it)."""
    from .simulate import check_memory, estimate_bytes

    count = len(checkpoints) if isinstance(checkpoints, tuple) else min(checkpoints, horizon) + 1
    sizes = [params.get(k) for k in ("K", "m")]
    K, m = (v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else 0 for v in sizes)
    try:
        check_memory(estimate_bytes(runs, count, K, max(m, 2) if K else 0),
                     f"a cell ({_where(params)}, runs={runs}, {count} checkpoints)")
    except ValueError as exc:
        fail("sweep", str(exc))


def _check_fields(table: dict, allowed, required, prefix: str, fail) -> None:
    """Refuse unknown and missing fields of a table, naming the first one."""
    for key in table:
        if key not in allowed:
            fail(f"{prefix}.{key}", f"unknown field (expected one of {', '.join(allowed)})")
    for key in required:
        if key not in table:
            fail(f"{prefix}.{key}", "missing field")


FIGURE_KINDS = {"minimax": {"x", "upper", "slope"}, "scaling": {"x", "expected"}, "horizon": {"limit", "change"},
                "tradeoff": {"pass_ratio", "diversity_ratio", "price_ratio"},
                "rl": {"collapse_ratio", "solved_gain", "pass_gain"},
                "collision": {"band"}, "entropy": {"etas", "ratio", "slope"}, "amplification": {"band", "p_ref"}, "passk": {"band", "ks"}, "pkpo": {"ks"}}
LEARNER_FIGURE_KINDS = {"rl", "collision", "entropy", "amplification", "passk", "pkpo"}  # the kinds of experiments with [[learner]] tables


def _check_figure(figure: dict, learners: bool, fail) -> None:
    """The [figure] table that `bandits reproduce` reads: a known kind, its required fields, bands and controls."""
    if not figure:
        return
    kind = figure.get("kind")
    if not isinstance(kind, str) or kind not in FIGURE_KINDS or (kind in LEARNER_FIGURE_KINDS) != learners:
        known = ", ".join(sorted(LEARNER_FIGURE_KINDS)) if learners else "minimax, scaling, horizon, tradeoff"
        fail("figure.kind", f"unknown figure kind {kind!r} (known here: {known})")
    for key in sorted(FIGURE_KINDS[kind] - set(figure)):
        fail(f"figure.{key}", f"missing field of a {kind!r} figure")
    bands = figure.get("expected", {})
    bands = dict(bands) if isinstance(bands, dict) else {"expected": bands}
    if "slope" in figure:
        bands["slope"] = figure["slope"]
    for name, band in bands.items():
        if not (isinstance(band, list) and len(band) == 2 and all(isinstance(v, (int, float))
                                                                and not isinstance(v, bool) for v in band)
                and band[0] <= band[1]):
            fail(f"figure.{'slope' if name == 'slope' else 'expected'}", f"a band must be [low, high], got {band!r}")
    controls = figure.get("controls", {})
    if not isinstance(controls, dict) or not all(isinstance(v, list) and all(isinstance(c, str) for c in v)
                                                 for v in controls.values()):
        fail("figure.controls", "must be a table: agent name = [names of the checks it must fail]")


def _resolve(point: dict, variables: dict, prefix: str, fail) -> dict:
    """Evaluate the ``=`` expressions of ``point`` (in dependency order) given ``variables``."""
    values = {k: v for k, v in point.items() if not is_expression(v)}
    pending = {k: v for k, v in point.items() if is_expression(v)}
    while pending:
        progress = False
        for key, text in list(pending.items()):
            try:
                needs = names_in(text)
            except ExpressionError as exc:
                fail(f"{prefix}.{key}", str(exc))
            if needs & set(pending):
                continue
            try:
                values[key] = evaluate(text, {**variables, **values})
            except ExpressionError as exc:
                fail(f"{prefix}.{key}", str(exc))
            del pending[key]
            progress = True
        if not progress:
            fail(f"{prefix}.{sorted(pending)[0]}", "expressions refer to each other in a cycle")
    return {k: values[k] for k in point}


def _where(params: dict) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


# -- experiments with policy-gradient learners (SPEC 3 R3) ---------------------------------------

LEARNER_SWEEP_KEYS = {"name", "steps", "runs", "seed", "checkpoints", "description"}
LEARNER_KEYS = {"bonus", "param", "n", "eta", "beta", "c", "b0", "advantage", "reward", "k"}


@dataclass(frozen=True)
class LearnerCell:
    """One training run set: multi-question instance, learner settings, steps."""

    family: str
    instance_params: dict
    settings: dict
    steps: int
    runs: int
    seed: int
    checkpoints: object

    def describe(self) -> dict:
        from .rl.learner import learner_label
        label = learner_label(self.settings)
        return {"kind": "learner", "family": self.family, "instance": dict(self.instance_params),
                "settings": dict(self.settings), "label": label, "steps": self.steps, "runs": self.runs,
                "seed": self.seed, "checkpoints": self.checkpoints, "version": __version__}

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.describe(), sort_keys=True).encode()).hexdigest()[:16]


def _learner_experiment(raw, source, figure, fail, max_cells=CELL_LIMIT) -> Experiment:
    from .rl import learner as rl_learner
    from .rl.questions import FAMILIES as QUESTION_FAMILIES

    for section, kind in (("sweep", dict), ("questions", dict), ("learner", list)):
        if not isinstance(raw.get(section), kind):
            fail(f"[{section}]", "missing section" if section not in raw else "has the wrong form")
    sweep = dict(raw["sweep"])
    _check_fields(sweep, sorted(LEARNER_SWEEP_KEYS), ("steps", "runs"), "sweep", fail)
    for key in ("steps", "runs"):
        if isinstance(sweep[key], bool) or not isinstance(sweep[key], int) or sweep[key] < 1:
            fail(f"sweep.{key}", f"must be an integer >= 1, got {sweep[key]!r}")
    sweep.setdefault("name", _default_name(source))
    sweep.setdefault("seed", 0)
    sweep.setdefault("checkpoints", 40)
    if isinstance(sweep["seed"], bool) or not isinstance(sweep["seed"], int) or sweep["seed"] < 0:
        fail("sweep.seed", f"must be an integer >= 0, got {sweep['seed']!r}")
    ckpt = sweep["checkpoints"]
    if isinstance(ckpt, bool) or not (isinstance(ckpt, int) and ckpt >= 1 or isinstance(ckpt, list) and ckpt
                                      and all(isinstance(c, int) and not isinstance(c, bool)
                                              and 0 <= c <= sweep["steps"] for c in ckpt)):
        fail("sweep.checkpoints", f"must be a count >= 1 or a list of step counts in [0, steps], got {ckpt!r}")
    check_name(sweep["name"], fail)
    questions = dict(raw["questions"])
    family = questions.pop("family", "transfer")
    if not isinstance(family, str) or family not in QUESTION_FAMILIES or family == "from_arrays":
        fail("questions.family", f"unknown family {family!r} (known: transfer)")
    try:
        QUESTION_FAMILIES[family](**questions)
    except (TypeError, ValueError) as exc:
        fail("questions", str(exc))
    cells = []
    _check_cell_count(sum(math.prod(len(v) if isinstance(v, list) else 1 for v in e.values())
                          for e in raw["learner"] if isinstance(e, dict)), max_cells, fail)
    for i, entry in enumerate(raw["learner"]):
        if not isinstance(entry, dict):
            fail(f"learner[{i}]", "must be a table [[learner]]")
        unknown = sorted(set(entry) - LEARNER_KEYS)
        if unknown:
            fail(f"learner[{i}].{unknown[0]}", f"unknown field (expected some of {', '.join(sorted(LEARNER_KEYS))})")
        keys = list(entry)
        lists = [entry[k] if isinstance(entry[k], list) else [entry[k]] for k in keys]
        for k, values in zip(keys, lists):
            if not values:
                fail(f"learner[{i}].{k}", "an empty list sweeps nothing")
        for combo in itertools.product(*lists):
            given = dict(zip(keys, combo))
            settings = {"bonus": "none", "param": "arm", "n": 8, "eta": 0.5, "beta": 0.0, "c": 0.2, "b0": 0.5,
                        **given}
            try:
                settings = rl_learner.check_settings(settings)
            except (TypeError, ValueError) as exc:
                fail(f"learner[{i}]", str(exc))
            cells.append(LearnerCell(family, questions, settings, sweep["steps"], sweep["runs"], sweep["seed"],
                                     sweep["checkpoints"]))
    if not cells:
        fail("[[learner]]", "at least one learner is needed")
    if len({c.key for c in cells}) != len(cells):
        fail("[[learner]]", "the same learner appears twice")
    config = {"sweep": sweep, "questions": {"family": family, **questions}, "learner": raw["learner"],
              "version": __version__}
    return Experiment(sweep["name"], source, config, tuple(cells), (), figure)
