"""The n-dimensional autograd engine: `Tensor` holds one array (numpy or CuPy) per graph node.

    >>> import minitorch
    >>> x = minitorch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([[2., 4.],
           [6., 8.]], dtype=float32)

Semantics follow PyTorch: float32 by default, PyTorch's type promotion, numpy broadcasting
with gradients summed back to each input's shape, leaf gradients accumulate across
``backward()`` calls and start as ``None``. Non-leaf gradients are kept too (replaced, not
accumulated, by each ``backward()``), as in the scalar engine, so the graph explorer can show them.

This package is split by idea; everything public is re-exported here:

========================  =====================================================================
``core``                  the `Tensor` class and its methods; `make_result` (wrap an op's output)
``dtypes``                dtype objects and names, `resolve_dtype`, the type-promotion rules
``shapes``                ``dim`` validation and un-broadcasting of gradients (arrays only)
``seeding``               `manual_seed` and the random `generator`
``factories``             ``tensor``, ``zeros``, ``randn``, ``eye``, ``linspace``, ...
``functions``             ``cat``, ``stack``, ``where``, ``einsum``: ops over several tensors
``function_forms``        ``minitorch.sin(x)``, ``minitorch.sum(x, 1)``, ...: methods as functions
========================  =====================================================================
"""

from __future__ import annotations

from ..autograd import enable_grad, is_grad_enabled, no_grad
from . import dtypes
from .core import MaxMin, SortResult, Tensor, is_number, make_result
from .dtypes import bool_, float16, float32, float64, int8, int16, int32, int64, resolve_dtype, uint8
from .factories import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .function_forms import (
    abs,
    add,
    all,
    allclose,
    amax,
    amin,
    any,
    argmax,
    argmin,
    ceil,
    chunk,
    clamp,
    clip,
    cos,
    cumsum,
    div,
    exp,
    flatten,
    flip,
    floor,
    gather,
    isclose,
    log,
    log_softmax,
    logsumexp,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    permute,
    prod,
    relu,
    reshape,
    round,
    rsqrt,
    scatter,
    scatter_add,
    sigmoid,
    sign,
    sin,
    softmax,
    sort,
    split,
    sqrt,
    squeeze,
    std,
    sub,
    sum,
    tanh,
    topk,
    transpose,
    tril,
    triu,
    unsqueeze,
    var,
)
from .functions import cat, einsum, stack, where
from .seeding import generator, manual_seed

__all__ = [
    "Tensor", "MaxMin", "SortResult", "make_result", "is_number", "dtypes", "resolve_dtype", "generator",
    "tensor", "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "randn", "rand", "randint", "arange", "linspace", "eye",
    "cat", "stack", "where", "einsum", "manual_seed", "no_grad", "enable_grad", "is_grad_enabled",
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_",
    # the function forms of methods (function_forms.METHOD_FUNCTIONS)
    "abs", "sqrt", "rsqrt", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "sign", "floor", "ceil",
    "round", "clamp", "clip", "maximum", "minimum", "masked_fill", "add", "sub", "mul", "div", "neg",
    "matmul", "sum", "mean", "std", "var", "prod", "any", "all", "logsumexp", "cumsum", "argmax", "argmin",
    "amax", "amin", "max", "min", "topk", "sort", "flip", "split", "chunk", "gather", "scatter",
    "scatter_add", "tril", "triu", "reshape", "flatten", "squeeze", "unsqueeze", "transpose", "permute",
    "softmax", "log_softmax", "isclose", "allclose",
]
