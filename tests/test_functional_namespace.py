"""`minitorch.nn.functional` is the one functional namespace: PyTorch's names, both engines, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch
import minitorch.nn.functional as F
from minitorch import nn
from minitorch.engine import Scalar
from minitorch.errors import TensorTypeError


def test_every_n_d_function_is_reachable_as_F_name_with_pytorchs_first_arguments():
    import inspect

    for name in F.__all__:
        if name in ("REDUCTIONS", "hinge_loss", "l2_penalty"):
            continue
        ours = inspect.signature(getattr(F, name))
        try:
            theirs = inspect.signature(getattr(torch.nn.functional, name))
        except ValueError:  # a C builtin (linear, conv2d): the name exists, its signature is not introspectable
            continue
        ours_positional = [p.name for p in ours.parameters.values() if p.kind == p.POSITIONAL_OR_KEYWORD]
        theirs_names = [p.name for p in theirs.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if not theirs_names:  # (*args, **kwargs): a dispatch wrapper such as max_pool2d
            continue
        assert ours_positional == theirs_names[: len(ours_positional)], name


def test_layers_use_the_same_functions_as_F():
    from minitorch.nn import tensor_functional

    assert F.linear is tensor_functional.linear
    assert F.conv2d is tensor_functional.conv2d


def test_a_numpy_array_is_refused_with_a_hint():
    with pytest.raises(TensorTypeError, match=r"minitorch.tensor\(\.\.\.\)"):
        F.mse_loss(np.zeros(3), np.zeros(3))


def test_a_scalar_given_to_an_n_d_layer_names_both_engines():
    with pytest.raises(TensorTypeError, match="cannot mix a Scalar and an n-d Tensor"):
        nn.Linear(2, 1)(Scalar(2.0))
    with pytest.raises(TensorTypeError, match="cannot mix a Scalar and an n-d Tensor"):
        F.conv2d(Scalar(1.0), minitorch.zeros(1, 1, 1, 1))


def test_options_the_scalar_engine_lacks_are_refused_not_ignored():
    row = [Scalar(1.0), Scalar(2.0)]
    with pytest.raises(TensorTypeError, match="label_smoothing"):
        F.cross_entropy([row], [0], label_smoothing=0.1)
    with pytest.raises(TensorTypeError, match="weight"):
        F.cross_entropy([row], [0], [1.0, 2.0])
    with pytest.raises(TensorTypeError, match="pos_weight"):
        F.binary_cross_entropy_with_logits(row, [0, 1], pos_weight=2.0)


def test_reduction_is_keyword_only_as_in_pytorch():
    x = minitorch.tensor([1.0, 2.0])
    with pytest.raises(TypeError):
        F.mse_loss(x, x, "sum")
