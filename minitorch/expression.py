"""Safe arithmetic expressions over named variables, parsed with `ast` and never `eval`'d.

    >>> expr = parse("tanh(w1*x1 + w2*x2 + b)")
    >>> expr.variables
    ('w1', 'x1', 'w2', 'x2', 'b')
    >>> out = expr.evaluate({"w1": 0.5, "x1": 1.0, "w2": -1.0, "x2": 2.0, "b": 0.1})
    >>> out.backward()                      # out is a minitorch.engine.Scalar

Only a whitelist is accepted: numbers, variable names, ``+ - * / **``, unary ``-``/``+``,
and the engine's functions ``exp log relu tanh sigmoid leaky_relu``, called either as
functions (``tanh(x)``) or as methods (``x.tanh()``). Everything else -- attribute access,
subscripts, imports, lambdas, comprehensions, comparisons, strings -- is rejected with an
`ExpressionError` that names the problem and its column. Limits on the text length, the
number of syntax-tree nodes, the nesting depth and the size of constant exponents keep a
hostile expression from hanging the program.

The same checked tree is evaluated by interchangeable backends: minitorch's scalar
`Scalar` (the graph the explorer draws), plain Python floats (a reference), and PyTorch
float64 tensors (imported lazily, for "Verify with PyTorch").
"""

from __future__ import annotations

import ast
import math
import numbers
import operator
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .engine import Scalar
from .errors import DivisionByZeroError, MinitorchError

__all__ = [
    "ExpressionError",
    "Expression",
    "parse",
    "FUNCTIONS",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "verify_with_torch",
    "max_abs_difference",
    "VerifyResult",
    "TORCH_MISSING_MESSAGE",
]

#: Functions the user may call, with how many numeric constant arguments each accepts after ``x``.
FUNCTIONS: dict[str, int] = {"exp": 0, "log": 0, "relu": 0, "tanh": 0, "sigmoid": 0, "leaky_relu": 1}

MAX_LENGTH = 1000  # characters of expression text
MAX_NODES = 400  # syntax-tree nodes (about 100 operations)
MAX_DEPTH = 40  # nesting depth of the syntax tree
MAX_EXPONENT = 1000.0  # largest |constant exponent|; a bigger one only makes inf or 0 anyway

TORCH_MISSING_MESSAGE = (
    "PyTorch is not installed, so the result cannot be checked against it. "
    "Install it with:  pip install torch   (or: pip install 'pytorch-mini-playground[torch]')"
)

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}

# Friendly names for syntax the whitelist rejects, so the message says what was seen.
_DISALLOWED_NAMES: dict[type, str] = {
    ast.Subscript: "subscripts ([...])",
    ast.Lambda: "lambda functions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "conditional expressions (x if c else y)",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignments (:=)",
    ast.Await: "await",
    ast.Starred: "starred arguments",
    ast.Slice: "slices",
}


class ExpressionError(MinitorchError, ValueError):
    """The expression text is not allowed; ``column`` (1-based) points at the problem when known."""

    def __init__(self, message: str, column: int | None = None):
        self.message = message
        self.column = column
        super().__init__(f"column {column}: {message}" if column is not None else message)


def _column(node: ast.AST) -> int | None:
    offset = getattr(node, "col_offset", None)
    return None if offset is None else offset + 1


# --- the checked tree ------------------------------------------------------------------------
# After checking, the expression is held as a tiny tree of tuples that every backend walks:
#   ("num", value) | ("var", name) | ("bin", op, left, right) | ("neg", operand)
#   ("call", function_name, operand, constant_args)


@dataclass(frozen=True)
class Expression:
    """A checked expression: its source text, its variables (in order of first use) and its tree."""

    source: str
    variables: tuple[str, ...]
    tree: tuple = field(repr=False)
    texts: dict = field(default_factory=dict, repr=False, compare=False)  # id(subtree) -> its source text

    def evaluate(self, values: Mapping[str, float]) -> Scalar:
        """Build the minitorch graph; each variable becomes a leaf `Scalar` labelled with its name.

        Returns a `Scalar` even for a constant expression (then a leaf). Math errors raise the
        engine's `DomainError` / `DivisionByZeroError`.
        """
        return self.evaluate_traced(values)[0]

    def evaluate_with_leaves(self, values: Mapping[str, float]) -> tuple[Scalar, dict[str, Scalar]]:
        """Like `evaluate`, but also return the leaf Scalar of every variable (to read their grads)."""
        root, leaves, _ = self.evaluate_traced(values)
        return root, leaves

    def evaluate_traced(self, values: Mapping[str, float]) -> tuple[Scalar, dict[str, Scalar], dict[int, str]]:
        """Like `evaluate_with_leaves`, plus ``{id(tensor): source text}`` for every operation node."""
        leaves = {name: Scalar(_value_of(values, name), label=name) for name in self.variables}
        trace: dict[int, str] = {}
        result = _walk(self.tree, leaves, _TENSOR_OPS, trace, self.texts)
        return (result if isinstance(result, Scalar) else Scalar(float(result))), leaves, trace

    def evaluate_float(self, values: Mapping[str, float]) -> float:
        """Reference evaluation with plain Python floats (no graph)."""
        env = {name: _value_of(values, name) for name in self.variables}
        return float(_walk(self.tree, env, _FLOAT_OPS))

    def evaluate_torch(self, values: Mapping[str, float]) -> tuple[Any, dict[str, Any]]:
        """Evaluate with PyTorch float64 tensors (requires_grad); returns (result, {name: leaf})."""
        import torch  # lazy: only the verify path needs PyTorch

        leaves = {
            name: torch.tensor(_value_of(values, name), dtype=torch.float64, requires_grad=True)
            for name in self.variables
        }
        result = _walk(self.tree, leaves, _torch_ops(torch))
        if not isinstance(result, torch.Tensor):
            result = torch.tensor(float(result), dtype=torch.float64)
        return result, leaves


def _value_of(values: Mapping[str, float], name: str) -> float:
    if name not in values:
        raise ExpressionError(f"unknown variable {name!r}: give it a value")
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):  # numpy scalars are Real too
        raise ExpressionError(f"the value of {name!r} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ExpressionError(f"the value of {name!r} must be finite, got {value}")
    return value


def parse(text: str, variables: Mapping[str, Any] | None = None) -> Expression:
    """Check ``text`` against the whitelist and return an `Expression`.

    ``variables``: when given, only these names may appear (others are "unknown variable");
    when None, every plain name that is not a function becomes a variable.
    Raises `ExpressionError` for anything not allowed.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long ({len(text)} characters; the limit is {MAX_LENGTH})")
    if "\n" in text.strip() or "\r" in text.strip():
        raise ExpressionError("the expression must be on one line")
    stripped = text.strip()
    if not stripped:
        raise ExpressionError("the expression is empty")
    try:
        with warnings.catch_warnings():  # e.g. "invalid escape sequence" in a string we reject anyway
            warnings.simplefilter("ignore")
            module = ast.parse(stripped, mode="eval")
    except SyntaxError as err:
        if _is_statement(stripped):
            raise ExpressionError(
                "statements (import, assignment, def, ...) are not allowed; type one expression", 1
            ) from None
        # Python reports offsets on the stripped text; shift back to the text the user typed.
        lead = len(text) - len(text.lstrip())
        if not err.offset or err.offset > len(stripped):  # Python's way of saying "ran out of input"
            raise ExpressionError(
                f"syntax error: {err.msg} (the expression ends too early)", lead + len(stripped) + 1
            ) from None
        raise ExpressionError(f"syntax error: {err.msg}", err.offset + lead) from None
    except (RecursionError, MemoryError, ValueError):  # pathological nesting or null bytes
        raise ExpressionError("the expression is nested too deeply or contains invalid characters") from None

    count = sum(1 for _ in ast.walk(module))
    if count > MAX_NODES:
        raise ExpressionError(f"the expression is too big ({count} syntax nodes; the limit is {MAX_NODES})")
    lead = len(text) - len(text.lstrip())
    checker = _Checker(variables, lead, stripped)
    tree = checker.convert(module.body, depth=1)
    return Expression(source=text, variables=tuple(checker.seen), tree=tree, texts=checker.texts)


class _Checker:
    """Turns an `ast` expression into the tuple tree, rejecting everything off the whitelist."""

    def __init__(self, allowed: Mapping[str, Any] | None, lead: int, source: str):
        self.allowed = allowed
        self.lead = lead
        self.source = source
        self.seen: dict[str, None] = {}  # ordered set of variable names
        self.texts: dict[int, str] = {}  # id(subtree) -> the source text it came from

    def convert(self, node: ast.AST, depth: int) -> tuple:
        tree = self._convert(node, depth)
        if id(tree) not in self.texts:
            text = ast.get_source_segment(self.source, node)
            if text is not None:
                self.texts[id(tree)] = " ".join(text.split())
        return tree

    def fail(self, message: str, node: ast.AST) -> ExpressionError:
        column = _column(node)
        return ExpressionError(message, None if column is None else column + self.lead)

    def _convert(self, node: ast.AST, depth: int) -> tuple:
        if depth > MAX_DEPTH:
            raise self.fail(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)", node)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.fail(f"only numbers are allowed as constants, not {type(value).__name__} {value!r}", node)
            if isinstance(value, int) and abs(value) > 10**300:
                raise self.fail("the number is too large", node)
            return ("num", float(value))
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            op = _BINARY.get(type(node.op))
            if op is None:
                symbol = type(node.op).__name__
                raise self.fail(f"the operator {symbol} is not allowed; use + - * / **", node)
            left = self.convert(node.left, depth + 1)
            right = self.convert(node.right, depth + 1)
            if op == "**" and right[0] != "var":
                exponent = _constant_value(right)
                if exponent is not None and not abs(exponent) <= MAX_EXPONENT:  # NaN fails this too
                    problem = "is too large" if math.isfinite(exponent) else "is not a finite number"
                    raise self.fail(
                        f"the exponent {exponent:g} {problem} (the limit is {MAX_EXPONENT:g})", node.right
                    )
            return ("bin", op, left, right)
        if isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise self.fail(f"the unary operator {type(node.op).__name__} is not allowed; use - or +", node)
            operand = self.convert(node.operand, depth + 1)
            return ("neg", operand) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Attribute):
            raise self.fail(
                f"attribute access '.{node.attr}' is not allowed; only calls of "
                f"{', '.join(FUNCTIONS)} as methods, e.g. x.tanh()",
                node,
            )
        what = _DISALLOWED_NAMES.get(type(node), type(node).__name__)
        raise self.fail(f"{what} are not allowed in an expression", node)

    def name(self, node: ast.Name) -> tuple:
        name = node.id
        if name in FUNCTIONS:
            raise self.fail(f"{name!r} is a function; call it, e.g. {name}(x)", node)
        if name.startswith("_"):
            raise self.fail(f"names starting with '_' are not allowed ({name!r})", node)
        if self.allowed is not None and name not in self.allowed:
            known = ", ".join(sorted(self.allowed)) or "none"
            raise self.fail(f"unknown variable {name!r} (known variables: {known})", node)
        self.seen.setdefault(name, None)
        return ("var", name)

    def call(self, node: ast.Call, depth: int) -> tuple:
        if node.keywords:
            raise self.fail("keyword arguments are not allowed", node.keywords[0].value)
        func = node.func
        if isinstance(func, ast.Name):  # tanh(x), leaky_relu(x, 0.1)
            name = func.id
            if name not in FUNCTIONS:
                raise self.fail(f"unknown function {name!r}; allowed: {', '.join(FUNCTIONS)}", func)
            if not node.args:
                raise self.fail(f"{name}() needs an argument, e.g. {name}(x)", node)
            operand_node, extra = node.args[0], node.args[1:]
        elif isinstance(func, ast.Attribute):  # x.tanh(), (x + y).leaky_relu(0.1)
            name = func.attr
            if name not in FUNCTIONS:
                raise self.fail(
                    f"unknown method '.{name}()'; allowed: {', '.join('.' + f + '()' for f in FUNCTIONS)}", func
                )
            operand_node, extra = func.value, node.args
        else:
            raise self.fail("only the functions " + ", ".join(FUNCTIONS) + " may be called", node)
        if len(extra) > FUNCTIONS[name]:
            if FUNCTIONS[name] == 0 and isinstance(func, ast.Attribute):
                raise self.fail(
                    f"the method .{name}() takes no arguments; write {name}(x) or x.{name}()", extra[0]
                )
            if FUNCTIONS[name] == 0:
                raise self.fail(f"{name} takes exactly one operand", extra[0])
            raise self.fail(f"{name} takes at most {FUNCTIONS[name]} extra number(s)", extra[-1])
        constants = []
        for arg in extra:
            value = _constant_value(self.convert(arg, depth + 1))
            if value is None:
                raise self.fail(f"the extra argument of {name} must be a number", arg)
            constants.append(value)
        operand = self.convert(operand_node, depth + 1)
        return ("call", name, operand, tuple(constants))


def _constant_value(tree: tuple) -> float | None:
    """The value of a constant subtree (numbers combined by + - * / ** and unary -), else None."""
    try:
        value = _walk(tree, {}, _FLOAT_OPS)
    except (KeyError, MinitorchError, OverflowError, ZeroDivisionError):
        return None
    return value if isinstance(value, float) else None


# --- backends ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ops:
    """How one backend does each operation; numbers stay numbers until they meet a variable."""

    binary: Callable[[str, Any, Any], Any]
    neg: Callable[[Any], Any]
    call: Callable[[str, Any, tuple], Any]


def _walk(
    tree: tuple, env: Mapping[str, Any], ops: _Ops, trace: dict | None = None, texts: Mapping | None = None
) -> Any:
    """Evaluate the checked tree (recursion depth is bounded by MAX_DEPTH).

    With ``trace`` and ``texts``, record ``trace[id(result)] = source text`` for each operation result.
    """
    result = _walk_node(tree, env, ops, trace, texts)
    if trace is not None and texts and not isinstance(result, float) and id(result) not in trace:
        text = texts.get(id(tree))
        if text is not None:
            trace[id(result)] = text
    return result


def _walk_node(tree: tuple, env: Mapping[str, Any], ops: _Ops, trace: dict | None, texts: Mapping | None) -> Any:
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "var":
        return env[tree[1]]
    if kind == "bin":
        left = _walk(tree[2], env, ops, trace, texts)
        right = _walk(tree[3], env, ops, trace, texts)
        if isinstance(left, float) and isinstance(right, float):
            return _float_binary(tree[1], left, right)  # constant folding, same on every backend
        return ops.binary(tree[1], left, right)
    if kind == "neg":
        operand = _walk(tree[1], env, ops, trace, texts)
        return -operand if isinstance(operand, float) else ops.neg(operand)
    if kind == "call":
        operand = _walk(tree[2], env, ops, trace, texts)
        if isinstance(operand, float):
            return _float_call(tree[1], operand, tree[3])
        return ops.call(tree[1], operand, tree[3])
    raise AssertionError(f"unknown tree node {kind!r}")


_BINARY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
}


def _float_binary(op: str, a: float, b: float) -> float:
    if op == "/" and b == 0:
        raise DivisionByZeroError(f"division by zero: {a:g} / 0")
    if op == "**":  # the engine's rules (errors for 0 ** negative and negative ** fraction, inf on overflow)
        return (Scalar(a) ** b).data
    return _BINARY_OPS[op](a, b)


def _float_call(name: str, x: float, constants: tuple) -> float:
    return float(getattr(Scalar(x), name)(*constants).data)


def _tensor_binary(op: str, a: Any, b: Any) -> Scalar:
    return _BINARY_OPS[op](a, b)


_TENSOR_OPS = _Ops(
    binary=_tensor_binary,
    neg=lambda a: -a,
    call=lambda name, x, constants: getattr(x, name)(*constants),
)

_FLOAT_OPS = _Ops(binary=_float_binary, neg=lambda a: -a, call=_float_call)


def _torch_ops(torch: Any) -> _Ops:
    functional = torch.nn.functional

    def call(name: str, x: Any, constants: tuple) -> Any:
        if name == "leaky_relu":
            return functional.leaky_relu(x, *(constants or (0.01,)))
        return getattr(torch, name)(x)

    return _Ops(binary=_tensor_binary, neg=lambda a: -a, call=call)


# --- verify with PyTorch -------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    """Our value and gradients next to PyTorch's for the same expression and values."""

    value: float
    torch_value: float
    gradients: dict[str, float]
    torch_gradients: dict[str, float]

    @property
    def max_abs_difference(self) -> float:
        """Largest |ours - PyTorch| over the value and every variable's gradient.

        NaN on both sides counts as agreement; NaN on one side only is a disagreement of inf
        (``max(0.0, nan)`` is 0.0, so a plain maximum would call it agreement).
        """
        return max_abs_difference(
            [self.value, *self.gradients.values()],
            [self.torch_value, *(self.torch_gradients[n] for n in self.gradients)],
        )


def max_abs_difference(ours: Iterable[float], theirs: Iterable[float]) -> float:
    """Largest |a - b| over pairs; equal values (also equal infinities, also NaN and NaN) differ by 0,
    and a NaN on one side only, or infinities that differ, by inf."""
    worst = 0.0
    for a, b in zip(ours, theirs, strict=True):
        if a == b or (a != a and b != b):
            continue
        difference = abs(a - b)
        if difference != difference:  # NaN on one side, or inf - inf of the same sign handled above
            return math.inf
        worst = max(worst, difference)
    return worst


def verify_with_torch(expression: Expression, values: Mapping[str, float]) -> VerifyResult:
    """Evaluate and differentiate with minitorch and with PyTorch float64; ImportError if torch is missing."""
    ours, leaves = expression.evaluate_with_leaves(values)
    ours.backward()
    try:
        import torch  # noqa: F401  (lazy: the rest of minitorch never needs it)
    except ImportError as err:
        raise ImportError(TORCH_MISSING_MESSAGE) from err
    theirs, torch_leaves = expression.evaluate_torch(values)
    if theirs.requires_grad:
        theirs.backward()
    torch_grads = {}
    for name, leaf in torch_leaves.items():
        torch_grads[name] = float(leaf.grad) if leaf.grad is not None else 0.0
    return VerifyResult(
        value=float(ours.data),
        torch_value=float(theirs.detach()),
        gradients={name: float(leaf.grad) for name, leaf in leaves.items()},
        torch_gradients=torch_grads,
    )


def _is_statement(text: str) -> bool:
    """True when ``text`` is valid Python only as a statement (``import os``, ``x = 1``)."""
    try:
        module = ast.parse(text, mode="exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return False
    return any(not isinstance(stmt, ast.Expr) for stmt in module.body)
