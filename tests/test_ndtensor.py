"""The n-d engine against PyTorch (float64), plus finite-difference gradient checks and error messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _helpers import assert_finite_difference_grads
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from minitorch.autograd import reverse_topological_order
from minitorch.errors import DeviceError, DimensionError, ShapeError, TensorTypeError
from minitorch.ndtensor import Tensor, cat, stack, tensor, where

RNG = np.random.default_rng(0)


def _ours(arrays):
    return [tensor(a, dtype="float64", requires_grad=True) for a in arrays]


def _theirs(arrays):
    return [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]


def check_vs_torch(fn_ours, fn_torch, *arrays, atol=1e-10):
    """Same forward value and same input gradients (for a random upstream gradient) as PyTorch."""
    ours, theirs = _ours(arrays), _theirs(arrays)
    out, ref = fn_ours(*ours), fn_torch(*theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=atol, rtol=1e-9)
    upstream = RNG.standard_normal(ref.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for mine, expected in zip(ours, theirs):
        want = np.zeros(mine.shape) if expected.grad is None else expected.grad.numpy()
        got = np.zeros(mine.shape) if mine.grad is None else mine.grad
        assert got.shape == mine.shape
        np.testing.assert_allclose(got, want, atol=atol, rtol=1e-9)


def finite_difference_check(fn, *arrays):
    assert_finite_difference_grads(fn, *arrays, rng=RNG)


def rand(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape)


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape)


# --- elementwise binary ops with broadcasting --------------------------------------------------------
BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((), (2, 3)),
    ((5,), ()),
    ((1,), (2, 1, 3)),
]
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a**b, lambda a, b: a**b),
}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_binary_ops_broadcast_like_torch(name, shapes):
    ours, theirs = BINARY[name]
    a = positive(*shapes[0]) if name == "pow" else rand(*shapes[0])
    b = positive(*shapes[1]) if name in ("div", "pow") else rand(*shapes[1])
    check_vs_torch(ours, theirs, a, b)


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_finite_differences(name):
    ours, _ = BINARY[name]
    finite_difference_check(ours, positive(2, 3), positive(3))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(1, 3), min_size=0, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.integers(0, 2),
    st.sampled_from(["add", "mul", "sub"]),
)
def test_broadcasting_hypothesis(shape, ones_mask, drop, name):
    """Random shape pairs where the second is the first with some dims set to 1 and leading dims dropped."""
    other = [1 if ones_mask[i % 3] else s for i, s in enumerate(shape)][min(drop, len(shape)):]
    ours, theirs = BINARY[name]
    check_vs_torch(ours, theirs, rand(*shape), rand(*other))
    check_vs_torch(ours, theirs, rand(*other), rand(*shape))


def test_scalar_operands_and_reflected_ops():
    check_vs_torch(lambda a: 2 - a * 3 + 1 / (a + 5) - a / 2 + 2 ** a - (-a) ** 2, lambda a: 2 - a * 3 + 1 / (a + 5)
                   - a / 2 + 2 ** a - (-a) ** 2, rand(3, 2))
    check_vs_torch(lambda a: a ** 3 + a ** 0.5 * 0 + a ** 0, lambda a: a ** 3 + a ** 0.5 * 0 + a ** 0, positive(4))


def test_numpy_array_operand_and_numpy_on_the_left():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x + np.ones(2, dtype=np.float32)
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


def test_comparisons_give_bool_tensors_without_grad():
    a = tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [(a < 2, [1, 0, 0]), (a <= 2, [1, 1, 0]), (a > 2, [0, 0, 1]), (a >= 2, [0, 1, 1]),
                             (a == 2, [0, 1, 0]), (a != 2, [1, 0, 1])]:
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.data, np.array(expected, dtype=bool))
    assert a in {a}  # hashable by identity despite elementwise ==


# --- matmul -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sa,sb",
    [((3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
     ((1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,))],
    ids=str,
)
def test_matmul_like_torch(sa, sb):
    check_vs_torch(lambda a, b: a @ b, lambda a, b: a @ b, rand(*sa), rand(*sb))


def test_matmul_finite_differences():
    finite_difference_check(lambda a, b: a.matmul(b), rand(2, 3, 2), rand(2, 4))


def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(ShapeError, match=r"\(3, 4\).*\(5, 2\)"):
        tensor(np.ones((3, 4))) @ tensor(np.ones((5, 2)))
    with pytest.raises(ShapeError, match="at least 1 dimension"):
        tensor(2.0) @ tensor([1.0])


# --- reductions ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False), (-1, True),
                                         ((0, 2), False), ((0, 2), True)])
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin"])
def test_reductions_like_torch(name, dim, keepdim):
    x = rand(2, 3, 4)
    if dim is None:
        check_vs_torch(lambda a: getattr(a, name)(), lambda a: getattr(a, name)(), x)
    else:
        check_vs_torch(lambda a: getattr(a, name)(dim=dim, keepdim=keepdim),
                       lambda a: getattr(a, name)(dim=dim, keepdim=keepdim), x)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_return_values_and_indices(name, dim, keepdim):
    x = rand(3, 4, 5)
    ours = getattr(tensor(x, dtype="float64"), name)(dim=dim, keepdim=keepdim)
    theirs = getattr(torch.tensor(x), name)(dim=dim, keepdim=keepdim)
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    check_vs_torch(lambda a: getattr(a, name)(dim=dim, keepdim=keepdim).values,
                   lambda a: getattr(a, name)(dim=dim, keepdim=keepdim).values, x)


def test_max_of_everything_shares_gradient_between_ties_like_torch():
    x = np.array([[1.0, 3.0], [3.0, 2.0]])
    check_vs_torch(lambda a: a.max(), lambda a: a.max(), x)
    check_vs_torch(lambda a: a.min(), lambda a: a.min(), x)


def test_var_like_torch():
    check_vs_torch(lambda a: a.var(dim=1), lambda a: a.var(dim=1), rand(3, 5))
    check_vs_torch(lambda a: a.var(unbiased=False), lambda a: a.var(unbiased=False), rand(3, 5))


def test_reductions_finite_differences():
    finite_difference_check(lambda a: a.sum(dim=1) * a.mean(dim=0, keepdim=True).amax(), rand(3, 2))


# --- shapes ---------------------------------------------------------------------------------------------
SHAPE_OPS = {
    "reshape": (lambda a: a.reshape(4, 6), lambda a: a.reshape(4, 6)),
    "view": (lambda a: a.view(-1, 3), lambda a: a.view(-1, 3)),
    "transpose": (lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2)),
    "permute": (lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1)),
    "flatten": (lambda a: a.flatten(1), lambda a: a.flatten(1)),
    "flatten_all": (lambda a: a.flatten(), lambda a: a.flatten()),
    "unsqueeze": (lambda a: a.unsqueeze(1), lambda a: a.unsqueeze(1)),
    "unsqueeze_end": (lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(-1)),
    "squeeze": (lambda a: a.unsqueeze(0).squeeze(), lambda a: a.unsqueeze(0).squeeze()),
    "squeeze_dim": (lambda a: a.unsqueeze(2).squeeze(2), lambda a: a.unsqueeze(2).squeeze(2)),
    "T": (lambda a: a.T * 1, lambda a: a.permute(2, 1, 0) * 1),
    "expand": (lambda a: a[:, :1].expand(2, 3, 4), lambda a: a[:, :1].expand(2, 3, 4)),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops_like_torch(name):
    ours, theirs = SHAPE_OPS[name]
    check_vs_torch(ours, theirs, rand(2, 3, 4))


def test_reshape_error_names_the_shapes():
    with pytest.raises(ShapeError, match=r"\(2, 3\).*\(4, 2\)"):
        tensor(np.ones((2, 3))).reshape(4, 2)


# --- indexing ------------------------------------------------------------------------------------------
INDICES = {
    "int": 1,
    "slice": (slice(None), slice(1, 3)),
    "step": (slice(None, None, 2), 2),
    "ellipsis_none": (Ellipsis, None, 0),
    "int_array_repeats": [0, 2, 0, 0],
    "pairs": ([0, 1, 2], [3, 1, 1]),
    "mixed": (slice(None), [0, 0, 2]),
}


@pytest.mark.parametrize("name", INDICES)
def test_indexing_like_torch(name):
    index = INDICES[name]
    check_vs_torch(lambda a: a[index], lambda a: a[index], rand(3, 4))


def test_boolean_mask_and_tensor_index():
    x = rand(3, 4)
    mask = x > 0
    check_vs_torch(lambda a: a[a > 0] * 2, lambda a: a[a > 0] * 2, x)
    check_vs_torch(lambda a: a[tensor(mask)], lambda a: a[torch.tensor(mask)], x)
    idx = np.array([2, 0, 2])
    check_vs_torch(lambda a: a[tensor(idx)], lambda a: a[torch.tensor(idx)], x)


def test_bad_index_is_an_index_error_and_iteration_works():
    with pytest.raises(IndexError, match=r"index 5 is invalid for a tensor of shape \(2, 3\)"):
        tensor(np.ones((2, 3)))[5]
    x = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    (rows[0] * rows[1]).sum().backward()
    np.testing.assert_allclose(x.grad, [[3.0, 4.0], [1.0, 2.0]])


# --- joining ------------------------------------------------------------------------------------------------
def test_cat_and_stack_like_torch():
    check_vs_torch(lambda a, b: cat([a, b], dim=1), lambda a, b: torch.cat([a, b], dim=1), rand(2, 3), rand(2, 5))
    check_vs_torch(lambda a, b: cat([a, b]), lambda a, b: torch.cat([a, b]), rand(1, 3), rand(2, 3))
    check_vs_torch(lambda a, b: stack([a, b], dim=1), lambda a, b: torch.stack([a, b], dim=1), rand(2, 3),
                   rand(2, 3))
    check_vs_torch(lambda a, b: stack([a, b], dim=-1), lambda a, b: torch.stack([a, b], dim=-1), rand(4),
                   rand(4))


def test_cat_and_stack_errors():
    with pytest.raises(ShapeError, match="cat"):
        cat([tensor(np.ones((2, 3))), tensor(np.ones((3, 2)))], dim=1)
    with pytest.raises(ShapeError, match="same shape"):
        stack([tensor(np.ones(2)), tensor(np.ones(3))])


def test_where_like_torch():
    cond = rand(3, 4) > 0
    check_vs_torch(lambda a, b: where(tensor(cond), a, b), lambda a, b: torch.where(torch.tensor(cond), a, b),
                   rand(3, 4), rand(4))


# --- unary functions --------------------------------------------------------------------------------------------
UNARY = {
    "exp": (lambda a: a.exp(), lambda a: a.exp(), rand),
    "log": (lambda a: a.log(), lambda a: a.log(), positive),
    "sqrt": (lambda a: a.sqrt(), lambda a: a.sqrt(), positive),
    "abs": (lambda a: a.abs(), lambda a: a.abs(), rand),
    "neg": (lambda a: -a, lambda a: -a, rand),
    "clamp": (lambda a: a.clamp(-0.5, 0.7), lambda a: a.clamp(-0.5, 0.7), rand),
    "clamp_min": (lambda a: a.clamp(min=0.1), lambda a: a.clamp(min=0.1), rand),
    "tanh": (lambda a: a.tanh(), lambda a: a.tanh(), rand),
    "relu": (lambda a: a.relu(), lambda a: a.relu(), rand),
    "sigmoid": (lambda a: a.sigmoid(), lambda a: a.sigmoid(), rand),
    "leaky_relu": (lambda a: a.leaky_relu(0.2), lambda a: torch.nn.functional.leaky_relu(a, 0.2), rand),
    "softmax0": (lambda a: a.softmax(0), lambda a: a.softmax(0), rand),
    "softmax-1": (lambda a: a.softmax(-1), lambda a: a.softmax(-1), rand),
    "log_softmax": (lambda a: a.log_softmax(1), lambda a: a.log_softmax(1), rand),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_like_torch(name):
    ours, theirs, make = UNARY[name]
    check_vs_torch(ours, theirs, make(3, 4))


@pytest.mark.parametrize("name", UNARY)
def test_unary_finite_differences(name):
    ours, _, make = UNARY[name]
    x = make(2, 3)
    if name in ("abs", "relu", "leaky_relu", "clamp", "clamp_min"):  # keep away from the kinks
        x = np.where(np.abs(x) < 0.05, 0.3, x)
        x = np.where(np.abs(x + 0.5) < 0.05, 0.3, x)
        x = np.where(np.abs(x - 0.7) < 0.05, 0.3, x)
        x = np.where(np.abs(x - 0.1) < 0.05, 0.3, x)
    finite_difference_check(ours, x)


def test_sigmoid_and_softmax_do_not_overflow():
    x = tensor([-1000.0, 0.0, 1000.0], dtype="float64")
    np.testing.assert_allclose(x.sigmoid().data, [0.0, 0.5, 1.0])
    assert np.isfinite(x.softmax(0).data).all() and np.isfinite(x.log_softmax(0).data[1:]).all()


def test_relu_gradient_at_zero_is_zero_like_torch():
    check_vs_torch(lambda a: a.relu(), lambda a: a.relu(), np.array([-1.0, 0.0, 1.0]))
    check_vs_torch(lambda a: a.abs(), lambda a: a.abs(), np.array([-1.0, 0.0, 1.0]))


# --- creation, dtypes, devices ----------------------------------------------------------------------------------
def test_dtypes_follow_pytorch():
    assert tensor([1.0, 2.0]).dtype == np.float32
    assert tensor(3.5).shape == () and tensor(3.5).dtype == np.float32
    assert tensor([1, 2]).dtype == np.int64
    assert tensor([True, False]).dtype == np.bool_
    assert tensor(np.ones(2)).dtype == np.float64  # numpy arrays keep their dtype, as torch.tensor
    assert tensor([1, 2], dtype="float64").dtype == np.float64
    assert tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert tensor([1, 2], dtype=torch.float64).dtype == np.float64
    assert tensor([1.0], dtype="double").dtype == np.float64
    assert (tensor([1.0]) * 2.5).dtype == np.float32  # Python numbers do not promote
    assert (tensor([1.0]) * np.float64(2.5)).dtype == np.float32  # nor do numpy scalars (as in torch)
    assert (tensor([1.0]) * torch.tensor(2.5, dtype=torch.float64).item()).dtype == np.float32
    assert tensor([1.0]).double().dtype == np.float64 and tensor([1.0], dtype="float64").float().dtype == np.float32


def test_tensor_copies_its_data():
    source = np.ones(3, dtype=np.float32)
    t = tensor(source)
    source[0] = 5
    assert t.data[0] == 1


@pytest.mark.parametrize("bad", ["complex", "float128", "bananas", 7])
def test_unknown_dtype_is_a_type_error(bad):
    with pytest.raises(TensorTypeError, match="dtype"):
        tensor([1.0], dtype=bad)


def test_bad_data_and_requires_grad_on_integers():
    with pytest.raises(TensorTypeError, match="numeric"):
        tensor(["a", "b"])
    with pytest.raises(TensorTypeError):
        tensor(None)
    with pytest.raises(ShapeError, match="ragged"):
        tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TensorTypeError, match="floating-point"):
        tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("device", ["tpu", "cuda:x", "gpu", "", "cuda:-1"])
def test_unknown_device_raises_device_error(device):
    with pytest.raises(DeviceError):
        tensor([1.0], device=device)


def test_cuda_without_cupy_raises_a_clear_device_error():
    if minitorch.backend.cuda_available():
        pytest.skip("a CUDA device is present; tests/test_gpu.py covers it")
    with pytest.raises(DeviceError, match="CuPy/CUDA not available"):
        tensor([1.0], device="cuda")
    with pytest.raises(DeviceError, match="CuPy/CUDA not available"):
        tensor([1.0]).to("cuda")


def test_accessors():
    t = tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert t.shape == (1, 3) and t.ndim == 2 and t.device == "cpu" and t.size(1) == 3 and t.numel() == 3
    assert t.sum().item() == 6.0 and isinstance(t.sum().item(), float)
    assert t.tolist() == [[1.0, 2.0, 3.0]]
    d = t.detach()
    assert not d.requires_grad and d.is_leaf and d.data is t.data
    np.testing.assert_array_equal(np.asarray(t), t.numpy())
    with pytest.raises(ShapeError, match="one-element"):
        t.item()
    assert "requires_grad=True" in repr(t)


def test_factories():
    minitorch.manual_seed(3)
    a = minitorch.randn(2, 3)
    minitorch.manual_seed(3)
    b = minitorch.randn((2, 3))
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float32
    assert minitorch.zeros(2, 2, dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(minitorch.ones(3).data, np.ones(3))
    np.testing.assert_array_equal(minitorch.arange(4).data, np.arange(4))
    assert minitorch.zeros_like(a).shape == (2, 3)


# --- autograd semantics -----------------------------------------------------------------------------------------
def test_leaf_gradients_accumulate_and_start_as_none():
    x = tensor([1.0, 2.0], requires_grad=True)
    assert x.grad is None
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3 + 2, 3 + 4])


def test_shared_gradients_do_not_alias_between_leaves():
    """a + b hands both leaves the same upstream array; accumulating into one must not touch the other."""
    a = tensor([1.0, 2.0], requires_grad=True)
    b = tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()
    (a * 10).sum().backward()
    np.testing.assert_allclose(a.grad, [11.0, 11.0])
    np.testing.assert_allclose(b.grad, [1.0, 1.0])
    c = tensor([[1.0, 2.0]], requires_grad=True)
    d = tensor([[3.0, 4.0]], requires_grad=True)
    (c.reshape(2) + d.reshape(2)).sum().backward()
    c.reshape(2).sum().backward()
    np.testing.assert_allclose(c.grad, [[2.0, 2.0]])
    np.testing.assert_allclose(d.grad, [[1.0, 1.0]])


def test_intermediate_gradients_are_replaced_not_accumulated():
    x = tensor([2.0], requires_grad=True)
    y = x * x
    z = y * 3
    z.sum().backward()
    z.sum().backward()
    np.testing.assert_allclose(y.grad, [3.0])
    np.testing.assert_allclose(x.grad, [24.0])


def test_reused_node_and_diamond_graph_like_torch():
    check_vs_torch(lambda a: (a * a + a.exp() * a).sum(dim=0) * a.mean(),
                   lambda a: (a * a + a.exp() * a).sum(dim=0) * a.mean(), rand(3, 2))


def test_backward_accepts_retain_graph_and_refuses_create_graph():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, [4.0, 8.0])
    with pytest.raises(NotImplementedError, match="create_graph"):
        y.backward(create_graph=True)


def test_backward_needs_one_element_or_a_gradient():
    x = tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ShapeError, match="one-element"):
        (x * 2).backward()
    with pytest.raises(ShapeError, match="gradient has shape"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        tensor([1.0]).sum().backward()


def test_no_grad_records_nothing():
    x = tensor([1.0, 2.0], requires_grad=True)
    with minitorch.no_grad():
        y = x * 2
    assert not y.requires_grad and y.inputs == () and y.op == "* 2"


def test_inputs_without_grad_get_no_gradient():
    x = tensor([1.0, 2.0], requires_grad=True)
    c = tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None


def test_graph_views_match_the_scalar_engine():
    x = tensor([1.0, 2.0], requires_grad=True)
    w = tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    y.label = "y"
    assert y.op == "sum" and y.inputs[0].op == "*" and set(y.inputs[0].inputs) == {x, w}
    assert x.op == "" and x.inputs == () and y.label == "y"
    order = reverse_topological_order(y)
    assert order[0] is y and set(order[-2:]) == {x, w}


def test_deep_graph_backward_is_iterative():
    x = tensor([1.0], dtype="float64", requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**5000])


def test_to_and_type_casts_keep_the_graph():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = x.to("float64") * 2
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [2.0, 2.0])
    assert x.to("cpu") is x and x.cpu() is x


def test_broadcast_error_names_both_shapes():
    with pytest.raises(ShapeError, match=r"\(3, 4\).*\(5,\)"):
        tensor(np.ones((3, 4))) + tensor(np.ones(5))


def test_scalar_engine_is_untouched():
    s = minitorch.Scalar(2.0)
    assert type(s).__name__ == "Scalar" and s.__class__.__module__ == "minitorch.engine"
    assert minitorch.Tensor is Tensor and isinstance(minitorch.tensor([1.0]), minitorch.Tensor)


FD_MORE = {
    "shape_ops": (lambda a: a.reshape(3, 4).T.permute(1, 0).unsqueeze(0).squeeze(0).flatten() * a.flatten(), (3, 4)),
    "transpose_expand": (lambda a: a.transpose(0, 1)[:1].expand(3, 3) * a[:, :3], (3, 4)),
    "indexing": (lambda a: a[[0, 2, 0]] * a[1:, ::2].sum() + a[a.data > 0].sum(), (3, 4)),
    "cat_stack": (lambda a: stack([cat([a, a * 2], dim=1), cat([a.exp(), a], dim=1)]), (2, 3)),
    "max_dim_var": (lambda a: a.max(dim=0).values * a.var(dim=1).sum() + a.min(dim=1, keepdim=True).values.sum(),
                    (3, 4)),
    "where": (lambda a: where(tensor(np.array([True, False, True])), a, a * a), (2, 3)),
}


@pytest.mark.parametrize("name", FD_MORE)
def test_more_ops_finite_differences(name):
    fn, shape = FD_MORE[name]
    finite_difference_check(fn, rand(*shape))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(1, 3), min_size=0, max_size=2),
    st.lists(st.booleans(), min_size=2, max_size=2),
    st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
    st.booleans(), st.booleans(),
)
def test_matmul_hypothesis(batch, ones_mask, n, k, m, a_vector, b_vector):
    """Random (batched, broadcast, 1-d) matmul shapes against torch."""
    other_batch = [1 if ones_mask[i] else s for i, s in enumerate(batch)]
    sa = (k,) if a_vector else tuple(batch) + (n, k)
    sb = (k,) if b_vector else tuple(other_batch) + (k, m)
    check_vs_torch(lambda a, b: a @ b, lambda a, b: a @ b, rand(*sa), rand(*sb))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
    st.data(),
    st.booleans(),
    st.sampled_from(["sum", "mean", "amax"]),
)
def test_reductions_hypothesis(shape, data, keepdim, name):
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                              unique_by=lambda d: d % ndim))
    dim = tuple(dims)
    check_vs_torch(lambda a: getattr(a, name)(dim=dim, keepdim=keepdim),
                   lambda a: getattr(a, name)(dim=dim, keepdim=keepdim), rand(*shape))


# --- type promotion (PyTorch's rules, documented in minitorch.ndtensor.dtypes) -----------------------------------
def _pair(data, dtype):
    return tensor(data, dtype=dtype), torch.tensor(data, dtype=getattr(torch, dtype))


PROMOTION_CASES = {
    "int*float": lambda t, u: t * 0.5,
    "float*int_tensor": lambda t, u: 0.5 * t,
    "int/int": lambda t, u: t / 2,
    "int/int_tensor": lambda t, u: t / t,
    "int+float": lambda t, u: t + 0.5,
    "int**float": lambda t, u: t ** 0.5,
    "float**int": lambda t, u: 2.5 ** t,
    "int+int": lambda t, u: t + 1,
    "int-int": lambda t, u: 3 - t,
    "int*int_tensor": lambda t, u: t * t,
    "with_other": lambda t, u: t + u,
    "other_first": lambda t, u: u * t,
    "compare": lambda t, u: t < u,
    "times_python_bool": lambda t, u: t * True,
    "bool_plus": lambda t, u: False + t,
}
PROMOTION_DTYPES = [("int64", "float32", [1, 2], [3.0]), ("int64", "float64", [1, 2], 2.5),
                    ("float32", "float64", [1.5, 2.0], 2.5), ("float32", "float64", [1.5, 2.0], [2.5, 1.0]),
                    ("int32", "int64", [1, 2], 4), ("bool", "int64", [True, False], [3, 4]),
                    ("bool", "float32", [True, False], 1.5), ("int64", "float16", [1, 2], [2.0, 1.0]),
                    ("int8", "uint8", [1, 2], [3, 4]), ("int64", "int64", 3, 2)]


@pytest.mark.parametrize("case", PROMOTION_CASES)
@pytest.mark.parametrize("dtypes", PROMOTION_DTYPES, ids=str)
def test_type_promotion_follows_pytorch(case, dtypes):
    first, second, first_data, second_data = dtypes
    t, t_ref = _pair(first_data, first)
    u, u_ref = _pair(second_data, second)
    fn = PROMOTION_CASES[case]
    try:
        expected = fn(t_ref, u_ref)
    except RuntimeError:  # e.g. subtracting bool tensors: refused by both
        with pytest.raises(TensorTypeError):
            fn(t, u)
        return
    got = fn(t, u)
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch."), (got.dtype, expected.dtype)
    np.testing.assert_allclose(got.data.astype(np.float64), expected.double().numpy(), rtol=1e-6)


def test_promotion_of_a_zero_d_tensor_and_python_scalar():
    assert (tensor(1) + 0.5).dtype == np.float32
    assert (tensor([1.0], dtype="float32") + tensor(2.0, dtype="float64")).dtype == np.float32
    assert (tensor([1, 2]) + tensor(2.0, dtype="float64")).dtype == np.float64
    assert (tensor(1, dtype="int32") + tensor(2.0)).dtype == np.float32


# --- gradients have their tensor's dtype -------------------------------------------------------------------------
GRAD_DTYPE_CASES = {
    "max": lambda x: x.max(),
    "min": lambda x: x.min(),
    "amax": lambda x: x.amax(dim=0),
    "rpow": lambda x: (2.0 ** x).sum(),
    "rpow_zero": lambda x: (0 ** x).sum(),
    "scalar_product": lambda x: (x * np.float64(3.0)).sum(),
    "mixed_tensor": lambda x: (x * tensor(2.0, dtype="float64")).sum(),
    "mean": lambda x: x.mean(),
}


@pytest.mark.parametrize("name", GRAD_DTYPE_CASES)
@pytest.mark.parametrize("shape", [(), (3,)], ids=str)
def test_gradient_has_the_tensors_dtype(name, shape):
    x = tensor(np.full(shape, 2.0), dtype="float32", requires_grad=True)
    middle = x * 1.0
    GRAD_DTYPE_CASES[name](middle).backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.dtype == np.float32 and x.grad.shape == shape
    assert isinstance(middle.grad, np.ndarray) and middle.grad.dtype == np.float32


def test_a_float64_operand_gets_a_float64_gradient_from_a_float32_result():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = tensor(3.0, dtype="float64", requires_grad=True)
    out = x * y
    assert out.dtype == np.float32
    out.sum().backward()
    assert y.grad.dtype == np.float64 and y.grad.shape == () and float(y.grad) == 3.0


# --- 0-d tensors accept dim 0 / -1, out-of-range dims are IndexErrors ---------------------------------------------
ZERO_D_OPS = {
    "sum0": lambda a: a.sum(0), "sum-1": lambda a: a.sum(-1), "sum_keep": lambda a: a.sum(0, keepdim=True),
    "mean0": lambda a: a.mean(0), "max0": lambda a: a.max(0).values, "min-1": lambda a: a.min(-1).values,
    "amax0": lambda a: a.amax(0), "amin-1": lambda a: a.amin(-1), "transpose": lambda a: a.transpose(0, -1) * 1,
    "softmax": lambda a: a.softmax(0), "log_softmax": lambda a: a.log_softmax(-1),
}


@pytest.mark.parametrize("name", ZERO_D_OPS)
def test_zero_d_tensors_accept_dim_zero_like_torch(name):
    check_vs_torch(ZERO_D_OPS[name], ZERO_D_OPS[name], np.array(1.5))


def test_size_of_a_zero_d_tensor_is_an_index_error_like_torch():
    with pytest.raises(IndexError):
        torch.tensor(2.0).size(0)
    with pytest.raises(DimensionError, match="0-d"):
        tensor(2.0).size(0)
    assert tensor(2.0).size() == ()


def test_zero_d_argmax_and_var():
    assert tensor(2.0).argmax(0).item() == 0 and tensor(2.0).max(0).indices.dtype == np.int64
    with np.errstate(invalid="ignore", divide="ignore"):
        ours = tensor(2.0).var(0)
    assert ours.shape == () and np.isnan(ours.item()) and np.isnan(torch.tensor(2.0).var(0).item())


@pytest.mark.parametrize("call", [lambda t: t.sum(2), lambda t: t.mean(-3), lambda t: t.softmax(5),
                                  lambda t: t.transpose(0, 2), lambda t: t.max(dim=2), lambda t: t.size(4)])
def test_out_of_range_dim_is_an_index_error_like_torch(call):
    with pytest.raises(IndexError) as theirs:
        call(torch.ones(2, 3))
    with pytest.raises(DimensionError, match=r"out of range.*\[-2, 1\]"):
        call(tensor(np.ones((2, 3))))
    assert issubclass(DimensionError, ShapeError) and theirs.type is IndexError


# --- pow gradient at base 0; relu at nan; sigmoid's tail ----------------------------------------------------------
def test_zero_to_the_x_gradient_is_minus_inf_for_negative_x_like_torch():
    x = np.array([-1.0, -0.5, 0.0, 1.0, 2.0])
    check_vs_torch(lambda a: 0 ** a, lambda a: 0 ** a, x)
    check_vs_torch(lambda a: 0.0 ** a, lambda a: 0.0 ** a, x)
    check_vs_torch(lambda a: tensor(np.zeros(5), dtype="float64") ** a, lambda a: torch.zeros(5, dtype=a.dtype) ** a, x)


def test_relu_gradient_at_nan_and_sigmoid_tail_follow_torch():
    x = np.array([np.nan, -1.0, 0.0, 2.0])
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours.relu().sum().backward()
    theirs.relu().sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    for value in (-20.0, -80.0, -200.0, 20.0, 0.0):
        want = torch.tensor(value).sigmoid().item()
        got = tensor(value).sigmoid().item()
        assert got == pytest.approx(want, rel=1e-6, abs=0)


# --- view needs a contiguous layout, as in PyTorch -----------------------------------------------------------------
def test_view_of_a_permuted_tensor_raises_and_contiguous_fixes_it():
    x = tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(RuntimeError):
        torch.arange(6.0).reshape(2, 3).t().view(6)
    with pytest.raises(ShapeError, match="contiguous"):
        x.t().view(6)
    with pytest.raises(ShapeError, match="as \\(4,\\)"):
        x.view(4)
    assert x.t().view(3, 2).shape == (3, 2)  # compatible strides: allowed, as in torch
    assert x.is_contiguous() and not x.t().is_contiguous() and x.contiguous() is x
    check_vs_torch(lambda a: a.t().contiguous().view(-1) * 2, lambda a: a.t().contiguous().view(-1) * 2, rand(2, 3))


# --- the two engines do not mix -------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", [lambda t, s: t + s, lambda t, s: t * s, lambda t, s: t ** s, lambda t, s: t @ s,
                                lambda t, s: t < s])
def test_mixing_a_scalar_engine_value_with_an_nd_tensor_is_a_clear_type_error(op):
    from minitorch import engine

    with pytest.raises(TensorTypeError, match="minitorch.tensor"):
        op(tensor([1.0]), engine.Scalar(2.0))


@pytest.mark.parametrize("make", [lambda s: tensor(s), lambda s: tensor([s, s]), lambda s: cat([tensor([1.0]), s]),
                                  lambda s: stack([s])])
def test_building_an_nd_tensor_from_scalar_engine_values_says_how_to_convert(make):
    from minitorch import engine

    with pytest.raises(TensorTypeError, match=r"Scalar.*minitorch\.tensor\(s\.data\)"):
        make(engine.Scalar(2.0))


ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("first", ALL_DTYPES)
@pytest.mark.parametrize("second", ALL_DTYPES + ["python_bool", "python_int", "python_float"])
@pytest.mark.parametrize("dims", [(1, 1), (1, 0), (0, 1), (0, 0)], ids=str)
def test_result_dtype_table_equals_torch_result_type(first, second, dims):
    from minitorch.ndtensor import dtypes

    def make(dtype, ndim):
        shape = (2,) * ndim
        return torch.ones(shape, dtype=getattr(torch, dtype)), np.dtype(dtype)

    a_ref, a = make(first, dims[0])
    if second.startswith("python_"):
        value = {"python_bool": True, "python_int": 3, "python_float": 2.5}[second]
        expected = torch.result_type(a_ref, value)
        got = dtypes.result_dtype(a, dims[0], dtypes.number_dtype(value), None)
    else:
        b_ref, b = make(second, dims[1])
        expected = torch.result_type(a_ref, b_ref)
        got = dtypes.result_dtype(a, dims[0], b, dims[1])
    assert str(got) == str(expected).removeprefix("torch.")
