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
import itertools
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NoReturn

from . import rollouts  # noqa: F401  (registers generator = "rollouts" for [instance] and [questions])
from ._validate import MAX_LENGTH, REQUIRED, Param, name_problems, signature_params
from ._version import __version__
from .agents.base import make_agent
from .cells import BanditCell, LearnerCell
from .engine.memory import check_memory, estimate_bytes
from .expressions import ExpressionError, evaluate, is_expression, names_in
from .instances import TOML_GENERATORS
from .rl.learner import SETTINGS, check_settings
from .rl.questions import TOML_GENERATORS as TOML_QUESTION_GENERATORS
from .rules import (NAME_PATTERN, check_checkpoints, check_name, checkpoint_count, instance_size, is_plain,
                    round_problem, runs_problem)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SWEEPABLE = ("horizon", "batch")
CELL_LIMIT = 10_000   # more cells than this need --yes (max_cells=None in Python)

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
    return stem if is_plain(stem) else "experiment"


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
    _rule(check_name, sweep["name"], "sweep.name:", fail=fail)
    sweep.setdefault("checkpoints", DEFAULT_CHECKPOINTS[kind])
    length = "horizon" if kind == "bandit" else "steps"
    lengths = sweep[length] if isinstance(sweep[length], list) else [sweep[length]]
    checked = _rule(check_checkpoints, sweep["checkpoints"], min(lengths), low=1 if kind == "bandit" else 0,
                    name="sweep.checkpoints:", length_name=length, fail=fail)
    sweep["checkpoints"] = checked if isinstance(checked, int) else sweep["checkpoints"]
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


def _rule(check, value, *args, fail, **kwargs):
    """A shared rule of :mod:`bandits.rules` applied to a field; its message (which starts with the
    field's name and a colon) reported as ``SOURCE: FIELD: ...``."""
    try:
        return check(value, *args, **kwargs)
    except ValueError as exc:
        field, _, problem = str(exc).partition(": ")
        fail(field, problem.removeprefix(" "))


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
    params = signature_params(generators[name])
    unknown, missing = name_problems(table, params)  # the names only: values may be lists or expressions
    if unknown:
        fail(f"{section}.{unknown[0]}", f"generator {name!r} has no parameter {unknown[0]!r} (its parameters: "
                                        f"{', '.join(params)})")
    if missing:
        fail(f"{section}.{missing[0]}", f"missing parameter of generator {name!r}")
    return name, table


def _bandit_cells(raw, sweep, source, fail, max_cells):
    """The cells of a bandit experiment: every setting x instance point x agent point."""
    generator, inst = _generator(raw["instance"], "instance", TOML_GENERATORS, fail)
    agents = _agent_entries(raw["agent"], fail)
    settings = {k: sweep[k] for k in SWEEPABLE}
    agent_points = sum(grid_size({k: v for k, v in e.items() if k != "name"}) for e in agents)
    _check_cell_count(grid_size(settings) * grid_size(inst) * agent_points, max_cells, fail)  # before expanding
    setting_points = grid(settings, "sweep", fail)
    for setting in setting_points:
        problem = round_problem(setting["horizon"], setting["batch"])
        if problem:
            fail("sweep.batch", problem)
    notes = [f"{source}: sweep.{note}" for note in [runs_problem(sweep["runs"])] if note]
    checkpoints = tuple(sweep["checkpoints"]) if isinstance(sweep["checkpoints"], list) else sweep["checkpoints"]
    cells, seen = [], set()
    for setting in setting_points:
        for point in grid(inst, "instance", fail):
            for field, cell in _cells_at(generator, point, setting, agents, sweep, checkpoints, fail):
                if cell.key in seen:
                    fail(field, f"the same cell appears twice ({cell.agent.label} at {where(cell.instance_params)})")
                seen.add(cell.key)
                cells.append(cell)
    config = {"sweep": sweep, "instance": {"generator": generator, **inst}, "agent": agents}
    return cells, _bandit_swept(sweep, inst, agents), notes, config


def _agent_entries(agents: list, fail) -> list:
    """The ``[[agent]]`` tables: at least one, each with a name."""
    if not agents:
        fail("[[agent]]", "at least one agent is needed")
    for i, entry in enumerate(agents):
        if not isinstance(entry, dict) or "name" not in entry:
            fail(f"agent[{i}].name", "missing field")
    return agents


def _cells_at(generator: str, point: dict, setting: dict, agents: list, sweep: dict, checkpoints, fail):
    """The cells of one setting (horizon, batch) and one instance point: the instance is built once
    (its memory checked first), then every agent point of every ``[[agent]]`` is checked on it."""
    variables = {"T": setting["horizon"], "horizon": setting["horizon"], "n": setting["batch"],
                 "batch": setting["batch"], "runs": sweep["runs"]}
    params = _resolve(point, variables, "instance", fail)
    _check_cell_memory(params, sweep["runs"], checkpoints, setting["horizon"], fail)
    instance = _build_instance(generator, params, fail)
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
            yield f"agent[{i}]", BanditCell(generator, params, agent, setting["horizon"], setting["batch"],
                                            sweep["runs"], sweep["seed"], checkpoints)


def _build_instance(generator: str, params: dict, fail):
    """The instance of one point, or a one-line failure naming the point."""
    try:
        return TOML_GENERATORS[generator](**params)
    except (TypeError, ValueError) as exc:
        fail("instance", f"{exc} (at {where(params)})")
    except MemoryError:
        fail("instance", f"out of memory building the instance (at {where(params)})")


def _bandit_swept(sweep: dict, inst: dict, agents: list) -> list:
    """The names of the swept values, as ``summary.csv`` names its columns."""
    swept = [k for k in SWEEPABLE if isinstance(sweep[k], list)]
    swept += [k for k in inst if isinstance(inst[k], list)]
    for entry in agents:  # swept agent parameters
        for k, v in entry.items():
            column = "lam" if k == "lam" else f"agent.{k}"
            if isinstance(v, list) and column not in swept:
                swept.append(column)
    return swept


def _check_cell_memory(params: dict, runs: int, checkpoints, horizon: int, fail) -> None:
    """Refuse a cell whose metric arrays or instance cannot fit in memory (before building it)."""
    count = checkpoint_count(checkpoints, horizon)
    try:
        check_memory(estimate_bytes(runs, count, *instance_size(params)),
                     f"a cell ({where(params)}, runs={runs}, {count} checkpoints)")
    except ValueError as exc:
        fail("sweep", str(exc))


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
