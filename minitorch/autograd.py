"""The autograd core shared by the scalar and the n-dimensional engines.

Both `minitorch.engine.Scalar` (one number per node) and `minitorch.ndtensor.Tensor`
(one array per node) store their inputs in ``_prev``; this module orders such graphs
for the backward pass and holds the global "record a graph?" switch (`no_grad`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar


class _GradState(threading.local):
    """Whether operations record a graph, per thread, as in PyTorch: the GUI's training
    thread evaluating under ``no_grad()`` must not stop another thread from recording."""

    enabled = True


# Both engines read ``GRAD_STATE.enabled`` directly: an attribute read is cheaper than a
# function call on the hot path of every operation.
GRAD_STATE = _GradState()

F = TypeVar("F", bound=Callable[..., Any])


def is_grad_enabled() -> bool:
    """True when operations record the graph needed by ``backward()``."""
    return GRAD_STATE.enabled


class _GradMode:
    """Context manager and decorator that sets whether graphs are recorded."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._saved: list[bool] = []

    def __enter__(self) -> None:
        self._saved.append(GRAD_STATE.enabled)
        GRAD_STATE.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        GRAD_STATE.enabled = self._saved.pop()

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(self.enabled):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def no_grad() -> _GradMode:
    """``with no_grad():`` computes values without recording a graph (as in PyTorch)."""
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """``with enable_grad():`` records graphs again inside a ``no_grad`` block."""
    return _GradMode(True)


def reverse_topological_order(root: Any) -> list[Any]:
    """All nodes reachable from ``root``, each listed before every node it consumes.

    Iterative (Kahn's algorithm on the reachable subgraph), so graphs of any depth
    work: first count how many reachable nodes consume each node, then emit a node
    once all of its consumers have been emitted. Walking the list in order is
    exactly the order in which gradients can flow back.
    """
    consumers = {root: 0}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node._prev:
            if child in consumers:
                consumers[child] += 1
            else:
                consumers[child] = 1
                stack.append(child)
    order = []
    ready = [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for child in node._prev:
            left = consumers[child] - 1
            consumers[child] = left
            if left == 0:
                ready.append(child)
    return order


