"""One experiment model: declared parameters, one cell protocol for bandits and learners."""

import inspect
import json
import re

import numpy as np
import pytest

import bandits
from bandits import cells, engine, experiment, instances, sweep
from bandits.engine.memory import estimate_bytes
from bandits.simulate import MetricArrays
from bandits._validate import REQUIRED, Param, check_params, declared
from bandits.rl import learner


def test_param_checks_numbers_and_choices_with_one_line_messages():
    assert Param(1, integer=True, low=1).check(3, "x") == 3
    with pytest.raises(ValueError, match=r"^x must be >= 1, got 0$"):
        Param(1, integer=True, low=1).check(0, "x")
    with pytest.raises(TypeError, match="x must be an integer, got 2.5"):
        Param(1, integer=True).check(2.5, "x")
    p = Param("arm", choices=("arm", "outcome"))
    assert p.check("outcome", "param") == "outcome"
    with pytest.raises(ValueError, match=r"param must be one of 'arm', 'outcome'; got 'arms'"):
        p.check("arms", "param")
    flag = Param(False, choices=(False, True))
    assert flag.check(True, "f") is True
    with pytest.raises(ValueError):  # 1 == True, but it is not a boolean
        flag.check(1, "f")
    assert Param(0.5, low=0.0, high=1.0, low_open=True).describe() == "real in (0, 1]"


def test_check_params_fills_defaults_refuses_unknown_and_names_the_missing():
    table = {"a": Param(REQUIRED, integer=True, low=0), "b": Param(2.0)}
    assert check_params({"a": 1}, table, "thing") == {"a": 1, "b": 2.0}
    with pytest.raises(ValueError, match="thing has no parameter 'c'"):
        check_params({"a": 1, "c": 0}, table, "thing")
    with pytest.raises(ValueError, match="a is missing"):
        check_params({}, table, "thing")


def test_declared_generators_check_before_building_and_list_their_parameters():
    with pytest.raises(ValueError, match=r"^eps must be in \[0, 0.5\], got 0.7$"):
        instances.minimax_arms(K=3, eps=0.7)
    with pytest.raises(TypeError, match="K must be an integer"):
        instances.needle(K=2.5)
    assert instances.needle.params["m"].default == 2 and instances.needle.params["K"].default is REQUIRED
    with pytest.raises(TypeError, match="declare exactly"):  # a declaration that misses a parameter
        declared(K=Param(integer=True))(lambda *, K, m: None)

    @declared(K=Param(integer=True, low=2), shift=Param(low=0.0, high=1.0))
    def mine(*, K, shift=0.5):
        return instances.from_arrays(phi=np.r_[0, np.ones(K - 1, int)], mu=[1.0, shift])

    assert mine(K=3).K == 3 and mine.params["shift"].default == 0.5
    with pytest.raises(ValueError, match="shift must be in"):
        mine(K=3, shift=2.0)


def restated(fn, settings: dict) -> list[str]:
    """Where ``fn``'s keywords disagree with the declarations ``settings``: a setting it does not
    take, or a default other than the declared one."""
    keywords = inspect.signature(fn).parameters
    problems = [f"{name}: not a keyword" for name in settings if name not in keywords]
    problems += [f"{name}: default {keywords[name].default!r}, declared {p.default!r}"
                 for name, p in settings.items() if name in keywords and keywords[name].default != p.default]
    return problems


def test_learner_settings_are_one_declaration():
    assert restated(learner.train, learner.SETTINGS) == []
    assert restated(learner.sample_base, {"group_size": learner.SETTINGS["group_size"]}) == []
    # the check catches a keyword restated with another default, and a setting left out
    def retyped(questions, *, bonus="none", param="arm", group_size=8, eta=0.4, beta=0.0, c=0.2, b0=0.5,
                advantage="whitened", reward="plain"):
        pass
    problems = restated(retyped, learner.SETTINGS)
    assert "k: not a keyword" in problems and "eta: default 0.4, declared 0.5" in problems
    assert not [p for p in problems if p.startswith(("bonus", "group_size", "beta"))]
    assert learner.check_settings({"bonus": "batch"})["group_size"] == learner.SETTINGS["group_size"].default
    with pytest.raises(ValueError, match="bonus must be one of"):
        learner.check_settings({"bonus": "ucb2"})
    with pytest.raises(ValueError, match="has no parameter 'n'"):  # the old name of group_size
        learner.check_settings({"n": 4})


BANDIT = {"sweep": {"name": "b", "horizon": 50, "runs": 3, "seed": 4, "checkpoints": [10, 50]},
          "instance": {"generator": "needle", "K": 4}, "agent": [{"name": "ucb1"}]}
LEARNER = {"sweep": {"name": "l", "steps": 20, "runs": 2, "seed": 4, "checkpoints": [0, 20]},
           "questions": {"generator": "transfer", "X": 2, "K": 10, "m": 3}, "learner": [{"bonus": "batch"}]}


@pytest.mark.parametrize("raw", [BANDIT, LEARNER], ids=["bandit", "learner"])
def test_both_kinds_of_cell_answer_the_same_protocol(raw):
    exp = experiment.from_dict(raw)
    (cell,) = exp.cells
    desc = {"key": cell.key, **cell.describe()}
    assert desc["kind"] == exp.kind and json.loads(json.dumps(desc)) == json.loads(json.dumps(desc, default=list))
    result = cells.compute_cell(desc)
    assert result["key"] == cell.key and list(result["checkpoints"]) == list(raw["sweep"]["checkpoints"])
    columns = cells.cell_columns(desc)
    assert columns["generator"] == desc["generator"] and columns["label"] == desc["label"]
    # the columns never collide with the summary's own (a learner's group size is not "n")
    assert not set(columns) & {"checkpoint", "metric", "mean", "sem", "ci_low", "ci_high", "n"}


def test_same_sweep_errors_for_both_kinds():
    for raw in (BANDIT, LEARNER):
        bad = {**raw, "sweep": {**raw["sweep"], "runs": 0}}
        with pytest.raises(experiment.ExperimentError, match=r"sweep.runs: must be >= 1, got 0"):
            experiment.from_dict(bad)
        bad = {**raw, "sweep": {**raw["sweep"], "seed": "x"}}
        with pytest.raises(experiment.ExperimentError, match=r"sweep.seed: must be an integer, got 'x'"):
            experiment.from_dict(bad)


def test_old_family_field_gets_a_rename_message():
    raw = {**BANDIT, "instance": {"family": "needle", "K": 4}}
    with pytest.raises(experiment.ExperimentError, match=r"instance.family: renamed: write generator"):
        experiment.from_dict(raw)


def test_description_is_not_part_of_the_config_hash():
    a = experiment.from_dict({**BANDIT, "sweep": {**BANDIT["sweep"], "description": "first words"}})
    b = experiment.from_dict({**BANDIT, "sweep": {**BANDIT["sweep"], "description": "other words"}})
    assert a.config_hash == b.config_hash and a.description == "first words"
    c = experiment.from_dict({**BANDIT, "sweep": {**BANDIT["sweep"], "runs": 4}})
    assert c.config_hash != a.config_hash

def test_a_learner_result_has_the_accessors_of_every_result():
    assert issubclass(learner.LearnerResult, MetricArrays)
    assert not {"final", "summary", "table"} & set(vars(learner.LearnerResult))  # not written twice


TINY_LEARNER = {"sweep": {"steps": 40, "runs": 3, "checkpoints": [10, 40]},
                "questions": {"generator": "transfer", "X": 4, "K": 12, "m": 4, "seed": 0}, "learner": [{}]}
TINY_BANDIT = {"sweep": {"horizon": 100, "runs": 1000, "checkpoints": 10},
               "instance": {"generator": "needle", "K": 8, "m": 2}, "agent": [{"name": "ucb1"}]}


def disk_of(plan_text: str) -> float:
    number, unit = re.search(r"results about ([0-9.]+) (MiB|GiB) on disk", plan_text).groups()
    return float(number) * (1024 if unit == "GiB" else 1)


def test_the_dry_run_cost_counts_each_cell_types_metrics(tmp_path, monkeypatch):
    bandit = experiment.from_dict(TINY_BANDIT)
    runs, count = 1000, 11          # 10 log-spaced checkpoints and the horizon
    one = estimate_bytes(runs, count, metrics=len(engine.NAMES)) / 2**20
    assert disk_of(sweep.plan(bandit, tmp_path / "b")) == pytest.approx(one, rel=1e-2)
    monkeypatch.setattr(cells.BanditCell, "metrics", engine.NAMES * 3)  # a cell type with 3 times the metrics
    assert disk_of(sweep.plan(bandit, tmp_path / "b")) == pytest.approx(3 * one, rel=1e-2)
    learners = experiment.from_dict(TINY_LEARNER)
    expected = 8 * 3 * len(learner.METRICS) * 2  # 8 bytes x runs x metrics x 2 checkpoints
    assert disk_of(sweep.plan(learners, tmp_path / "l")) == pytest.approx(expected / 2**20, rel=1e-2)
