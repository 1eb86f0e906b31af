"""A character-level transformer (a tiny GPT) trained with minitorch and with PyTorch from the same weights.

    python examples/tiny_gpt.py [--steps 800] [--compare-steps 50] [--seed 0] [--no-torch]

The model is written ONCE, against PyTorch's API: ``define_model(torch)`` returns the classes
for whichever library it is given, so ``define_model(minitorch)`` and ``define_model(torch)``
run the very same source. Token and position embeddings, pre-LayerNorm blocks of causal
self-attention (a mask above the diagonal) and a GELU MLP, a final LayerNorm and a linear
head, trained with AdamW on next-character cross-entropy over a small bundled text.

1. Agreement: both libraries start from the same weights (minitorch's, loaded into torch) and
   see the same batches in float64; the first ``--compare-steps`` losses are printed side by
   side with their largest difference (below 1e-6).
2. Training: minitorch alone, in float32, for ``--steps`` steps; then it writes a sample.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path
from typing import Any

# These matrices are small (512 x 64): one BLAS thread is fastest, and it keeps a shared CPU usable.
# Set before numpy loads; an explicit OPENBLAS_NUM_THREADS / OMP_NUM_THREADS wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

import minitorch  # noqa: E402

TEXT_PATH = Path(__file__).resolve().parents[1] / "assets" / "data" / "tiny_text.txt"


def define_model(torch: Any) -> type:
    """The TinyGPT class for ``torch`` (the module ``torch`` or ``minitorch``): one source, two libraries."""
    nn, F = torch.nn, torch.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self, n_embd: int, n_head: int, block_size: int) -> None:
            super().__init__()
            self.n_head = n_head
            self.qkv = nn.Linear(n_embd, 3 * n_embd)
            self.proj = nn.Linear(n_embd, n_embd)
            self.future = torch.ones(block_size, block_size).tril() == 0  # True above the diagonal

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(x).split(C, dim=2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, heads, T, head size)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1]))
            att = att.masked_fill(self.future[:T, :T], float("-inf"))  # no peeking at later characters
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.proj(y)

    class Block(nn.Module):
        def __init__(self, n_embd: int, n_head: int, block_size: int) -> None:
            super().__init__()
            self.ln1 = nn.LayerNorm(n_embd)
            self.attn = CausalSelfAttention(n_embd, n_head, block_size)
            self.ln2 = nn.LayerNorm(n_embd)
            self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class TinyGPT(nn.Module):
        def __init__(self, vocab_size: int, block_size: int = 32, n_embd: int = 64, n_head: int = 4,
                     n_layer: int = 2) -> None:
            super().__init__()
            self.block_size = block_size
            self.tok_emb = nn.Embedding(vocab_size, n_embd)
            self.pos_emb = nn.Embedding(block_size, n_embd)
            self.blocks = nn.Sequential(*[Block(n_embd, n_head, block_size) for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)
            self.head = nn.Linear(n_embd, vocab_size)

        def forward(self, idx, targets=None):
            B, T = idx.shape
            x = self.tok_emb(idx) + self.pos_emb(torch.arange(T))
            logits = self.head(self.ln_f(self.blocks(x)))
            if targets is None:
                return logits, None
            loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
            return logits, loss

    return TinyGPT


def train_steps(model: Any, optimizer: Any, batches: list, torch: Any) -> list[float]:
    """One AdamW step per (inputs, targets) batch; the losses as floats. Identical code for both libraries."""
    losses = []
    for xb, yb in batches:
        _, loss = model(torch.tensor(xb), torch.tensor(yb))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# --- data --------------------------------------------------------------------------------------------
def load_text(path: Path = TEXT_PATH) -> tuple[np.ndarray, list[str]]:
    """The text as int64 character ids, and the vocabulary (sorted characters)."""
    text = path.read_text(encoding="utf-8")
    vocab = sorted(set(text))
    index = {ch: i for i, ch in enumerate(vocab)}
    return np.array([index[ch] for ch in text], dtype=np.int64), vocab


def make_batches(data: np.ndarray, steps: int, batch_size: int, block_size: int, seed: int) -> list:
    """``steps`` random (inputs, next-character targets) pairs of shape (batch_size, block_size)."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(steps):
        starts = rng.integers(0, len(data) - block_size - 1, batch_size)
        xb = np.stack([data[s:s + block_size] for s in starts])
        yb = np.stack([data[s + 1:s + block_size + 1] for s in starts])
        batches.append((xb, yb))
    return batches


# --- the two libraries side by side ----------------------------------------------------------------------
def twin_models(vocab_size: int, config: dict, seed: int) -> tuple[Any, Any]:
    """A minitorch TinyGPT and a torch TinyGPT with the same float64 weights (minitorch's, copied into torch)."""
    import torch  # only this comparison needs PyTorch

    minitorch.manual_seed(seed)
    ours = define_model(minitorch)(vocab_size, **config).double()
    theirs = define_model(torch)(vocab_size, **config).double()
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()}, strict=True)
    return ours, theirs


def compare_with_torch(data: np.ndarray, vocab_size: int, config: dict, steps: int, batch_size: int, lr: float,
                       seed: int) -> tuple[list[float], list[float]]:
    """Train both twins on the same batches in float64; return both loss curves."""
    import torch

    ours, theirs = twin_models(vocab_size, config, seed)
    batches = make_batches(data, steps, batch_size, config["block_size"], seed)
    ours_losses = train_steps(ours, minitorch.optim.AdamW(ours.parameters(), lr=lr), batches, minitorch)
    theirs_losses = train_steps(theirs, torch.optim.AdamW(theirs.parameters(), lr=lr), batches, torch)
    return ours_losses, theirs_losses


def sample(model: Any, vocab: list[str], prompt: str, length: int, seed: int) -> str:
    """Characters drawn one at a time from the model's softmax, continuing ``prompt``."""
    rng = np.random.default_rng(seed)
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = [index[ch] for ch in prompt if ch in index] or [0]
    model.eval()
    with minitorch.no_grad():
        for _ in range(length):
            context = minitorch.tensor(np.array([ids[-model.block_size:]], dtype=np.int64))
            logits, _ = model(context)
            probs = minitorch.nn.functional.softmax(logits[0, -1].double(), dim=-1).numpy()
            ids.append(int(rng.choice(len(vocab), p=probs / probs.sum())))
    model.train()
    return "".join(vocab[i] for i in ids)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=800, help="minitorch training steps (float32)")
    parser.add_argument("--compare-steps", type=int, default=50, help="steps trained by both libraries (float64)")
    parser.add_argument("--no-torch", action="store_true", help="skip the comparison with PyTorch")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--block-size", type=int, default=32)
    parser.add_argument("--n-embd", type=int, default=64)
    parser.add_argument("--n-head", type=int, default=4)
    parser.add_argument("--n-layer", type=int, default=2)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=int, default=300, help="characters to generate at the end")
    args = parser.parse_args(argv)
    if min(args.steps, args.compare_steps, args.batch_size, args.block_size, args.n_layer, args.n_head) < 0:
        parser.error("step counts and sizes must not be negative")
    if args.n_embd % args.n_head:
        parser.error(f"--n-embd ({args.n_embd}) must be divisible by --n-head ({args.n_head})")

    data, vocab = load_text()
    config = dict(block_size=args.block_size, n_embd=args.n_embd, n_head=args.n_head, n_layer=args.n_layer)
    print(f"text: {len(data)} characters, vocabulary of {len(vocab)}; model {config}")

    if not args.no_torch and args.compare_steps:
        start = time.perf_counter()
        ours, theirs = compare_with_torch(data, len(vocab), config, args.compare_steps, args.batch_size, args.lr,
                                          args.seed)
        print(f"\nfloat64, same weights and batches, {args.compare_steps} AdamW steps "
              f"({time.perf_counter() - start:.1f} s for both):")
        print(f"{'step':>5} {'minitorch':>20} {'torch':>20} {'|difference|':>14}")
        for step, (a, b) in enumerate(zip(ours, theirs), start=1):
            if step <= 3 or step % 10 == 0 or step == len(ours):
                print(f"{step:>5} {a:>20.15f} {b:>20.15f} {abs(a - b):>14.2e}")
        print(f"largest difference over {len(ours)} steps: {max(abs(a - b) for a, b in zip(ours, theirs)):.2e}")

    if args.steps:
        minitorch.manual_seed(args.seed)
        model = define_model(minitorch)(len(vocab), **config)
        optimizer = minitorch.optim.AdamW(model.parameters(), lr=args.lr)
        batches = make_batches(data, args.steps, args.batch_size, args.block_size, args.seed + 1)
        print(f"\nminitorch, float32, {args.steps} steps:")
        start, losses = time.perf_counter(), []
        for first in range(0, args.steps, 100):
            losses += train_steps(model, optimizer, batches[first:first + 100], minitorch)
            recent = losses[-min(20, len(losses)):]
            print(f"  step {len(losses):>5}: loss {np.mean(recent):.3f} (mean of the last {len(recent)}), "
                  f"{time.perf_counter() - start:.1f} s")
        print(f"\nsample:\n{sample(model, vocab, 'The ', args.sample, args.seed)}")


if __name__ == "__main__":
    main()
