"""``minitorch-train`` for image configs: train a conv net headless from a JSON file.

    minitorch-train digits_cnn.json --epochs 5 --export cnn.pt --save-experiment run.json

The file is an image config (written by the image playground's "Save" or by hand: a
``dataset`` in digits/shapes/folder and a ``layers`` list) or an image experiment, which
resumes training. ``minitorch.cli`` hands such files here; flags override the file. Bad
input prints one line ``minitorch-train: error: ...`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

PROG = "minitorch-train"
EXIT_BAD_ARGS = 2
EXIT_DIVERGED = 1


def wants_image_trainer(argv: Sequence[str] | None) -> bool:
    """True when the first argument that is not a flag is an image config or experiment JSON file."""
    args = list(sys.argv[1:] if argv is None else argv)
    path = next((a for a in args if not a.startswith("-")), None)
    from .image_trainer import is_image_file

    return path is not None and is_image_file(path)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_ARGS, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Train an image conv net from an image config or experiment JSON file.")
    parser.add_argument("config", help="an image config or experiment JSON file")
    parser.add_argument("--epochs", type=int, help="train this many epochs (default 5 unless --steps is given)")
    parser.add_argument("--steps", type=int, help="train this many minibatch steps")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--batch-size", type=int, dest="batch_size")
    parser.add_argument("--optimizer")
    parser.add_argument("--dtype")
    parser.add_argument("--device", help="cpu (default) or cuda (needs CuPy and a GPU)")
    parser.add_argument("--export", action="append", default=[], metavar="PATH",
                        help="save the weights (.json, .safetensors or .pt); may be repeated")
    parser.add_argument("--save-experiment", dest="save_experiment", metavar="PATH")
    parser.add_argument("--save-config", dest="save_config", metavar="PATH")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--json", action="store_true", help="print the final metrics as one JSON line")
    return parser


def _make_trainer(args: argparse.Namespace) -> Any:
    from ..images import decode_with_pillow
    from .image_trainer import ImageTrainConfig, ImageTrainer, load_image_experiment

    changes = {name: getattr(args, name) for name in ("seed", "lr", "batch_size", "optimizer", "dtype", "device")
               if getattr(args, name) is not None}
    if changes:
        return ImageTrainer(ImageTrainConfig.load(args.config).copy(**changes), decode=decode_with_pillow)
    return load_image_experiment(args.config, decode=decode_with_pillow)


def main(argv: Sequence[str] | None = None) -> int:
    from ..errors import MinitorchError
    from .image_trainer import export_weights, limit_blas_threads, save_image_experiment

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.steps is not None and args.steps < 0 or args.epochs is not None and args.epochs < 0:
        parser.error("--steps and --epochs must be >= 0")
    for path in args.export:
        if os.path.splitext(path)[1].lower() not in (".json", ".safetensors", ".pt"):
            parser.error(f"--export {path}: unknown format; use .json, .safetensors or .pt")
    limit_blas_threads()
    try:
        trainer = _make_trainer(args)
    except (MinitorchError, ValueError, ImportError, OSError) as exc:
        parser.error(str(exc).splitlines()[0])
    data, cfg = trainer.data, trainer.config
    per_epoch = max(1, len(data.y_train) // cfg.batch_size)
    steps = args.steps if args.steps is not None else (args.epochs if args.epochs is not None else 5) * per_epoch
    say = (lambda text: None) if args.quiet or args.json else print
    say(f"{PROG}: {data.name} ({len(data.y_train)} train / {len(data.y_test)} test, "
        f"{'x'.join(map(str, data.image_shape))}), {len(trainer.spec.layers)} layers, "
        f"{trainer.spec.num_parameters():,} parameters, {cfg.optimizer} lr={cfg.lr:g}, batch {cfg.batch_size}, "
        f"{cfg.dtype} on {cfg.device}")
    started = time.perf_counter()
    every = max(1, steps // 10)
    done = [0]

    def progress(metrics: dict[str, Any]) -> None:
        done[0] += 1
        if done[0] % every == 0 or done[0] == steps:
            say(f"step {done[0]}/{steps}  epoch {metrics['epoch']}  loss {metrics['train_loss']:.4f}")

    trainer.run(steps, callback=progress)
    elapsed = time.perf_counter() - started
    metrics = trainer.evaluate()
    summary = {"steps": trainer.step_count, "epoch": trainer.epoch, **metrics, "seconds": round(elapsed, 3),
               "steps_per_second": steps / elapsed if elapsed > 0 else None, "diverged": trainer.diverged}
    if args.json:
        print(json.dumps(summary))
    else:
        say(f"steps {trainer.step_count}  epoch {trainer.epoch}  test loss {metrics['test_loss']:.4f}  "
            f"test acc {metrics['test_acc']:.4f}  ({elapsed:.1f} s)")
    try:
        for path in args.export:
            export_weights(trainer, path)
            say(f"weights saved to {path}")
        if args.save_experiment:
            save_image_experiment(trainer, args.save_experiment)
            say(f"experiment saved to {args.save_experiment}")
        if args.save_config:
            trainer.config.save(args.save_config)
            say(f"config saved to {args.save_config}")
    except (OSError, ValueError, ImportError) as exc:
        print(f"{PROG}: error: could not save: {exc}", file=sys.stderr)
        return EXIT_BAD_ARGS
    if trainer.diverged:
        print(f"{PROG}: training diverged: {trainer.diverged}", file=sys.stderr)
        return EXIT_DIVERGED
    return 0
