"""Keep a trained model when only the way it is trained changes.

A new `Trainer` is built for every structural change of the configuration. When the change
leaves the data, the network and the loss as they were (another engine, optimizer, dtype,
schedule...), `carry_over` moves the old trainer's weights, step counter and history into
the new one: both engines read and write the same torch-style state_dict, so a network
trained with one continues with the other. The optimizer starts with fresh moments.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CARRY_OVER_FIELDS", "carry_over", "changed_fields"]

# Fields whose change keeps the weights: how the model is trained or run, not what it is.
CARRY_OVER_FIELDS = frozenset({
    "engine", "optimizer", "lr", "momentum", "weight_decay", "betas", "l1", "l2", "batch_size",
    "lr_schedule", "lr_step_size", "lr_gamma", "lr_t_max", "dtype", "device", "eval_every",
})
_SPOKEN = {"engine": "engine", "optimizer": "optimizer", "dtype": "precision", "device": "device",
           "lr_schedule": "learning-rate schedule", "lr_step_size": "learning-rate schedule",
           "lr_gamma": "learning-rate schedule", "lr_t_max": "learning-rate schedule", "lr": "learning rate",
           "momentum": "momentum", "weight_decay": "weight decay", "betas": "Adam betas",
           "l1": "regularisation", "l2": "regularisation",
           "batch_size": "batch size", "eval_every": "evaluation interval"}


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """Names of the config fields that differ between two config dicts."""
    return {k for k in set(old) | set(new) if old.get(k) != new.get(k)}


def carry_over(old: Any, new: Any) -> str | None:
    """Give ``new`` the weights, step counter and history of ``old`` when only training settings changed.

    Returns a sentence saying what carried over, or None (and leaves ``new`` untouched) when
    the data, network or loss differ, or when there is no ``old``.
    """
    if old is None:
        return None
    changed = changed_fields(old.config.to_dict(), new.config.to_dict())
    if not changed or not changed <= CARRY_OVER_FIELDS:
        return None
    state = old.state_dict()
    if {k: v.shape for k, v in state.items()} != {k: v.shape for k, v in new.state_dict().items()}:
        return None
    new.load_state_dict(state)
    new.restore_history(old.history, old.epoch)
    spoken = sorted({_SPOKEN.get(name, name) for name in changed})
    what = " and ".join(spoken) if len(spoken) <= 2 else ", ".join(spoken[:-1]) + " and " + spoken[-1]
    progress = f", step {new.step_count:,} and the loss history" if new.step_count else ""
    note = f"New {what}: kept the trained weights{progress}"
    if "optimizer" in changed or "engine" in changed:
        note += "; the optimizer starts with fresh moments"
    return note + "."
