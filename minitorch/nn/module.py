"""`Module`: the base class of every model, scalar or n-dimensional, as in ``torch.nn.Module``.

Assigning a parameter or a sub-module as an attribute registers it, so
``parameters()``, ``named_parameters()``, ``children()``, ``state_dict()`` and
``load_state_dict()`` find it with PyTorch's dotted key names ("0.weight", "fc.bias").

A parameter is any object with ``_is_parameter = True`` (the n-d ``Parameter`` class), or
a `Scalar` registered with ``register_parameter`` (the scalar models `Neuron`, `Layer`,
`MLP`, whose every weight is one number). Device and dtype moves (``to``, ``cpu``,
``cuda``, ``double``, ``float``) all go through one ``_apply``, as in PyTorch.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from .. import backend
from ..engine import Scalar
from ..errors import TensorTypeError
from ..ndtensor import resolve_dtype
from ..ndtensor.dtypes import is_dtype_name
from ._state import assign_state


class Module:
    """Base class: register parameters and sub-modules by assignment; PyTorch's API on top."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # --- registration -------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"call super().__init__() in {type(self).__name__}.__init__ before assigning {name!r}")
        was_buffer = name in self._buffers
        was_scalar_parameter = isinstance(self._parameters.get(name), Scalar)
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        if isinstance(value, Module):
            self._modules[name] = value
        elif getattr(value, "_is_parameter", False) or (was_scalar_parameter and isinstance(value, Scalar)):
            self._parameters[name] = value  # neuron.bias = Scalar(0.5) replaces the parameter
        elif was_buffer:  # assigning to a buffer (e.g. bn.running_mean = ...) keeps it a buffer, as in torch
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Any) -> None:
        """Register ``param`` (or None, for an absent bias) under ``name``."""
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, value: Any) -> None:
        """A non-trainable array saved in the state_dict (e.g. BatchNorm's running mean)."""
        self._buffers[name] = value
        object.__setattr__(self, name, value)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # --- traversal ----------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, module in self.named_children():
            yield from module.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(dotted name, parameter) pairs, own parameters first, then each child's, in order."""
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix):
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self) -> list[Any]:
        return [param for _, param in self.named_parameters()]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        for module_name, module in self.named_modules(prefix):
            for name, buf in module._buffers.items():
                if buf is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buf

    # --- modes and gradients --------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (Scalars to 0, arrays to None as PyTorch does)."""
        for p in self.parameters():
            p.grad = None if hasattr(p, "shape") else 0

    # --- devices and dtypes ----------------------------------------------------------------
    def _apply(self, fn: Any) -> Module:
        """Replace every parameter's array (and its gradient) and every array buffer by ``fn(array)``.

        The one path for every move and cast, as PyTorch's ``Module._apply``: parameters
        are updated in place, so an optimizer built before ``model.to(...)`` keeps working.
        """
        for module in self.children():
            module._apply(fn)
        for param in self._parameters.values():
            if param is not None:
                param.data = fn(param.data)
                if param.grad is not None:
                    param.grad = fn(param.grad)
        for name, buf in self._buffers.items():
            if buf is not None and hasattr(buf, "dtype"):
                moved = fn(buf)
                self._buffers[name] = moved
                object.__setattr__(self, name, moved)
        return self

    def to(self, *args: Any, device: Any = None, dtype: Any = None) -> Module:
        """Move/cast every n-d parameter and buffer in place: ``to("cuda")``, ``to(dtype="float64")``.

        Integer buffers (BatchNorm's batch counter) keep their dtype, as in PyTorch.
        """
        for arg in args:
            if isinstance(arg, str) and not is_dtype_name(arg):
                device = arg
            else:
                dtype = arg
        target_dtype = resolve_dtype(dtype)
        if target_dtype is not None and target_dtype.kind != "f":
            raise TensorTypeError(f"Module.to only casts to floating-point dtypes, got {target_dtype}")
        target_device = backend.parse_device(device) if device is not None else None  # unknown devices fail first
        if any(isinstance(p, Scalar) for p in self.parameters()):
            if target_device in (None, "cpu") and target_dtype is None:
                return self  # the only move a scalar model can make: it already is on the CPU
            raise TensorTypeError(
                f"{type(self).__name__} is made of scalar Tensors (minitorch.engine.Scalar: Python floats on "
                "the CPU) and cannot be moved or cast; build it from n-d layers (minitorch.nn.Linear, ...) instead"
            )

        def move(array: Any) -> Any:
            moved = backend.to_device(array, target_device or backend.device_of(array))
            if target_dtype is not None and moved.dtype.kind == "f" and moved.dtype != target_dtype:
                moved = moved.astype(target_dtype)
            return moved

        return self._apply(move)

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    def double(self) -> Module:
        return self.to(dtype="float64")

    def float(self) -> Module:
        return self.to(dtype="float32")

    # --- state -------------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, Any]:
        """Copied arrays under PyTorch's dotted names and in its order: each module's parameters,
        then its buffers, then its children's."""
        state: OrderedDict[str, Any] = OrderedDict()
        for module_name, module in self.named_modules():
            prefix = f"{module_name}." if module_name else ""
            for name, param in module._parameters.items():
                if param is not None:
                    state[prefix + name] = param.data.copy() if hasattr(param.data, "copy") else param.data
            for name, buf in module._buffers.items():
                if buf is not None:
                    state[prefix + name] = buf.copy() if hasattr(buf, "copy") else buf
        return state

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> None:
        """Validate everything first, then copy; a bad dict never leaves a half-loaded model."""
        assign_state(self, state_dict, strict)

    # --- calling -------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        children = list(self.named_children())
        if not children:
            return lines[0] + ")"
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


class ModuleList(Module):
    """Sub-modules held in a list and registered as "0", "1", ..., as ``torch.nn.ModuleList``."""

    def __init__(self, modules: Any = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.values())
        return ModuleList(items[index]) if isinstance(index, slice) else items[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._modules.values()))
