"""bandits.rollouts: the program evaluator never runs code; the reader gives the same object from every
layout; answer classes, instances and question sets of real samples; the estimators of claim C6 on
hand-checkable cases and on synthetic populations whose truth is known (where the controls fail)."""

import json
import re
import time

import numpy as np
import pandas as pd
import pytest

from bandits import rollouts as R
from bandits.agents import registered
from bandits.cli import main
from bandits.experiment import ExperimentError, from_dict
from bandits.rl import learner
from bandits.simulate import simulate


# -- the program evaluator -------------------------------------------------------------------------------

@pytest.mark.parametrize("program, value", [
    ("a = 3\nb = 4\nans = a * b + 1", 13.0),
    ("x, y = 10, 4\nans = x - y", 6.0),
    ("ans = 5\nans += 2\nans *= 3", 21.0),
    ("ans = 7 // 2 + 7 % 2 + 2 ** 3", 12.0),
    ('"""docstring"""\nans = -(3 - 5) / 4', 0.5),
    ("total = 76\ndiscount = 25\nans = total - discount", 51.0),
])
def test_program_evaluator_computes_assignments_and_arithmetic(program, value):
    assert R.run_program(program) == value


@pytest.mark.parametrize("program", [
    "ans = 1 / 0", "x = 1", "ans = y + 1", "ans = True", "ans = 'seven'", "ans = 2 ** 1000", "ans = 10 ** 10 ** 10",
    "ans = 10.0 ** 400", "ans = [1, 2][0]", "ans = (3).real", "ans = abs(-3)", "ans = 1 if 2 > 1 else 0",
    "def f():\n    return 3\nans = f()", "ans = (lambda: 3)()", "import math\nans = math.pi", "ans = 1 < 2",
    "for i in range(3):\n    ans = i", "while True:\n    pass\nans = 1", "ans = __import__('os').getcwd()",
    "print(1)\nans = 2", "ans: int = 3", "ans = 1\ndel ans", "ans = 2 ** 0.5 * 1j", "syntax error (", 17, None,
    "ans = 1" + " + 1" * 30_000,
])
def test_program_evaluator_refuses_everything_else(program):
    assert R.run_program(program) is None


def test_program_evaluator_never_executes_code(tmp_path):
    victim = tmp_path / "keep.txt"
    victim.write_text("still here")
    programs = [f"import os\nos.remove({str(victim)!r})\nans = 1",
                f"ans = open({str(victim)!r}, 'w').write('gone')",
                f"__import__('shutil').rmtree({str(tmp_path)!r})\nans = 1",
                f"exec(\"import os; os.remove({str(victim)!r})\")\nans = 1",
                "while True:\n    pass\nans = 1", "ans = 9 ** 9 ** 9 ** 9"]
    start = time.perf_counter()
    assert [R.run_program(p) for p in programs] == [None] * len(programs)
    assert time.perf_counter() - start < 1.0  # refused by their syntax, not stopped by a timeout
    assert victim.read_text() == "still here"


# -- answers and classes ------------------------------------------------------------------------------------

def test_extractors_and_the_numeric_canonical_form():
    assert R.extract_boxed(r"so \boxed{3} then \boxed{\frac{1}{2}}.") == r"\frac{1}{2}"
    assert R.extract_boxed("no box") is None and R.extract_boxed(r"\boxed{12") is None
    assert R.extract_answer_is("Thus the answer is 42.\n") == "42"
    assert R.extract_last_number("costs $1,234.5 and 7 more, total 1,241.5") == "1241.5"
    form = R.EQUIVALENCES["numeric"]
    assert form("51") == form(51.0) == form("51.0") == form("$51$") == form(51) == "51"
    assert form("0.3333333") == form(1 / 3) == form("0.333333")
    assert form("3/4") == form(0.75) and form("12%") == form(12)
    assert form(" Paris. ") == form("paris") and form("0.5") != form("0.51")


def _samples():
    """3 questions x 4 samples: answers and rewards known by hand (q2 never solved; one sample without a box)."""
    rows = []
    spec = {"q0": (["5", "5", "6", None], "5"), "q1": (["7", "8", "8", "8"], "7"), "q2": (["1", "2", "3", "3"], "4")}
    for q, (answers, gold) in spec.items():
        for i, a in enumerate(answers):
            text = f"step {i} ... \\boxed{{{a}}}" if a is not None else "I give up, 99"
            rows.append({"question": q, "completion": text, "gold": gold, "correct": float(a == gold)})
    return pd.DataFrame(rows)


def _fingerprint(r):
    return {q: [tuple(x) for x in r.classes(q)[["answer", "count", "correct"]].itertuples(index=False)] for q in r.ids}


EXPECTED = {"q0": [("5", 2, True), ("6", 1, False), (R.NO_ANSWER, 1, False)],
            "q1": [("7", 1, True), ("8", 3, False)],
            "q2": [("3", 2, False), ("1", 1, False), ("2", 1, False)]}


def test_every_layout_reads_into_the_same_rollouts(tmp_path):
    tidy = _samples()
    tidy.to_csv(tmp_path / "tidy.csv", index=False)
    verl = tidy.rename(columns={"question": "input", "completion": "output", "gold": "gts", "correct": "score"})
    verl.to_json(tmp_path / "verl.jsonl", orient="records", lines=True)
    trl = tidy.rename(columns={"question": "prompt", "correct": "accuracy_reward"}).drop(columns="gold")
    trl.insert(0, "step", 10)
    trl["format_reward"] = 0.5
    trl.to_csv(tmp_path / "trl.csv", index=False)
    lists = tidy.groupby("question", sort=False).agg(samples=("completion", list), gold=("gold", "first")).reset_index()
    with open(tmp_path / "lists.jsonl", "w") as f:
        f.write(json.dumps({"demonstration": "a few-shot prompt"}) + "\n")
        for row in lists.to_dict("records"):
            f.write(json.dumps(row) + "\n")
    readers = {"tidy, gold": R.read(tmp_path / "tidy.csv", layout="tidy", extract="boxed"),
               "tidy, reward": R.read(tidy, completion="completion", correct="correct", extract="boxed"),
               "verl": R.read(tmp_path / "verl.jsonl", layout="verl"),
               "trl": R.read(tmp_path / "trl.csv", layout="trl"),
               "lists": R.read(tmp_path / "lists.jsonl", layout="lists", extract="boxed")}
    for name, r in readers.items():
        got = _fingerprint(r)
        if name == "lists":  # one row per question: ids are the row numbers
            got = {f"q{k}": v for k, v in got.items()}
        assert got == EXPECTED, name
        assert r.notes["no_answer"] == 1 and r.notes["disagreements"] == 0, name
    assert readers["lists"].notes["dropped_rows"] == 1  # the prompt line, counted
    # verl's math scorer may write the extracted answer (pred) and correctness (acc): those are used
    verl2 = verl.assign(pred=["5", "5", "6", "x", "7", "8", "8", "8", "1", "2", "3", "3"], acc=verl.score, score=0.0)
    assert _fingerprint(R.read(verl2, layout="verl"))["q1"] == [("7", 1, True), ("8", 3, False)]


def test_experiment_files_run_agents_and_learners_on_real_questions(tmp_path, capsys):
    (tmp_path / "real.toml").write_text("""[sweep]
name = "real"
horizon = 200
runs = 4
checkpoints = [100, 200]
[instance]
generator = "rollouts"
question = [1, 289]
[[agent]]
name = "outcome_ucb"
""")
    assert main(["run", str(tmp_path / "real.toml"), "--out", str(tmp_path / "r"), "--workers", "1", "--quiet"]) == 0
    summary = pd.read_csv(tmp_path / "r" / "summary.csv")
    assert sorted(summary.question.unique()) == [1, 289] and summary["mean"].notna().all()
    (tmp_path / "learn.toml").write_text("""[sweep]
name = "learn"
steps = 40
runs = 2
checkpoints = [20, 40]
[questions]
generator = "rollouts"
p_min = 0.01
p_max = 0.99
count = 10
[[learner]]
bonus = "ucb"
param = "outcome"
""")
    assert main(["run", str(tmp_path / "learn.toml"), "--out", str(tmp_path / "l"), "--workers", "1", "--quiet"]) == 0
    assert (tmp_path / "l" / "summary.csv").exists()
    (tmp_path / "bad.toml").write_text((tmp_path / "real.toml").read_text().replace("[1, 289]", "5000"))
    capsys.readouterr()
    assert main(["run", str(tmp_path / "bad.toml"), "--out", str(tmp_path / "b"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.toml: instance: question must lie in [0, 999)" in err and "\n" not in err


def test_bad_input_is_one_line_naming_the_field(tmp_path):
    tidy = _samples()
    cases = [(lambda: R.read(tidy, completion="text", gold="gold"), "completion='text': no such column"),
             (lambda: R.read(tidy, layout="vllm"), "layout must be one of"),
             (lambda: R.read(tidy.assign(correct="yes"), completion="completion", correct="correct"),
              "row 0: correct='correct' is not a number ('yes')"),
             (lambda: R.read(tidy, answer="answer", completion="text", gold="gold"), "completion='text': no such column"),
             (lambda: R.read(tidy.drop(columns="gold"), completion="completion"), "give correct="),
             (lambda: R.read(tidy.assign(gold=None), completion="completion", gold="gold", extract="boxed"),
              "question 'q0': gold='gold' is missing"),
             (lambda: R.read(tidy.assign(completion="nothing"), completion="completion", gold="gold", extract="boxed"),
              "no sample has an answer"),
             (lambda: R.read(tidy.iloc[:5], completion="completion", gold="gold"), "question 'q1' has one sample"),
             (lambda: R.read(tidy, completion="completion", gold="gold", extract="magic"), "extract must be one of"),
             (lambda: R.read(tmp_path / "missing.jsonl"), "no such file"),
             (lambda: R.read(tidy.rename(columns={"question": "prompt", "correct": "r1"}).assign(step=1, r2=0.5),
                                    layout="trl"), "correct: name the reward column")]
    (tmp_path / "x.txt").write_text("a")
    cases.append((lambda: R.read(tmp_path / "x.txt"), "unknown file type"))
    (tmp_path / "bad.jsonl").write_text('{"a": 1}\nnot json\n')
    cases.append((lambda: R.read(tmp_path / "bad.jsonl"), "line 2 is not JSON"))
    for call, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)) as info:
            call()
        assert "\n" not in str(info.value)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        (tmp_path / "t.parquet").write_bytes(b"PAR1")
        with pytest.raises(ValueError, match="needs the pyarrow package"):
            R.read(tmp_path / "t.parquet")
    with pytest.raises(ExperimentError, match="instance: question must lie in"):
        from_dict({"sweep": {"horizon": 10, "runs": 2}, "instance": {"generator": "rollouts", "question": 5000},
                   "agent": [{"name": "ucb1"}]})


# -- the shipped samples --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pot():
    return R.load_pot_svamp()


def test_shipped_samples_load_with_their_counts(pot):
    assert len(pot.ids) == 999 and len(pot.samples) == 29970 and pot.notes["dropped_rows"] == 1
    assert pot.notes["no_answer"] == 214  # programs with no numeric ans (calls, syntax errors, ...), counted
    space = pot.answer_space()
    assert space.samples.eq(30).all()
    assert space.distinct_answers.mean() == pytest.approx(2.8428, abs=1e-4)
    assert space.distinct_traces.mean() == pytest.approx(14.7798, abs=1e-4)
    n, c, _ = pot.counts()
    assert np.mean((c > 0) & (c < n)) == pytest.approx(0.637, abs=1e-3)  # the data README: 64%
    top = pot.samples.groupby(["question", "answer"], sort=False).agg(count=("sample", "size"), correct=("correct", "first"))
    majority = top.sort_values("count", ascending=False, kind="stable").groupby(level=0, sort=False).head(1)
    assert majority.correct.mean() == pytest.approx(0.881, abs=1e-3)  # the data README: 0.88 (ties: first seen)
    assert (space.chao1_low <= space.chao1).all() and (space.chao1 <= space.chao1_high).all()
    assert (space.chao1 >= space.distinct_answers).all()


def test_instances_and_question_sets_of_real_questions_run(pot):
    q = pot.ids[int(np.argmax(pot.answer_space().distinct_answers.to_numpy()))]  # the question with most answers
    inst = pot.instance(q)
    table = pot.classes(q)
    assert inst.K == pot.answer_space().set_index("question").loc[q, "distinct_traces"] and inst.m == len(table)
    assert inst.deterministic and inst.rewards == "verifiable"
    assert (inst.pi0 @ inst.Q)[0] == pytest.approx(table["count"].iloc[0] / 30) and inst.correct[0] == table.correct[0]
    per_sample = pot.instance(q, arms="samples")
    assert per_sample.K == 30 and np.allclose(per_sample.pi0 @ per_sample.Q, inst.pi0 @ inst.Q)
    for agent in registered():   # every agent, arm and outcome control, runs on a real question
        result = simulate(inst, agent, horizon=100, runs=2, seed=1, progress=False)
        assert np.isfinite(result.regret).all(), agent
    qs = pot.select(slice(0, 60)).question_set()
    assert (qs.X, qs.K) == (60, 30)
    assert np.allclose(qs.p_correct(), pot.select(slice(0, 60)).answer_space().p_correct)
    trained = learner.train(qs, bonus="ucb", param="outcome", steps=50, runs=2, seed=0, checkpoints=2, progress=False)
    assert trained is not None
    fit, held = pot.select(slice(0, 20)).split(1 / 3, seed=1)
    assert fit.samples.groupby("question").size().eq(10).all() and held.samples.groupby("question").size().eq(20).all()
    both = pd.concat([fit.samples, held.samples])
    assert both.groupby(["question", "completion", "answer"]).size().sum() == 600
    by_size, _ = pot.select(slice(0, 20)).split(0.9, seed=1, size=10)   # exactly 10 each: the same draw
    assert by_size.samples[["question", "completion"]].equals(fit.samples[["question", "completion"]])
    with pytest.raises(ValueError, match="has 30 samples, not more than size = 30"):
        pot.select(slice(0, 2)).split(size=30)
    assert len(pot.select(slice(0, 5)).bootstrap(seed=2).samples) == 150
    from claims.heldout import _load   # the [figure] question selector: the first N, or positions / ids
    assert _load({"questions": 7}).ids == pot.ids[:7] and _load({"questions": [3, pot.ids[1]]}).ids == pot.ids[1:4:2]  # file order
    with pytest.raises(ValueError, match="figure.questions"):
        _load({"questions": -1})


# -- estimators ------------------------------------------------------------------------------------------------

def test_estimators_on_hand_cases():
    assert R.chao1([1, 1, 2, 5])[0] == pytest.approx(4.5)  # S = 4, f1 = 2, f2 = 1: 4 + 2 / 4
    assert R.chao1([3, 4]) == (2.0, 2.0, 2.0)
    assert R.expected_distinct([1, 1], 1) == pytest.approx(1) and R.expected_distinct([1, 1], 2) == pytest.approx(2)
    assert R.expected_distinct([2, 2], 2) == pytest.approx(1 + 4 / 6)  # P(both in one class) = 2 / 6
    assert np.allclose(R.pass_at_k_unbiased([0, 1, 3], 3, 2), [0, 2 / 3, 1])
    assert np.allclose(R.discovery([2, 1, 1], [1, 2, 3, 4]), [1, *[R.expected_distinct([2, 1, 1], k) for k in (2, 3, 4)]])
    assert R.discovery([2, 1, 1], [40])[0] > 3 and R.discovery([2, 1, 1], [40], model="plugin")[0] < 3
    # Chao et al. 2014's extrapolation, by hand: n = 4, S = 3, f1 = 2, f2 = 1, so f0 = 3/4 * 2^2 / 2 = 1.5
    # (the bias-corrected f1 (f1 - 1) / (2 (f2 + 1)) would give 0.375), 1 - f1 / (n f0 + f1) = 3/4, t = 2
    assert R.discovery([2, 1, 1], [6])[0] == pytest.approx(3 + 1.5 * (1 - 0.75 ** 2))
    # no doubleton: f0 = (n - 1) / n * f1 (f1 - 1) / 2 = 2/3 * 3 = 2, 1 - 3 / 9 = 2/3, t = 2
    assert R.discovery([1, 1, 1], [5])[0] == pytest.approx(3 + 2 * (1 - (2 / 3) ** 2))
    # the posterior mean of 1 - (1 - p)^k under Beta(a + c, b + n - c), against a numeric integral
    from scipy import integrate, stats
    a, b, c, n, k = 0.7, 0.3, 2, 10, 5
    exact = integrate.quad(lambda p: (1 - (1 - p) ** k) * stats.beta.pdf(p, a + c, b + n - c), 0, 1)[0]
    assert R.pass_at_k_betabinomial([c], [n], k, a, b)[0] == pytest.approx(exact, rel=1e-8)


def _synthetic(rng, X=2500, n=30, a=0.4, b=0.3):
    """Questions with success rate p ~ Beta(a, b): known truth for the held-out checks."""
    p = rng.beta(a, b, size=X)
    rows = [{"question": f"q{x}", "answer": "right" if rng.random() < p[x] else f"wrong{rng.integers(8)}", "gold": "right"}
            for x in range(X) for _ in range(n)]
    return R.read(pd.DataFrame(rows), answer="answer", gold="gold", equivalent="string"), p


def test_betabinomial_fit_recovers_its_law_and_the_heldout_check_separates_model_from_plugin():
    from claims.heldout import _subset, heldout_measurements

    rng = np.random.default_rng(5)
    data, _ = _synthetic(rng)
    n, c, _ = data.counts()
    a, b = R.fit_betabinomial(c, n)
    assert a == pytest.approx(0.4, rel=0.2) and b == pytest.approx(0.3, rel=0.2)
    cfg = {"fit": 10, "seed": 0, "expected": {"answers_per_trace": [0, 0.5], "chao1_per_sample": [0, 0.25],
                                              "passk_error": [-0.02, 0.02], "passk_unsolved": [-0.1, 0.1],
                                              "discovery_ratio": [0.95, 1.05]}}
    out = heldout_measurements(data, cfg)["checks"]
    with pytest.raises(ValueError, match="figure.expected.passk_unsolved: missing band"):
        heldout_measurements(data, {**cfg, "expected": {k: v for k, v in cfg["expected"].items() if k != "passk_unsolved"}})
    model, control = out["(b) Beta-binomial across questions"], out["(b) plug-in 1 - (1 - c/n)^k (control)"]
    # the true law: the prediction is within 0.02 of the held-out pass@20 (here 0.008 [-0.001, 0.018]);
    # with the prior of the other half of the questions the interval is wider (1250 questions; not asserted)
    assert model["checks"]["pass@20"]["ok"], model["checks"]
    # on a population with many hard questions the plug-in's bias at k = 20 is decisive (-0.042 [-0.053, -0.031])
    assert control["checks"]["pass@20"]["ci95"][1] < -0.02, control["checks"]
    # beyond the samples in hand: on the 429 questions with no correct sample of the 10 in hand, the true
    # law predicts the share the 20 held out solve (0.026 [-0.021, 0.070] off, band 0.1); the plug-in says
    # 0 and misses all of it (-0.324 [-0.371, -0.280]): the control of (b), failing decisively
    assert model["checks"]["pass@20, unsolved in hand"]["ok"], model["checks"]
    assert control["must_fail"] == ["pass@20, unsolved in hand"] and control["fails_as_expected"], control
    # a wrong law fails it too: Laplace's rule (a uniform prior per question, fitted to nothing) is 0.32 off
    fit, held = data.split(10 / 30, seed=0)
    (nf, cf, _), (nh, ch, _) = fit.counts(), held.counts()
    laplace = _subset("s", R.pass_at_k_betabinomial(cf, nf, 20, 1.0, 1.0), R.pass_at_k_unbiased(ch, nh, 20),
                      cf == 0, (-0.1, 0.1))
    assert laplace.excluded and laplace.low > 0.2, laplace
    # 8 wrong answers: rarefaction at k = 10 is unbiased; the plug-in law, which never reveals an answer, fails
    assert out["(c) rarefaction and Chao extrapolation"]["checks"]["D_10"]["ok"]  # 0.999 [0.989, 1.01]
    assert out["(c) plug-in empirical law (control)"]["fails_as_expected"]
