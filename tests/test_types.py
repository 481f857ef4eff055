"""Every public function and class of the package has type hints (the CI type-checks them with mypy).

Public: the names in ``__all__`` of the package and of its user-facing modules, and the public
methods of the classes among them. The compiled kernels (agents' ``init``/``index``/``update``,
the engine's pieces) are typed by Numba when they compile and are not part of this list.
"""

import inspect

import pytest

import bandits
from bandits import (cells, checks, compare, experiment, explorer, instances, plots, results, rl, simulate, stats,
                     sweep, theory)
from bandits.agents import base

MODULES = [bandits, instances, simulate, compare, results, experiment, sweep, cells, plots, stats, checks, theory,
           rl, explorer, base]


def public_callables():
    seen = {}
    for module in MODULES:
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or hasattr(obj, "py_func") or not callable(obj):
                continue
            if getattr(obj, "__module__", "").split(".")[0] != "bandits":
                continue
            key = f"{obj.__module__}.{getattr(obj, '__qualname__', name)}"
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if inspect.isfunction(member) and (not attr.startswith("_") or attr == "__init__"):
                        seen[f"{key}.{attr}"] = member
            else:
                seen[key] = getattr(obj, "__wrapped__", obj)
    return seen


PUBLIC = public_callables()


def unannotated(fn):
    sig = inspect.signature(fn)
    missing = [p.name for p in sig.parameters.values()
               if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty and fn.__name__ != "__init__":
        missing.append("return")
    return missing


def test_there_is_a_public_surface():
    assert len(PUBLIC) > 60 and "bandits.simulate.simulate" in PUBLIC


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_callable_has_type_hints(name):
    assert not unannotated(PUBLIC[name]), f"{name}: no type hint for {unannotated(PUBLIC[name])}"


def test_the_check_catches_a_function_without_hints():
    def bare(x, y=1):
        return x
    assert unannotated(bare) == ["x", "y", "return"]
