"""Exceptions raised by minitorch, each naming the problem it reports.

They subclass the built-in exception a Python user would expect (ValueError,
TypeError, ZeroDivisionError), so existing ``except`` clauses keep working.
"""


class MinitorchError(Exception):
    """Base class for every error minitorch raises on purpose."""


class TensorTypeError(MinitorchError, TypeError):
    """A value of the wrong type was given (e.g. ``Tensor("abc")``)."""


class DomainError(MinitorchError, ValueError):
    """A math function was called outside its domain (e.g. ``log(-1)``)."""


class DivisionByZeroError(MinitorchError, ZeroDivisionError):
    """A division (or a negative power) by exactly zero."""


class ShapeError(MinitorchError, ValueError):
    """Shapes that cannot be combined (matmul, broadcasting, state_dict)."""


class DeviceError(MinitorchError, ValueError):
    """An unknown or unavailable device was requested."""


class DimensionError(ShapeError, IndexError):
    """A ``dim`` argument out of range for the tensor (an IndexError, as in PyTorch)."""


def mixed_engines_error(where: str) -> TensorTypeError:
    """The one message for mixing a scalar-engine ``Scalar`` with an n-d ``minitorch.Tensor``.

    Both engines raise this error, so a learner who mixes them reads the same explanation
    whichever operand came first; ``where`` names the operation (e.g. ``"operand of +"``).
    """
    return TensorTypeError(
        f"{where}: cannot mix a Scalar and an n-d Tensor. minitorch.engine.Scalar is the scalar "
        "engine (one number per graph node); minitorch.Tensor, made by minitorch.tensor(...), is the "
        "n-d engine (one array per node). Convert one side: minitorch.tensor(s.data) turns a Scalar s "
        "into a Tensor, Scalar(t.item()) turns a one-element Tensor t into a Scalar"
    )
