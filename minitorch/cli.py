"""``minitorch-train``: train a network from a config file and/or flags, with a live progress bar.

    minitorch-train --dataset moons --layers 16,16 --activation relu --optimizer adam \\
        --lr 0.01 --steps 500 --export model.json
    minitorch-train assets/examples/spiral.json --steps 2000 --save-experiment run.json

Flags override the config file. Bad arguments print one line ``minitorch-train: error: ...``
and exit with status 2; a run that diverges exits with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from .errors import MinitorchError

PROG = "minitorch-train"
EXIT_BAD_ARGS = 2
EXIT_DIVERGED = 1


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage dump) and exit with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_ARGS, f"{self.prog}: error: {message}\n")


def _int_list(text: str) -> list[int]:
    text = text.strip()
    if not text:
        return []
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 16,16, got {text!r}") from None
    return values


def _name_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .activations import SCALAR_ACTIVATIONS
    from .datasets import DATASETS
    from .training.config import DTYPES, ENGINES, LOSSES, OPTIMIZERS

    parser = _Parser(prog=PROG, description="Train a minitorch network (the playground's trainer, headless).")
    parser.add_argument("config", nargs="?", help="a config or experiment JSON file (flags override it)")
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", choices=list(DATASETS))
    data.add_argument("--n-samples", type=int, dest="n_samples")
    data.add_argument("--noise", type=_finite)
    data.add_argument("--test-fraction", type=_finite, dest="test_fraction")
    data.add_argument("--seed", type=int)
    data.add_argument("--csv", dest="csv_path", help="CSV file for --dataset csv")
    data.add_argument("--label-column", dest="label_column", help="name or 0-based index of the label column")
    data.add_argument("--features", type=_name_list, help="e.g. x1,x2,x1^2,sin(x1)")
    net = parser.add_argument_group("network")
    net.add_argument("--layers", type=_int_list, dest="hidden_layers", help="hidden layer widths, e.g. 16,16")
    net.add_argument("--activation", choices=list(SCALAR_ACTIVATIONS))
    net.add_argument("--output-activation", choices=list(SCALAR_ACTIVATIONS), dest="output_activation")
    net.add_argument("--engine", choices=list(ENGINES))
    net.add_argument("--dtype", choices=list(DTYPES), help="the tensor engine's float type (default float64)")
    net.add_argument("--device", help="the tensor engine's device: cpu (default) or cuda (needs CuPy)")
    train = parser.add_argument_group("training")
    train.add_argument("--loss", choices=list(LOSSES))
    train.add_argument("--optimizer", choices=list(OPTIMIZERS))
    train.add_argument("--lr", type=_finite)
    train.add_argument("--momentum", type=_finite)
    train.add_argument("--weight-decay", type=_finite, dest="weight_decay")
    train.add_argument("--batch-size", type=int, dest="batch_size")
    train.add_argument("--l2", type=_finite)
    train.add_argument("--steps", type=int, default=500, help="training steps (default 500)")
    out = parser.add_argument_group("output")
    out.add_argument("--export", action="append", default=[], metavar="PATH",
                     help="save the weights (.json, .safetensors or .pt); may be repeated")
    out.add_argument("--save-experiment", dest="save_experiment", metavar="PATH",
                     help="save config + weights + history as one JSON file")
    out.add_argument("--save-config", dest="save_config", metavar="PATH", help="save the resolved config as JSON")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    out.add_argument("--json", action="store_true", help="print the final metrics as one JSON line")
    return parser


_CONFIG_FLAGS = ("dataset", "n_samples", "noise", "test_fraction", "seed", "csv_path", "label_column", "features",
                 "hidden_layers", "activation", "output_activation", "engine", "dtype", "device", "loss", "optimizer",
                 "lr", "momentum", "weight_decay", "batch_size", "l2")


def _make_trainer(args: argparse.Namespace) -> Any:
    from .training import TrainConfig, Trainer, load_experiment

    changes = {name: getattr(args, name) for name in _CONFIG_FLAGS if getattr(args, name) is not None}
    label = changes.get("label_column")
    if isinstance(label, str) and label.isascii() and label.isdigit():  # "2" is an index, "²" a name
        changes["label_column"] = int(label)
    if args.config:
        if not os.path.exists(args.config):
            raise ValueError(f"config file not found: {args.config}")
        trainer = load_experiment(args.config)
        if not changes:
            return trainer
        base = trainer.config
    else:
        base = TrainConfig()
    if "dataset" in changes and changes["dataset"] in ("sine", "plane", "multi_gaussian") and "loss" not in changes:
        changes["loss"] = "mse"  # regression sets need a regression loss
    if changes.get("dataset") == "spiral3" and "loss" not in changes:
        changes["loss"] = "cross_entropy"
    return Trainer(base.copy(**changes))


def _output_paths(args: argparse.Namespace) -> list[str]:
    return [*args.export, *(p for p in (args.save_experiment, args.save_config) if p)]


def _check_output_path(path: str) -> None:
    """Refuse before training an output that can never be written (a folder, a missing folder)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"{path} is a folder; give a file name to save to")
    if not os.path.isdir(folder):
        raise ValueError(f"cannot save {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"cannot save {path}: the folder {folder} is not writable")


def _export(trainer: Any, args: argparse.Namespace, console: Any) -> None:
    from . import io
    from .training import save_experiment

    for path in args.export:
        io.save(trainer, path)
        console.print(f"weights saved to {path}")
    if args.save_experiment:
        save_experiment(trainer, args.save_experiment)
        console.print(f"experiment saved to {args.save_experiment}")
    if args.save_config:
        trainer.config.save(args.save_config)
        console.print(f"config saved to {args.save_config}")


class _PlainConsole:
    """Used when rich is not installed: plain prints, a progress line every tenth of the run."""

    def __init__(self, stderr: bool, quiet: bool) -> None:
        self.file = sys.stderr if stderr else sys.stdout
        self.quiet = quiet

    def print(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.file)


def _make_console(args: argparse.Namespace) -> Any:
    quiet = args.quiet and not args.json
    try:
        from rich.console import Console
    except ImportError:
        return _PlainConsole(stderr=args.json, quiet=quiet)
    return Console(stderr=args.json, quiet=quiet, soft_wrap=True, highlight=False)


@contextlib.contextmanager
def _progress(console: Any, total: int, disable: bool) -> Iterator[Callable[[str], None]]:
    """A progress bar with the live loss; yields ``advance(loss_text)``."""
    if isinstance(console, _PlainConsole):
        done = [0]
        every = max(1, total // 10)

        def advance_plain(loss: str) -> None:
            done[0] += 1
            if not disable and (done[0] % every == 0 or done[0] == total):
                console.print(f"step {done[0]}/{total}  loss {loss}")

        yield advance_plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn(), console=console,
                  disable=disable) as progress:
        task = progress.add_task("training", total=total, loss="-")
        yield lambda loss: progress.update(task, advance=1, loss=loss)


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}"


def _one_line(exc: BaseException) -> str:
    """An exception as one line of text (KeyError quotes its message; MemoryError may have none)."""
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    lines = str(message).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# What bad input (arguments, files, configs, data) can raise; anything else is a bug and shows its traceback.
_INPUT_ERRORS = (MinitorchError, ValueError, KeyError, ImportError, OSError, MemoryError)
# What saving can raise besides those: torch reports a full disk as RuntimeError.
_SAVE_ERRORS = (*_INPUT_ERRORS, RuntimeError)


def main(argv: Sequence[str] | None = None) -> int:
    from .training.image_cli import main as image_main
    from .training.image_cli import wants_image_trainer

    if wants_image_trainer(argv):  # an image config: a conv net on images (see training/image_cli.py)
        return image_main(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.steps < 0:
        parser.error(f"--steps must be >= 0, got {args.steps}")
    for path in args.export:
        ext = os.path.splitext(path)[1].lower()
        if ext not in (".json", ".safetensors", ".pt"):
            parser.error(f"--export {path}: unknown format {ext or '(no extension)'!r}; use .json, .safetensors or .pt")
    try:
        for path in _output_paths(args):
            _check_output_path(path)
        trainer = _make_trainer(args)
    except _INPUT_ERRORS as exc:
        parser.error(_one_line(exc))

    console = _make_console(args)
    cfg = trainer.config
    console.print(f"minitorch-train: {cfg.dataset} ({len(trainer.data.x_train)} train / "
                  f"{len(trainer.data.x_test)} test), MLP{tuple(trainer.spec.sizes)} {cfg.activation}, "
                  f"{cfg.loss}, {cfg.optimizer} lr={cfg.lr:g}, batch {cfg.batch_size}, {cfg.engine} engine"
                  + (f" ({cfg.dtype}, {cfg.device})" if cfg.engine == "tensor" else ""))
    started = time.perf_counter()
    with _progress(console, args.steps, disable=args.quiet) as advance:
        trainer.run(args.steps, callback=lambda m: advance(_fmt(m.get("train_loss", m.get("loss")))))
    elapsed = time.perf_counter() - started
    metrics = trainer.evaluate()
    summary = {"steps": trainer.step_count, "epoch": trainer.epoch, **metrics,
               "steps_per_second": trainer.step_count / elapsed if elapsed > 0 else None,
               "diverged": trainer.diverged}
    if args.json:
        print(json.dumps(summary))
    else:
        console.print(f"steps {trainer.step_count}  epoch {trainer.epoch}  train loss {_fmt(metrics['train_loss'])}  "
                      f"test loss {_fmt(metrics['test_loss'])}  train acc {_fmt(metrics['train_acc'])}  "
                      f"test acc {_fmt(metrics['test_acc'])}  ({summary['steps_per_second'] or 0:.1f} steps/s)")
    try:
        _export(trainer, args, console)
    except _SAVE_ERRORS as exc:
        print(f"{PROG}: error: could not save: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_ARGS
    if trainer.diverged:
        print(f"{PROG}: {trainer.diverged}", file=sys.stderr)
        return EXIT_DIVERGED
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
