"""``minitorch.sin(x)``, ``minitorch.sum(x, dim)``, ...: the function form of Tensor methods, as in PyTorch.

Each is ``input.<method>(*args, **kwargs)``, so the method's docstring is the reference; a
non-tensor ``input`` is a clear TensorTypeError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import TensorTypeError
from .core import Tensor

METHOD_FUNCTIONS = (
    "abs", "sqrt", "rsqrt", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "sign", "floor", "ceil",
    "round", "clamp", "clip", "maximum", "minimum", "masked_fill", "add", "sub", "mul", "div", "neg",
    "matmul", "sum", "mean", "std", "var", "prod", "any", "all", "logsumexp", "cumsum", "argmax", "argmin",
    "amax", "amin", "max", "min", "topk", "sort", "flip", "split", "chunk", "gather", "scatter",
    "scatter_add", "tril", "triu", "reshape", "flatten", "squeeze", "unsqueeze", "transpose", "permute",
    "softmax", "log_softmax", "isclose", "allclose",
)
"""The Tensor methods that are also ``minitorch.<name>`` functions (PyTorch has each as ``torch.<name>``)."""

__all__ = list(METHOD_FUNCTIONS)


def _function_form(name: str) -> Callable[..., Any]:
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(input, Tensor):
            raise TensorTypeError(f"{name}: expected a minitorch Tensor, got {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}(*args, **kwargs)`` (see `Tensor.{name}`), as ``torch.{name}``."
    return function


abs = _function_form("abs")
sqrt = _function_form("sqrt")
rsqrt = _function_form("rsqrt")
exp = _function_form("exp")
log = _function_form("log")
sin = _function_form("sin")
cos = _function_form("cos")
tanh = _function_form("tanh")
sigmoid = _function_form("sigmoid")
relu = _function_form("relu")
sign = _function_form("sign")
floor = _function_form("floor")
ceil = _function_form("ceil")
round = _function_form("round")
clamp = _function_form("clamp")
clip = _function_form("clip")
maximum = _function_form("maximum")
minimum = _function_form("minimum")
masked_fill = _function_form("masked_fill")
add = _function_form("add")
sub = _function_form("sub")
mul = _function_form("mul")
div = _function_form("div")
neg = _function_form("neg")
matmul = _function_form("matmul")
sum = _function_form("sum")
mean = _function_form("mean")
std = _function_form("std")
var = _function_form("var")
prod = _function_form("prod")
any = _function_form("any")
all = _function_form("all")
logsumexp = _function_form("logsumexp")
cumsum = _function_form("cumsum")
argmax = _function_form("argmax")
argmin = _function_form("argmin")
amax = _function_form("amax")
amin = _function_form("amin")
max = _function_form("max")
min = _function_form("min")
topk = _function_form("topk")
sort = _function_form("sort")
flip = _function_form("flip")
split = _function_form("split")
chunk = _function_form("chunk")
gather = _function_form("gather")
scatter = _function_form("scatter")
scatter_add = _function_form("scatter_add")
tril = _function_form("tril")
triu = _function_form("triu")
reshape = _function_form("reshape")
flatten = _function_form("flatten")
squeeze = _function_form("squeeze")
unsqueeze = _function_form("unsqueeze")
transpose = _function_form("transpose")
permute = _function_form("permute")
softmax = _function_form("softmax")
log_softmax = _function_form("log_softmax")
isclose = _function_form("isclose")
allclose = _function_form("allclose")
