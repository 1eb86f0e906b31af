"""The everyday tensor ops against PyTorch (float64): values, gradients, dtypes and error types.

Each case is one row of a table: a function ``f(m, *tensors)`` written once and run with
``m = minitorch.ndtensor`` on our tensors and ``m = torch`` on torch's, so the two calls read
the same. Rows cover broadcasting, 0-d and empty tensors.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch
from minitorch import ndtensor as mt
from minitorch.errors import DimensionError, ShapeError, TensorTypeError

RNG = np.random.default_rng(7)


def rand(*shape):
    return RNG.uniform(-2.0, 2.0, shape)


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def distinct(*shape):
    """Values without ties (so sort/topk/argmax orders are unambiguous)."""
    return RNG.permutation(int(np.prod(shape))).reshape(shape) / 3.0 - 1.0


def _leaves(arrays, lib):
    if lib is torch:
        return [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return [mt.tensor(a, dtype="float64", requires_grad=True) for a in arrays]


def _outputs(result):
    """The differentiable outputs of an op (a tensor, or the values of (values, indices), or a tuple of tensors)."""
    if isinstance(result, tuple) and hasattr(result, "indices"):
        return [result.values], [result.indices]
    if isinstance(result, (tuple, list)):
        return list(result), []
    return [result], []


def _numpy(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.data)


def check_op(fn, *arrays, grad=True, atol=1e-10):
    """Same values (and dtypes), integer side outputs, and input gradients as PyTorch."""
    ours, theirs = _leaves(arrays, mt), _leaves(arrays, torch)
    got, expected = fn(mt, *ours), fn(torch, *theirs)
    got_out, got_side = _outputs(got)
    want_out, want_side = _outputs(expected)
    assert len(got_out) == len(want_out)
    for g, w in zip(got_out + got_side, want_out + want_side):
        assert g.shape == tuple(w.shape), (g.shape, w.shape)
        assert str(g.dtype) == str(w.dtype).removeprefix("torch."), (g.dtype, w.dtype)
        np.testing.assert_allclose(_numpy(g).astype(np.float64), _numpy(w).astype(np.float64), atol=atol, rtol=1e-9)
    if not grad or not any(w.requires_grad for w in want_out):
        return
    upstream = [RNG.standard_normal(tuple(w.shape)) for w in want_out]
    total_ours = sum((g * mt.tensor(u)).sum() for g, u in zip(got_out, upstream))
    total_theirs = sum((w * torch.tensor(u)).sum() for w, u in zip(want_out, upstream))
    total_ours.backward()
    total_theirs.backward()
    for mine, reference in zip(ours, theirs):
        want = np.zeros(reference.shape) if reference.grad is None else reference.grad.numpy()
        have = np.zeros(mine.shape) if mine.grad is None else mine.grad
        assert have.dtype == np.float64 and have.shape == mine.shape
        np.testing.assert_allclose(have, want, atol=atol, rtol=1e-9)


IDX = np.array([[0, 2, 1, 0], [1, 1, 0, 2]])  # an index into dim 1 of a (2, 3) tensor, with repeats
IDX_UNIQUE = np.array([[2, 0], [1, 2]])

CASES = {
    # elementwise
    "sin": (lambda m, a: m.sin(a), [rand(3, 4)]),
    "cos": (lambda m, a: a.cos(), [rand(3, 4)]),
    "sqrt": (lambda m, a: m.sqrt(a), [positive(3, 4)]),
    "rsqrt": (lambda m, a: m.rsqrt(a), [positive(3, 4)]),
    "abs": (lambda m, a: m.abs(a), [rand(3, 4)]),
    "sign": (lambda m, a: m.sign(a * (a.abs() > 0.3)), [rand(3, 4)]),
    "floor": (lambda m, a: m.floor(a * 3), [rand(3, 4)]),
    "ceil": (lambda m, a: (a * 3).ceil(), [rand(3, 4)]),
    "round": (lambda m, a: m.round(a * 3 + 0.1), [rand(3, 4)]),
    "round_half_even": (lambda m, a: (a * 0 + m.tensor([0.5, 1.5, 2.5, -0.5], dtype=a.dtype)).round(), [rand(4)]),
    "round_decimals": (lambda m, a: a.round(decimals=1), [rand(3, 4)]),
    "maximum_broadcast": (lambda m, a, b: m.maximum(a, b), [rand(3, 4), rand(4)]),
    "minimum_broadcast": (lambda m, a, b: a.minimum(b), [rand(3, 1), rand(1, 4)]),
    "maximum_ties": (lambda m, a, b: m.maximum(a, b), [np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 3.0])]),
    "minimum_ties": (lambda m, a, b: m.minimum(a, b), [np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0])]),
    "clamp": (lambda m, a: m.clamp(a, -0.5, 0.7), [rand(3, 4)]),
    "clamp_max": (lambda m, a: a.clamp(max=0.2), [rand(3, 4)]),
    "where_broadcast": (lambda m, a, b: m.where(a > 0, a, b), [rand(3, 1), rand(1, 4)]),
    "where_number": (lambda m, a: m.where(a > 0, a, 0.0), [rand(3, 4)]),
    "where_number_first": (lambda m, a: m.where(a > 0, -1.0, a * 2), [rand(3, 4)]),
    "where_method": (lambda m, a, b: a.where(b > 0, b), [rand(3, 4), rand(4)]),
    "masked_fill": (lambda m, a, b: a.masked_fill(b > 0, -1e9), [rand(3, 4), rand(4)]),
    "masked_fill_fn": (lambda m, a, b: m.masked_fill(a, b > 0, 2.5), [rand(3, 4), rand(3, 4)]),
    "add_alpha": (lambda m, a, b: a.add(b, alpha=2.0), [rand(3, 4), rand(4)]),
    "sub_alpha": (lambda m, a, b: m.sub(a, b, alpha=0.5), [rand(3, 4), rand(3, 1)]),
    "mul": (lambda m, a, b: m.mul(a, b), [rand(3, 4), rand(4)]),
    "div": (lambda m, a, b: a.div(b), [rand(3, 4), positive(4)]),
    "div_number": (lambda m, a: m.div(a, 4.0), [rand(3, 4)]),
    "div_floor": (lambda m, a, b: a.div(b, rounding_mode="floor"), [rand(3, 4), positive(4)]),
    "div_trunc": (lambda m, a, b: m.div(a, b, rounding_mode="trunc"), [rand(3, 4), positive(4)]),
    "neg": (lambda m, a: a.neg() + m.neg(a), [rand(3, 4)]),
    # reductions
    "std": (lambda m, a: a.std(), [rand(3, 4)]),
    "std_dim": (lambda m, a: m.std(a, dim=1, keepdim=True), [rand(3, 4)]),
    "std_correction": (lambda m, a: a.std(dim=0, correction=0), [rand(3, 4)]),
    "var_correction": (lambda m, a: m.var(a, dim=(0, 1), correction=2), [rand(3, 4)]),
    "var_unbiased_positional": (lambda m, a: a.var(1, False, True), [rand(3, 4)]),
    "prod": (lambda m, a: a.prod(), [rand(2, 3)]),
    "prod_with_zeros": (lambda m, a: m.prod(a * (a.abs() > 0.7), 1), [rand(3, 4)]),
    "prod_one_zero": (lambda m, a: (a * m.tensor([1.0, 0.0, 1.0], dtype=a.dtype)).prod(), [rand(3)]),
    "prod_keepdim": (lambda m, a: a.prod(0, keepdim=True), [rand(3, 4)]),
    "any": (lambda m, a: (a > 1).any(), [rand(3, 4)]),
    "any_dim": (lambda m, a: m.any(a > 1, dim=1), [rand(3, 4)]),
    "all": (lambda m, a: m.all(a > -1.5), [rand(3, 4)]),
    "all_dim_keep": (lambda m, a: (a > -1).all(dim=0, keepdim=True), [rand(3, 4)]),
    "logsumexp": (lambda m, a: a.logsumexp(1), [rand(3, 4)]),
    "logsumexp_dims": (lambda m, a: m.logsumexp(a * 300, (0, 1), keepdim=True), [rand(3, 4)]),
    "logsumexp_neg_inf": (lambda m, a: (a + m.tensor([[-float("inf")] * 4, [0.0] * 4], dtype=a.dtype)).logsumexp(1),
                          [rand(2, 4)]),
    "cumsum": (lambda m, a: a.cumsum(0), [rand(3, 4)]),
    "cumsum_last": (lambda m, a: m.cumsum(a, dim=-1), [rand(3, 4)]),
    "argmax": (lambda m, a: a.argmax(), [distinct(3, 4)]),
    "argmax_dim": (lambda m, a: m.argmax(a, dim=1, keepdim=True), [distinct(3, 4)]),
    "argmin_dim": (lambda m, a: a.argmin(0), [distinct(3, 4)]),
    "argmin_keepdim_all": (lambda m, a: a.argmin(keepdim=True), [distinct(3, 4)]),
    "topk": (lambda m, a: a.topk(2), [distinct(3, 5)]),
    "topk_smallest_dim0": (lambda m, a: m.topk(a, 2, dim=0, largest=False), [distinct(3, 5)]),
    "sort": (lambda m, a: a.sort(dim=1), [distinct(3, 5)]),
    "sort_descending": (lambda m, a: m.sort(a, dim=0, descending=True), [distinct(3, 5)]),
    # shape
    "contiguous": (lambda m, a: a.t().contiguous(), [rand(3, 4)]),
    "flip": (lambda m, a: a.flip(0), [rand(3, 4)]),
    "flip_dims": (lambda m, a: m.flip(a, (0, -1)), [rand(2, 3, 4)]),
    "repeat": (lambda m, a: a.repeat(2, 1, 3), [rand(3, 4)]),
    "repeat_same_rank": (lambda m, a: a.repeat(2, 3), [rand(3, 4)]),
    "expand": (lambda m, a: a.expand(2, 3, 4), [rand(3, 1)]),
    "expand_minus_one": (lambda m, a: a.expand(5, -1), [rand(1, 4)]),
    "split": (lambda m, a: a.split(2, dim=1), [rand(3, 5)]),
    "split_sections": (lambda m, a: m.split(a, [1, 3, 1], dim=1), [rand(3, 5)]),
    "chunk": (lambda m, a: a.chunk(3, dim=1), [rand(3, 5)]),
    "chunk_fewer": (lambda m, a: m.chunk(a, 4, dim=0), [rand(3, 2)]),
    "gather": (lambda m, a: a.gather(1, m.tensor(IDX[:, :3])), [rand(2, 3)]),
    "gather_repeats": (lambda m, a: m.gather(a, 1, m.tensor(IDX)), [rand(2, 3)]),
    "gather_dim0": (lambda m, a: a.gather(0, m.tensor(np.array([[1, 0, 1]]))), [rand(2, 3)]),
    "scatter": (lambda m, a, b: a.scatter(1, m.tensor(IDX_UNIQUE), b), [rand(2, 3), rand(2, 2)]),
    "scatter_value": (lambda m, a: m.scatter(a, 1, m.tensor(IDX_UNIQUE), value=7.0), [rand(2, 3)]),
    "scatter_add": (lambda m, a, b: a.scatter_add(1, m.tensor(IDX), b), [rand(2, 3), rand(2, 4)]),
    "scatter_add_smaller_src": (lambda m, a, b: m.scatter_add(a, 0, m.tensor(np.array([[1, 1, 0]])), b),
                                [rand(2, 3), rand(1, 3)]),
    "tril": (lambda m, a: a.tril(), [rand(3, 4)]),
    "triu_batched": (lambda m, a: m.triu(a, 1), [rand(2, 3, 4)]),
    "tril_negative": (lambda m, a: a.tril(diagonal=-1), [rand(4, 4)]),
    "einsum_matmul": (lambda m, a, b: m.einsum("ij,jk->ik", a, b), [rand(3, 4), rand(4, 2)]),
    "einsum_batched": (lambda m, a, b: m.einsum("bij,bjk->bik", a, b), [rand(2, 3, 4), rand(2, 4, 5)]),
    "einsum_broadcast_batch": (lambda m, a, b: m.einsum("bij,bjk->bik", a, b), [rand(1, 3, 4), rand(2, 4, 5)]),
    "einsum_implicit": (lambda m, a, b: m.einsum("ij,j", a, b), [rand(3, 4), rand(4)]),
    "einsum_dot": (lambda m, a, b: m.einsum("i,i->", a, b), [rand(4), rand(4)]),
    "einsum_outer": (lambda m, a, b: m.einsum("i,j->ij", a, b), [rand(3), rand(4)]),
    "einsum_transposed": (lambda m, a, b: m.einsum("ij,kj->ik", a, b), [rand(3, 4), rand(5, 4)]),
    "einsum_sum_out": (lambda m, a, b: m.einsum("ij,jk->i", a, b), [rand(3, 4), rand(4, 2)]),
    "einsum_unary": (lambda m, a: m.einsum("ijk->kj", a), [rand(2, 3, 4)]),
    "einsum_attention": (lambda m, q, k: m.einsum("bhqd,bhkd->bhqk", q, k), [rand(2, 2, 3, 4), rand(2, 2, 5, 4)]),
    "einsum_list": (lambda m, a, b: m.einsum("ij,jk", [a, b]), [rand(2, 3), rand(3, 2)]),
    # 0-d tensors
    "0d_sin_abs": (lambda m, a: m.sin(a) + a.abs(), [np.array(0.7)]),
    "0d_prod": (lambda m, a: a.prod() + a.prod(0), [np.array(-1.5)]),
    "0d_cumsum": (lambda m, a: a.cumsum(0), [np.array(1.5)]),
    "0d_logsumexp": (lambda m, a: a.logsumexp(0), [np.array(1.5)]),
    "0d_flip": (lambda m, a: a.flip(0), [np.array(1.5)]),
    "0d_sort": (lambda m, a: a.sort(0), [np.array(1.5)]),
    "0d_topk": (lambda m, a: a.topk(1, 0), [np.array(1.5)]),
    "0d_maximum": (lambda m, a, b: m.maximum(a, b), [np.array(1.5), rand(3)]),
    "0d_repeat": (lambda m, a: a.repeat(2, 3), [np.array(1.5)]),
    "0d_std_any": (lambda m, a: (a.abs() > 1).any(0), [np.array(1.5)]),
    "0d_where": (lambda m, a: m.where(a > 0, a, a * 2), [np.array(-1.5)]),
    # empty tensors
    "empty_sin": (lambda m, a: m.sin(a), [rand(0, 3)]),
    "empty_prod": (lambda m, a: a.prod(), [rand(0, 3)]),
    "empty_prod_dim": (lambda m, a: a.prod(0), [rand(0, 3)]),
    "empty_any_all": (lambda m, a: m.stack([(a > 0).any(), (a > 0).all()]), [rand(0, 3)]),
    "empty_logsumexp": (lambda m, a: a.logsumexp(0), [rand(0, 3)]),
    "empty_cumsum": (lambda m, a: a.cumsum(1), [rand(0, 3)]),
    "empty_sort": (lambda m, a: a.sort(0), [rand(0, 3)]),
    "empty_flip_repeat": (lambda m, a: a.flip(0).repeat(2, 1), [rand(0, 3)]),
    "empty_split": (lambda m, a: a.split(2, dim=1), [rand(0, 3)]),
    "empty_einsum": (lambda m, a, b: m.einsum("ij,jk->ik", a, b), [rand(0, 3), rand(3, 2)]),
    "empty_masked_fill": (lambda m, a: a.masked_fill(a > 0, 1.0), [rand(0, 3)]),
}


@pytest.mark.parametrize("name", CASES)
def test_op_matches_torch(name):
    fn, arrays = CASES[name]
    check_op(fn, *arrays)


# --- dtypes of integer and float32 inputs -----------------------------------------------------------------------------
DTYPE_CASES = {
    "cumsum_int32": (lambda m: m.tensor([1, 2, 3], dtype=m.int32).cumsum(0)),
    "cumsum_bool": (lambda m: m.tensor([True, False, True]).cumsum(0)),
    "prod_int32": (lambda m: m.tensor([1, 2, 3], dtype=m.int32).prod()),
    "sign_int": (lambda m: m.tensor([-3, 0, 2]).sign()),
    "floor_int": (lambda m: m.tensor([-3, 0, 2]).floor()),
    "abs_int": (lambda m: m.abs(m.tensor([-3, 0, 2]))),
    "maximum_int_float": (lambda m: m.maximum(m.tensor([1, 5]), m.tensor([2.5, 0.5]))),
    "where_int_float": (lambda m: m.where(m.tensor([True, False]), m.tensor([1, 2]), 0.5)),
    "where_float32_number": (lambda m: m.where(m.tensor([True, False]), m.tensor([1.0, 2.0]), 0)),
    "masked_fill_int": (lambda m: m.tensor([1, 2, 3]).masked_fill(m.tensor([True, False, True]), 9)),
    "float32_std": (lambda m: m.tensor([1.0, 2.0, 4.0]).std()),
    "float32_logsumexp": (lambda m: m.tensor([1.0, 2.0, 4.0]).logsumexp(0)),
    "sort_int": (lambda m: m.tensor([3, 1, 2]).sort().values),
    "topk_indices": (lambda m: m.tensor([3.0, 1.0, 2.0]).topk(2).indices),
    "argmax_int": (lambda m: m.tensor([3, 1, 2]).argmax()),
    "div_floor_int": (lambda m: m.tensor([7, -7]).div(2, rounding_mode="floor")),
    "div_trunc_int": (lambda m: m.div(m.tensor([7, -7]), m.tensor([2, 2]), rounding_mode="trunc")),
    "true_div_int": (lambda m: m.tensor([7, -7]).div(2)),
    "einsum_float32": (lambda m: m.einsum("i,i->", m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0]))),
    "isclose": (lambda m: m.isclose(m.tensor([1.0, 2.0, float("nan")]), m.tensor([1.0 + 1e-7, 2.1, float("nan")]))),
    "isclose_equal_nan": (lambda m: m.tensor([1.0, float("nan")]).isclose(m.tensor([1.0, float("nan")]),
                                                                         equal_nan=True)),
    "eye": (lambda m: m.eye(3)),
    "eye_rect": (lambda m: m.eye(2, 4, dtype=m.float64)),
    "linspace": (lambda m: m.linspace(-1, 2, 7)),
    "linspace_one": (lambda m: m.linspace(0, 1, 1)),
    "full_like": (lambda m: m.full_like(m.tensor([[1, 2]]), 7)),
    "full_like_float": (lambda m: m.full_like(m.tensor([1.0, 2.0], dtype=m.float64), 0.25)),
    "full_int": (lambda m: m.full((2, 2), 3)),
    "full_bool": (lambda m: m.full((2,), True)),
    "arange_float": (lambda m: m.arange(0, 1, 0.25)),
    "arange_int": (lambda m: m.arange(2, 9, 3)),
    "empty": (lambda m: m.empty(2, 3) * 0),
    "empty_like_zero": (lambda m: m.zeros(0, 3)),
}


@pytest.mark.parametrize("name", DTYPE_CASES)
def test_results_and_dtypes_match_torch(name):
    got, expected = DTYPE_CASES[name](mt), DTYPE_CASES[name](torch)
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.")
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(_numpy(got).astype(np.float64), expected.double().numpy(), rtol=1e-6)


@pytest.mark.parametrize("mode", ["floor", "trunc"])
@pytest.mark.parametrize("divisor", [3, -3, 7])
def test_rounded_integer_division_is_exact_like_torch(mode, divisor):
    values = [2**40 + 1, -(2**40) - 1, 7, -7, 0]
    ours = mt.tensor(values).div(divisor, rounding_mode=mode)
    theirs = torch.tensor(values).div(divisor, rounding_mode=mode)
    assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist()
    assert mt.tensor(values).div(mt.tensor([divisor] * 5), rounding_mode=mode).tolist() == theirs.tolist()


def test_allclose_like_torch():
    a, b = mt.tensor([1.0, 2.0]), mt.tensor([1.0, 2.0 + 1e-6])
    assert a.allclose(b) is True and mt.allclose(a, b) is True
    assert not mt.allclose(a, b, rtol=0, atol=1e-9)
    assert torch.allclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-6]))
    assert mt.allclose(a, mt.tensor([[1.0, 2.0], [1.0, 2.0]]))  # broadcasts, as torch


def test_randint_range_dtype_and_seed():
    minitorch.manual_seed(4)
    first = mt.randint(3, 10, (200,))
    minitorch.manual_seed(4)
    again = mt.randint(3, 10, size=(200,))
    np.testing.assert_array_equal(first.data, again.data)
    assert first.dtype == np.int64 and first.shape == (200,) and torch.randint(3, 10, (2,)).dtype == torch.int64
    assert set(np.unique(first.data)) == set(range(3, 10))
    assert mt.randint(5, (2, 3)).data.max() < 5 and mt.randint(5, (2, 3)).shape == (2, 3)


def test_empty_has_the_shape_and_dtype_asked_for():
    t = mt.empty(2, 3, dtype="float64")
    assert t.shape == (2, 3) and t.dtype == np.float64 and mt.empty((4,)).dtype == np.float32
    assert mt.empty_like(t).shape == (2, 3) and mt.empty_like(t).dtype == np.float64


def test_floor_ceil_round_sign_have_zero_gradient_like_torch():
    x = mt.tensor([0.3, 1.7, -2.2], requires_grad=True)
    y = x.floor() + x.ceil() + x.round() + x.sign()
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


# --- setitem ----------------------------------------------------------------------------------------------------------
def test_setitem_writes_like_torch():
    data = rand(3, 4)
    ours, theirs = mt.tensor(data, dtype="float64"), torch.tensor(data)
    for target in (ours, theirs):
        target[0] = 1.5
        target[:, 1] = target[:, 2] * 2
        target[target > 1.9] = 0.0
        target[[0, 2], [3, 3]] = -7.0
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    ints = mt.tensor([1, 2, 3])
    ints[1] = 9.7  # cast to the tensor's dtype, as torch
    assert ints.tolist() == [1, 9, 3]


def test_setitem_refuses_tensors_that_require_grad_except_under_no_grad():
    w = mt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TensorTypeError, match="in-place"):
        w[0] = 5.0
    with pytest.raises(TensorTypeError, match="in-place"):
        (w * 2)[0] = 5.0
    with minitorch.no_grad():
        w[0] = 5.0
    assert w.tolist() == [5.0, 2.0]


# --- errors: clear project exceptions (with the builtin base torch users expect) --------------------------------------
ERRORS = {
    "gather_float_index": (lambda: mt.tensor([[1.0, 2.0]]).gather(1, mt.tensor([[0.0]])), TensorTypeError),
    "gather_index_out_of_range": (lambda: mt.tensor([[1.0, 2.0]]).gather(1, mt.tensor([[5]])), IndexError),
    "gather_wrong_rank": (lambda: mt.tensor([[1.0, 2.0]]).gather(1, mt.tensor([0])), ShapeError),
    "gather_bad_dim": (lambda: mt.tensor([[1.0, 2.0]]).gather(2, mt.tensor([[0]])), DimensionError),
    "scatter_bad_src": (lambda: mt.tensor([[1.0, 2.0]]).scatter_add(1, mt.tensor([[0]]), 3.0), TensorTypeError),
    "topk_too_many": (lambda: mt.tensor([1.0, 2.0]).topk(3), ShapeError),
    "sort_bad_dim": (lambda: mt.tensor([1.0, 2.0]).sort(1), DimensionError),
    "cumsum_bad_dim": (lambda: mt.tensor([1.0, 2.0]).cumsum(-2), DimensionError),
    "logsumexp_bad_dim": (lambda: mt.tensor([1.0, 2.0]).logsumexp(3), IndexError),
    "einsum_operand_count": (lambda: mt.einsum("ij,jk->ik", mt.ones(2, 2)), ShapeError),
    "einsum_rank": (lambda: mt.einsum("ij->i", mt.ones(2)), ShapeError),
    "einsum_sizes": (lambda: mt.einsum("ij,jk->ik", mt.ones(2, 3), mt.ones(2, 2)), ShapeError),
    "einsum_ellipsis": (lambda: mt.einsum("...ij->...ji", mt.ones(2, 2)), ShapeError),
    "einsum_not_tensor": (lambda: mt.einsum("i->i", [1.0, 2.0]), TensorTypeError),
    "masked_fill_float_mask": (lambda: mt.ones(2).masked_fill(mt.ones(2), 0.0), TensorTypeError),
    "masked_fill_bad_shape": (lambda: mt.ones(2).masked_fill(mt.tensor([True, False, True]), 0.0), ShapeError),
    "where_float_condition": (lambda: mt.where(mt.ones(2), mt.ones(2), 0.0), TensorTypeError),
    "where_shapes": (lambda: mt.where(mt.ones(2) > 0, mt.ones(3), 0.0), ShapeError),
    "split_sizes": (lambda: mt.ones(5).split([2, 2]), ShapeError),
    "chunk_zero": (lambda: mt.ones(5).chunk(0), TensorTypeError),
    "repeat_too_few": (lambda: mt.ones(2, 3).repeat(2), ShapeError),
    "tril_1d": (lambda: mt.ones(3).tril(), ShapeError),
    "randint_empty_range": (lambda: mt.randint(5, 5, (2,)), ShapeError),
    "randint_float": (lambda: mt.randint(0.5, (2,)), TensorTypeError),
    "linspace_steps": (lambda: mt.linspace(0, 1, -1), TensorTypeError),
    "eye_negative": (lambda: mt.eye(-1), ShapeError),
    "full_like_text": (lambda: mt.full_like(mt.ones(2), "x"), TensorTypeError),
    "div_rounding": (lambda: mt.ones(2).div(2, rounding_mode="up"), TensorTypeError),
    "function_on_list": (lambda: mt.sin([1.0, 2.0]), TensorTypeError),
    "var_both": (lambda: mt.ones(3).var(unbiased=True, correction=0), TensorTypeError),
    "setitem_bad_index": (lambda: mt.ones(2).__setitem__(5, 1.0), IndexError),
    "setitem_bad_shape": (lambda: mt.ones(2, 2).__setitem__(0, mt.ones(3)), ShapeError),
}


@pytest.mark.parametrize("name", ERRORS)
def test_bad_input_is_a_clear_project_error(name):
    call, error = ERRORS[name]
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message


def test_every_method_function_is_exported():
    from minitorch.ndtensor.function_forms import METHOD_FUNCTIONS

    for name in METHOD_FUNCTIONS + ("einsum", "eye", "linspace", "full_like", "randint", "empty", "where"):
        assert callable(getattr(mt, name)) and hasattr(torch, name), name


@pytest.mark.parametrize("descending", [False, True])
def test_sort_keeps_ties_in_order_like_torch_stable_sort(descending):
    values = [2.0, 1.0, 2.0, 1.0, 3.0, 2.0]
    ours = mt.tensor(values).sort(descending=descending, stable=True)
    theirs = torch.tensor(values).sort(descending=descending, stable=True)
    assert ours.indices.tolist() == theirs.indices.tolist() and ours.values.tolist() == theirs.values.tolist()
