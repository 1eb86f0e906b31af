"""Image data sets for small conv nets, as numpy arrays of shape (N, 1, H, W) in [0, 1].

- ``digits``: scikit-learn's bundled 8x8 handwritten digits (1797 images, no download).
- ``shapes``: circles, squares, triangles and lines drawn at random positions and sizes,
  with noise, 16x16 or 28x28, generated from a seed (the same seed gives the same images).
- ``folder``: the user's own images, one sub-folder per class; each image is turned grey,
  padded to a square and resized, so mixed sizes are fine.

Decoding PNG/JPEG files needs an image library; this module never imports Qt. It uses
Pillow when installed (``pip install 'pytorch-mini-playground[images]'``); the desktop
playground passes its own Qt-based decoder instead (`load_image_folder(..., decode=...)`).

`center_drawing` turns a drawing (dark background, bright strokes, any size) into an input
at the training resolution: cropped to the strokes, scaled into a box and shifted so the
centre of mass sits at the centre, as MNIST was made.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import MinitorchError

__all__ = [
    "IMAGE_DATASETS", "SHAPE_CLASSES", "SHAPE_SIZES", "IMAGE_EXTENSIONS", "MAX_FOLDER_IMAGES", "ImageDataError",
    "ImageData", "load_digits", "make_shapes", "load_image_folder", "folder_classes", "load_image_data", "resize",
    "center_drawing", "decode_with_pillow",
]

IMAGE_DATASETS = ("digits", "shapes", "folder")
SHAPE_CLASSES = ("circle", "square", "triangle", "line")
SHAPE_SIZES = (16, 28)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
MAX_FOLDER_IMAGES = 20_000  # the most a folder data set may hold (the user's own limit must be lower)
FOLDER_SIZES = (8, 64)  # the smallest and largest side a folder's images are resized to

Decoder = Callable[[str], np.ndarray]


class ImageDataError(MinitorchError, ValueError):
    """An image data set cannot be made: a bad folder, an unreadable file, a bad option."""


@dataclass(frozen=True, eq=False)
class ImageData:
    """Train and test images (N, 1, H, W) float32 in [0, 1] with int64 labels, and the class names."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    name: str

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.x_train.shape[1:])  # type: ignore[return-value]


def _split(images: np.ndarray, labels: np.ndarray, test_fraction: float, seed: int, class_names: tuple[str, ...],
           name: str) -> ImageData:
    if not 0.0 < test_fraction < 1.0:
        raise ImageDataError(f"test_fraction must be between 0 and 1, got {test_fraction!r}")
    order = np.random.default_rng(seed).permutation(len(labels))
    cut = len(labels) - max(1, int(round(test_fraction * len(labels))))
    if cut < 1:
        raise ImageDataError(f"{len(labels)} image(s) are too few to split into train and test sets")
    train, test = order[:cut], order[cut:]
    images = np.ascontiguousarray(images, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    parts = [images[train], labels[train], images[test], labels[test]]
    for part in parts:
        part.setflags(write=False)
    return ImageData(*parts, class_names=class_names, name=name)


# --- scikit-learn's digits -------------------------------------------------------------------------------
def load_digits(test_fraction: float = 0.25, seed: int = 0) -> ImageData:
    """scikit-learn's 1797 8x8 digits, scaled to [0, 1], split at random (seeded)."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImageDataError("the digits data set needs scikit-learn: "
                             "pip install 'pytorch-mini-playground[datasets]'") from None
    digits = sklearn_digits()
    images = (digits.images / 16.0)[:, None, :, :]
    return _split(images, digits.target, test_fraction, seed, tuple(str(d) for d in range(10)), "digits")


# --- generated shapes ------------------------------------------------------------------------------------
_SUPERSAMPLE = 4  # shapes are drawn on a 4x finer grid, then averaged down: smooth edges


def _draw_shape(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One shape, white on black, at a random position and size, antialiased."""
    fine = size * _SUPERSAMPLE
    ys, xs = np.mgrid[0:fine, 0:fine] + 0.5
    ys, xs = ys / _SUPERSAMPLE, xs / _SUPERSAMPLE  # pixel coordinates of the coarse image
    extent = rng.uniform(0.35, 0.8) * size  # the shape's width
    half = extent / 2
    cx, cy = rng.uniform(half + 0.5, size - half - 0.5, size=2)
    if kind == "circle":
        mask = (xs - cx) ** 2 + (ys - cy) ** 2 <= half**2
    elif kind == "square":
        mask = (np.abs(xs - cx) <= half) & (np.abs(ys - cy) <= half)
    elif kind == "triangle":  # upright: apex at the top, base at the bottom
        top, bottom = cy - half, cy + half
        rel = (ys - top) / (bottom - top)
        mask = (rel >= 0) & (rel <= 1) & (np.abs(xs - cx) <= rel * half)
    elif kind == "line":
        angle = rng.uniform(0, math.pi)
        dx, dy = math.cos(angle), math.sin(angle)
        along = (xs - cx) * dx + (ys - cy) * dy
        across = -(xs - cx) * dy + (ys - cy) * dx
        thickness = max(1.0, size / 12)
        mask = (np.abs(along) <= half) & (np.abs(across) <= thickness / 2)
    else:  # pragma: no cover - SHAPE_CLASSES is the only caller's source
        raise ImageDataError(f"unknown shape {kind!r}")
    return mask.reshape(size, _SUPERSAMPLE, size, _SUPERSAMPLE).mean(axis=(1, 3))


def make_shapes(n_samples: int = 2000, size: int = 16, noise: float = 0.1, test_fraction: float = 0.25,
                seed: int = 0) -> ImageData:
    """``n_samples`` images of the four SHAPE_CLASSES (balanced), ``size`` x ``size``, plus Gaussian noise."""
    if size not in SHAPE_SIZES:
        raise ImageDataError(f"shapes are made at {' or '.join(map(str, SHAPE_SIZES))} pixels, got {size!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or not 8 <= n_samples <= MAX_FOLDER_IMAGES:
        raise ImageDataError(f"n_samples must be an integer in [8, {MAX_FOLDER_IMAGES}], got {n_samples!r}")
    if not isinstance(noise, (int, float)) or not 0.0 <= noise <= 1.0:
        raise ImageDataError(f"noise must be in [0, 1], got {noise!r}")
    rng = np.random.default_rng(seed)
    labels = np.arange(n_samples) % len(SHAPE_CLASSES)
    images = np.empty((n_samples, 1, size, size), dtype=np.float32)
    for index, label in enumerate(labels):
        images[index, 0] = _draw_shape(SHAPE_CLASSES[label], size, rng)
    if noise:
        images += rng.normal(0.0, noise, size=images.shape).astype(np.float32)
        np.clip(images, 0.0, 1.0, out=images)
    return _split(images, labels, test_fraction, seed, SHAPE_CLASSES, f"shapes {size}x{size}")


# --- resizing and drawings -----------------------------------------------------------------------------------
def _area_weights(source: int, target: int) -> np.ndarray:
    """(target, source) matrix: each output pixel averages the input pixels it covers."""
    edges = np.linspace(0.0, source, target + 1)
    starts, ends = edges[:-1, None], edges[1:, None]
    left = np.arange(source)[None, :]
    overlap = np.clip(np.minimum(ends, left + 1) - np.maximum(starts, left), 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize a 2-D array by area averaging (smooth when shrinking, blocky when growing)."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2 or min(image.shape) < 1:
        raise ImageDataError(f"resize takes a non-empty 2-D image, got shape {image.shape}")
    rows = _area_weights(image.shape[0], int(shape[0]))
    cols = _area_weights(image.shape[1], int(shape[1]))
    return rows @ image @ cols.T


def _pad_square(image: np.ndarray, fill: float) -> np.ndarray:
    height, width = image.shape
    side = max(height, width)
    out = np.full((side, side), fill, dtype=np.float64)
    top, left = (side - height) // 2, (side - width) // 2
    out[top:top + height, left:left + width] = image
    return out


def center_drawing(canvas: np.ndarray, size: int, fill: float | None = None) -> np.ndarray:
    """A drawing (bright strokes on 0, any size) as a ``size`` x ``size`` input in [0, 1].

    The strokes are cropped, scaled so the longer side spans ``fill`` of the image (default:
    the whole image up to 8 pixels, like scikit-learn's digits; 20/28 above, like MNIST) and
    shifted so their centre of mass is the image's centre. An empty canvas gives zeros.
    """
    canvas = np.asarray(canvas, dtype=np.float64)
    if canvas.ndim != 2:
        raise ImageDataError(f"a drawing must be a 2-D array, got shape {canvas.shape}")
    out = np.zeros((size, size))
    ink = canvas > 0.05 * max(float(canvas.max(initial=0.0)), 1e-12)
    if not canvas.any() or not ink.any():
        return out
    rows, cols = np.nonzero(ink)
    cropped = canvas[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    fill = (1.0 if size <= 8 else 20 / 28) if fill is None else fill
    box = max(1, int(round(fill * size)))
    small = resize(_pad_square(cropped, 0.0), (box, box))
    peak = small.max()
    if peak > 0:
        small = small / peak
    total = small.sum()
    ys, xs = np.indices(small.shape)
    centre_y, centre_x = (ys * small).sum() / total, (xs * small).sum() / total
    top = int(round((size - 1) / 2 - centre_y))
    left = int(round((size - 1) / 2 - centre_x))
    top, left = min(max(top, 0), size - box), min(max(left, 0), size - box)  # keep every stroke inside
    out[top:top + box, left:left + box] = small
    return out


# --- the user's own folder ------------------------------------------------------------------------------------
def decode_with_pillow(path: str) -> np.ndarray:
    """A PNG/JPEG file as a 2-D grey array in [0, 1] (needs Pillow)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImageDataError("reading PNG/JPEG files outside the desktop playground needs Pillow: "
                             "pip install 'pytorch-mini-playground[images]'") from None
    with Image.open(path) as image:
        return np.asarray(image.convert("L"), dtype=np.float64) / 255.0


def folder_classes(path: str | os.PathLike) -> list[tuple[str, list[str]]]:
    """[(class name, sorted image paths)] for each sub-folder of ``path`` (sorted by name).

    Raises ImageDataError when the folder is missing, has fewer than two class sub-folders,
    or a class holds no PNG/JPEG image.
    """
    root = os.fspath(path)
    if not os.path.isdir(root):
        raise ImageDataError(f"image folder not found: {root}")
    classes = []
    for name in sorted(os.listdir(root)):
        sub = os.path.join(root, name)
        if not os.path.isdir(sub) or name.startswith("."):
            continue
        files = sorted(os.path.join(sub, f) for f in os.listdir(sub)
                       if os.path.splitext(f)[1].lower() in IMAGE_EXTENSIONS and os.path.isfile(os.path.join(sub, f)))
        if not files:
            raise ImageDataError(f"class folder {name!r} in {root} holds no PNG or JPEG image")
        classes.append((name, files))
    if len(classes) < 2:
        raise ImageDataError(f"{root} needs at least two sub-folders, one per class, each holding PNG/JPEG images "
                             f"(found {len(classes)})")
    return classes


def load_image_folder(path: str | os.PathLike, size: int = 16, max_images: int = 2000, test_fraction: float = 0.25,
                      seed: int = 0, decode: Decoder | None = None) -> ImageData:
    """The images under ``path/<class>/*.png|jpg|jpeg``, grey, padded square, ``size`` x ``size``.

    ``decode(path)`` returns a 2-D grey array in [0, 1] (default: Pillow). An unreadable file
    raises ImageDataError naming it; more than ``max_images`` files raise before any is read.
    """
    if isinstance(size, bool) or not isinstance(size, int) or not FOLDER_SIZES[0] <= size <= FOLDER_SIZES[1]:
        raise ImageDataError(f"the image size must be an integer in [{FOLDER_SIZES[0]}, {FOLDER_SIZES[1]}], "
                             f"got {size!r}")
    if isinstance(max_images, bool) or not isinstance(max_images, int) or not 2 <= max_images <= MAX_FOLDER_IMAGES:
        raise ImageDataError(f"max_images must be an integer in [2, {MAX_FOLDER_IMAGES}], got {max_images!r}")
    classes = folder_classes(path)
    total = sum(len(files) for _, files in classes)
    if total > max_images:
        raise ImageDataError(f"{os.fspath(path)} holds {total} images, more than the limit of {max_images}; "
                             "raise the limit or use a smaller folder")
    decode = decode or decode_with_pillow
    images = np.empty((total, 1, size, size), dtype=np.float32)
    labels = np.empty(total, dtype=np.int64)
    index = 0
    for label, (_, files) in enumerate(classes):
        for file in files:
            try:
                grey = np.asarray(decode(file), dtype=np.float64)
            except ImageDataError:
                raise
            except Exception as exc:
                raise ImageDataError(f"cannot read {file}: {exc}") from None
            if grey.ndim != 2 or min(grey.shape) < 1 or not np.all(np.isfinite(grey)):
                raise ImageDataError(f"cannot read {file}: not a grey image")
            border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
            images[index, 0] = np.clip(resize(_pad_square(grey, float(np.median(border))), (size, size)), 0, 1)
            labels[index] = label
            index += 1
    return _split(images, labels, test_fraction, seed, tuple(name for name, _ in classes), "folder")


def load_image_data(dataset: str, *, image_size: int = 16, n_samples: int = 2000, noise: float = 0.1,
                    folder: str | None = None, max_images: int = 2000, test_fraction: float = 0.25, seed: int = 0,
                    decode: Decoder | None = None) -> ImageData:
    """One of IMAGE_DATASETS with its options (the others are ignored)."""
    if dataset == "digits":
        return load_digits(test_fraction, seed)
    if dataset == "shapes":
        return make_shapes(n_samples, image_size, noise, test_fraction, seed)
    if dataset == "folder":
        if not folder:
            raise ImageDataError("the folder data set needs the path of a folder of images")
        return load_image_folder(folder, image_size, max_images, test_fraction, seed, decode)
    raise ImageDataError(f"unknown image data set {dataset!r}; choose from {', '.join(IMAGE_DATASETS)}")
