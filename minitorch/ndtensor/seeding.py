"""minitorch's random numbers: one seed (`manual_seed`) for every device and both engines.

`generator` hands out the numpy Generator behind ``randn``/``rand``/``randint``, the layers'
initialisation and Dropout. The CuPy Generator (Dropout on "cuda") is made on first use from
the last seed, so seeding never imports CuPy.
"""

from __future__ import annotations

import numbers
import random
from typing import Any

import numpy as np

from ..errors import TensorTypeError

__all__ = ["manual_seed", "generator"]

_cpu_generator = np.random.default_rng()
_seed: int | None = None
_cuda_generator: Any = None


def manual_seed(seed: int) -> None:
    """Seed minitorch's random numbers on every device, as ``torch.manual_seed`` does.

    That is n-d initialisation, randn, Dropout (on the CPU and the GPU), and the scalar MLP's `random`.
    """
    global _cpu_generator, _seed, _cuda_generator
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TensorTypeError(f"manual_seed expects an integer, got {seed!r}")
    _cpu_generator = np.random.default_rng(int(seed))
    _seed = int(seed)
    _cuda_generator = None
    random.seed(int(seed))


def generator(xp: Any = np) -> Any:
    """The Generator for minitorch's random numbers on numpy (default) or CuPy (reseeded by `manual_seed`)."""
    global _cuda_generator
    if xp is np:
        return _cpu_generator
    if _cuda_generator is None:
        _cuda_generator = xp.random.default_rng(_seed)
    return _cuda_generator
