"""Optimizers and learning-rate schedulers with PyTorch's names, signatures and update formulas.

They work on scalar Tensors (``.data`` a float, ``.grad`` a number) and on n-d parameters
(``.data`` an array, ``.grad`` an array or None; None is skipped, as in PyTorch) alike:
every update is written with ``+ - * / **`` only, which mean the same thing for a float
and for a numpy or CuPy array. Arrays are updated in place (``p.data -= ...``).

The formulas follow the algorithm boxes of ``torch.optim`` line by line (including the
order of operations), so with the same start and the same gradients the trajectories
agree with PyTorch's to ~1e-12 in float64.

The learning rate can be changed between steps, as the playground does live::

    opt.lr = 0.001                       # every parameter group
    opt.param_groups[0]["lr"] = 0.001    # PyTorch's way
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from . import backend

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "LRScheduler", "StepLR", "CosineAnnealingLR"]


def _zeros_like(value: Any) -> Any:
    """0.0 for a float, an array of zeros (same type, dtype and device) for an array."""
    if hasattr(value, "shape"):
        out = value.copy()
        out.fill(0)
        return out
    return 0.0


def _copy(value: Any) -> Any:
    return value.copy() if hasattr(value, "copy") else value


def _sqrt(value: Any) -> Any:
    return value**0.5 if hasattr(value, "shape") else math.sqrt(value)


def _grad_array(param: Any) -> Any:
    """The gradient as a float or an array; a gradient stored as a minitorch tensor gives its array."""
    grad = param.grad
    if grad is not None and type(grad).__module__.startswith("minitorch."):
        grad = grad.data  # never do the update with tensor ops: that would record a graph
    return grad


def _check_nonnegative(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"Invalid {name}: {value!r} (must be a finite number >= 0)")
    return value


class Optimizer:
    """Base class: parameter groups, ``zero_grad()``, the live ``lr`` property and per-parameter state."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if hasattr(params, "shape") or hasattr(params, "data"):
            raise TypeError("params must be an iterable of parameters (e.g. model.parameters()), got one tensor")
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}  # keyed by id(param): scalar Tensors are not hashable by value
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a dict with "params" and optional per-group hyperparameters (as in PyTorch)."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError("a parameter group must be a dict with a 'params' entry")
        group = dict(group)
        group["params"] = list(group["params"])
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate_group(group)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _validate_group(self, group: dict[str, Any]) -> None:
        _check_nonnegative(group["lr"], "learning rate")
        _check_nonnegative(group.get("weight_decay", 0.0), "weight_decay value")

    # --- the live learning rate -------------------------------------------------------------
    @property
    def lr(self) -> float:
        """The learning rate of the first parameter group."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        _check_nonnegative(value, "learning rate")
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: n-d parameters to None (or zeros), scalar Tensors to 0."""
        for group in self.param_groups:
            for p in group["params"]:
                if hasattr(p.data, "shape"):
                    if set_to_none or p.grad is None:
                        p.grad = None
                    else:
                        p.grad = _zeros_like(_grad_array(p))
                else:
                    p.grad = 0

    def _params_with_grad(self, group: dict[str, Any]) -> Iterable[tuple[Any, Any, dict[str, Any]]]:
        for p in group["params"]:
            grad = _grad_array(p)
            if grad is None:
                continue
            yield p, grad, self.state.setdefault(id(p), {})

    def step(self) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and per-parameter state, parameters referred to by position (as PyTorch)."""
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index[id(p)] = len(index)
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[k]: {n: _copy(v) for n, v in s.items()} for k, s in self.state.items() if k in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        groups = state_dict.get("param_groups")
        if not isinstance(groups, list) or len(groups) != len(self.param_groups):
            raise ValueError("optimizer state_dict has a different number of parameter groups")
        params = [p for g in self.param_groups for p in g["params"]]
        for mine, saved in zip(self.param_groups, groups):
            if len(saved.get("params", ())) != len(mine["params"]):
                raise ValueError("optimizer state_dict's parameter groups have different sizes")
        for mine, saved in zip(self.param_groups, groups):
            mine.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {id(params[int(i)]): {n: _copy(v) for n, v in s.items()}
                      for i, s in state_dict.get("state", {}).items()}

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.param_groups[0].items() if k != "params")
        return f"{type(self).__name__}({hyper})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        _check_nonnegative(group["momentum"], "momentum value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def step(self) -> None:
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p, grad, state in self._params_with_grad(group):
                if weight_decay != 0:
                    grad = grad + weight_decay * p.data
                if momentum != 0:
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = _copy(grad)
                    else:
                        buf = buf * momentum + (1 - dampening) * grad
                    state["momentum_buffer"] = buf
                    grad = grad + momentum * buf if nesterov else buf
                if hasattr(grad, "shape"):
                    backend.sgd_update_(p.data, grad, lr)
                else:
                    p.data -= lr * grad


class Adam(Optimizer):
    """Adam (Kingma & Ba), with PyTorch's bias correction and L2-style ``weight_decay``."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        _check_nonnegative(group["eps"], "epsilon value")
        betas = group["betas"]
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Invalid betas: {betas!r} (each must be in [0, 1))")

    _decoupled = False  # AdamW decays the weights directly instead of adding to the gradient

    def step(self) -> None:
        for group in self.param_groups:
            lr, eps, weight_decay, amsgrad = group["lr"], group["eps"], group["weight_decay"], group["amsgrad"]
            beta1, beta2 = group["betas"]
            for p, grad, state in self._params_with_grad(group):
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = _zeros_like(p.data)
                    state["exp_avg_sq"] = _zeros_like(p.data)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(p.data)
                state["step"] += 1
                step = state["step"]
                if weight_decay != 0:
                    if self._decoupled:
                        p.data *= 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * p.data
                exp_avg = state["exp_avg"]
                exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)  # torch's lerp_
                exp_avg_sq = state["exp_avg_sq"] * beta2 + (1 - beta2) * (grad * grad)
                state["exp_avg"], state["exp_avg_sq"] = exp_avg, exp_avg_sq
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = math.sqrt(bias_correction2)
                second = exp_avg_sq
                if amsgrad:
                    previous = state["max_exp_avg_sq"]
                    second = _maximum(previous, second) if hasattr(second, "shape") else max(previous, second)
                    state["max_exp_avg_sq"] = second
                denom = _sqrt(second) / bias_correction2_sqrt + eps
                p.data -= step_size * (exp_avg / denom)


def _maximum(a: Any, b: Any) -> Any:
    """Elementwise maximum for numpy or CuPy arrays without importing either."""
    out = a.copy()
    mask = b > a
    out[mask] = b[mask]
    return out


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p -= lr * weight_decay * p`` first."""

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


class RMSprop(Optimizer):
    """RMSprop as in PyTorch: a running mean of squared gradients, optional momentum and centering."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        _check_nonnegative(group["eps"], "epsilon value")
        _check_nonnegative(group["momentum"], "momentum value")
        if not 0.0 <= group["alpha"] <= 1.0:
            raise ValueError(f"Invalid alpha value: {group['alpha']!r} (must be in [0, 1])")

    def step(self) -> None:
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p, grad, state in self._params_with_grad(group):
                if not state:
                    state["step"] = 0
                    state["square_avg"] = _zeros_like(p.data)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p.data)
                    if centered:
                        state["grad_avg"] = _zeros_like(p.data)
                state["step"] += 1
                if weight_decay != 0:
                    grad = grad + weight_decay * p.data
                square_avg = state["square_avg"] * alpha + (1 - alpha) * (grad * grad)
                state["square_avg"] = square_avg
                if centered:
                    grad_avg = state["grad_avg"]
                    grad_avg = grad_avg + (1 - alpha) * (grad - grad_avg)
                    state["grad_avg"] = grad_avg
                    avg = _sqrt(square_avg - grad_avg * grad_avg) + eps
                else:
                    avg = _sqrt(square_avg) + eps
                if momentum > 0:
                    buf = state["momentum_buffer"] * momentum + grad / avg
                    state["momentum_buffer"] = buf
                    p.data -= lr * buf
                else:
                    p.data -= lr * (grad / avg)


# --- learning-rate schedulers ---------------------------------------------------------------------
def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


class LRScheduler:
    """Base class: ``step()`` once per epoch (or per training step), as in ``torch.optim.lr_scheduler``.

    The schedules are "chainable" like PyTorch's: each step updates the optimizer's current
    lr, so a learning rate changed by hand in between is respected.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not a minitorch Optimizer")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self.step()

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self) -> None:
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = _positive_int(step_size, "step_size")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the base lr to ``eta_min`` over ``T_max`` steps (PyTorch's recursive form)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = _positive_int(T_max, "T_max")
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        t, period = self.last_epoch, self.T_max
        if t == 0:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and t > 0:
            return [self.eta_min + (base - self.eta_min) * (1 + math.cos(t * math.pi / period)) / 2
                    for base in self.base_lrs]
        if (t - 1 - period) % (2 * period) == 0:
            return [group["lr"] + (base - self.eta_min) * (1 - math.cos(math.pi / period)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
                * (group["lr"] - self.eta_min) + self.eta_min for group in groups]
