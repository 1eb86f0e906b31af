"""The scalar engine against PyTorch (float64): values and gradients of every operation.

Also runs on its own: ``python tests/test_engine.py``.
"""

import math
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch.engine import Scalar, no_grad
from minitorch.errors import DivisionByZeroError, DomainError, MinitorchError, TensorTypeError

REL = 1e-12


def close(a, b, rel=REL):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


def t64(value):
    return torch.tensor(float(value), dtype=torch.float64, requires_grad=True)


def check(fn, *values, torch_fn=None):
    """Run fn on our Tensors and on torch tensors; compare the output and every input's gradient."""
    ours = [Scalar(float(v)) for v in values]
    out = fn(*ours)
    out.backward()
    theirs = [t64(v) for v in values]
    ref = (torch_fn or fn)(*theirs)
    ref.backward()
    assert close(out.data, ref.item()), (out.data, ref.item())
    for a, b in zip(ours, theirs):
        expected = 0.0 if b.grad is None else b.grad.item()
        assert close(a.grad, expected), (a.grad, expected)


BINARY = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / b,
    lambda a, b: a + 3.5,
    lambda a, b: 3.5 + a,
    lambda a, b: a - 2,
    lambda a, b: 2 - a,
    lambda a, b: a * -1.5,
    lambda a, b: -1.5 * a,
    lambda a, b: a / 4,
    lambda a, b: 4 / a,
    lambda a, b: -a,
    lambda a, b: a**2,
    lambda a, b: a**3,
    lambda a, b: a**-1.5,
    lambda a, b: a**0.5,
    lambda a, b: a**0,
    lambda a, b: a**b,
    lambda a, b: 2.0**a,
    lambda a, b: (a * b + a) * b - a / b,
]


@pytest.mark.parametrize("fn", BINARY)
@pytest.mark.parametrize("a,b", [(1.7, 0.3), (2.5, -1.25), (0.75, 2.0), (3.0, 3.0)])
def test_arithmetic_matches_torch(fn, a, b):
    check(fn, a, b)


UNARY = {
    "exp": (lambda x: x.exp(), torch.exp),
    "log": (lambda x: x.log(), torch.log),
    "relu": (lambda x: x.relu(), torch.relu),
    "tanh": (lambda x: x.tanh(), torch.tanh),
    "sigmoid": (lambda x: x.sigmoid(), torch.sigmoid),
    "leaky_relu": (lambda x: x.leaky_relu(), torch.nn.functional.leaky_relu),
    "leaky_relu_0.2": (lambda x: x.leaky_relu(0.2), lambda x: torch.nn.functional.leaky_relu(x, 0.2)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("x", [-3.2, -0.5, 0.0, 0.25, 1.0, 4.75, 30.0, -30.0])
def test_unary_matches_torch(name, x):
    ours, theirs = UNARY[name]
    if name == "log" and x <= 0:
        return  # covered by test_log_domain_error
    check(ours, x, torch_fn=theirs)


@pytest.mark.parametrize("x", [1000.0, -1000.0, 710.0, -745.5])
def test_activations_stay_finite_at_extremes(x):
    for name in ("tanh", "sigmoid"):
        check(UNARY[name][0], x, torch_fn=UNARY[name][1])
    big = Scalar(x).exp()
    assert big.data == pytest.approx(torch.exp(torch.tensor(x, dtype=torch.float64)).item())


def test_tensor_exponent_gradient_for_both_base_and_exponent():
    check(lambda a, b: a**b, 1.3, 2.7)
    check(lambda a, b: (a * 2) ** (b - 1), 0.8, -0.4)


def test_pow_edge_cases_match_torch():
    check(lambda a, b: a**b, 0.0, 2.0)  # d/dy masked to 0 at base 0
    check(lambda a, b: a**b, -2.0, 3.0)  # negative base, integer power: d/dy is NaN in torch too
    check(lambda a: a**0.5, 0.0)  # infinite slope at 0


def test_reused_variable_accumulates():
    check(lambda x: x * x + x * 3 + x, 1.5)
    check(lambda x, y: (x * y).tanh() * x + (x + y) * (x + y) / y, 0.6, 1.4)


def test_reused_intermediate_node():
    a = Scalar(-4.0)
    b = Scalar(2.0)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    ta, tb = t64(-4.0), t64(2.0)
    tc = ta + tb
    td = ta * tb + tb**3
    tc = tc + tc + 1
    tc = tc + 1 + tc + (-ta)
    td = td + td * 2 + (tb + ta).relu()
    td = td + 3 * td + (tb - ta).relu()
    te = tc - td
    tf = te**2
    tg = tf / 2.0
    tg = tg + 10.0 / tf
    tg.backward()
    assert close(g.data, tg.item())
    assert close(a.grad, ta.grad.item())
    assert close(b.grad, tb.grad.item())


def test_leaf_gradients_accumulate_across_backward_calls_like_torch():
    x = Scalar(3.0)
    y = x * x
    y.backward()
    y.backward()
    tx = t64(3.0)
    ty = tx * tx
    ty.backward(retain_graph=True)
    ty.backward()
    assert x.grad == tx.grad.item() == 12.0


def test_second_backward_does_not_double_count_intermediates():
    x = Scalar(2.0)
    h = x * 3  # intermediate
    y = h * h
    y.backward()
    first = h.grad
    y.backward()
    assert h.grad == first == 2 * 6.0
    assert x.grad == 2 * 36.0  # leaf accumulates: 36 per call


def test_zeroing_grads_between_steps():
    x = Scalar(1.0)
    (x * 5).backward()
    x.grad = 0
    (x * 7).backward()
    assert x.grad == 7


def test_backward_on_a_leaf_accumulates():
    x = Scalar(1.5)
    x.backward()
    x.backward()
    assert x.grad == 2


def test_deep_chain_of_a_million_nodes_needs_no_recursion():
    x = Scalar(0.5)
    out = x
    for _ in range(1_000_000):
        out = out + 1e-6
    out.backward()
    assert x.grad == 1
    assert out.data == pytest.approx(1.5)


def test_no_grad_records_no_graph():
    x = Scalar(2.0)
    with no_grad():
        y = (x * x).tanh() + 1
    assert y.inputs == () and y.op == "+ 1"
    z = x * x  # recording again afterwards
    assert z.inputs == (x, x)


@pytest.mark.parametrize("op", ["+", "*"])
def test_no_grad_also_covers_the_written_out_add_and_mul(op):
    # Scalar + Scalar and Scalar * Scalar build their node without _node: both paths must obey no_grad
    a, b = Scalar(2.0), Scalar(3.0)
    combine = (lambda u, v: u + v) if op == "+" else (lambda u, v: u * v)
    with no_grad():
        y = combine(a, b)
    assert (y.data, y.inputs, y.op, y.grad) == (combine(2.0, 3.0), (), op, 0)
    z = combine(a, b)
    assert z.inputs == (a, b) and z.local_grads == ((1, 1) if op == "+" else (3.0, 2.0))
    assert z.label == "" and z.is_leaf is False
    z.label = "z"
    assert z.label == "z"


def test_no_grad_is_per_thread_like_torch():
    import threading

    inside, go_on = threading.Event(), threading.Event()

    def evaluate_without_graph():
        with no_grad():
            inside.set()
            go_on.wait(5)

    worker = threading.Thread(target=evaluate_without_graph)
    worker.start()
    inside.wait(5)
    x = Scalar(2.0)
    y = x * x  # this thread still records while the other one is inside no_grad()
    go_on.set()
    worker.join()
    assert y.inputs == (x, x)


def test_graph_is_readable_and_nodes_hashable():
    x = Scalar(2.0, label="x")
    y = Scalar(3.0)
    z = x * y + x
    assert z.op == "+"
    assert z.inputs[1] is x
    assert z.inputs[0].op == "*"
    assert z.inputs[0].local_grads == (3.0, 2.0)
    assert x.is_leaf and not z.is_leaf
    with pytest.raises(AttributeError):
        z.inputs = ()
    nodes = {x, y, z, x}
    assert len(nodes) == 3
    assert "data=2.0" in repr(x)


def test_int_data_stays_int_like_the_seed():
    a, b = Scalar(4), Scalar(3)
    e = (a + b) * Scalar(2)
    e.backward()
    assert (e.data, a.grad) == (14, 2)
    assert isinstance(a.grad, int)


# --- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["abc", None, [1.0, 2.0], 1 + 2j, object()])
def test_bad_constructor_input_names_the_problem(bad):
    with pytest.raises(TensorTypeError) as info:
        Scalar(bad)
    assert "Scalar data" in str(info.value) or "Scalar" in str(info.value)


def test_constructor_accepts_numpy_scalars():
    import numpy as np

    assert Scalar(np.float64(1.5)).data == 1.5
    assert type(Scalar(np.float32(1.5)).data) is float
    assert Scalar(np.int64(3)).data == 3


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_domain_error(x):
    with pytest.raises(DomainError, match="log of a non-positive number"):
        Scalar(x).log()


def test_division_by_zero_is_named():
    with pytest.raises(DivisionByZeroError, match="division by zero"):
        Scalar(1.0) / 0
    with pytest.raises(DivisionByZeroError, match="division by zero"):
        Scalar(1.0) / Scalar(0.0)
    with pytest.raises(DivisionByZeroError, match="division by zero"):
        2 / Scalar(0.0)
    with pytest.raises(DivisionByZeroError):
        Scalar(0.0) ** -1
    assert issubclass(DivisionByZeroError, ZeroDivisionError)


@pytest.mark.parametrize("exponent", ["2", [2], None, (1, 2)])
def test_non_scalar_exponent_type(exponent):
    with pytest.raises(TensorTypeError, match="exponent"):
        Scalar(2.0) ** exponent


def test_negative_base_fractional_power_is_a_domain_error_not_a_complex_number():
    with pytest.raises(DomainError, match="non-integer power"):
        Scalar(-8.0) ** (1 / 3)


def test_bad_operands():
    with pytest.raises(TensorTypeError):
        Scalar(1.0) + "x"
    with pytest.raises(TensorTypeError):
        Scalar(1.0) * None
    assert issubclass(TensorTypeError, MinitorchError) and issubclass(TensorTypeError, TypeError)


NAN, INF = float("nan"), float("inf")

# Numeric extremes where a naive formula under- or overflows, or masks differently from PyTorch.
EXTREMES = {
    "c / tiny b (b*b underflows)": (lambda b: 2 / b, [1e-170]),
    "a / tiny b": (lambda a, b: a / b, [1.0, 1e-170]),
    "a / subnormal b, scaled": (lambda a, b: (a / b) * 1e-300, [1.0, 1e-310]),
    "a / subnormal constant": (lambda a: a / 1e-310 * 1e-10, [1.0]),
    "log of subnormal y": (lambda y: y.log() * 1e-10, [1e-310]),
    "(-2) ** nan": (lambda a, b: a**b, [-2.0, NAN]),
    "(-2) ** inf": (lambda a, b: a**b, [-2.0, INF]),
    "(-0.5) ** inf": (lambda a, b: a**b, [-0.5, INF]),
    "(-0.5) ** -inf": (lambda a, b: a**b, [-0.5, -INF]),
    "(-1) ** inf": (lambda a, b: a**b, [-1.0, INF]),
    "0 ** nan": (lambda a, b: a**b, [0.0, NAN]),
    "0 ** y at y = 0": (lambda a, b: a**b, [0.0, 0.0]),
    "constant 0 ** y": (lambda b: 0.0**b, [2.0]),
    "constant 2 ** nan": (lambda b: 2.0**b, [NAN]),
    "constant (-2) ** inf": (lambda b: (-2.0) ** b, [INF]),
    "x ** constant nan": (lambda a: a ** NAN, [-2.0]),
    "x ** 0 at inf": (lambda a: a**0, [INF]),
    "relu mask meets an infinite gradient": (lambda a: a.relu() ** 0.5, [-0.5]),
    "a product with 0 meets an infinite gradient": (lambda a: (a * 0) ** 0.5, [1.0]),
    "relu(nan)": (lambda a: a.relu(), [NAN]),
    "relu(nan) * 2": (lambda a: a.relu() * 2, [NAN]),
    "sigmoid(-745)": (lambda a: a.sigmoid(), [-745.0]),
    "sigmoid(800)": (lambda a: a.sigmoid(), [800.0]),
    "tanh(nan)": (lambda a: a.tanh(), [NAN]),
    "exp(800) * 0": (lambda a: a.exp() * 0, [800.0]),
}


@pytest.mark.parametrize("name", list(EXTREMES))
def test_numeric_extremes_match_torch(name):
    fn, values = EXTREMES[name]
    ours = [Scalar(v) for v in values]
    out = fn(*ours)
    out.backward()
    theirs = [t64(v) for v in values]
    ref = fn(*theirs)
    ref.backward()
    assert close(out.data, ref.item()), (out.data, ref.item())
    for a, b in zip(ours, theirs):
        expected = 0.0 if b.grad is None else b.grad.item()
        assert close(a.grad, expected), (name, a.grad, expected)


def test_comparisons_compare_values_and_record_no_graph():
    a, b = Scalar(1.0), Scalar(2.0)
    results = [a < b, a <= b, a > b, a >= b, a < 1.5, a <= 1, 2 > a, 0.5 >= a, b > 1, a >= Scalar(1.0)]
    assert results == [True, True, False, False, True, True, True, False, True, True]
    assert all(type(r) is bool for r in results)
    assert sorted([b, a], key=lambda s: s) == [a, b] and max(a, b) is b
    nan = Scalar(float("nan"))
    assert not (nan < a or nan <= a or nan > a or nan >= a)  # as float and torch comparisons
    with pytest.raises(TensorTypeError, match="operand of <"):
        _ = a < "2"
    with pytest.raises(TensorTypeError, match="cannot mix a Scalar and an n-d Tensor"):
        _ = a < __import__("minitorch").tensor([1.0])
    values = [-1.0, 0.0, 1.0, float("inf"), float("nan")]
    for x in values:  # the same answers as torch's comparisons, converted to bool
        for y in values:
            tx, ty = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
            assert (Scalar(x) < Scalar(y)) == bool(tx < ty) and (Scalar(x) >= y) == bool(tx >= ty)
            assert (Scalar(x) <= Scalar(y)) == bool(tx <= ty) and (Scalar(x) > y) == bool(tx > ty)


def test_equality_is_identity_so_nodes_stay_distinct_in_sets():
    a, b = Scalar(1.0), Scalar(1.0)
    assert a == a and a != b and not (a == b)
    assert len({a, b}) == 2 and {a: "first", b: "second"}[b] == "second"
    assert a.data == b.data  # how to compare values
    out = a * b + a  # the backward pass keeps both leaves apart
    out.backward()
    assert (a.grad, b.grad) == (2.0, 1.0)


def test_grad_mode_count_of_threads_follows_nesting():
    from minitorch.autograd import THREADS_WITHOUT_GRAD, enable_grad

    assert THREADS_WITHOUT_GRAD.count == 0
    x = Scalar(1.0)
    with no_grad():
        assert THREADS_WITHOUT_GRAD.count == 1 and (x * 2).is_leaf
        with no_grad():
            assert THREADS_WITHOUT_GRAD.count == 1
            with enable_grad():
                assert THREADS_WITHOUT_GRAD.count == 0 and not (x * 2).is_leaf
            assert THREADS_WITHOUT_GRAD.count == 1 and (x * 2).is_leaf
    assert THREADS_WITHOUT_GRAD.count == 0 and not (x * 2).is_leaf
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError
    assert THREADS_WITHOUT_GRAD.count == 0


def test_gc_paused_nests_across_threads_and_restores_the_collector():
    import gc
    import threading

    from minitorch.autograd import gc_paused

    assert gc.isenabled()
    entered, release = threading.Event(), threading.Event()

    def other_step():
        with gc_paused():
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=other_step)
    worker.start()
    entered.wait(5)
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's step is still running
    release.set()
    worker.join(5)
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # off before, so off after
    finally:
        gc.enable()


def test_an_interrupted_backward_leaves_the_graph_ready_for_the_next():
    class Interrupting(float):
        def __mul__(self, other):
            raise KeyboardInterrupt

    x = Scalar(3.0)
    y = x * x
    out = (y + y) * 2.0
    real = out._da
    out._da = Interrupting(real)
    with pytest.raises(KeyboardInterrupt):
        out.backward()
    out._da = real
    x.grad = 0
    out.backward()
    assert x.grad == 24.0  # d(4 x^2)/dx at 3: nothing left over from the interrupted call
    assert (y.grad, out._a.grad) == (4.0, 2.0)


def test_backward_twice_does_not_double_count_intermediates():
    x = Scalar(2.0)
    y = x * x
    out = y * y + y
    out.backward()
    first = (x.grad, y.grad)
    x.grad = 0
    out.backward()
    assert (x.grad, y.grad) == first == (4 * 8 + 4, 2 * 4 + 1)


def test_seed_name_tensor_is_the_scalar_class():
    from minitorch.engine import Tensor

    assert Tensor is Scalar
    x = Tensor(2.0)
    (x * x).backward()
    assert type(x) is Scalar and x.grad == 4.0


MIXES = {
    "scalar + tensor": lambda s, t: s + t,
    "scalar * tensor": lambda s, t: s * t,
    "scalar / tensor": lambda s, t: s / t,
    "scalar ** tensor": lambda s, t: s**t,
    "Scalar(tensor)": lambda s, t: Scalar(t),
    "scalar * parameter": lambda s, t: s * __import__("minitorch").nn.Parameter(t),
}


@pytest.mark.parametrize("name", list(MIXES))
def test_mixing_engines_is_one_clear_error(name):
    import minitorch

    with pytest.raises(TensorTypeError) as info:
        MIXES[name](Scalar(2.0), minitorch.tensor([1.0]))
    message = str(info.value)
    assert "cannot mix a Scalar and an n-d Tensor" in message
    assert "minitorch.tensor(s.data)" in message and "Scalar(t.item())" in message


def test_mixed_engines_message_comes_from_one_helper():
    from minitorch.errors import mixed_engines_error

    error = mixed_engines_error("operand of +")
    assert isinstance(error, TensorTypeError)
    with pytest.raises(TensorTypeError) as info:
        Scalar(2.0) + __import__("minitorch").tensor([1.0])
    assert str(info.value) == str(error)


# --- random graphs against torch --------------------------------------------------------------
OPS = ["add", "sub", "mul", "div", "tanh", "sigmoid", "relu", "exp_small", "square", "addc", "mulc", "powt"]


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 4))
    values = draw(st.lists(st.floats(-2, 2, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
                           min_size=n_inputs, max_size=n_inputs))
    steps = draw(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10**6), st.integers(0, 10**6),
                                    st.floats(-3, 3, allow_nan=False)), min_size=1, max_size=25))
    return values, steps


def run_program(values, steps, make, lib):
    nodes = [make(v) for v in values]
    for op, i, j, c in steps:
        a = nodes[i % len(nodes)]
        b = nodes[j % len(nodes)]
        if op == "add":
            r = a + b
        elif op == "sub":
            r = a - b
        elif op == "mul":
            r = a * b
        elif op == "div":
            r = a / (b * b + 1)  # denominator kept away from 0
        elif op == "tanh":
            r = a.tanh()
        elif op == "sigmoid":
            r = a.sigmoid()
        elif op == "relu":
            r = a.relu()
        elif op == "exp_small":
            r = (a.tanh()).exp()
        elif op == "square":
            r = a**2
        elif op == "addc":
            r = a + c
        elif op == "mulc":
            r = c * a
        else:  # powt: positive base, tensor exponent
            r = (a * a + 1) ** b.tanh()
        nodes.append(r)
    return nodes


@settings(max_examples=150, deadline=None)
@given(programs())
def test_random_graphs_match_torch(program):
    values, steps = program
    ours = run_program(values, steps, lambda v: Scalar(v), None)
    theirs = run_program(values, steps, t64, torch)
    out = ours[-1] + sum(ours[len(values):], Scalar(0.0)) * 0.5  # reuse many intermediates
    ref = theirs[-1] + sum(theirs[len(values):], torch.tensor(0.0, dtype=torch.float64)) * 0.5
    out.backward()
    ref.backward()
    assert close(out.data, ref.item(), 1e-10)
    for a, b in zip(ours[: len(values)], theirs[: len(values)]):
        expected = 0.0 if b.grad is None else b.grad.item()
        assert math.isclose(a.grad, expected, rel_tol=1e-9, abs_tol=1e-12), (a.grad, expected)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
