"""The Qt-free training toolkit: `TrainConfig` (what to train) and `Trainer` (how), used by the
GUI, the CLI and the tests alike. See docs/training.md."""

from .backends import ModelBackend, ScalarBackend, TrainingSpec
from .config import ENGINES, OPTIMIZERS, TrainConfig
from .experiment import load_experiment, save_experiment
from .losses import LOSSES, Loss
from .tensor_backend import TensorBackend
from .trainer import BACKENDS, Snapshot, Trainer, TrainingDivergedError

__all__ = [
    "TrainConfig",
    "Trainer",
    "Snapshot",
    "save_experiment",
    "load_experiment",
    "TrainingDivergedError",
    "TrainingSpec",
    "ModelBackend",
    "ScalarBackend",
    "TensorBackend",
    "BACKENDS",
    "LOSSES",
    "Loss",
    "OPTIMIZERS",
    "ENGINES",
]
