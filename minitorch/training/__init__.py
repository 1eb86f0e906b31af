"""The Qt-free training toolkit: `TrainConfig` (what to train) and `Trainer` (how), used by the
GUI, the CLI and the tests alike. See docs/training.md."""

from .backends import BACKENDS, ModelBackend, ModelSpec, ScalarBackend, register_backend
from .config import ENGINES, LOSSES, OPTIMIZERS, TrainConfig
from .experiment import load_experiment, save_experiment
from .trainer import Snapshot, Trainer, TrainingDivergedError

__all__ = [
    "TrainConfig",
    "Trainer",
    "Snapshot",
    "save_experiment",
    "load_experiment",
    "TrainingDivergedError",
    "ModelBackend",
    "ModelSpec",
    "ScalarBackend",
    "BACKENDS",
    "register_backend",
    "LOSSES",
    "OPTIMIZERS",
    "ENGINES",
]
