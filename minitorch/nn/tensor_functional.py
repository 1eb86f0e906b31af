"""The n-d implementations of `minitorch.nn.functional` (PyTorch's names and signatures).

Import them through `minitorch.nn.functional` (``F``). The layers and losses below are *fused*:
each is one graph node with a hand-written backward (linear = matmul + bias, a whole
convolution, a whole loss), which keeps graphs small and per-op Python overhead low.
Every function works on numpy and CuPy arrays alike through the array of its input.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..backend import array_module_of as _xp
from ..engine import Scalar
from ..errors import DeviceError, ShapeError, TensorTypeError, mixed_engines_error
from ..ndtensor import Tensor, generator, make_result
from ._reduction import check_reduction

__all__ = [
    "linear",
    "relu",
    "tanh",
    "sigmoid",
    "leaky_relu",
    "softmax",
    "log_softmax",
    "gelu",
    "silu",
    "elu",
    "softplus",
    "conv2d",
    "max_pool2d",
    "batch_norm",
    "dropout",
    "avg_pool2d",
    "layer_norm",
    "embedding",
    "pad",
    "one_hot",
    "binary_cross_entropy",
    "flatten",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "hinge_loss",
    "l2_penalty",
]


def _check_tensor(value: Any, what: str) -> Tensor:
    if isinstance(value, Scalar):
        raise mixed_engines_error(what)
    if not isinstance(value, Tensor):
        raise TensorTypeError(f"{what} must be a minitorch n-d tensor, got {type(value).__name__}")
    return value


def _as_target(target: Any, like: Tensor, what: str) -> Tensor:
    """The target as a tensor on the input's device (numpy arrays and lists accepted)."""
    if isinstance(target, Tensor):
        if target.data.__class__ is not like.data.__class__:
            raise DeviceError(f"{what}: input is on {like.device} but target is on {target.device}")
        return target
    # a CuPy array cannot go through np.asarray (CuPy forbids implicit copies to the host)
    array = target if hasattr(target, "__cuda_array_interface__") else np.asarray(target)
    dtype = like.dtype if array.dtype.kind == "f" else None
    return Tensor(array, dtype=dtype, device=like.device)


def _reduce(values: Any, reduction: str) -> tuple[Any, float]:
    """Reduce elementwise losses; also return the factor d(out)/d(each element) for mean/sum."""
    if reduction == "mean":
        return values.mean(), 1.0 / max(values.size, 1)
    if reduction == "sum":
        return values.sum(), 1.0
    return values, 1.0


def pair_of_ints(value: Any, what: str) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(2, 3)`` stays; anything else is a TensorTypeError naming ``what``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (int, np.integer)) for v in value):
        return int(value[0]), int(value[1])
    raise TensorTypeError(f"{what} must be an int or a pair of ints, got {value!r}")


def _check_same_float_dtype(input: Tensor, weight: Tensor, what: str) -> None:
    """PyTorch refuses float64 input to float32 weights (and back); so do we, instead of silently promoting."""
    if input.dtype != weight.dtype:
        raise TensorTypeError(
            f"{what}: input dtype {input.dtype} does not match weight dtype {weight.dtype}; "
            f"convert the input (x.float() / x.double()) or the model (model.double() / model.float())"
        )


# --- activations (delegate to the tensor methods) ----------------------------------------------
def relu(input: Tensor) -> Tensor:
    return _check_tensor(input, "relu input").relu()


def tanh(input: Tensor) -> Tensor:
    return _check_tensor(input, "tanh input").tanh()


def sigmoid(input: Tensor) -> Tensor:
    return _check_tensor(input, "sigmoid input").sigmoid()


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _check_tensor(input, "leaky_relu input").leaky_relu(negative_slope)


def _activation(input: Tensor, what: str) -> tuple[Any, Any]:
    """The float array of an activation's input and its array module."""
    x = _check_tensor(input, f"{what} input").data
    if x.dtype.kind != "f":
        raise TensorTypeError(f"{what}: needs a floating-point tensor, got dtype {x.dtype}")
    return x, _xp(x)


def softmax(input: Tensor, dim: int | None = None, *, dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``; ``dtype`` casts the input first, as PyTorch."""
    if dim is None:
        raise TypeError("softmax: pass dim explicitly (e.g. dim=-1); PyTorch's implicit choice is deprecated")
    x = _check_tensor(input, "softmax input")
    return (x if dtype is None else x.to(dtype=dtype)).softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None, *, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``; ``dtype`` casts the input first, as PyTorch."""
    if dim is None:
        raise TypeError("log_softmax: pass dim explicitly (e.g. dim=-1); PyTorch's implicit choice is deprecated")
    x = _check_tensor(input, "log_softmax input")
    return (x if dtype is None else x.to(dtype=dtype)).log_softmax(dim)


# The series/continued-fraction pair below gives erf to within 2e-15 of libm's in float64 (and to
# float32's rounding with fewer terms), with plain array arithmetic, so GELU runs on numpy and CuPy
# alike without scipy.
_ERF_SERIES = [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(30)]
_ERF_SPLIT = 2.0  # below: the Taylor series of erf; above: the continued fraction of erfc
_ERF_TERMS = {"float64": (30, 40), "float32": (20, 16), "float16": (20, 16)}  # (series, fraction) terms


def erf(x: Any) -> Any:
    """The error function of a float array (numpy or CuPy), elementwise."""
    xp = _xp(x)
    series_terms, fraction_terms = _ERF_TERMS[x.dtype.name]
    coefficients = _ERF_SERIES[:series_terms]
    out = xp.empty(x.shape, dtype=x.dtype)
    small = xp.abs(x) < _ERF_SPLIT
    z = x[small]
    z2 = z * z
    acc = xp.full(z.shape, coefficients[-1], dtype=x.dtype)
    for c in reversed(coefficients[:-1]):
        acc *= z2
        acc += c
    out[small] = (2 / math.sqrt(math.pi)) * z * acc
    large = ~small
    b = xp.abs(x[large])
    fraction = xp.zeros(b.shape, dtype=x.dtype)
    for n in range(fraction_terms, 0, -1):
        fraction = (n / 2) / (b + fraction)
    erfc = xp.exp(-b * b) / (math.sqrt(math.pi) * (b + fraction))
    out[large] = xp.sign(x[large]) * (1 - erfc)
    return out


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) with Phi the standard normal CDF; ``approximate="tanh"`` uses GPT-2's tanh form."""
    x, xp = _activation(input, "gelu")
    if approximate == "none":
        cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
        out = x * cdf

        def backward(g: Any) -> tuple:
            pdf = xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
            return (g * (cdf + x * pdf),)
    elif approximate == "tanh":
        t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
        out = 0.5 * x * (1 + t)

        def backward(g: Any) -> tuple:
            inner_slope = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_slope),)
    else:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return make_result(out, (input,), backward, "gelu")


def _sigmoid_array(x: Any, xp: Any) -> Any:
    return 0.5 * (1 + xp.tanh(0.5 * x))  # equals 1/(1+e^-x) and never overflows


def silu(input: Tensor) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    x, xp = _activation(input, "silu")
    sig = _sigmoid_array(x, xp)
    out = x * sig
    return make_result(out, (input,), lambda g: (g * sig * (1 + x * (1 - sig)),), "silu")


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else alpha * (exp(x) - 1)."""
    x, xp = _activation(input, "elu")
    positive = x > 0
    exp_neg = xp.exp(xp.minimum(x, 0))
    out = xp.where(positive, x, alpha * xp.expm1(xp.minimum(x, 0)))
    return make_result(out, (input,), lambda g: (xp.where(positive, g, g * alpha * exp_neg),), "elu")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (as PyTorch)."""
    x, xp = _activation(input, "softplus")
    scaled = x * beta
    linear_part = scaled > threshold
    e = xp.exp(xp.where(linear_part, 0, scaled))
    out = xp.where(linear_part, x, xp.log1p(e) / beta)
    return make_result(out, (input,), lambda g: (xp.where(linear_part, g, g * e / (e + 1)),), "softplus")


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return _check_tensor(input, "flatten input").flatten(start_dim, end_dim)


# --- layers ----------------------------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` as one node; weight has shape (out_features, in_features)."""
    x, w = _check_tensor(input, "linear input").data, weight.data
    if x.__class__ is not w.__class__:
        raise DeviceError(f"linear: input is on {input.device} but weight is on {weight.device}")
    _check_same_float_dtype(input, weight, "linear")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ShapeError(
            f"linear: input of shape {x.shape} needs {w.shape[1]} features in its last dimension "
            f"(weight has shape {w.shape})"
        )
    # batched input goes through one 2-d matmul: numpy's stacked matmul with w.T is far slower
    out = x @ w.T if x.ndim <= 2 else (x.reshape(-1, x.shape[-1]) @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
    if bias is not None:
        out += bias.data
        parents: tuple = (input, weight, bias)
    else:
        parents = (input, weight)

    def backward(g: Any) -> tuple:
        gx = gw = gb = None
        if input.requires_grad:
            gx = g @ w if g.ndim <= 2 else (g.reshape(-1, g.shape[-1]) @ w).reshape(x.shape)
        if weight.requires_grad:
            if x.ndim == 2:
                gw = g.T @ x
            elif x.ndim == 1:
                gw = g[:, None] * x[None, :]
            else:
                gw = g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if bias is not None and bias.requires_grad:
            gb = g.sum(axis=tuple(range(g.ndim - 1))) if g.ndim > 1 else g
        return (gx, gw, gb) if bias is not None else (gx, gw)

    return make_result(out, parents, backward, "linear")


def _conv_padding(padding: Any, kernel: tuple[int, int], stride: tuple[int, int],
                  dilation: tuple[int, int]) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) zero padding from an int, a pair, 'valid' or 'same' (as PyTorch)."""
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("conv2d: padding='same' is not supported for strided convolutions (as in PyTorch)")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        # an odd total puts the extra row/column at the bottom/right, as PyTorch
        return totals[0] // 2, totals[0] - totals[0] // 2, totals[1] // 2, totals[1] - totals[1] // 2
    if isinstance(padding, str):
        raise ValueError(f"conv2d: padding must be 'valid', 'same', an int or a pair of ints, got {padding!r}")
    ph, pw = pair_of_ints(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"conv2d: padding must be >= 0, got {padding}")
    return ph, ph, pw, pw


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-d cross-correlation of (N, C, H, W) input with (O, C/groups, kh, kw) weight, by im2col + matmul.

    ``dilation`` spaces the kernel's taps; ``groups`` splits the channels into independent
    convolutions (``groups == C`` is a depthwise convolution), as ``F.conv2d``.
    """
    x, w = _check_tensor(input, "conv2d input").data, _check_tensor(weight, "conv2d weight").data
    if x.__class__ is not w.__class__:
        raise DeviceError(f"conv2d: input is on {input.device} but weight is on {weight.device}")
    _check_same_float_dtype(input, weight, "conv2d")
    if x.ndim == 3:  # an unbatched image, as PyTorch allows
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if x.ndim != 4 or w.ndim != 4:
        raise ShapeError(
            f"conv2d expects input (N, C, H, W) and weight (O, C/groups, kh, kw), got {x.shape} and {w.shape}"
        )
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive integer, got {groups!r}")
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    if c != cg * groups:
        raise ShapeError(
            f"conv2d: input has {c} channels but the weight {w.shape} with groups={groups} expects {cg * groups}"
        )
    if o % groups:
        raise ShapeError(f"conv2d: {o} output channels cannot be split into groups={groups}")
    sh, sw = pair_of_ints(stride, "stride")
    dh, dw = pair_of_ints(dilation, "dilation")
    if sh < 1 or sw < 1 or dh < 1 or dw < 1:
        raise ValueError(f"conv2d: stride and dilation must be >= 1, got stride={stride}, dilation={dilation}")
    pt, pb, pl, pr = _conv_padding(padding, (kh, kw), (sh, sw), (dh, dw))
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    oh = (h + pt + pb - span_h) // sh + 1
    ow = (wd + pl + pr - span_w) // sw + 1
    if oh < 1 or ow < 1:
        raise ShapeError(
            f"conv2d: the dilated kernel {span_h}x{span_w} is larger than the padded input {h + pt + pb}x{wd + pl + pr}"
        )
    xp = _xp(x)
    padded = xp.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr))) if pt or pb or pl or pr else x
    taps = [(ki, kj, slice(ki * dh, ki * dh + sh * (oh - 1) + 1, sh), slice(kj * dw, kj * dw + sw * (ow - 1) + 1, sw))
            for ki in range(kh) for kj in range(kw)]
    # im2col: cols[n, i, j, c, ki, kj] = padded[n, c, i*sh + ki*dh, j*sw + kj*dw]
    cols = xp.empty((n, oh, ow, c, kh, kw), dtype=x.dtype)
    for ki, kj, si, sj in taps:
        cols[:, :, :, :, ki, kj] = padded[:, :, si, sj].transpose(0, 2, 3, 1)
    og, k = o // groups, cg * kh * kw
    cols_g = cols.reshape(n * oh * ow, groups, k).transpose(1, 0, 2)  # (groups, M, K)
    w_g = w.reshape(groups, og, k)
    out = (cols_g @ w_g.transpose(0, 2, 1)).transpose(1, 0, 2).reshape(n * oh * ow, o)
    if bias is not None:
        out += bias.data
    out = xp.ascontiguousarray(out.reshape(n, oh, ow, o).transpose(0, 3, 1, 2))
    parents = (input, weight) if bias is None else (input, weight, bias)

    def backward(g: Any) -> tuple:
        g2 = g.transpose(0, 2, 3, 1).reshape(-1, groups, og).transpose(1, 0, 2)  # (groups, M, og)
        gx = gw = gb = None
        if weight.requires_grad:
            gw = (g2.transpose(0, 2, 1) @ cols_g).reshape(w.shape)
        if bias is not None and bias.requires_grad:
            gb = g2.sum(axis=1).reshape(o)
        if input.requires_grad:
            gcols = (g2 @ w_g).transpose(1, 0, 2).reshape(n, oh, ow, c, kh, kw)
            gpad = xp.zeros(padded.shape, dtype=g.dtype)
            for ki, kj, si, sj in taps:
                gpad[:, :, si, sj] += gcols[:, :, :, :, ki, kj].transpose(0, 3, 1, 2)
            gx = gpad[:, :, pt:pt + h, pl:pl + wd]
        return (gx, gw) if bias is None else (gx, gw, gb)

    return make_result(out, parents, backward, "conv2d")


def _pool_windows(
    x: Any, kernel_size: Any, stride: Any, padding: Any, fill: float, what: str
) -> tuple[Any, list[tuple[slice, slice]], tuple[int, int], tuple[int, int]]:
    """The padded (N, C, H, W) input and, per kernel tap, the slices that pick that tap of every window.

    Also returns the unpadded (H, W) and the (ph, pw) padding, to cut the gradient back out.
    """
    kh, kw = pair_of_ints(kernel_size, "kernel_size")
    sh, sw = pair_of_ints(stride if stride is not None else kernel_size, "stride")
    ph, pw = pair_of_ints(padding, "padding")
    if min(kh, kw, sh, sw) < 1 or ph < 0 or pw < 0 or ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{what}: need kernel and stride >= 1 and 0 <= padding <= kernel/2, got "
                         f"kernel_size={kernel_size}, stride={stride}, padding={padding}")
    h, wd = x.shape[2:]
    oh = (h + 2 * ph - kh) // sh + 1
    ow = (wd + 2 * pw - kw) // sw + 1
    if oh < 1 or ow < 1:
        raise ShapeError(f"{what}: kernel {kh}x{kw} is larger than the padded input {h + 2 * ph}x{wd + 2 * pw}")
    padded = _xp(x).pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill) if ph or pw else x
    slices = [(slice(ki, ki + sh * (oh - 1) + 1, sh), slice(kj, kj + sw * (ow - 1) + 1, sw))
              for ki in range(kh) for kj in range(kw)]
    return padded, slices, (h, wd), (ph, pw)


def max_pool2d(
    input: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """Max over kh x kw windows of (N, C, H, W) input; stride defaults to the kernel size."""
    x = _check_tensor(input, "max_pool2d input").data
    if x.ndim == 3:
        return max_pool2d(input.unsqueeze(0), kernel_size, stride, padding).squeeze(0)
    if x.ndim != 4:
        raise ShapeError(f"max_pool2d expects input of shape (N, C, H, W), got {x.shape}")
    padded, slices, (h, wd), (ph, pw) = _pool_windows(x, kernel_size, stride, padding, -np.inf, "max_pool2d")
    xp = _xp(x)
    windows = xp.stack([padded[:, :, si, sj] for si, sj in slices])  # (kh*kw, N, C, OH, OW)
    winner = windows.argmax(axis=0)  # the first maximum in row-major window order, as PyTorch
    out = xp.take_along_axis(windows, winner[None], axis=0)[0]

    def backward(g: Any) -> tuple:
        gpad = xp.zeros(padded.shape, dtype=g.dtype)
        for k, (si, sj) in enumerate(slices):
            gpad[:, :, si, sj] += g * (winner == k)
        return (gpad[:, :, ph:ph + h, pw:pw + wd] if ph or pw else gpad,)

    return make_result(out, (input,), backward, "max_pool2d")


def _normalized(
    input: Tensor,
    centred: Any,
    var: Any,
    eps: float,
    weight: Tensor | None,
    bias: Tensor | None,
    affine_shape: tuple,
    stat_axes: tuple,
    param_axes: tuple,
    batch_stats: bool,
    op: str,
) -> Tensor:
    """``(x - mean) / sqrt(var + eps) * weight + bias`` as one node: the shared core of batch and layer norm.

    ``stat_axes`` are the axes the statistics were taken over (their gradient flows back
    through them when ``batch_stats``); ``param_axes`` are summed for the weight and bias gradients.
    """
    inv_std = 1.0 / _xp(centred).sqrt(var + eps)
    x_hat = centred * inv_std
    out = x_hat
    if weight is not None:
        out = out * weight.data.reshape(affine_shape)
    if bias is not None:
        out = out + bias.data.reshape(affine_shape)
    if out is x_hat:
        out = x_hat.copy()
    parents = tuple(t for t in (input, weight, bias) if t is not None)

    def backward(g: Any) -> tuple:
        grads: list[Any] = []
        g_hat = g * weight.data.reshape(affine_shape) if weight is not None else g
        if not input.requires_grad:
            grads.append(None)
        elif batch_stats:
            mean_g = g_hat.mean(axis=stat_axes, keepdims=True)
            mean_gx = (g_hat * x_hat).mean(axis=stat_axes, keepdims=True)
            grads.append(inv_std * (g_hat - mean_g - x_hat * mean_gx))
        else:  # fixed running statistics: a plain affine map
            grads.append(g_hat * inv_std)
        if weight is not None:
            grads.append((g * x_hat).sum(axis=param_axes) if weight.requires_grad else None)
        if bias is not None:
            grads.append(g.sum(axis=param_axes) if bias.requires_grad else None)
        return tuple(grads)

    return make_result(out, parents, backward, op)


def batch_norm(
    input: Tensor,
    running_mean: Any,
    running_var: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) of (N, C), (N, C, L) or (N, C, H, W) input, as ``F.batch_norm``.

    Training uses the batch's mean and biased variance and updates ``running_mean`` /
    ``running_var`` (raw arrays, or None) in place with ``momentum``, storing the unbiased
    variance as PyTorch does; evaluation uses the running statistics.
    """
    x = _check_tensor(input, "batch_norm input").data
    if x.ndim < 2:
        raise ShapeError(f"batch_norm expects input of shape (N, C, ...), got {x.shape}")
    channels = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    stat_shape = (1, channels) + (1,) * (x.ndim - 2)
    count = x.size // channels
    if training or running_mean is None:
        if count <= 1:
            raise ShapeError(f"batch_norm: expected more than 1 value per channel when training, got input {x.shape}")
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
        if training and running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean.reshape(channels)
            running_var *= 1 - momentum
            running_var += (momentum * count / (count - 1)) * var.reshape(channels)
        batch_stats = True
    else:
        mean = running_mean.reshape(stat_shape).astype(x.dtype, copy=False)
        var = running_var.reshape(stat_shape).astype(x.dtype, copy=False)
        centred = x - mean
        batch_stats = False
    return _normalized(input, centred, var, eps, weight, bias, stat_shape, axes, axes, batch_stats, "batch_norm")


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (identity in eval)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be between 0 and 1, got {p}")
    _check_tensor(input, "dropout input")
    if not training or p == 0.0:
        return input
    x = input.data
    xp = _xp(x)
    if p == 1.0:
        keep = xp.zeros(x.shape, dtype=x.dtype)
    else:
        keep = (generator(xp).random(x.shape) >= p).astype(x.dtype) * (1.0 / (1.0 - p))
    return make_result(x * keep, (input,), lambda g: (g * keep,), "dropout")


def avg_pool2d(
    input: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over kh x kw windows of (N, C, H, W) input, as ``F.avg_pool2d`` (stride defaults to the kernel).

    Zero padding counts towards the mean unless ``count_include_pad=False``; ``divisor_override``
    replaces the divisor.
    """
    x = _check_tensor(input, "avg_pool2d input").data
    if ceil_mode:
        raise ValueError("avg_pool2d: ceil_mode=True is not supported by minitorch")
    if x.ndim == 3:
        return avg_pool2d(input.unsqueeze(0), kernel_size, stride, padding, ceil_mode, count_include_pad,
                          divisor_override).squeeze(0)
    if x.ndim != 4:
        raise ShapeError(f"avg_pool2d expects input of shape (N, C, H, W), got {x.shape}")
    if x.dtype.kind != "f":
        raise TensorTypeError(f"avg_pool2d needs a floating-point tensor, got dtype {x.dtype}")
    if divisor_override is not None and (isinstance(divisor_override, bool) or divisor_override < 1):
        raise ValueError(f"avg_pool2d: divisor_override must be a positive integer, got {divisor_override!r}")
    padded, slices, (h, wd), (ph, pw) = _pool_windows(x, kernel_size, stride, padding, 0, "avg_pool2d")
    xp = _xp(x)
    total = sum(padded[:, :, si, sj] for si, sj in slices)
    if divisor_override is not None:
        divisor: Any = float(divisor_override)
    elif count_include_pad or not (ph or pw):
        divisor = float(len(slices))
    else:  # count only the cells of each window that lie inside the input
        inside = xp.pad(xp.ones((h, wd), dtype=x.dtype), ((ph, ph), (pw, pw)))
        divisor = sum(inside[si, sj] for si, sj in slices)
    out = total / divisor

    def backward(g: Any) -> tuple:
        share = g / divisor
        gpad = xp.zeros(padded.shape, dtype=g.dtype)
        for si, sj in slices:
            gpad[:, :, si, sj] += share
        return (gpad[:, :, ph:ph + h, pw:pw + wd],)

    return make_result(out, (input,), backward, "avg_pool2d")


def as_normalized_shape(normalized_shape: Any) -> tuple[int, ...]:
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    if not shape or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in shape):
        raise ValueError(
            f"normalized_shape must be a positive int or a non-empty tuple of them, got {normalized_shape!r}"
        )
    return tuple(int(d) for d in shape)


def layer_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance), then scale and shift."""
    x = _check_tensor(input, "layer_norm input").data
    shape = as_normalized_shape(normalized_shape)
    if x.dtype.kind != "f":
        raise TensorTypeError(f"layer_norm needs a floating-point tensor, got dtype {x.dtype}")
    if x.shape[x.ndim - len(shape):] != shape or x.ndim < len(shape):
        raise ShapeError(f"layer_norm: input of shape {x.shape} does not end in normalized_shape {shape}")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None:
            if param.shape != shape:
                raise ShapeError(f"layer_norm: {name} must have shape {shape}, got {param.shape}")
            if param.data.__class__ is not x.__class__:
                raise DeviceError(f"layer_norm: input is on {input.device} but {name} is on {param.device}")
            _check_same_float_dtype(input, param, "layer_norm")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    lead = tuple(range(x.ndim - len(shape)))
    centred = x - x.mean(axis=axes, keepdims=True)
    var = (centred * centred).mean(axis=axes, keepdims=True)
    return _normalized(input, centred, var, eps, weight, bias, shape, axes, lead, True, "layer_norm")


def _integer_indices(value: Any, like: Tensor, what: str) -> Any:
    """An integer index array on ``like``'s device (tensors, arrays and nested lists accepted)."""
    indices = _as_target(value, like, what).data
    if indices.dtype.kind not in "iu":
        raise TensorTypeError(f"{what}: indices must be integers (e.g. dtype int64), got dtype {indices.dtype}")
    return indices


def embedding(
    input: Any,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``: shape ``input.shape + (embedding_dim,)``.

    The row at ``padding_idx`` gets no gradient, as PyTorch.
    """
    _check_tensor(weight, "embedding weight")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise ValueError("embedding: max_norm, scale_grad_by_freq and sparse are not supported by minitorch")
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-d (num_embeddings, embedding_dim), got shape {weight.shape}")
    w = weight.data
    rows = w.shape[0]
    indices = _integer_indices(input, weight, "embedding")
    if indices.size and bool(((indices < 0) | (indices >= rows)).any()):
        bad = int(indices[(indices < 0) | (indices >= rows)].reshape(-1)[0])
        raise IndexError(f"embedding: index {bad} is out of range for {rows} embeddings")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"embedding: padding_idx {padding_idx} is out of range for {rows} embeddings")
        padding_idx %= rows
    out = w[indices]
    xp = _xp(w)

    def backward(g: Any) -> tuple:
        grad = xp.zeros(w.shape, dtype=g.dtype)
        xp.add.at(grad, indices.reshape(-1), g.reshape(-1, w.shape[1]))  # repeated indices accumulate
        if padding_idx is not None:
            grad[padding_idx] = 0
        return (grad,)

    return make_result(out, (weight,), backward, "embedding")


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _source_positions(size: int, before: int, after: int, mode: str, xp: Any) -> Any:
    """For each output position along one padded dim, the input position it copies."""
    positions = xp.arange(-before, size + after)
    if mode == "replicate":
        return xp.clip(positions, 0, size - 1)
    if mode == "circular":
        return positions % size
    period = 2 * (size - 1)  # reflect: ... 2 1 | 0 1 2 ... n-1 | n-2 ...
    folded = xp.abs(positions) % period if period else xp.zeros_like(positions)
    return xp.where(folded < size, folded, period - folded)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative widths, crop) the last dims, as ``F.pad``.

    ``pad`` lists (before, after) widths starting from the LAST dim: ``(left, right, top,
    bottom, ...)``. ``mode`` is "constant" (with ``value``, default 0), "reflect",
    "replicate" or "circular".
    """
    x = _check_tensor(input, "pad input").data
    widths = tuple(pad) if isinstance(pad, (tuple, list)) else None
    if (widths is None or len(widths) % 2 or len(widths) // 2 > x.ndim
            or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in widths)):
        raise ValueError(f"pad: needs an even-length sequence of ints, at most 2 per dimension of the "
                         f"{x.ndim}-d input, got {pad!r}")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(_PAD_MODES)}, got {mode!r}")
    padded_dims = len(widths) // 2
    per_dim = [(0, 0)] * (x.ndim - padded_dims) + [
        (int(widths[2 * k]), int(widths[2 * k + 1])) for k in reversed(range(padded_dims))
    ]
    xp = _xp(x)
    if mode == "constant":
        crop = tuple(slice(max(-b, 0), size - max(-a, 0)) for (b, a), size in zip(per_dim, x.shape))
        if any(s.stop < s.start for s in crop):
            raise ShapeError(f"pad: cropping {pad} removes more than the input's shape {x.shape}")
        grow = [(max(b, 0), max(a, 0)) for b, a in per_dim]
        fill = 0 if value is None else value
        out = xp.pad(x[crop], grow, constant_values=fill) if any(b or a for b, a in grow) else x[crop].copy()
        keep = tuple(slice(b, b + s.stop - s.start) for (b, _), s in zip(grow, crop))

        def backward(g: Any) -> tuple:
            grad = xp.zeros(x.shape, dtype=g.dtype)
            grad[crop] = g[keep]
            return (grad,)

        return make_result(out, (input,), backward, "pad")

    if value not in (None, 0):
        raise ValueError(f"pad: value is only used with mode='constant', got value={value} with mode={mode!r}")
    if padded_dims > 3 or x.ndim not in (padded_dims + 1, padded_dims + 2):
        raise ShapeError(f"pad: mode={mode!r} pads the last 1-3 dims of a batched or unbatched input; "
                         f"{len(widths)} widths do not fit an input of shape {x.shape}")
    first = x.ndim - padded_dims
    sources = []
    for axis in range(first, x.ndim):
        size = x.shape[axis]
        before, after = per_dim[axis]
        limit = size - 1 if mode == "reflect" else size
        if min(before, after) < 0 or max(before, after) > limit or (mode != "replicate" and size == 0):
            raise ShapeError(f"pad: mode={mode!r} needs widths between 0 and {limit} for a dim of size {size}, "
                             f"got ({before}, {after})")
        sources.append(_source_positions(size, before, after, mode, xp))
    out = x
    for axis, source in zip(range(first, x.ndim), sources):
        out = xp.take(out, source, axis=axis)

    def backward_gather(g: Any) -> tuple:
        grad = g
        for axis, source in reversed(list(zip(range(first, x.ndim), sources))):
            moved = xp.moveaxis(grad, axis, 0)
            folded = xp.zeros((x.shape[axis],) + moved.shape[1:], dtype=g.dtype)
            xp.add.at(folded, source, moved)  # positions copied more than once sum their gradients
            grad = xp.moveaxis(folded, 0, axis)
        return (grad,)

    return make_result(out, (input,), backward_gather, "pad")


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows of integer class indices, shape ``tensor.shape + (num_classes,)`` (no gradient).

    ``num_classes=-1`` uses the largest index + 1, as PyTorch.
    """
    indices = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if indices.dtype.kind not in "iu":
        raise TensorTypeError(f"one_hot: class indices must be integers (e.g. dtype int64), got dtype {indices.dtype}")
    xp = _xp(indices)
    if indices.size and bool((indices < 0).any()):
        raise ValueError("one_hot: class indices must be non-negative")
    if num_classes == -1:
        if indices.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
        num_classes = int(indices.max()) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive integer or -1, got {num_classes!r}")
    elif indices.size and int(indices.max()) >= num_classes:
        raise ValueError(f"one_hot: class index {int(indices.max())} is out of range for {num_classes} classes")
    out = (indices[..., None] == xp.arange(num_classes)).astype(np.int64)
    return make_result(out, (), _no_gradient, "one_hot")


def _no_gradient(g: Any) -> tuple:
    return ()


# --- losses --------------------------------------------------------------------------------------------
def _same_shape(input: Tensor, target: Tensor, what: str) -> None:
    if input.shape != target.shape:
        raise ShapeError(
            f"{what}: input shape {input.shape} and target shape {target.shape} differ "
            "(reshape one of them; minitorch does not broadcast losses silently)"
        )


def _loss_operands(input: Tensor, target: Any, reduction: str, what: str, same_shape: bool = True) -> Tensor:
    """Check a loss's input and reduction; return the target as a tensor like the input (same shape if asked)."""
    _check_tensor(input, f"{what} input")
    check_reduction(reduction, what)
    target = _as_target(target, input, what)
    if same_shape:
        _same_shape(input, target, what)
    return target


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean (or summed) squared error, as ``F.mse_loss``."""
    target = _loss_operands(input, target, reduction, "mse_loss")
    diff = input.data - target.data
    out, scale = _reduce(diff * diff, reduction)

    def backward(g: Any) -> tuple:
        grad = backend.scaled_product(g, 2.0 * scale, diff)
        return (grad if input.requires_grad else None, -grad if target.requires_grad else None)

    return make_result(out, (input, target), backward, "mse_loss")


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean (or summed) absolute error, as ``F.l1_loss``."""
    target = _loss_operands(input, target, reduction, "l1_loss")
    diff = input.data - target.data
    xp = _xp(diff)
    out, scale = _reduce(xp.abs(diff), reduction)

    def backward(g: Any) -> tuple:
        grad = g * scale * xp.sign(diff)
        return (grad if input.requires_grad else None, -grad if target.requires_grad else None)

    return make_result(out, (input, target), backward, "l1_loss")


def _broadcast_shape(*shapes: tuple) -> tuple | None:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


_LOG_FLOOR = -100.0  # PyTorch clamps the logs of binary_cross_entropy here, so p = 0 or 1 stays finite
_BCE_GRAD_FLOOR = float(np.float32(1e-12))  # PyTorch's floor for p(1-p) in the gradient (a float constant)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, *, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities in [0, 1], as ``F.binary_cross_entropy``.

    ``-(t * log(p) + (1 - t) * log(1 - p))`` with each log clamped at -100, as PyTorch;
    prefer `binary_cross_entropy_with_logits` on raw scores.
    """
    target = _loss_operands(input, target, reduction, "binary_cross_entropy")
    p, t = input.data, target.data
    xp = _xp(p)
    if p.size and bool(((p < 0) | (p > 1)).any()):
        raise ValueError("binary_cross_entropy: every input must be a probability between 0 and 1 "
                         "(apply sigmoid first, or use binary_cross_entropy_with_logits on raw scores)")
    w = None if weight is None else _as_target(weight, input, "binary_cross_entropy weight").data
    with _errstate():
        log_p = xp.maximum(xp.log(p), _LOG_FLOOR)
        log_q = xp.maximum(xp.log(1 - p), _LOG_FLOOR)
    values = -(t * log_p + (1 - t) * log_q)
    if w is not None:
        if _broadcast_shape(w.shape, p.shape) != p.shape:
            raise ShapeError(f"binary_cross_entropy: weight of shape {w.shape} does not broadcast to {p.shape}")
        values = values * w
    out, scale = _reduce(values, reduction)

    def backward(g: Any) -> tuple:
        upstream = g * scale if w is None else g * scale * w
        gx = upstream * (p - t) / xp.maximum((1 - p) * p, _BCE_GRAD_FLOOR) if input.requires_grad else None
        gt = None
        if target.requires_grad:  # -logit(p), unclamped as in PyTorch (infinite at p = 0 or 1)
            with _errstate():
                gt = upstream * (xp.log1p(-p) - xp.log(p))
        return gx, gt

    return make_result(out, (input, target), backward, "binary_cross_entropy")


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    *,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Sigmoid + binary cross-entropy in one numerically stable step, as ``F.binary_cross_entropy_with_logits``."""
    target = _loss_operands(input, target, reduction, "binary_cross_entropy_with_logits")
    x, t = input.data, target.data
    xp = _xp(x)
    w = None if weight is None else _as_target(weight, input, "weight").data
    pw = None if pos_weight is None else _as_target(pos_weight, input, "pos_weight").data
    # log(1 + e^-|x|) + max(-x, 0) = -log(sigmoid(x)), never overflowing
    neg_log_sig = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)
    if pw is None:
        values = (1 - t) * x + neg_log_sig
    else:
        log_weight = 1 + (pw - 1) * t
        values = (1 - t) * x + log_weight * neg_log_sig
    if w is not None:
        values = values * w
    out, scale = _reduce(values, reduction)

    def backward(g: Any) -> tuple:
        sig = 0.5 * (1 + xp.tanh(0.5 * x))
        local = sig - t if pw is None else (1 - t) - log_weight * (1 - sig)
        if w is not None:
            local = local * w
        gx = g * scale * local if input.requires_grad else None
        gt = None
        if target.requires_grad:
            gt_local = -x if pw is None else -x + (pw - 1) * neg_log_sig
            gt = g * scale * gt_local * (w if w is not None else 1)
        return gx, gt

    return make_result(out, (input, target), backward, "binary_cross_entropy_with_logits")


def _class_last(input: Tensor, what: str) -> tuple[Any, int]:
    """(N, C) logits from (C,), (N, C) or (N, C, d1, ...) input, classes in the last axis."""
    x = input.data
    if x.ndim == 0:
        raise ShapeError(f"{what}: input must have a class dimension, got a 0-d tensor")
    if x.ndim == 1:
        return x[None, :], x.shape[0]
    classes = x.shape[1]
    if x.ndim == 2:
        return x, classes
    return _xp(x).moveaxis(x, 1, -1).reshape(-1, classes), classes


def _restore_layout(grad2: Any, shape: tuple) -> Any:
    """Undo `_class_last` for a gradient."""
    if len(shape) == 1:
        return grad2[0]
    if len(shape) == 2:
        return grad2
    moved = grad2.reshape((shape[0],) + shape[2:] + (shape[1],))
    return _xp(grad2).moveaxis(moved, -1, 1)


def _class_indices(target: Tensor, input: Tensor, classes: int, ignore_index: int, what: str) -> Any:
    t = target.data
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if t.shape != expected:
        raise ShapeError(f"{what}: target of class indices must have shape {expected}, got {t.shape}")
    if t.dtype.kind not in "iu":
        raise TensorTypeError(f"{what}: class-index targets must be integers, got dtype {t.dtype}")
    flat = t.reshape(-1).astype(np.int64, copy=False)
    bad = (flat != ignore_index) & ((flat < 0) | (flat >= classes))
    if bool(bad.any()):
        raise ValueError(f"{what}: target {int(flat[bad][0])} is out of range for {classes} classes")
    return flat


def _class_weights(weight: Any, input: Tensor, classes: int, what: str) -> Any:
    """The per-class weight array (ones when ``weight`` is None), checked against the number of classes."""
    xp = _xp(input.data)
    if weight is None:
        return xp.ones(classes, dtype=input.dtype)
    w = _as_target(weight, input, f"{what} weight")
    if w.shape != (classes,):
        raise ShapeError(f"{what}: weight must have one entry per class, shape ({classes},), got {w.shape}")
    if w.dtype.kind != "f":
        raise TensorTypeError(f"{what}: weight must be floating point, got dtype {w.dtype}")
    return w.data.astype(input.dtype, copy=False)


def _weighted_class_loss(
    values: Any, coefficients: Any, reduction: str, denominator: Any, shape: tuple
) -> tuple[Any, Any]:
    """Reduce per-row losses ``-(coefficients * values).sum(1)``; also return each row's share of the output."""
    rows = -(coefficients * values).sum(axis=1)
    if reduction == "none":
        out = rows.reshape(shape[:1] + shape[2:]) if len(shape) > 1 else rows.reshape(())
        return out, None
    if reduction == "sum":
        return rows.sum(), 1.0
    with _errstate():  # every target ignored: a nan loss but zero gradients, as PyTorch
        share = _xp(rows).where(denominator != 0, 1.0 / denominator, 0.0)
        return rows.sum() / denominator, share


def _errstate() -> Any:
    return np.errstate(divide="ignore", invalid="ignore")


def _row_upstream(g: Any, reduction: str, share: Any) -> Any:
    """The upstream gradient of each row as a column (M, 1)."""
    if reduction == "none":
        return g.reshape(-1, 1)
    return g * share


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax + negative log-likelihood of logits, as ``F.cross_entropy``.

    ``target`` holds class indices (shape (N,) for (N, C) logits; ``ignore_index`` marks
    rows to skip) or class probabilities (the same shape as the logits). ``weight`` scales
    each class; ``label_smoothing`` mixes the target with the uniform distribution. With
    ``reduction="mean"`` and class indices the loss is divided by the summed weights of
    the targets, as PyTorch does.
    """
    target = _loss_operands(input, target, reduction, "cross_entropy", same_shape=False)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0 and 1, got {label_smoothing}")
    logits, classes = _class_last(input, "cross_entropy")
    xp = _xp(logits)
    w = _class_weights(weight, input, classes, "cross_entropy")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
    shape = input.shape
    smooth = label_smoothing / classes
    if target.dtype.kind == "f":  # class probabilities
        if target.shape != input.shape:
            raise TensorTypeError(
                f"cross_entropy: a float target must hold class probabilities with the input's shape {input.shape}, "
                f"got shape {target.shape}; class-index targets must be integers"
            )
        probs_t, _ = _class_last(target, "cross_entropy")
        coefficients = (probs_t * (1 - label_smoothing) + smooth) * w
        denominator = logits.dtype.type(logits.shape[0])
    else:
        flat = _class_indices(target, input, classes, ignore_index, "cross_entropy")
        valid = flat != ignore_index
        safe = xp.where(valid, flat, 0)
        rows = xp.arange(flat.shape[0])
        coefficients = xp.zeros(logits.shape, dtype=logits.dtype)
        coefficients[rows, safe] = (1 - label_smoothing) * w[safe]
        if smooth:
            coefficients += smooth * w
        coefficients *= valid[:, None]
        denominator = (w[safe] * valid).sum()
    out, share = _weighted_class_loss(log_probs, coefficients, reduction, denominator, shape)

    def backward(g: Any) -> tuple:
        row_g = _row_upstream(g, reduction, share)
        gx = gt = None
        if input.requires_grad:
            probs = xp.exp(log_probs)
            gx = _restore_layout((probs * coefficients.sum(axis=1, keepdims=True) - coefficients) * row_g, shape)
        if target.requires_grad:
            gt = _restore_layout(-(1 - label_smoothing) * w * log_probs * row_g, shape)
        return gx, gt

    return make_result(out, (input, target), backward, "cross_entropy")


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities (e.g. from log_softmax), as ``F.nll_loss``."""
    target = _loss_operands(input, target, reduction, "nll_loss", same_shape=False)
    log_probs, classes = _class_last(input, "nll_loss")
    xp = _xp(log_probs)
    w = _class_weights(weight, input, classes, "nll_loss")
    flat = _class_indices(target, input, classes, ignore_index, "nll_loss")
    valid = flat != ignore_index
    safe = xp.where(valid, flat, 0)
    rows = xp.arange(flat.shape[0])
    coefficients = xp.zeros(log_probs.shape, dtype=log_probs.dtype)
    coefficients[rows, safe] = w[safe] * valid
    shape = input.shape
    out, share = _weighted_class_loss(log_probs, coefficients, reduction, (w[safe] * valid).sum(), shape)

    def backward(g: Any) -> tuple:
        return (_restore_layout(-coefficients * _row_upstream(g, reduction, share), shape), None)

    return make_result(out, (input, target), backward, "nll_loss")


def hinge_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Max-margin loss ``relu(1 - target * input)`` with targets in {-1, +1} (micrograd's demo loss)."""
    target = _loss_operands(input, target, reduction, "hinge_loss")
    margins = (1 - target * input).relu()
    if reduction == "mean":
        return margins.mean()
    if reduction == "sum":
        return margins.sum()
    return margins


def l2_penalty(parameters: list[Tensor], alpha: float = 1.0) -> Tensor:
    """``alpha * sum(p ** 2)`` over all parameters."""
    total = None
    for p in parameters:
        term = (p * p).sum()
        total = term if total is None else total + term
    return total * alpha
