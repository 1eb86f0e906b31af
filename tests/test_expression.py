"""The safe expression parser: whitelist, precise errors, limits, and agreement with PyTorch."""

from __future__ import annotations

import ast
import math
import sys

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from minitorch.engine import Scalar
from minitorch.errors import DivisionByZeroError, DomainError, MinitorchError
from minitorch.expression import (
    MAX_DEPTH,
    MAX_LENGTH,
    ExpressionError,
    parse,
    verify_with_torch,
)

VALUES = {"x": 1.3, "y": -0.7, "z": 0.4, "w1": -3.0, "w2": 1.0, "x1": 2.0, "x2": 0.0, "b": 6.8813735870195432}

VALID = [
    "(x**2 + y).relu()",
    "tanh(w1*x1 + w2*x2 + b)",
    "exp(z) / (z + 1)",
    "x.tanh() * y.sigmoid() - 3 / x",
    "leaky_relu(y, 0.2) + y.leaky_relu() + x.leaky_relu(0.5)",
    "log(x) + x ** y + 2 ** x - x ** -1.5",
    "-x + +y - -z",
    "x * x * x - (x - 1) / (y + 2)",
    "sigmoid(-(x * y) + 1).log()",
    "(x + y) ** 3 / 7 - 2 * (z - x) ** 2",
    "relu(relu(x) - 1)",
]


def torch_reference(text: str, values: dict[str, float]) -> tuple[float, dict[str, float]]:
    """Value and gradients computed by PyTorch from Python's own parse of the same text.

    This reference walks `ast` itself (independently of minitorch.expression) so that a bug in
    our tree conversion cannot hide in both sides.
    """
    leaves = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in values.items()}
    functional = torch.nn.functional

    def walk(node: ast.AST):
        if isinstance(node, ast.Constant):
            return torch.tensor(float(node.value), dtype=torch.float64)
        if isinstance(node, ast.Name):
            return leaves[node.id]
        if isinstance(node, ast.UnaryOp):
            inner = walk(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            a, b = walk(node.left), walk(node.right)
            return {ast.Add: torch.add, ast.Sub: torch.sub, ast.Mult: torch.mul, ast.Div: torch.div,
                    ast.Pow: torch.pow}[type(node.op)](a, b)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                name, operand, extra = node.func.id, node.args[0], node.args[1:]
            else:
                name, operand, extra = node.func.attr, node.func.value, node.args
            x = walk(operand)
            if name == "leaky_relu":
                slope = float(ast.literal_eval(extra[0])) if extra else 0.01
                return functional.leaky_relu(x, slope)
            return getattr(torch, name)(x)
        raise AssertionError(ast.dump(node))

    out = walk(ast.parse(text, mode="eval").body)
    if out.requires_grad:  # a constant expression has no graph to differentiate
        out.backward()
    return float(out.detach()), {n: float(t.grad) if t.grad is not None else 0.0 for n, t in leaves.items()}


@pytest.mark.parametrize("text", VALID)
def test_value_and_gradients_match_pytorch(text: str) -> None:
    expr = parse(text)
    out, leaves = expr.evaluate_with_leaves(VALUES)
    out.backward()
    value, grads = torch_reference(text, {n: VALUES[n] for n in expr.variables})
    assert out.data == pytest.approx(value, rel=1e-12, abs=1e-12)
    for name in expr.variables:
        assert leaves[name].grad == pytest.approx(grads[name], rel=1e-12, abs=1e-12), name
    assert expr.evaluate_float(VALUES) == pytest.approx(value, rel=1e-12, abs=1e-12)


def test_variables_in_order_of_first_use_and_leaves_labelled() -> None:
    expr = parse("tanh(w1*x1 + w2*x2 + b) + w1")
    assert expr.variables == ("w1", "x1", "w2", "x2", "b")
    out, leaves = expr.evaluate_with_leaves(VALUES)
    assert [leaves[n].label for n in expr.variables] == list(expr.variables)
    assert isinstance(out, Scalar) and out.op == "+"


def test_function_and_method_forms_build_the_same_graph() -> None:
    for name in ("exp", "log", "relu", "tanh", "sigmoid", "leaky_relu"):
        a = parse(f"{name}(x * 2)").evaluate({"x": 0.3})
        b = parse(f"(x * 2).{name}()").evaluate({"x": 0.3})
        assert a.op == b.op == name and a.data == b.data


def test_constants_fold_and_constant_expression_is_a_leaf() -> None:
    out = parse("2 * 3 + 1").evaluate({})
    assert out.is_leaf and out.data == 7.0
    # constants are folded into the engine's op strings, not separate nodes
    y = parse("x * (2 + 1)").evaluate({"x": 2.0})
    assert y.op.startswith("* 3") and y.inputs[0].is_leaf and y.data == 6.0


def test_traced_texts_name_every_operation_node() -> None:
    out, leaves, texts = parse("tanh(w1*x1 + b)").evaluate_traced(VALUES)
    assert set(leaves) == {"w1", "x1", "b"}
    assert texts[id(out)] == "tanh(w1*x1 + b)"
    assert texts[id(out.inputs[0])] == "w1*x1 + b"
    assert texts[id(out.inputs[0].inputs[0])] == "w1*x1"


# --- bad input: every class gets a precise ExpressionError -------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment", "column"),
    [
        ("x +", "syntax error", 4),
        ("x + (y", "never closed", 5),
        ("  x +* 2", "syntax error", None),
        ("2x", "syntax error", 1),
        ("sin(x)", "unknown function 'sin'", 1),
        ("x.real", "attribute access '.real' is not allowed", 1),
        ("x.tanh", "attribute access '.tanh'", 1),
        ("x.__class__", "attribute access", 1),
        ("x.foo()", "unknown method '.foo()'", 1),
        ("torch.exp(x)", "the method .exp() takes no arguments", 11),
        ("os.system('ls')", "unknown method '.system()'", 1),
        ("x[0]", "subscripts", 1),
        ("import os", "statements", 1),
        ("__import__('os')", "unknown function '__import__'", 1),
        ("lambda: 1", "lambda", 1),
        ("[a for a in b]", "comprehensions", 1),
        ("(a for a in b)", "generator", 1),
        ("x if y else z", "conditional", 1),
        ("x < y", "comparisons", 1),
        ("'abc'", "only numbers", 1),
        ("x + True", "only numbers", 5),
        ("x // 2", "not allowed", 1),
        ("x % 2", "not allowed", 1),
        ("~x", "not allowed", 1),
        ("tanh(x, y)", "exactly one operand", 9),
        ("tanh()", "needs an argument", 1),
        ("leaky_relu(x, y)", "must be a number", 15),
        ("relu(x=1)", "keyword", 8),
        ("exp + 1", "is a function", 1),
        ("_x + 1", "starting with '_'", 1),
        ("x ** 5000", "exponent 5000 is too large", 6),
        ("2 ** 2 ** 2 ** 2 ** 2", "too large", None),
        ("", "empty", None),
        ("x\n+ y", "one line", None),
        ("x := 3", "syntax error", None),
    ],
)
def test_bad_input_is_rejected_precisely(text: str, fragment: str, column: int | None) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert fragment in str(info.value)
    if column is not None:
        assert info.value.column == column


def test_syntax_error_column_counts_leading_spaces() -> None:
    with pytest.raises(ExpressionError) as plain:
        parse("x * * 2")
    with pytest.raises(ExpressionError) as spaced:
        parse("   x * * 2")
    assert spaced.value.column == plain.value.column + 3


def test_unknown_variable_when_variables_are_given() -> None:
    assert parse("x + y", variables={"x": 1, "y": 2}).variables == ("x", "y")
    with pytest.raises(ExpressionError, match=r"unknown variable 'q' \(known variables: x, y\)"):
        parse("x + q", variables={"x": 1, "y": 2})
    with pytest.raises(ExpressionError, match="unknown variable 'y'"):
        parse("x + y").evaluate({"x": 1.0})


def test_bad_variable_values_are_rejected() -> None:
    import numpy as np

    expr = parse("x + 1")
    assert expr.evaluate({"x": np.int64(3)}).data == 4.0  # numpy numbers are numbers
    with pytest.raises(ExpressionError, match="must be finite"):
        expr.evaluate({"x": float("nan")})
    with pytest.raises(ExpressionError, match="must be a number"):
        expr.evaluate({"x": "1"})


def test_size_limits_stop_hostile_input() -> None:
    with pytest.raises(ExpressionError, match="too long"):
        parse("x + " * (MAX_LENGTH // 4 + 1) + "x")
    with pytest.raises(ExpressionError, match="too big"):
        parse("+".join(["x"] * 300))
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("tanh(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5))
    with pytest.raises(ExpressionError):
        parse("(" * 500 + "x" + ")" * 500)
    with pytest.raises(ExpressionError):
        parse("-" * 900 + "x")
    with pytest.raises(ExpressionError):
        parse("x\x00")
    with pytest.raises(ExpressionError, match="must be text"):
        parse(42)  # type: ignore[arg-type]


def test_math_errors_come_from_the_engine() -> None:
    with pytest.raises(DomainError, match="log"):
        parse("log(-1)").evaluate({})
    with pytest.raises(DomainError, match="log"):
        parse("log(x)").evaluate({"x": -2.0})
    with pytest.raises(DivisionByZeroError):
        parse("1 / (x - x)").evaluate({"x": 3.0})
    with pytest.raises(DivisionByZeroError):
        parse("x / 0").evaluate({"x": 3.0})
    with pytest.raises(DomainError):
        parse("x ** 0.5").evaluate({"x": -1.0})


# --- verify with PyTorch -----------------------------------------------------------------------------


def test_verify_with_torch_reports_gradients_side_by_side() -> None:
    result = verify_with_torch(parse("tanh(w1*x1 + w2*x2 + b)"), VALUES)
    assert set(result.gradients) == set(result.torch_gradients) == {"w1", "x1", "w2", "x2", "b"}
    assert result.gradients["x1"] == pytest.approx(-1.5, abs=1e-12)  # micrograd's famous example
    assert result.max_abs_difference < 1e-12


def test_verify_counts_a_real_difference() -> None:
    from minitorch.expression import VerifyResult

    result = VerifyResult(1.0, 1.0, {"x": 2.0, "y": math.nan}, {"x": 2.5, "y": math.nan})
    assert result.max_abs_difference == 0.5


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        ([1.0, math.nan], [1.0, math.nan], 0.0),
        ([1.0, math.nan], [1.0, 2.0], math.inf),
        ([1.0, 2.0], [1.0, math.nan], math.inf),
        ([math.inf, 1.0], [math.inf, 1.5], 0.5),
        ([math.inf], [-math.inf], math.inf),
        ([math.inf], [1.0], math.inf),
    ],
)
def test_a_nan_on_one_side_is_a_disagreement(ours, theirs, expected) -> None:
    from minitorch.expression import VerifyResult, max_abs_difference

    assert max_abs_difference(ours, theirs) == expected
    result = VerifyResult(ours[0], theirs[0], {f"v{i}": v for i, v in enumerate(ours[1:])},
                          {f"v{i}": v for i, v in enumerate(theirs[1:])})
    assert result.max_abs_difference == expected


@pytest.mark.parametrize("text", ["x ** (1e999 - 1e999)", "x ** 1e999", "x ** -(1e999)", "x ** 1001"])
def test_constant_exponents_must_be_finite_and_bounded(text) -> None:
    with pytest.raises(ExpressionError, match="exponent"):
        parse(text)


def test_verify_without_torch_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(ImportError, match="pip install torch"):
        verify_with_torch(parse("x * 2"), {"x": 1.0})


# --- fuzzing -------------------------------------------------------------------------------------------

ALPHABET = "xyz0123456789+-*/().,_ ealnhsgmoipurtkdqw[]:=!'\"<>%@#$&|^~\\\t{}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, max_size=40) | st.text(max_size=30))
def test_random_text_never_crashes(text: str) -> None:
    try:
        expr = parse(text)
    except ExpressionError as err:
        assert str(err)
        return
    values = {name: 0.75 for name in expr.variables}
    try:
        out = expr.evaluate(values)
    except MinitorchError:  # DomainError, DivisionByZeroError: precise math errors are fine
        return
    assert isinstance(out, Scalar)
    out.backward()


def _expressions() -> st.SearchStrategy[str]:
    """Random valid expressions that stay in a numerically tame range."""
    leaves = st.sampled_from(["x", "y", "z"]) | st.floats(-3, 3, allow_nan=False).map(lambda v: f"{v:.3f}")

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        safe_div = st.tuples(inner, inner).map(lambda t: f"({t[0]}) / (1 + ({t[1]}) ** 2)")
        square = inner.map(lambda s: f"({s}) ** 2")
        function = st.tuples(st.sampled_from(["tanh", "sigmoid", "relu", "leaky_relu"]), inner, st.booleans()).map(
            lambda t: f"{t[0]}({t[1]})" if t[2] else f"({t[1]}).{t[0]}()"
        )
        safe_log = inner.map(lambda s: f"log(1 + ({s}) ** 2)")
        negate = inner.map(lambda s: f"-({s})")
        return binary | safe_div | square | function | safe_log | negate

    return st.recursive(leaves, extend, max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions(), st.floats(-2, 2), st.floats(-2, 2), st.floats(-2, 2))
def test_random_valid_expressions_match_pytorch(text: str, x: float, y: float, z: float) -> None:
    try:
        expr = parse(text)
    except ExpressionError as err:  # only the size limits may reject a generated expression
        assert "too" in err.message
        assume(False)
        return
    values = {"x": x, "y": y, "z": z}
    out, leaves = expr.evaluate_with_leaves(values)
    assume(math.isfinite(out.data) and abs(out.data) < 1e100)
    out.backward()
    value, grads = torch_reference(text, {n: values[n] for n in expr.variables})
    assert out.data == pytest.approx(value, rel=1e-9, abs=1e-9)
    assert expr.evaluate_float(values) == pytest.approx(value, rel=1e-9, abs=1e-9)
    for name in expr.variables:
        assert leaves[name].grad == pytest.approx(grads[name], rel=1e-8, abs=1e-8), (text, name)
