"""Cross-references to the package: follow re-exports, and fail the build on a broken one.

Two handlers of Sphinx's ``missing-reference`` event, for the Python domain:

1. **Re-exports.** ``:class:`bandits.Result``` names the class documented as
   ``bandits.simulate.Result``, and ``:func:`load``` in a module that imports ``load`` names the
   function where it is defined. The target is imported (as written, then relative to the
   module the reference is in) and resolved again under its canonical name
   (``__module__.__qualname__``).
2. **Broken references.** A role written in a docstring or a page (``:func:`x```,
   ``{func}`x```) whose target is in the package and still resolves to nothing is reported as a
   warning, which ``-W`` makes an error. References to other libraries (``:mod:`ast```) are
   left as plain text: the build fetches no remote inventories. Type names that autodoc and
   napoleon turn into references (``np.ndarray``, ``K x m array``) are not roles and are not
   checked (``nitpicky`` stays off).
"""

from __future__ import annotations

import builtins
import importlib

from sphinx.util import logging

logger = logging.getLogger(__name__)
PACKAGE = "bandits"


def _import(path: str):
    """The object named by a dotted path, or None: the longest importable module, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # noqa: BLE001 - not a module (or not importable): try a shorter prefix
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return None
        return obj
    return None


def _canonical(obj) -> str | None:
    obj = getattr(obj, "py_func", obj)  # a Numba dispatcher: its Python function
    if isinstance(obj, type(importlib)):
        return obj.__name__
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else None


def _candidates(node) -> list[str]:
    """Where a target may live: as written, then in the reference's class, module and its parents."""
    target = node["reftarget"].lstrip("~").lstrip(".")
    module = node.get("py:module") or ""
    cls = node.get("py:class") or ""
    out = [] if node["reftarget"].startswith(".") else [target]
    scopes = [f"{module}.{cls}"] if module and cls else []
    parts = module.split(".") if module else []
    scopes += [".".join(parts[:cut]) for cut in range(len(parts), 0, -1)]
    out += [f"{scope}.{target}" for scope in scopes]
    return out


def _found_in_package(node) -> str | None:
    for path in _candidates(node):
        if not path.startswith(PACKAGE + ".") and path != PACKAGE:
            continue
        obj = _import(path)
        if obj is not None:
            return _canonical(obj) or path
    return None


def follow_reexports(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    canonical = _found_in_package(node)
    if canonical is None or canonical == node["reftarget"]:
        return None
    domain = env.domains["py"]
    for typ in (node["reftype"], "obj"):
        found = domain.resolve_xref(env, node["refdoc"], app.builder, typ, canonical, node, contnode)
        if found is not None:
            return found
    return None


def report_broken(app, env, node, contnode):
    # Sphinx calls every handler of the event (then keeps the first result): check ours again.
    if node.get("refdomain") != "py" or "`" not in (node.rawsource or ""):
        return None  # not a role written by hand: a type in a signature or a napoleon field
    target = node["reftarget"].lstrip("~")
    module = node.get("py:module") or ""
    if hasattr(builtins, target):
        return None  # object, ValueError, ...: Sphinx's builtin resolver leaves these as text
    in_package = target.startswith((PACKAGE + ".", ".")) or target == PACKAGE or (
        module.startswith(PACKAGE) and _import(target.split(".")[0]) is None)
    if not in_package:
        return None  # another library's object: plain text without remote inventories
    if follow_reexports(app, env, node, contnode) is not None:
        return None
    where = _found_in_package(node)
    reason = f"{where} is not documented on any page" if where else "no such object"
    logger.warning("broken reference %s (%s)", node.rawsource, reason, location=node,
                   type="refcheck", subtype="broken")
    return None


def setup(app):
    app.connect("missing-reference", follow_reexports, priority=400)
    app.connect("missing-reference", report_broken, priority=950)  # after Sphinx's own (900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
