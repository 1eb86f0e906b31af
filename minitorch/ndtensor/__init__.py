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
``functions``             ``cat``, ``stack``, ``where``, ... and ``minitorch.*`` forms of methods
========================  =====================================================================
"""

from __future__ import annotations

from ..autograd import enable_grad, is_grad_enabled, no_grad
from . import dtypes
from .core import MaxMin, Tensor, is_number, make_result
from .dtypes import float16, float32, float64, int64, resolve_dtype
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
from .functions import cat, stack, where
from .seeding import generator, manual_seed

__all__ = [
    "Tensor", "MaxMin", "make_result", "is_number", "dtypes", "resolve_dtype", "generator",
    "tensor", "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "randn", "rand", "randint", "arange", "linspace", "eye",
    "cat", "stack", "where", "manual_seed", "no_grad", "enable_grad", "is_grad_enabled",
    "float16", "float32", "float64", "int64",
]
