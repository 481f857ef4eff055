"""What an agent is: three small compiled functions and a declaration of its parameters.

An agent is an *index policy*. At each pull the engine asks it for one score per choice
(arm, or outcome under outcome control) and plays the argmax, breaking ties uniformly at
random. Every agent of docs/theory.md fits this form (a Thompson sample or an epsilon-greedy coin are
scores too), and so the batch penalty applies to all of them. The three functions, all
``@numba.njit``, work on plain NumPy arrays::

    init(K, m, params) -> state              # a tuple of arrays, fresh for each run
    index(state, t, params, out) -> None     # write one score per choice into out
    update(state, arm, outcome, reward, params) -> None

``t`` is the number of pulls observed so far; ``params`` is the float64 array that
:meth:`AgentSpec.prepare` builds (by default the declared parameters, in order). Randomness
comes from ``np.random`` inside the functions: the engine seeds it per run.

:func:`define_agent` turns the three functions into a named, validated :class:`AgentSpec`;
calling the spec with keyword parameters gives a bound :class:`Agent` that ``simulate`` runs.
The engine compiles one run loop per agent with these functions inlined, so an agent defined
in a notebook runs at the same speed as the built-in ones.

Performance note: Numba counts references to arrays, and it can drop those updates only in
code without branches. ``index`` and ``update`` run on every pull, so keep them free of
``if``/``else`` where you can (store ``+inf`` for "not seen yet" instead of testing a count,
as :mod:`._stats` does); a branch costs a few atomic operations per call, roughly halving the
speed of an agent as light as UCB1 (measured with ``python -m bandits.bench``).
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:
    from ..instances import Instance

import numpy as np

from .._validate import Param, check_real

CONTROLS = ("arm", "outcome")
_REGISTRY: dict[str, "AgentSpec"] = {}
_BUILTIN: set[str] = set()          # names declared by the package's own modules
_PACKAGE = __name__.rsplit(".", 1)[0] + "."   # "bandits.agents."


@dataclass(frozen=True)
class AgentSpec:
    """A named agent definition. Call it with keyword parameters to get an :class:`Agent`."""

    name: str
    init: Callable
    index: Callable
    update: Callable
    params: dict = field(default_factory=dict)
    control: str = "arm"
    each_once: bool = True
    doc: str = ""
    prepare_fn: Callable | None = None
    requires_fn: Callable | None = None
    code_hash: str = ""

    def __call__(self, **params) -> "Agent":
        return Agent(self, self.resolve(params))

    def resolve(self, given: dict) -> dict:
        """Defaults filled in, every value validated; unknown names refused."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            raise ValueError(f"agent {self.name!r} has no parameter {unknown[0]!r} (its parameters: {known})")
        return {k: p.check(given.get(k, p.default), f"{self.name}.{k}") for k, p in self.params.items()}

    def prepare(self, instance: Instance, values: dict) -> np.ndarray:
        """The float64 ``params`` array the compiled functions receive for this instance."""
        if self.prepare_fn is not None:
            return np.asarray(self.prepare_fn(instance, values), dtype=np.float64)
        return np.array([values[k] for k in self.params], dtype=np.float64)

    def check_instance(self, instance: Instance) -> None:
        """Raise ``ValueError`` when the agent cannot run on ``instance``."""
        if self.control == "outcome":
            if not instance.deterministic:
                raise ValueError(f"agent {self.name!r} controls outcomes and needs a deterministic map; "
                                 f"{instance.name} has a stochastic kernel, so choosing an outcome "
                                 "does not determine which arms can produce it")
            if not instance.reachable.all():
                o = int(np.flatnonzero(~instance.reachable)[0])
                raise ValueError(f"agent {self.name!r} controls outcomes, but outcome {o} of "
                                 f"{instance.name} has no arm with positive base probability")
        if self.requires_fn is not None:
            problem = self.requires_fn(instance)
            if problem:
                raise ValueError(f"agent {self.name!r} cannot run on {instance.name}: {problem}")

    def fingerprint(self) -> str:
        """A hash of the agent's code, so a compiled run loop is never reused after an edit.

        Taken when the agent is defined (:func:`define_agent`), from the code objects in memory and
        the source files as they were then: a file edited later does not change the key of the
        functions already loaded, whose compiled loop would otherwise be cached under the new key.
        """
        return self.code_hash or code_hash(self.name, (self.init, self.index, self.update))


@dataclass(frozen=True)
class Agent:
    """An agent spec bound to parameter values, optionally with a batch penalty ``lam``."""

    spec: AgentSpec
    params: dict
    lam: float = 0.0

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        """A readable label for tables and legends, e.g. ``ucb1(alpha=2)+penalty(lam=1)``."""
        inner = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        text = f"{self.name}({inner})" if inner else self.name
        return text + (f"+penalty(lam={self.lam:g})" if self.lam > 0 else "")

    def describe(self) -> dict:
        return {"agent": self.name, **self.params, "lam": self.lam}


def batch_penalty(agent: Agent, lam: float) -> Agent:
    """Turn any index agent into a batch agent with penalty ``lam`` (docs/theory.md section 1, "Batches").

    Inside a round the agent places pulls one at a time and lowers the score of arm ``a`` by
    ``(lam / n) * sum_o Qhat[a, o] c_o``, where ``c_o`` is the number of outcomes ``o``
    predicted for the pulls already placed in the round (for an outcome agent, ``lam c_o / n``
    with ``c_o`` the times ``o`` was already chosen).
    """
    lam = check_real(lam, "lam", low=0.0)
    if not isinstance(agent, Agent):
        raise TypeError(f"batch_penalty needs an Agent, got {type(agent).__name__}")
    return replace(agent, lam=lam)


def define_agent(name: str, *, init: Callable, index: Callable, update: Callable, params: dict | None = None,
                 control: str = "arm", each_once: bool = True, doc: str = "", prepare: Callable | None = None,
                 requires: Callable | None = None, register: bool = True, replace: bool = False) -> AgentSpec:
    """Declare an agent from its three ``@njit`` functions.

    Parameters
    ----------
    name : str
        The name used by ``simulate(instance, name)`` and in experiment files.
    init, index, update : numba dispatchers
        See the module docstring for their signatures.
    params : dict of str to Param
        Declared parameters, in the order of the ``params`` array the functions receive.
    control : {"arm", "outcome"}
        What the agent chooses: an arm (R1), or an outcome (R2, deterministic maps only).
    each_once : bool
        Start by visiting every choice once, in a uniformly random order.
    prepare : callable(instance, values) -> array, optional
        Build the ``params`` array from the instance too (e.g. the reward family).
    requires : callable(instance) -> str or None, optional
        Return a reason when the agent cannot run on the instance.
    register : bool
        Make the agent reachable by name. An agent of yours with the same name is replaced (so a
        notebook cell can be run again); a built-in agent only with ``replace=True``.
    replace : bool
        Allow replacing a built-in agent of the same name.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"agent name must be an identifier, got {name!r}")
    if control not in CONTROLS:
        raise ValueError(f"control must be 'arm' or 'outcome', got {control!r}")
    for role, fn in (("init", init), ("index", index), ("update", update)):
        if not hasattr(fn, "py_func"):
            raise TypeError(f"{role} of agent {name!r} must be a numba @njit function")
    params = dict(params or {})
    for key, p in params.items():
        if not isinstance(p, Param):
            raise TypeError(f"parameter {key!r} of agent {name!r} must be declared with Param(...)")
        p.check(p.default, f"{name}.{key} default")
    spec = AgentSpec(name=name, init=init, index=index, update=update, params=params,
                     control=control, each_once=each_once, doc=inspect.cleandoc(doc),
                     prepare_fn=prepare, requires_fn=requires, code_hash=code_hash(name, (init, index, update)))
    if register:
        package = sys._getframe(1).f_globals.get("__name__", "").startswith(_PACKAGE)
        if name in _BUILTIN and not (replace or package):
            raise ValueError(f"agent {name!r} is a built-in agent; choose another name, or pass replace=True "
                             "to replace it")
        _REGISTRY[name] = spec
        if package:  # declared by a module of bandits.agents
            _BUILTIN.add(name)
    return spec


def get_spec(name: str) -> AgentSpec:
    if not isinstance(name, str):
        raise TypeError(f"agent must be a name or an Agent, got {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown agent {name!r}; known agents: {', '.join(sorted(_REGISTRY))}") from None


def control_of(name: str) -> str:
    """What the registered agent ``name`` chooses, ``"arm"`` or ``"outcome"`` (``"arm"`` if unknown)."""
    spec = _REGISTRY.get(name)
    return spec.control if spec is not None else "arm"


def make_agent(agent: str | AgentSpec | Agent, **params: float) -> Agent:
    """An :class:`Agent` from a name, a spec or an agent, with parameters (``lam`` = batch penalty)."""
    lam = params.pop("lam", None)
    if isinstance(agent, Agent):
        if params:
            agent = Agent(agent.spec, agent.spec.resolve({**agent.params, **params}), agent.lam)
    else:
        spec = agent if isinstance(agent, AgentSpec) else get_spec(agent)
        agent = spec(**params)
    return batch_penalty(agent, lam) if lam is not None else agent


def registered() -> dict:
    """Every agent reachable by name, sorted."""
    return dict(sorted(_REGISTRY.items()))


def code_hash(name: str, functions: Iterable[Callable]) -> str:
    """Hash of the functions' code in memory (bytecode, constants, names) and of their source files."""
    h = hashlib.sha256(name.encode())
    for fn in functions:
        code = getattr(fn, "py_func", fn).__code__
        h.update(repr((code.co_code, code.co_consts, code.co_names)).encode())
        h.update(_source_of(fn).encode())
    return h.hexdigest()[:16]


def _source_of(fn) -> str:
    """Text that changes whenever ``fn`` or a helper it may call changes.

    For the built-in agents: every module of ``bandits/agents`` (helpers live beside them). For a
    function defined in another file: that file. In a notebook cell: the function's own source,
    or its bytecode. (Like Numba's own cache, helpers in other files of yours are not seen.)
    """
    py = getattr(fn, "py_func", fn)
    here = Path(__file__).resolve().parent
    try:
        path = Path(inspect.getsourcefile(py)).resolve()
        if path.parent == here:
            return "".join(p.read_text(encoding="utf-8") for p in sorted(here.glob("*.py")))
        return path.read_text(encoding="utf-8")
    except (OSError, TypeError):
        pass
    try:
        return inspect.getsource(py)
    except (OSError, TypeError):
        code = py.__code__
        return repr((code.co_code, code.co_consts, code.co_names))
