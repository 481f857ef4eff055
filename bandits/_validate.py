"""Up-front parameter checks with one-line messages that name the parameter (scikit-learn style).

:class:`Param` declares one parameter (default, range, integer or real, or a set of choices);
agents, experiment files (the ``[sweep]`` fields), instance generators and the learners' settings
all declare theirs with it, so every bad value gets the same kind of message:
``horizon must be an integer >= 1, got 0``.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable


def check_real(value: object, name: str, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a float, or raise naming ``name``, the value and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {_range_text(low, high, low_open, high_open)}, got {value:g}")
    return value


#: The longest run (pulls or training steps) accepted: the compiled loop counts in 64-bit integers.
MAX_LENGTH = 2**62


def check_int(value: object, name: str, *, low: float | None = None, high: float | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name``; floats with integer value are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if high == MAX_LENGTH:                   # a length: name the bound that was broken, readably
        if low is not None and value < low:
            raise ValueError(f"{name} must be >= {low:g}, got {value}")
        if value > high:
            raise ValueError(f"{name} must be <= 2**62 (the compiled loop counts in 64-bit integers), got {value}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {_range_text(low, high, False, False)}, got {value}")
    return value


def _range_text(low, high, low_open, high_open):
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    return f"{'<' if high_open else '<='} {high:g}"


class _Required:
    def __repr__(self):
        return "REQUIRED"


#: The default of a parameter that must be given.
REQUIRED = _Required()


@dataclass(frozen=True)
class Param:
    """A declared parameter: its default, its kind and its admissible values.

    ``Param(2.0, "exploration constant", low=0.0, low_open=True)`` is a real > 0;
    ``integer=True`` makes it an integer; ``choices=("arm", "outcome")`` a string from a set.
    """

    default: object = REQUIRED
    doc: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    choices: tuple | None = None

    def check(self, value: object, name: str) -> Any:
        """``value`` converted (int, float or a choice), or a one-line error naming ``name``."""
        if self.choices is not None:
            if not any(type(value) is type(c) and value == c for c in self.choices):
                raise ValueError(f"{name} must be one of {', '.join(map(repr, self.choices))}; got {value!r}")
            return value
        if self.integer:
            return check_int(value, name, low=self.low, high=self.high)
        return check_real(value, name, low=self.low, high=self.high, low_open=self.low_open, high_open=self.high_open)

    def describe(self) -> str:
        """The admissible values in words (for ``bandits list`` and the docs)."""
        if self.choices is not None:
            return "one of " + ", ".join(map(repr, self.choices))
        kind = "integer" if self.integer else "real"
        if self.low is None and self.high is None:
            return kind
        return f"{kind} {_range_text(self.low, self.high, self.low_open, self.high_open)}"


def check_params(given: dict, params: dict, owner: str, prefix: str = "") -> dict:
    """``given`` checked against the declarations ``params``: unknown names refused, missing
    required ones named, defaults filled in (in declaration order)."""
    unknown, missing = name_problems(given, params)
    if unknown:
        raise ValueError(f"{owner} has no parameter {unknown[0]!r} (its parameters: {', '.join(params) or 'none'})")
    if missing:
        raise ValueError(f"{prefix}{missing[0]} is missing: {owner} needs it")
    return {name: param.check(given[name], f"{prefix}{name}") if name in given else param.default
            for name, param in params.items()}


def name_problems(given: Iterable[str], params: dict) -> tuple[list, list]:
    """The names in ``given`` that ``params`` does not declare (sorted), and the required names of
    ``params`` that ``given`` lacks (in declaration order): the one rule for parameter names, used
    by :func:`check_params` and by the experiment parser (which checks names before values)."""
    unknown = sorted(set(given) - set(params))
    missing = [name for name, param in params.items() if param.default is REQUIRED and name not in given]
    return unknown, missing


def signature_params(fn: Callable) -> dict:
    """``fn``'s declared parameters (``fn.params``, see :func:`declared`), or, for a function
    declared without them, its keyword parameters with their defaults (unchecked values)."""
    declared_params = getattr(fn, "params", None)
    if declared_params:
        return dict(declared_params)
    return {name: Param(REQUIRED if p.default is inspect.Parameter.empty else p.default)
            for name, p in inspect.signature(fn).parameters.items()}


def declared(**params: Param) -> Callable[[Callable], Callable]:
    """Declare the keyword parameters of a function (an instance generator): each call is checked
    against the declarations before the function runs, and ``fn.params`` lists them.

    The function's own defaults are the declarations' defaults, so a signature and its
    declaration cannot disagree.
    """
    def wrap(fn):
        signature = inspect.signature(fn)
        missing = set(signature.parameters) ^ set(params)
        if missing:
            raise TypeError(f"{fn.__name__}: declare exactly its keyword parameters (differ: {sorted(missing)})")
        full = {name: replace(params[name], default=REQUIRED if p.default is inspect.Parameter.empty else p.default)
                for name, p in signature.parameters.items()}

        @functools.wraps(fn)
        def checked(**kwargs):
            return fn(**check_params(kwargs, full, f"{fn.__name__}()"))

        checked.params = full
        return checked
    return wrap


class TomlView(Mapping):
    """The generators an experiment file may name: every one of ``registry`` (a generator table,
    read live, so that generators added later are seen) except ``from_arrays`` (arrays are not
    TOML). Each registry keeps its view beside it (``bandits.instances.TOML_GENERATORS``,
    ``bandits.rl.questions.TOML_GENERATORS``)."""

    def __init__(self, registry: dict):
        self._registry = registry

    def __getitem__(self, name):
        if name == "from_arrays":
            raise KeyError(name)
        return self._registry[name]

    def __iter__(self):
        return (name for name in self._registry if name != "from_arrays")

    def __len__(self):
        return sum(1 for _ in self)

