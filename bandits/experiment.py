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
    generator = "needle"    # a function of bandits.instances (GENERATORS)
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

An experiment with ``[questions]`` and ``[[learner]]`` tables instead of ``[instance]`` and
``[[agent]]`` trains policy-gradient learners (:mod:`bandits.rl`); both kinds expand into cells
(:mod:`bandits.cells`) with the same grid, the same checks and the same ``[sweep]`` declarations
(:data:`SWEEP_FIELDS`). A learner sweep's ``seeds = "common"`` gives every learner the same run
seeds (keyed by the questions and the steps only), so that learners compare on paired runs.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NoReturn

from . import rollouts  # noqa: F401  (registers generator = "rollouts" for [instance] and [questions])
from ._validate import MAX_LENGTH, REQUIRED, Param
from ._version import __version__
from .agents.base import make_agent
from .cells import BanditCell, LearnerCell
from .engine.memory import check_memory, estimate_bytes
from .expressions import ExpressionError, evaluate, is_expression, names_in
from .instances import TOML_GENERATORS
from .rl.learner import SETTINGS, check_settings
from .rl.questions import TOML_GENERATORS as TOML_QUESTION_GENERATORS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SWEEPABLE = ("horizon", "batch")
CELL_LIMIT = 10_000   # more cells than this need --yes (max_cells=None in Python)
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,99}")

#: The ``[sweep]`` fields of each kind of experiment, declared once (numbers checked by :class:`Param`).
SWEEP_FIELDS = {
    "bandit": {"horizon": Param(REQUIRED, "pulls per run (a list sweeps it)", integer=True, low=1, high=MAX_LENGTH),
               "runs": Param(REQUIRED, "independent runs per cell", integer=True, low=1),
               "seed": Param(0, "root seed of the sweep", integer=True, low=0),
               "batch": Param(1, "pulls per round (a list sweeps it)", integer=True, low=1)},
    "learner": {"steps": Param(REQUIRED, "training steps per run", integer=True, low=1, high=MAX_LENGTH),
                "runs": Param(REQUIRED, "independent runs per cell", integer=True, low=1),
                "seed": Param(0, "root seed of the sweep", integer=True, low=0),
                "seeds": Param("own", "'own': each learner its own run seeds; 'common': every learner the same "
                                      "(keyed by the questions and steps only), for paired comparisons",
                               choices=("own", "common"))},
}
#: Fields every ``[sweep]`` table may have besides its numbers, and the default checkpoint count.
TEXT_FIELDS = ("name", "description", "baseline")
DEFAULT_CHECKPOINTS = {"bandit": 100, "learner": 40}
#: The sections of each kind: ``[sweep]``, the thing simulated, and who acts on it.
SECTIONS = {"bandit": {"sweep": dict, "instance": dict, "agent": list},
            "learner": {"sweep": dict, "questions": dict, "learner": list}}


def _default_name(source: str) -> str:
    """The file's stem, or ``experiment`` for a table given in Python (``from_dict``)."""
    stem = Path(source).stem
    return stem if NAME_PATTERN.fullmatch(stem) else "experiment"


class ExperimentError(ValueError):
    """A problem in an experiment file; the message is one line naming file and field."""


@dataclass(frozen=True)
class Experiment:
    name: str
    path: str
    config: dict          # the parsed file with defaults filled in (without its description)
    cells: tuple          # BanditCell or LearnerCell (bandits.cells)
    swept: tuple          # names of the parameters that take several values
    figure: dict = field(default_factory=dict)  # for the paper's code (`bandits reproduce`; not in the hash)
    warnings: tuple = ()  # one-line notes on settings that run but may not mean what was meant
    description: str = ""  # the file's words about itself (not part of the hash)

    @property
    def kind(self) -> str:
        return self.cells[0].kind

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.config, sort_keys=True).encode()).hexdigest()[:16]


def load(path: str | Path, quick: bool = False, max_cells: int | None = CELL_LIMIT) -> Experiment:
    """Parse, validate and expand an experiment file into its cells.

    With ``quick``, the file's optional ``[quick.sweep]`` and ``[quick.instance]`` (or
    ``[quick.questions]``) tables replace the matching fields (a smaller version of the same
    experiment, for tests). A grid of more than ``max_cells`` cells is refused before it is
    expanded (``None``: no limit); a cell that cannot fit in this machine's memory is always refused.
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


def check_name(name: object, fail: Callable[[str, str], NoReturn]) -> None:
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
    """:func:`load` for a table already parsed (the same checks, messages naming ``source``)."""
    def fail(field, problem):
        raise ExperimentError(f"{source}: {field}: {problem}")

    kind = "learner" if ("questions" in raw or "learner" in raw) else "bandit"
    sections = SECTIONS[kind]
    unknown = sorted(set(raw) - set(sections) - {"quick", "figure"})
    if unknown:
        expected = ", ".join(f"[{s}]" if t is dict else f"[[{s}]]" for s, t in sections.items())
        fail(unknown[0], f"unknown section (expected {expected}, [quick] and [figure])")
    figure = raw.get("figure", {})
    if not isinstance(figure, dict):
        fail("[figure]", "must be a table")
    overrides = raw.get("quick", {})
    if (not isinstance(overrides, dict) or set(overrides) - {"sweep", "instance", "questions"}
            or not all(isinstance(t, dict) for t in overrides.values())):
        fail("[quick]", "may only hold the tables [quick.sweep] and [quick.instance] (or [quick.questions])")
    _check_figure(figure, kind, fail)
    if quick:
        raw = {**raw, **{part: {**raw.get(part, {}), **table} for part, table in overrides.items()}}
    for section, shape in sections.items():
        if section not in raw:
            fail(f"[{section}]", "missing section")
        if not isinstance(raw[section], shape):
            fail(f"[{section}]", "must be a table" if shape is dict else f"must be an array of tables [[{section}]]")
    sweep, description = _sweep(raw["sweep"], kind, source, fail)
    if kind == "bandit":
        cells, swept, notes, config = _bandit_cells(raw, sweep, source, fail, max_cells)
        if "baseline" in sweep:
            _check_baseline(sweep["baseline"], cells, fail)
    else:
        if "baseline" in sweep:
            fail("sweep.baseline", "paired differences are for bandit experiments ([[agent]] tables)")
        cells, swept, notes, config = _learner_cells(raw, sweep, fail, max_cells)
    return Experiment(sweep["name"], source, {**config, "version": __version__}, tuple(cells), tuple(swept),
                      figure, tuple(notes), description)


def _sweep(table: dict, kind: str, source: str, fail) -> tuple[dict, str]:
    """The ``[sweep]`` table checked against :data:`SWEEP_FIELDS`, defaults filled in; its description."""
    fields = SWEEP_FIELDS[kind]
    sweep = dict(table)
    description = sweep.pop("description", "")
    allowed = [*fields, "checkpoints", *TEXT_FIELDS]
    for key in sweep:
        if key not in allowed:
            fail(f"sweep.{key}", f"unknown field (expected one of {', '.join(allowed)})")
    if not isinstance(description, str):
        fail("sweep.description", f"must be a string, got {description!r}")
    for key, param in fields.items():
        if key not in sweep:
            if param.default is REQUIRED:
                fail(f"sweep.{key}", "missing field")
            sweep[key] = param.default
            continue
        values = sweep[key] if (key in SWEEPABLE and isinstance(sweep[key], list)) else [sweep[key]]
        if key in SWEEPABLE and not values:
            fail(f"sweep.{key}", "an empty list sweeps nothing")
        for value in values:
            _checked(param, value, f"sweep.{key}", source)
    sweep.setdefault("name", _default_name(source))
    check_name(sweep["name"], fail)
    sweep.setdefault("checkpoints", DEFAULT_CHECKPOINTS[kind])
    length = "horizon" if kind == "bandit" else "steps"
    lengths = sweep[length] if isinstance(sweep[length], list) else [sweep[length]]
    sweep["checkpoints"] = _check_checkpoints(sweep["checkpoints"], length, min(lengths), 1 if kind == "bandit" else 0,
                                              fail)
    return sweep, description


def _check_baseline(baseline, cells, fail) -> None:
    """``baseline`` names one agent of the sweep: a label (``ucb1(alpha=2)``) or a name given once."""
    if not isinstance(baseline, str):
        fail("sweep.baseline", f"must be an agent's label or name, got {baseline!r}")
    labels = {c.agent.label for c in cells}
    by_name = {c.agent.label for c in cells if c.agent.name == baseline}
    if baseline not in labels and len(by_name) != 1:
        problem = "matches several agents" if by_name else "is not an agent of this sweep"
        fail("sweep.baseline", f"{baseline!r} {problem} (labels: {', '.join(sorted(labels))})")


def _checked(param: Param, value, field: str, source: str):
    """``param.check`` with the message ``SOURCE: FIELD: must be ...``."""
    try:
        return param.check(value, f"{field}:")
    except (TypeError, ValueError) as exc:
        raise ExperimentError(f"{source}: {exc}") from None


def _check_checkpoints(value, length: str, shortest: int, low: int, fail):
    """A count of log-spaced checkpoints, or a list of pull (step) counts in [low, shortest length]."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            fail("sweep.checkpoints", f"must be a count >= 1 or a list of counts, got {value}")
        return value
    if not (isinstance(value, list) and value and all(isinstance(c, int) and not isinstance(c, bool) for c in value)):
        fail("sweep.checkpoints", f"must be a count >= 1 or a non-empty list of integer counts, got {value!r}")
    if min(value) < low or max(value) > shortest:
        fail("sweep.checkpoints", f"counts must lie in [{low}, {length} = {shortest}], got {min(value)}..{max(value)}")
    return value


def grid(table: dict, prefix: str, fail: Callable[[str, str], NoReturn]) -> list[dict]:
    """Every combination of the table's values: a list is swept, several lists make a grid."""
    keys, lists = list(table), []
    for k in keys:
        value = table[k]
        if isinstance(value, list) and not value:
            fail(f"{prefix}.{k}", "an empty list sweeps nothing")
        lists.append(value if isinstance(value, list) else [value])
    return [dict(zip(keys, combo)) for combo in itertools.product(*lists)]


def grid_size(table: dict) -> int:
    """The number of points of :func:`grid` (counted before anything is expanded)."""
    return math.prod(len(v) if isinstance(v, list) else 1 for v in table.values())


def _generator(table: dict, section: str, generators, fail):
    """The generator named by ``table`` (``generator = NAME``) and its remaining fields, checked
    against its declared parameters."""
    table = dict(table)
    if "family" in table and "generator" not in table:
        fail(f"{section}.family", "renamed: write generator = ... (the function that builds the "
                                  f"{'instance' if section == 'instance' else 'question set'})")
    name = table.pop("generator", None)
    if name is None:
        fail(f"{section}.generator", "missing field")
    if not isinstance(name, str) or name not in generators:
        fail(f"{section}.generator", f"unknown generator {name!r} (known: {', '.join(generators)})")
    signature = inspect.signature(generators[name]).parameters
    for key in table:
        if key not in signature:
            fail(f"{section}.{key}", f"generator {name!r} has no parameter {key!r} (its parameters: "
                                     f"{', '.join(signature)})")
    for key, p in signature.items():
        if p.default is inspect.Parameter.empty and key not in table:
            fail(f"{section}.{key}", f"missing parameter of generator {name!r}")
    return name, table


def _bandit_cells(raw, sweep, source, fail, max_cells):
    generator, inst = _generator(raw["instance"], "instance", TOML_GENERATORS, fail)
    agents = raw["agent"]
    if not agents:
        fail("[[agent]]", "at least one agent is needed")
    for i, entry in enumerate(agents):
        if not isinstance(entry, dict) or "name" not in entry:
            fail(f"agent[{i}].name", "missing field")
    settings = {k: sweep[k] for k in SWEEPABLE}
    agent_points = sum(grid_size({k: v for k, v in e.items() if k != "name"}) for e in agents)
    _check_cell_count(grid_size(settings) * grid_size(inst) * agent_points, max_cells, fail)  # before expanding
    setting_points = grid(settings, "sweep", fail)
    instance_points = grid(inst, "instance", fail)
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
                instance = TOML_GENERATORS[generator](**params)
            except (TypeError, ValueError) as exc:
                fail("instance", f"{exc} (at {where(params)})")
            except MemoryError:
                fail("instance", f"out of memory building the instance (at {where(params)})")
            for i, entry in enumerate(agents):
                entry = dict(entry)
                name = entry.pop("name")
                for apoint in grid(entry, f"agent[{i}]", fail):
                    aparams = _resolve(apoint, {**variables, **params}, f"agent[{i}]", fail)
                    try:
                        agent = make_agent(name, **aparams)
                        agent.spec.check_instance(instance)
                    except (TypeError, ValueError) as exc:
                        fail(f"agent[{i}]", str(exc))
                    cell = BanditCell(generator, params, agent, setting["horizon"], setting["batch"], sweep["runs"],
                                      sweep["seed"], checkpoints)
                    if cell.key in seen:
                        fail(f"agent[{i}]", f"the same cell appears twice ({agent.label} at {where(params)})")
                    seen.add(cell.key)
                    cells.append(cell)
    for entry in agents:  # swept agent parameters, named as summary.csv names them
        for k, v in entry.items():
            column = "lam" if k == "lam" else f"agent.{k}"
            if isinstance(v, list) and column not in swept:
                swept.append(column)
    config = {"sweep": sweep, "instance": {"generator": generator, **inst}, "agent": agents}
    return cells, swept, notes, config


def _check_cell_memory(params: dict, runs: int, checkpoints, horizon: int, fail) -> None:
    """Refuse a cell whose metric arrays or instance cannot fit in memory (before building it)."""
    count = len(checkpoints) if isinstance(checkpoints, tuple) else min(checkpoints, horizon) + 1
    sizes = [params.get(k) for k in ("K", "m")]
    K, m = (v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else 0 for v in sizes)
    try:
        check_memory(estimate_bytes(runs, count, K, max(m, 2) if K else 0),
                     f"a cell ({where(params)}, runs={runs}, {count} checkpoints)")
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


def _check_figure(figure: dict, experiment_kind: str, fail) -> None:
    """A ``[figure]`` table is for the code that draws the figure (``bandits reproduce DIR`` reads
    it with DIR/claims); the library only asks that it name its kind."""
    if figure and not isinstance(figure.get("kind"), str):
        fail("figure.kind", "missing field (the kind of figure the experiment folder's claims code draws)")


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


def where(params: dict) -> str:
    """A cell's point as messages and ``--dry-run`` write it: ``K=8, m=2, eps=0.1``."""
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def _learner_cells(raw, sweep, fail, max_cells):
    generator, questions = _generator(raw["questions"], "questions", TOML_QUESTION_GENERATORS, fail)
    try:
        TOML_QUESTION_GENERATORS[generator](**questions)
    except (TypeError, ValueError) as exc:
        fail("questions", str(exc))
    learners = raw["learner"]
    if not learners:
        fail("[[learner]]", "at least one learner is needed")
    for i, entry in enumerate(learners):
        if not isinstance(entry, dict):
            fail(f"learner[{i}]", "must be a table [[learner]]")
    _check_cell_count(sum(grid_size(e) for e in learners), max_cells, fail)
    cells = []
    checkpoints = tuple(sweep["checkpoints"]) if isinstance(sweep["checkpoints"], list) else sweep["checkpoints"]
    for i, entry in enumerate(learners):
        unknown = sorted(set(entry) - set(SETTINGS))
        if unknown:
            fail(f"learner[{i}].{unknown[0]}", f"unknown field (expected some of {', '.join(SETTINGS)})")
        for given in grid(entry, f"learner[{i}]", fail):
            try:
                settings = check_settings(given)
            except (TypeError, ValueError) as exc:
                fail(f"learner[{i}]", str(exc))
            cells.append(LearnerCell(generator, questions, settings, sweep["steps"], sweep["runs"], sweep["seed"],
                                     checkpoints, sweep["seeds"] == "common"))
    if len({c.key for c in cells}) != len(cells):
        fail("[[learner]]", "the same learner appears twice")
    swept = sorted({k for e in learners for k, v in e.items() if isinstance(v, list)})
    config = {"sweep": sweep, "questions": {"generator": generator, **questions}, "learner": learners}
    return cells, swept, [], config
