"""Checks shared by several test modules (pytest puts this folder on sys.path: ``from _helpers import ...``)."""

from __future__ import annotations

import numpy as np

from minitorch.ndtensor import tensor


def assert_finite_difference_grads(fn, *arrays, rng, eps=1e-6, atol=1e-6, rtol=1e-5):
    """Autograd gradients of the float64 inputs equal central differences of sum(fn(...) * G), G random."""
    ours = [tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    out = fn(*ours)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    for k, array in enumerate(arrays):
        numeric = np.zeros(array.shape)
        for index in np.ndindex(array.shape):
            values = []
            for sign in (1, -1):
                shifted = [a.copy() for a in arrays]
                shifted[k][index] += sign * eps
                values.append(float((fn(*[tensor(a, dtype="float64") for a in shifted]).data * upstream).sum()))
            numeric[index] = (values[0] - values[1]) / (2 * eps)
        got = np.zeros(array.shape) if ours[k].grad is None else ours[k].grad  # None: a constant input
        np.testing.assert_allclose(got, numeric, atol=atol, rtol=rtol)
