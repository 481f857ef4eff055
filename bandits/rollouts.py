"""Real rollouts as instances: a model's samples, their answer classes, the simulator's objects.

:func:`read` loads samples in the forms researchers have (a tidy table with one row per sample, or
one row per question with a list column of samples; JSONL, CSV, Parquet or a pandas DataFrame;
presets for verl generation dumps, TRL completion logs and self-consistency dumps) into a
:class:`Rollouts`. Each completion's final answer is extracted (``extract=``), answers are grouped
into outcome classes by a canonical form (``equivalent=``), and completions without an answer form
one explicit class, ``NO_ANSWER`` (``"<no answer>"``). From there: a question's classes (:meth:`Rollouts.classes`),
a bandit :class:`~bandits.instances.Instance` (:meth:`Rollouts.instance`), a question set for the
learners (:meth:`Rollouts.question_set`), the measured answer space (:meth:`Rollouts.answer_space`)
and the held-out predictions of claim C6 (:func:`pass_at_k_betabinomial`, :func:`discovery`).

The shipped data (:func:`load_pot_svamp`, bandits/data/pot_svamp/README.md) are Python programs
written by a model. They are never executed: :func:`run_program` walks their syntax tree and
allows only assignments of numbers and arithmetic, so anything else (a call, an import, an
attribute, a loop, a comparison) gives no answer.
"""

from __future__ import annotations

import ast
import functools
import gzip
import json
import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, cast

import numpy as np
import pandas as pd
from scipy import optimize, special

from . import instances as _instances
from .instances import Instance
from .rl import questions as _questions
from .rl.questions import Questions

__all__ = ["read", "Rollouts", "run_program", "extract_boxed", "extract_answer_is", "extract_last_number",
           "EXTRACTORS", "EQUIVALENCES", "LAYOUTS", "NO_ANSWER", "POT_SVAMP", "load_pot_svamp", "chao1",
           "fit_betabinomial", "pass_at_k_betabinomial", "pass_at_k_unbiased", "pass_at_k_plugin", "discovery",
           "expected_distinct", "real_question", "real_questions", "GENERATORS", "QUESTION_GENERATORS"]

NO_ANSWER = "<no answer>"
POT_SVAMP = Path(__file__).resolve().parent / "data" / "pot_svamp" / "svamp_sc_s0_e-1_11_08_14_02.jsonl.gz"

# -- the program evaluator: a walk of the syntax tree, never exec ------------------------------------

MAX_PROGRAM = 20_000      # characters
MAX_STATEMENTS = 500
MAX_MAGNITUDE = 1e15      # a number beyond this is no answer (so no value can grow without bound)
MAX_EXPONENT = 64
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


class _Refused(Exception):
    """The program does something other than assign numbers (its answer is 'no answer')."""


def run_program(source: object, result: str = "ans") -> float | None:
    """The number a program stores in ``result``, computed without running it; ``None`` if there is none.

    The program is parsed with :mod:`ast`; only these statements are walked: ``name = expr``,
    ``a, b = x, y`` (a tuple of names from a tuple of expressions), ``name op= expr``, and bare
    constants (docstrings). Expressions may contain numbers, names already assigned, ``+ - * / // %``
    and ``**`` (``|exponent| <= 64``), unary ``+ -`` and parentheses; every intermediate value must be
    finite with magnitude at most ``MAX_MAGNITUDE``. Anything else (calls, imports, attributes,
    subscripts, loops, conditionals, comparisons, strings, function definitions) refuses the whole
    program: its answer is ``None``. No code of the program is ever executed.
    """
    if not isinstance(source, str) or len(source) > MAX_PROGRAM:
        return None
    try:
        tree = ast.parse(source, mode="exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if len(tree.body) > MAX_STATEMENTS:
        return None
    names: dict[str, float] = {}
    try:
        for statement in tree.body:
            _statement(statement, names)
    except (_Refused, ArithmeticError, RecursionError):
        return None
    value = names.get(result)
    return None if value is None else float(value)


def _statement(node, names):
    if isinstance(node, ast.Assign):
        if len(node.targets) != 1:
            raise _Refused
        target = node.targets[0]
        if isinstance(target, ast.Name):
            names[target.id] = _value(node.value, names)
        elif (isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
              and len(target.elts) == len(node.value.elts) and all(isinstance(t, ast.Name) for t in target.elts)):
            values = [_value(v, names) for v in node.value.elts]
            for t, v in zip(target.elts, values):
                names[t.id] = v
        else:
            raise _Refused
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and type(node.op) in _BINARY:
        if node.target.id not in names:
            raise _Refused
        names[node.target.id] = _binary(node.op, names[node.target.id], _value(node.value, names))
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        pass  # a docstring: nothing to do
    else:
        raise _Refused


def _value(node, names, depth=0):
    if depth > 100:
        raise _Refused
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _Refused
        return _checked(node.value)
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        if node.id not in names:
            raise _Refused
        return names[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _binary(node.op, _value(node.left, names, depth + 1), _value(node.right, names, depth + 1))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_value(node.operand, names, depth + 1))
    raise _Refused


def _binary(op, left, right):
    if isinstance(op, ast.Pow) and (abs(right) > MAX_EXPONENT or (left == 0 and right < 0)):
        raise _Refused
    value = _BINARY[type(op)](left, right)
    if isinstance(value, complex):
        raise _Refused
    return _checked(value)


def _checked(value):
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise _Refused
    return value


# -- answer extraction ------------------------------------------------------------------------------

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+")


def extract_boxed(text: object) -> str | None:
    """The content of the last ``\\boxed{...}`` (braces matched), or None."""
    if not isinstance(text, str):
        return None
    start = text.rfind("\\boxed")
    while start >= 0:
        i = start + len("\\boxed")
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == "{":
            depth, j = 0, i
            for j in range(i, len(text)):
                depth += (text[j] == "{") - (text[j] == "}")
                if depth == 0:
                    return text[i + 1:j].strip() or None
            return None  # unbalanced
        start = text.rfind("\\boxed", 0, start)
    return None


_ANSWER_IS = re.compile(r"answer\s+is\s*:?\s*(.+?)\s*(?:\.\s*(?:$|\n)|\n|$)", re.IGNORECASE)


def extract_answer_is(text: object) -> str | None:
    """What follows the last "the answer is" (up to the end of the sentence or line), or None."""
    if not isinstance(text, str):
        return None
    found = _ANSWER_IS.findall(text)
    return found[-1].strip().rstrip(".").strip() or None if found else None


def extract_last_number(text: object) -> str | None:
    """The last number in the text (thousands separators removed), or None."""
    if not isinstance(text, str):
        return None
    found = _NUMBER.findall(text)
    return found[-1].replace(",", "") if found else None


def _program_answer(text: object) -> float | None:
    return run_program(text)


EXTRACTORS: dict[str, Callable[[object], Any]] = {"boxed": extract_boxed, "answer_is": extract_answer_is,
                                                  "last_number": extract_last_number, "program": _program_answer}

# -- equivalence: a canonical form per answer (so grouping is symmetric and transitive) ----------------


def _string_form(answer: object) -> str:
    text = str(answer).strip()
    text = re.sub(r"\s+", " ", text).lower()
    text = text.strip("$ ").rstrip(".").strip()
    return text


def _numeric_form(answer: object, digits: int = 6) -> str:
    """A number rounded to ``digits`` significant digits ("51", "0.333333"); other text by its string form."""
    if isinstance(answer, (int, float, np.integer, np.floating)) and not isinstance(answer, bool):
        value = float(answer)
    else:
        text = _string_form(answer).replace(",", "")
        text = re.sub(r"^\\text\{(.*)\}$", r"\1", text)
        try:
            value = float(_number_of(text))
        except (ValueError, ZeroDivisionError):
            return _string_form(answer)
    if not math.isfinite(value):
        return _string_form(answer)
    value = float(f"{value:.{digits}g}")
    return f"{value:.{digits}g}" if value != 0 else "0"


def _number_of(text: str) -> float:
    """``"3/4"`` -> 0.75, ``"12%"`` -> 12.0, ``"-2.5"`` -> -2.5 (a ValueError otherwise)."""
    text = text.rstrip("%").strip()
    if re.fullmatch(r"-?\d+\s*/\s*\d+", text):
        num, den = text.split("/")
        return int(num) / int(den)
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError(text)
    return float(text)


def _math_verify_form(answer: object) -> str:
    try:
        import math_verify  # optional extra `rollouts`: imported only when asked for
    except ImportError:
        raise ValueError("equivalent='math_verify' needs the math-verify package "
                         "(pip install 'outcome-bandits[rollouts]')") from None
    text = str(answer)  # parsing_timeout=None: no signal.alarm, so this works outside the main thread too
    parsed = math_verify.parse(text if "$" in text or "\\" in text else f"${text}$", parsing_timeout=None)
    return str(parsed[0]) if parsed else _string_form(answer)


EQUIVALENCES: dict[str, Callable[[object], str]] = {"numeric": _numeric_form, "string": _string_form,
                                                    "math_verify": _math_verify_form}

# -- layouts --------------------------------------------------------------------------------------------

#: Column names and options of the public layouts (keywords given to :func:`read` override them).
LAYOUTS: dict[str, dict] = {
    "tidy": {"question": "question", "completion": "completion", "answer": None, "correct": None, "gold": "gold",
             "extract": "last_number"},
    "lists": {"question": "question", "samples": "samples", "gold": "gold", "extract": "last_number"},
    "pot": {"question": "question", "samples": "generated", "gold": "answer", "extract": "program"},
    "verl": {"question": "input", "completion": "output", "gold": "gts", "correct": ("acc", "score"),
             "answer": ("pred",), "extract": "boxed"},
    "trl": {"question": "prompt", "completion": "completion", "correct": "<reward>", "gold": None,
            "extract": "boxed"},
}
_TRL_NOT_REWARDS = {"step", "prompt", "completion", "advantage", "advantages", "completion_length", "image"}


@dataclass(frozen=True)
class _Spec:
    question: str | None
    completion: str | None
    samples: str | None
    answer: str | None
    correct: str | None
    gold: str | None


def read(source: Any, layout: str | None = None, *, question: str | None = None, completion: str | None = None,
         samples: str | None = None, answer: str | None = None, correct: str | None = None, gold: str | None = None,
         extract: str | Callable[[object], Any] | None = None, equivalent: str | Callable[[object], str] = "numeric",
         threshold: float = 0.5, name: str | None = None) -> "Rollouts":
    """Load a model's samples into a :class:`Rollouts`.

    Parameters
    ----------
    source : path or pandas.DataFrame
        A ``.jsonl`` / ``.json`` (one JSON object a line; ``.gz`` allowed), ``.csv`` or ``.parquet``
        file (Parquet needs pyarrow), or a DataFrame in the same layout.
    layout : {"tidy", "lists", "pot", "verl", "trl"}, optional
        A preset of the column names below (:data:`LAYOUTS`); keywords override it.
    question : str
        The question column (one row per sample: rows with the same value are one question; one row
        per question: the question's text, ids are the row numbers).
    completion : str
        A completion text column, one row per sample (its distinct texts are the traces).
    samples : str
        A list column, one row per question (instead of ``completion``).
    answer : str
        An already extracted answer column (instead of extracting from the completion).
    correct : str
        A reward or correctness column (one row per sample): a sample is correct when its value is
        at least ``threshold``. Without it, a class is correct when it equals the gold answer.
    gold : str
        A gold answer column.
    extract : {"boxed", "answer_is", "last_number", "program"} or callable
        How an answer is found in a completion (a callable returns the answer or None).
    equivalent : {"numeric", "string", "math_verify"} or callable
        The canonical form answers are grouped by (two answers are one class when their forms are
        equal): ``"numeric"`` rounds numbers to 6 significant digits and normalises other text as
        ``"string"`` does (trimmed, lower case, single spaces, no ``$`` or final period);
        ``"math_verify"`` (optional extra ``rollouts``) uses the printed form of math-verify's parse.
    """
    origin = "the DataFrame" if isinstance(source, pd.DataFrame) else str(source)
    frame = _frame(source)
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}; got {layout!r}")
    preset = dict(LAYOUTS.get(layout or "", {}))
    given = {"question": question, "completion": completion, "samples": samples, "answer": answer,
             "correct": correct, "gold": gold}
    spec = _columns(frame, preset, given, origin)
    extract = _chosen("extract", extract if extract is not None else preset.get("extract", "last_number"), EXTRACTORS)
    equivalent = _chosen("equivalent", equivalent, EQUIVALENCES)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    for key, column in given.items():  # a column the caller named must exist (a preset's may be absent)
        if column is not None:
            _need(frame, column, key, origin)
    s = _Spec(**spec)
    tidy, notes = (_from_lists if s.samples is not None else _from_rows)(frame, s, origin)
    return Rollouts._build(tidy, extract, equivalent, float(threshold), s, origin, notes, name)


def _columns(frame, preset, given, origin) -> dict[str, Any]:
    """The column of each field: the caller's, else the layout preset's (a tuple: its first present
    column; ``"<reward>"``: TRL's reward column, found by :func:`_trl_reward`)."""
    spec: dict[str, Any] = {k: (v if v is not None else preset.get(k)) for k, v in given.items()}
    if given["samples"] is not None or given["completion"] is not None:  # the caller's form wins over the preset's
        spec["completion" if given["samples"] is not None else "samples"] = None
    if spec["question"] is None:
        spec["question"] = "question"
    for key in ("answer", "correct"):  # a preset's optional columns: the first present one
        options = spec[key]
        if isinstance(options, tuple):
            spec[key] = next((c for c in options if c in frame.columns), None)
    if spec["correct"] == "<reward>":
        spec["correct"] = _trl_reward(frame, origin)
    return spec


def _chosen(field: str, value, registry: dict) -> Callable:
    """A registry entry named by ``value``, or ``value`` itself when it is a callable."""
    if isinstance(value, str) and value in registry:
        return registry[value]
    if not isinstance(value, str) and callable(value):
        return value
    raise ValueError(f"{field} must be one of {', '.join(registry)} or a callable; got {value!r}")


def load_pot_svamp(**kwargs) -> "Rollouts":
    """The shipped samples (bandits/data/pot_svamp/README.md): 999 SVAMP questions, 30 programs each
    by code-davinci-002 at temperature 0.5, evaluated without running them (read once per process
    with the default options; keywords are those of :func:`read`)."""
    if not kwargs:
        return _cached("pot_svamp", None)
    return read(POT_SVAMP, layout="pot", name="pot_svamp", **kwargs)


def _frame(source) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True)
    if not isinstance(source, (str, Path)):
        raise ValueError(f"source must be a file path or a pandas DataFrame, got {type(source).__name__}")
    path = Path(source)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    suffixes = [s.lower() for s in path.suffixes]
    kind = suffixes[-2] if suffixes and suffixes[-1] == ".gz" and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    try:
        if kind in (".jsonl", ".json", ".ndjson"):
            return _json_lines(path, kind, gzip.open if suffixes[-1] == ".gz" else open)
        if kind == ".csv":
            return pd.read_csv(path)
        if kind == ".parquet":
            try:
                import pyarrow  # noqa: F401  (optional: pandas reads Parquet through it)
            except ImportError:
                raise ValueError(f"{path}: reading Parquet needs the pyarrow package (pip install pyarrow)") from None
            return pd.read_parquet(path)
    except (UnicodeDecodeError, OSError, pd.errors.ParserError) as exc:
        raise ValueError(f"{path}: cannot read as {kind[1:]}: {exc}") from None
    raise ValueError(f"{path}: unknown file type {path.suffix!r} (use .jsonl, .json, .csv or .parquet, "
                     "or pass a DataFrame)")


def _json_lines(path: Path, kind: str, opener) -> pd.DataFrame:
    """A JSON-lines file as a DataFrame (a ``.json`` file whose first line is not JSON: one JSON
    document, read by pandas)."""
    rows = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    if number == 1 and kind == ".json":
                        return pd.read_json(path)
                    raise ValueError(f"{path}: line {number} is not JSON") from None
    if rows and not all(isinstance(r, dict) for r in rows):
        raise ValueError(f"{path}: every line must be a JSON object")
    return pd.DataFrame(rows)


def _need(frame, column, field, origin):
    if column not in frame.columns:
        raise ValueError(f"{origin}: {field}={column!r}: no such column (columns: {', '.join(map(str, frame.columns))})")


def _trl_reward(frame, origin):
    candidates = [c for c in frame.columns if c not in _TRL_NOT_REWARDS and pd.api.types.is_numeric_dtype(frame[c])]
    if len(candidates) == 1:
        return candidates[0]
    named = [c for c in candidates if re.search(r"acc|correct", str(c), re.IGNORECASE)]
    if len(named) == 1:
        return named[0]
    raise ValueError(f"{origin}: correct: name the reward column that says a sample is correct "
                     f"(candidates: {', '.join(map(str, candidates)) or 'none'})")


def _from_rows(frame, s, origin):
    _need(frame, s.question, "question", origin)
    text = s.completion if s.completion is not None and s.completion in frame.columns else None
    if s.answer is None and text is None:
        if s.completion is not None:
            _need(frame, s.completion, "completion", origin)
        raise ValueError(f"{origin}: give completion= (a text column) or answer= (an answer column)")
    if s.answer is not None:
        _need(frame, s.answer, "answer", origin)
    for key in ("correct", "gold"):
        if getattr(s, key) is not None:
            _need(frame, getattr(s, key), key, origin)
    missing = frame[s.question].isna()
    notes = {"dropped_rows": int(missing.sum())}
    frame = frame[~missing]
    if s.correct is not None:
        reward = pd.to_numeric(frame[s.correct].map(lambda v: float(v) if isinstance(v, bool) else v), errors="coerce")
        bad = reward.isna() & frame[s.correct].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{origin}: row {row}: correct={s.correct!r} is not a number "
                             f"({frame[s.correct].iloc[row]!r})")
        frame = frame.assign(**{s.correct: reward})
    tidy = pd.DataFrame({"question": frame[s.question].astype(str).to_numpy(),
                         "text": frame[s.question].astype(str).to_numpy(),
                         "completion": frame[text].to_numpy() if text else np.full(len(frame), None, dtype=object),
                         "raw": frame[s.answer].to_numpy() if s.answer else np.full(len(frame), None, dtype=object),
                         "reward": frame[s.correct].to_numpy(dtype=float) if s.correct else np.nan,
                         "gold": frame[s.gold].to_numpy() if s.gold else None})
    return tidy, notes


def _from_lists(frame, s, origin):
    _need(frame, s.samples, "samples", origin)
    for key in ("question", "gold"):
        if getattr(s, key) is not None and key != "question":
            _need(frame, getattr(s, key), key, origin)
    if s.answer is not None or s.correct is not None:
        raise ValueError(f"{origin}: samples= (a list column) takes no answer= or correct= column; "
                         "use the tidy form (one row per sample) for per-sample rewards")
    keep = frame[s.samples].map(lambda v: isinstance(v, (list, tuple, np.ndarray)))
    notes = {"dropped_rows": int((~keep).sum())}  # e.g. the pot file's first line, the few-shot prompt
    if not keep.any():
        raise ValueError(f"{origin}: samples={s.samples!r}: no row holds a list of samples")
    frame = frame[keep]
    lengths = frame[s.samples].map(len).to_numpy()
    rows = np.repeat(np.arange(len(frame)), lengths)
    texts = (frame[s.question].astype(str).to_numpy() if s.question in frame.columns
             else np.array([str(i) for i in range(len(frame))], dtype=object))
    completions = [c for lst in frame[s.samples] for c in lst]
    tidy = pd.DataFrame({"question": [str(i) for i in rows], "text": texts[rows], "completion": completions,
                         "raw": None, "reward": np.nan,
                         "gold": frame[s.gold].to_numpy()[rows] if s.gold else None})
    return tidy, notes


# -- the samples ---------------------------------------------------------------------------------------------


class Rollouts:
    """A model's samples, one row each in :attr:`samples`, grouped by question into answer classes.

    Attributes
    ----------
    samples : DataFrame
        One row per sample: ``question`` (id), ``text`` (the question text), ``sample`` (its index
        within the question), ``completion``, ``answer`` (the class: a canonical form or
        ``NO_ANSWER`` (``"<no answer>"``)), ``correct`` (bool).
    ids : list of str
        The questions.
    notes : dict
        Counts of what did not become an answer, never silent: ``dropped_rows`` (rows without a
        question or list of samples), ``no_answer`` (samples with no extractable answer) and
        ``disagreements`` (samples whose reward disagrees with their class's majority).
    source, name : str
    """

    def __init__(self, samples: pd.DataFrame, notes: dict, source: str = "<rollouts>", name: str | None = None):
        self.samples = samples
        self.notes = notes
        self.source = source
        self.name = name or Path(source).name.split(".")[0]
        self.ids = list(pd.unique(samples["question"]))

    @functools.cached_property
    def _groups(self) -> dict:
        return {q: g for q, g in self.samples.groupby("question", sort=False)}

    @classmethod
    def _build(cls, tidy, extract, equivalent, threshold, spec, origin, notes, name):
        if not len(tidy):
            raise ValueError(f"{origin}: no samples")
        raw = tidy["raw"].to_numpy(dtype=object)
        if spec.answer is None:  # each distinct completion once (samples repeat: 14.8 distinct of 30 in pot_svamp)
            found: dict = {}
            raw = np.array([found[c] if c in found else found.setdefault(c, extract(c)) if isinstance(c, str)
                            else extract(c) for c in tidy["completion"]], dtype=object)
        present = np.array([r is not None and not (isinstance(r, float) and math.isnan(r)) and str(r).strip() != ""
                            for r in raw])
        if not present.any():
            raise ValueError(f"{origin}: no sample has an answer (extract found none in {len(raw)} samples; "
                             "check extract= or answer=)")
        forms = np.array([equivalent(r) if p else NO_ANSWER for r, p in zip(raw, present)], dtype=object)
        has_reward = spec.correct is not None
        if has_reward:
            reward = tidy["reward"].to_numpy(dtype=float)
            if np.isnan(reward).any():
                row = int(np.flatnonzero(np.isnan(reward))[0])
                raise ValueError(f"{origin}: row {row}: correct={spec.correct!r} is missing")
            sample_correct = reward >= threshold
        elif spec.gold is not None:
            gold = tidy["gold"].to_numpy(dtype=object)
            bad = [i for i, g in enumerate(gold) if g is None or (isinstance(g, float) and math.isnan(g))]
            if bad:
                raise ValueError(f"{origin}: question {tidy['question'].iloc[bad[0]]!r}: gold={spec.gold!r} is missing")
            gold_forms = {g: equivalent(g) for g in set(map(_hashable, gold))}
            sample_correct = np.array([f != NO_ANSWER and f == gold_forms[_hashable(g)] for f, g in zip(forms, gold)])
        else:
            raise ValueError(f"{origin}: give correct= (a reward column) or gold= (a gold answer column): "
                             "correctness needs one")
        tidy = tidy.assign(answer=forms, correct=sample_correct).drop(columns=["raw", "reward"])
        tidy.insert(2, "sample", tidy.groupby("question", sort=False).cumcount().to_numpy())
        # a class is correct when the majority of its samples are (with a reward column they may disagree)
        share = tidy.groupby(["question", "answer"], sort=False)["correct"].transform("mean").to_numpy()
        class_correct = (share > 0.5) & (tidy["answer"].to_numpy() != NO_ANSWER)
        notes = {**notes, "samples": int(len(tidy)), "no_answer": int((~present).sum()),
                 "disagreements": int((class_correct != tidy["correct"].to_numpy()).sum())}
        tidy["correct"] = class_correct
        counts = tidy.groupby("question", sort=False).size()
        if (counts < 2).any():
            q = counts.index[int(np.argmax(counts.to_numpy() < 2))]
            raise ValueError(f"{origin}: question {q!r} has one sample: at least 2 are needed")
        return cls(tidy.reset_index(drop=True), notes, origin, name)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        n = self.samples.groupby("question", sort=False).size()
        return (f"Rollouts({self.name!r}: {len(self.ids)} questions, {len(self.samples)} samples "
                f"({n.min()}-{n.max()} per question), {self.notes.get('no_answer', 0)} without an answer)")

    def _group(self, q):
        q = str(q)
        if q not in self._groups:
            raise ValueError(f"question {q!r} is not in {self.name} (ids are {self.ids[0]!r} ... {self.ids[-1]!r})")
        return self._groups[q]

    def classes(self, q) -> pd.DataFrame:
        """One question's answer classes: ``answer``, ``count``, ``correct``; the correct class first,
        then by count (ties by first appearance)."""
        g = self._group(q)
        table = g.groupby("answer", sort=False).agg(count=("answer", "size"), correct=("correct", "first")).reset_index()
        table = table.sort_values(["correct", "count"], ascending=[False, False], kind="stable")
        return table.reset_index(drop=True)

    def instance(self, q, arms: str = "traces") -> Instance:
        """The bandit of one question: arms = its distinct traces (``arms="traces"``; the distinct
        completion texts, or the samples when there is no text) or its samples (``arms="samples"``),
        pi0 = their empirical frequencies, a deterministic map to the answer classes (in the order of
        :meth:`classes`), verifiable rewards (1 on the correct class)."""
        if arms not in ("traces", "samples"):
            raise ValueError(f"arms must be 'traces' or 'samples'; got {arms!r}")
        g = self._group(q)
        table = self.classes(q)
        index = {a: i for i, a in enumerate(table["answer"])}
        outcome = g["answer"].map(index).to_numpy()
        if arms == "traces" and g["completion"].notna().all():
            keys = g["completion"].astype(str).to_numpy()
            _, first, counts = np.unique(keys, return_index=True, return_counts=True)
            phi, pi0 = outcome[first], counts / counts.sum()
        else:
            phi, pi0 = outcome, np.full(len(g), 1.0 / len(g))
        Q = np.zeros((len(phi), len(table)))
        Q[np.arange(len(phi)), phi] = 1.0
        mu = table["correct"].to_numpy(dtype=float)
        return Instance(Q, mu, rewards="verifiable", pi0=pi0, name=f"{self.name}[{q}]")

    def answer_codes(self, k: int | None = None) -> np.ndarray:
        """``(X, k)`` ints: each question's first ``k`` samples as class codes, the correct class 0 and
        the wrong ones (the no-answer class among them) 1, 2, ... by count (``k``: the fewest samples of
        any question)."""
        sizes = [len(self._groups[q]) for q in self.ids]
        k = min(sizes) if k is None else int(k)
        if k < 1 or k > min(sizes):
            raise ValueError(f"k must be between 1 and {min(sizes)} (the fewest samples of a question); got {k}")
        codes = np.empty((len(self.ids), k), dtype=np.int64)
        for x, q in enumerate(self.ids):
            g = self._groups[q].iloc[:k]
            counts = g.groupby("answer", sort=False)["correct"].agg(["size", "first"])
            wrong = counts[~counts["first"]].sort_values("size", ascending=False, kind="stable").index
            code = {a: 1 + i for i, a in enumerate(wrong)}
            code.update({a: 0 for a in counts[counts["first"]].index})
            codes[x] = g["answer"].map(code).to_numpy()
        return codes

    def question_set(self, k: int | None = None, hard_below: float = 0.5) -> Questions:
        """An :class:`~bandits.rl.questions.Questions` for the learners: X = the questions, arm j of
        question x = its j-th sample (``k`` of each, the fewest by default), pi0 uniform over them,
        answer 0 correct (no arm reaches it on a question the model never solves). Real samples share
        no strategy across questions: arm j of one question has nothing to do with arm j of another,
        so train with ``param="outcome"`` (answer logits per question); the shared arm logits ``u``
        then only couple questions through meaningless slots. Questions whose pi0 is correct less often
        than ``hard_below`` are marked hard (the learners' ``distinct_hard`` metric)."""
        codes = self.answer_codes(k)
        hard = (codes == 0).mean(axis=1) < hard_below   # "hard": pi0 is correct less often than hard_below
        return Questions(codes, m=max(2, int(codes.max()) + 1), hard=hard,
                         name=f"{self.name}(X={codes.shape[0]}, K={codes.shape[1]})")

    def select(self, ids) -> "Rollouts":
        """The rollouts of some questions (a list of ids, or a slice / array of positions)."""
        if isinstance(ids, slice):
            ids = self.ids[ids]
        ids = [str(q) for q in ids]
        for q in ids:
            self._group(q)
        keep = self.samples["question"].isin(ids)
        return Rollouts(self.samples[keep].reset_index(drop=True), dict(self.notes), self.source, self.name)

    def split(self, fraction: float = 0.5, seed: int = 0, size: int | None = None) -> tuple["Rollouts", "Rollouts"]:
        """Two disjoint parts of every question's samples: ``round(fraction * n)`` random samples (at
        least 1, at most n - 1), or exactly ``size`` of them when given (every question must have more),
        and the rest."""
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
            raise ValueError(f"fraction must lie in (0, 1), got {fraction!r}")
        if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1):
            raise ValueError(f"size must be an integer >= 1 (samples per question in the first part), got {size!r}")
        rng = np.random.default_rng(seed)
        first = np.zeros(len(self.samples), dtype=bool)
        for q in self.ids:
            rows = self._groups[q].index.to_numpy()
            if size is not None and size >= len(rows):
                raise ValueError(f"{self.source}: question {q!r} has {len(rows)} samples, not more than size = {size}")
            take = int(size) if size is not None else min(max(1, round(fraction * len(rows))), len(rows) - 1)
            first[rng.choice(rows, size=take, replace=False)] = True
        return (self._part(first, "fit"), self._part(~first, "held out"))

    def _part(self, mask, label):
        part = self.samples[mask].copy()
        part["sample"] = part.groupby("question", sort=False).cumcount().to_numpy()
        return Rollouts(part.reset_index(drop=True), {**self.notes, "part": label}, self.source, self.name)

    def bootstrap(self, seed: int = 0) -> "Rollouts":
        """The samples resampled with replacement within each question (as many as it has)."""
        rng = np.random.default_rng(seed)
        rows = np.concatenate([rng.choice(self._groups[q].index.to_numpy(), size=len(self._groups[q]))
                               for q in self.ids])
        part = self.samples.loc[rows].copy()
        part["sample"] = part.groupby("question", sort=False).cumcount().to_numpy()
        return Rollouts(part.reset_index(drop=True), {**self.notes, "part": "bootstrap"}, self.source, self.name)

    def counts(self) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """Per question (in the order of :attr:`ids`): samples n, correct samples c, and the counts of
        its answer classes."""
        s = self.samples
        n = s.groupby("question", sort=False).size().reindex(self.ids).to_numpy()
        c = s.groupby("question", sort=False)["correct"].sum().reindex(self.ids).to_numpy().astype(np.int64)
        sizes = s.groupby(["question", "answer"], sort=False).size()
        by_question = {q: g.to_numpy() for q, g in sizes.groupby(level=0, sort=False)}
        return n, c, [by_question[q] for q in self.ids]

    def answer_space(self) -> pd.DataFrame:
        """One row per question: ``samples``, ``distinct_answers`` (the no-answer class counts as one),
        ``distinct_traces`` (distinct completion texts), ``p_correct`` (the share of correct samples,
        pi0's probability of the correct class), ``no_answer`` and Chao1's estimate of the distinct
        answers more samples would reveal, ``chao1`` with its 95% interval ``chao1_low``,
        ``chao1_high`` (:func:`chao1`)."""
        n, c, classes = self.counts()
        s = self.samples
        texts = s["completion"].astype(str).where(s["completion"].notna(), None)
        traces = texts.groupby(s["question"], sort=False).nunique().reindex(self.ids).to_numpy()
        whole = s["completion"].notna().groupby(s["question"], sort=False).all().reindex(self.ids).to_numpy()
        no_answer = (s["answer"] == NO_ANSWER).groupby(s["question"], sort=False).sum().reindex(self.ids).to_numpy()
        chao = np.array([chao1(k) for k in classes])
        rows = {"question": self.ids, "samples": n, "distinct_answers": [len(k) for k in classes],
                "distinct_traces": np.where(whole, traces, n).astype(np.int64), "p_correct": c / n,
                "no_answer": no_answer.astype(np.int64), "chao1": chao[:, 0], "chao1_low": chao[:, 1],
                "chao1_high": chao[:, 2]}
        return pd.DataFrame(rows)


def _hashable(value):
    return value if isinstance(value, (str, int, float, bool)) or value is None else repr(value)


# -- estimators ----------------------------------------------------------------------------------------


def chao1(counts) -> tuple[float, float, float]:
    """Chao1's estimate of the number of classes (Chao 1984, bias-corrected form; Chao 1987's
    log-normal 95% interval), from the class counts of one sample.

    With S observed classes, f1 seen once and f2 seen twice: ``S + f1 (f1 - 1) / (2 (f2 + 1))``.
    The variance is Chao's (as in Colwell's EstimateS guide), and the interval
    ``[S + T / C, S + T C]`` with ``T`` the estimated unseen classes and
    ``C = exp(1.96 sqrt(log(1 + var / T^2)))``; when no class is estimated unseen (T = 0) the
    interval is ``[S, S]``.
    """
    counts = np.asarray(counts)
    counts = counts[counts > 0]
    s = float(len(counts))
    f1, f2 = float((counts == 1).sum()), float((counts == 2).sum())
    unseen = f1 * (f1 - 1) / (2 * (f2 + 1))
    if unseen <= 0:
        return s, s, s
    var = (f1 * (f1 - 1) / (2 * (f2 + 1)) + f1 * (2 * f1 - 1) ** 2 / (4 * (f2 + 1) ** 2)
           + f1 ** 2 * f2 * (f1 - 1) ** 2 / (4 * (f2 + 1) ** 4))
    c = math.exp(1.96 * math.sqrt(math.log(1 + var / unseen ** 2)))
    return s + unseen, s + unseen / c, s + unseen * c


def fit_betabinomial(c, n) -> tuple[float, float]:
    """Maximum-likelihood ``(a, b)`` of a Beta-binomial law: question i has success probability
    ``p_i ~ Beta(a, b)`` and ``c_i ~ Binomial(n_i, p_i)`` correct samples of ``n_i``."""
    c, n = np.asarray(c, dtype=float), np.asarray(n, dtype=float)
    if c.shape != n.shape or c.size < 2 or (c < 0).any() or (c > n).any():
        raise ValueError("c and n must be arrays of equal shape (at least 2 questions) with 0 <= c <= n")

    def nll(z):
        a, b = np.exp(z)
        return -float(np.sum(special.betaln(a + c, b + n - c) - special.betaln(a, b)))

    best = optimize.minimize(nll, np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10,
                                                                             "maxiter": 4000})
    a, b = np.exp(best.x)
    return float(a), float(b)


def pass_at_k_betabinomial(c, n, k, a: float, b: float) -> np.ndarray:
    """Each question's posterior mean of pass@k = 1 - (1 - p)^k given ``c`` correct of ``n`` and the
    prior Beta(a, b): ``1 - B(a + c, b + n - c + k) / B(a + c, b + n - c)``."""
    c, n = np.asarray(c, dtype=float), np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)[..., None] if np.ndim(k) else float(k)
    return 1.0 - np.exp(special.betaln(a + c, b + n - c + k) - special.betaln(a + c, b + n - c))


def pass_at_k_unbiased(c, n, k) -> np.ndarray:
    """``1 - C(n - c, k) / C(n, k)`` per question (Chen et al. 2021), for ``k <= n``."""
    c, n = np.asarray(c, dtype=float), np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)[..., None] if np.ndim(k) else float(k)
    fails = n - c >= k  # otherwise every k-subset holds a correct sample
    rest = np.where(fails, n - c - k, 0.0)
    log_ratio = special.gammaln(n - c + 1) - special.gammaln(rest + 1) + special.gammaln(n - k + 1) - special.gammaln(n + 1)
    return np.where(fails, 1.0 - np.exp(np.where(fails, log_ratio, 0.0)), 1.0)


def pass_at_k_plugin(c, n, k) -> np.ndarray:
    """The plug-in ``1 - (1 - c / n)^k`` per question (a control: biased low, and 0 on unsolved questions)."""
    p = np.asarray(c, dtype=float) / np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)[..., None] if np.ndim(k) else k
    return 1.0 - (1.0 - p) ** k


def expected_distinct(counts, k):
    """The mean number of distinct classes in ``k`` samples drawn without replacement from a sample
    with these class counts (rarefaction): ``sum_j 1 - C(n - c_j, k) / C(n, k)``; for ``k <= n`` an
    unbiased estimate of the expected distinct answers in ``k`` fresh draws. ``k`` may be an array."""
    counts = np.asarray(counts, dtype=float)
    n = counts.sum()
    if np.max(k) > n:
        raise ValueError(f"k = {np.max(k)} is more than the {int(n)} samples")
    values = pass_at_k_unbiased(counts, n, k).sum(axis=-1)
    return float(values) if np.ndim(values) == 0 else values


def discovery(counts, ks, model: str = "chao") -> np.ndarray:
    """Predicted expected distinct answers in ``k`` fresh samples, for each k in ``ks``, from one
    question's class counts (n samples in hand).

    ``model="chao"``: the rarefaction :func:`expected_distinct` for ``k <= n``, and for ``k = n + t``
    Chao et al.'s (2014, Ecological Monographs 84: 45, eq. 9; Colwell et al. 2012) extrapolation
    ``S + f0 (1 - (1 - f1 / (n f0 + f1))^t)`` with their Chao1 estimate of the unseen classes
    ``f0 = (n - 1) / n * f1^2 / (2 f2)`` when ``f2 > 0``, else ``(n - 1) / n * f1 (f1 - 1) / 2`` (the
    bias-corrected form only when there is no doubleton, as in the paper and its iNEXT code).
    ``model="plugin"`` (a control): the empirical law's ``sum_j 1 - (1 - c_j / n)^k``, which can never
    exceed the classes already seen.
    """
    counts = np.asarray(counts, dtype=float)
    counts = counts[counts > 0]
    n, s = counts.sum(), float(len(counts))
    ks = np.asarray(ks, dtype=float)
    if model == "plugin":
        return (1.0 - (1.0 - counts / n) ** ks[:, None]).sum(axis=1)
    if model != "chao":
        raise ValueError(f"model must be 'chao' or 'plugin'; got {model!r}")
    out = np.empty(len(ks))
    inside = ks <= n
    if inside.any():
        out[inside] = expected_distinct(counts, ks[inside])
    f1, f2 = float((counts == 1).sum()), float((counts == 2).sum())
    f0 = (n - 1) / n * (f1 * f1 / (2 * f2) if f2 > 0 else f1 * (f1 - 1) / 2)
    beyond = ks[~inside] - n
    out[~inside] = s if f0 <= 0 else s + f0 * (1.0 - (1.0 - f1 / (n * f0 + f1)) ** beyond)
    return out


# -- experiment files: [instance] generator = "rollouts" ---------------------------------------------------

_SHIPPED = {"pot_svamp": (POT_SVAMP, "pot")}


@functools.lru_cache(maxsize=4)
def _cached(source: str, layout: str | None) -> Rollouts:
    if source in _SHIPPED:
        path, preset = _SHIPPED[source]
        return read(path, layout=layout or preset, name=source)
    return read(source, layout=layout)


def real_question(*, source: str = "pot_svamp", layout: str = "", question: int | str = 0,
                  arms: str = "traces") -> Instance:
    """The bandit of one real question (:meth:`Rollouts.instance`), for experiment files:

    .. code-block:: toml

        [instance]
        generator = "rollouts"
        source = "pot_svamp"     # the shipped samples, or a file path
        layout = "pot"           # a preset of bandits.rollouts.LAYOUTS ("" : the file's default)
        question = 17            # a position in rollouts.ids (an int) or an id (a string); a list sweeps it
        arms = "traces"          # or "samples"
    """
    if not isinstance(source, str) or not source:
        raise ValueError(f"source must be 'pot_svamp' or a file path, got {source!r}")
    if not isinstance(layout, str) or (layout and layout not in LAYOUTS):
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)} (or '' for the default); got {layout!r}")
    data = _cached(source, layout or None)
    if isinstance(question, bool) or not isinstance(question, (int, str)):
        raise ValueError(f"question must be a position (int) or an id (str), got {question!r}")
    if isinstance(question, int):
        if not 0 <= question < len(data.ids):
            raise ValueError(f"question must lie in [0, {len(data.ids)}) for {source}, got {question}")
        question = data.ids[question]
    return data.instance(question, arms=arms)


def real_questions(*, source: str = "pot_svamp", layout: str = "", p_min: float = 0.0, p_max: float = 1.0,
                   count: int = 0, k: int = 0, hard_below: float = 0.5) -> Questions:
    """A question set of real questions (:meth:`Rollouts.question_set`), for experiment files:

    .. code-block:: toml

        [questions]
        generator = "rollouts"
        source = "pot_svamp"
        p_min = 0.0          # keep the questions whose share of correct samples lies in [p_min, p_max]
        p_max = 0.9
        count = 100          # the first `count` of them (0: all)
        k = 0                # samples (arms) per question (0: the fewest any question has)
        hard_below = 0.5     # questions with share correct below this are "hard"
    """
    if not isinstance(source, str) or not source:
        raise ValueError(f"source must be 'pot_svamp' or a file path, got {source!r}")
    if not isinstance(layout, str) or (layout and layout not in LAYOUTS):
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)} (or '' for the default); got {layout!r}")
    for name, value in (("p_min", p_min), ("p_max", p_max), ("hard_below", hard_below)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    for name, value in (("count", count), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    data = _cached(source, layout or None)
    share = data.answer_space()["p_correct"].to_numpy()
    keep = [q for q, p in zip(data.ids, share) if p_min <= p <= p_max]
    keep = keep[:count] if count else keep
    if not keep:
        raise ValueError(f"no question of {source} has a share of correct samples in [{p_min}, {p_max}]")
    return data.select(keep).question_set(k or None, hard_below=hard_below)


GENERATORS = {"rollouts": real_question}
QUESTION_GENERATORS = {"rollouts": real_questions}
# experiment files name them (`[instance] generator = "rollouts"`, `[questions] generator = "rollouts"`):
# registered beside the built-in generators when this module is imported (bandits.cells imports it)
_instances.GENERATORS.setdefault("rollouts", cast(Any, real_question))
_questions.GENERATORS.setdefault("rollouts", cast(Any, real_questions))
