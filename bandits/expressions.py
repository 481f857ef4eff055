"""Safe arithmetic expressions for experiment files, such as ``"= sqrt(K / T) / 2"``.

A string value that starts with ``=`` is an expression of the cell's other parameters. Only
numbers, numeric parameter names, ``+ - * / // % **`` (powers with ``|exponent| <= 64`` and
``|base| <= 1e6``), parentheses and the functions in ``FUNCTIONS`` are allowed; the text is parsed with :mod:`ast` and evaluated node by node, never with ``eval``. An expression
is at most ``MAX_LENGTH`` characters long and nests at most ``MAX_DEPTH`` levels deep (parentheses,
calls and operators), so parsing and evaluating it take little time and memory.
"""

from __future__ import annotations

import ast
import math
import operator

FUNCTIONS = {
    "sqrt": math.sqrt, "log": math.log, "log2": math.log2, "log10": math.log10, "exp": math.exp,
    "min": min, "max": max, "abs": abs, "ceil": math.ceil, "floor": math.floor, "round": round, "int": int,
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
MAX_EXPONENT = 64     # so that no expression can run for long or fill the memory
MAX_BASE = 1e6
MAX_LENGTH = 1000     # characters
MAX_DEPTH = 100       # nesting levels of the parsed expression


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated."""


def is_expression(value: object) -> bool:
    return isinstance(value, str) and value.lstrip().startswith("=")


def names_in(text: str) -> set[str]:
    """Parameter names an expression refers to (functions excluded)."""
    tree = _parse(text)
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id not in FUNCTIONS}


def evaluate(text: str, variables: dict) -> int | float:
    """The value of expression ``text`` (with or without the leading ``=``) given ``variables``."""
    return _eval(_parse(text).body, variables, text)


def _parse(text: str) -> ast.Expression:
    source = text.lstrip()
    source = source[1:] if source.startswith("=") else source
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression of {len(source)} characters: at most {MAX_LENGTH} are allowed")
    depth = deepest = 0
    for char in source:  # brackets first: the parser itself fails on very deep nesting
        depth += (char in "([{") - (char in ")]}")
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise ExpressionError(f"expression {_short(text)} nests {deepest} brackets deep: at most {MAX_DEPTH}")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError):  # ValueError: null bytes
        raise ExpressionError(f"cannot parse expression {_short(text)}") from None
    except (MemoryError, RecursionError):
        raise ExpressionError(f"expression {_short(text)} is too deeply nested to parse") from None
    if _depth(tree.body) > MAX_DEPTH:
        raise ExpressionError(f"expression {_short(text)} nests more than {MAX_DEPTH} operations deep")
    return tree


def _depth(node) -> int:
    """Nesting depth of an expression tree (iterative, so deep trees cannot exhaust the stack)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _short(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:57]) + "..."


def _eval(node, variables, text):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in variables:
            raise ExpressionError(f"expression {text!r} uses unknown name {node.id!r} "
                                  f"(known: {', '.join(sorted(variables)) or 'none'})")
        return _number(variables[node.id], node.id, text)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, variables, text), _eval(node.right, variables, text)
        if isinstance(node.op, ast.Pow) and (abs(right) > MAX_EXPONENT or abs(left) > MAX_BASE):
            raise ExpressionError(f"expression {text!r}: powers are limited to |base| <= {MAX_BASE:g} "
                                  f"and |exponent| <= {MAX_EXPONENT}")
        try:
            return _BINARY[type(node.op)](left, right)
        except (ArithmeticError, TypeError) as exc:
            raise ExpressionError(f"expression {text!r} failed: {exc}") from None
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, variables, text))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            and not node.keywords):
        args = [_eval(a, variables, text) for a in node.args]
        try:
            return FUNCTIONS[node.func.id](*args)
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise ExpressionError(f"expression {text!r} failed: {exc}") from None
    raise ExpressionError(f"expression {text!r} may only use numbers, parameter names, + - * / // % ** "
                          f"and {', '.join(FUNCTIONS)}")


def _number(value, name, text):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError(f"expression {text!r}: {name!r} is not a number ({value!r})")
    return value
