"""The autograd core shared by the scalar and the n-dimensional engines.

Both `minitorch.engine.Scalar` (one number per node) and `minitorch.ndtensor.Tensor`
(one array per node) store their inputs in ``_prev``; this module orders such graphs
for the backward pass and holds the global "record a graph?" switch (`no_grad`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
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


class _ThreadsWithoutGrad:
    """How many threads have recording switched off right now (a plain, process-wide count).

    A thread-local attribute read costs several plain ones, and the scalar engine checks
    the grad mode once per node: while ``count`` is 0, which is nearly always, it skips the
    per-thread lookup (``if THREADS_WITHOUT_GRAD.count and not GRAD_STATE.enabled``).
    """

    def __init__(self) -> None:
        # An instance attribute, not a class one: Python 3.11 caches the lookup of an
        # instance's own attribute, while a class attribute read through an instance
        # takes the slow path every time.
        self.count = 0


THREADS_WITHOUT_GRAD = _ThreadsWithoutGrad()
_COUNT_LOCK = threading.Lock()


def _set_grad_enabled(enabled: bool) -> None:
    """Set this thread's grad mode, keeping the count of threads without grad up to date."""
    was = GRAD_STATE.enabled
    if was and not enabled:
        with _COUNT_LOCK:
            THREADS_WITHOUT_GRAD.count += 1
        GRAD_STATE.enabled = False
    elif enabled and not was:
        GRAD_STATE.enabled = True
        with _COUNT_LOCK:
            THREADS_WITHOUT_GRAD.count -= 1

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
        _set_grad_enabled(self.enabled)

    def __exit__(self, *exc: object) -> None:
        _set_grad_enabled(self._saved.pop())

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


_GC_LOCK = threading.Lock()
_GC_PAUSES = 0  # how many gc_paused() blocks are open, in any thread
_GC_WAS_ENABLED = False


@contextlib.contextmanager
def gc_paused() -> Any:
    """Pause Python's cyclic garbage collector while building and differentiating a big graph.

    A scalar graph holds no reference cycles, so reference counting frees it the moment the
    step is done; the cyclic collector would only rescan every live node again and again while
    the graph grows (a large share of a training step's time). Pausing is process-wide, so the
    collector comes back when the last open ``gc_paused()`` block in any thread closes, and
    only if it was on before.
    """
    global _GC_PAUSES, _GC_WAS_ENABLED
    with _GC_LOCK:
        if _GC_PAUSES == 0:
            _GC_WAS_ENABLED = gc.isenabled()
            gc.disable()
        _GC_PAUSES += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_PAUSES -= 1
            if _GC_PAUSES == 0 and _GC_WAS_ENABLED:
                gc.enable()


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


