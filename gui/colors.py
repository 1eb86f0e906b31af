"""The playground's colours: the TensorFlow Playground's orange/blue diverging map.

Negative values are orange, zero is a light grey, positive values are blue. Everything
here is plain numpy plus Qt colour objects, so views can turn an array of neuron
outputs into pixels without any per-pixel Python.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage

# The three anchor colours (RGB) of the diverging map.
ORANGE = (245, 147, 34)
NEUTRAL = (232, 234, 235)
BLUE = (8, 119, 189)
# Text/accent colours used by the style sheet and the plots.
TEXT = (60, 64, 67)
TRAIN_CURVE = (55, 55, 55)
TEST_CURVE = (160, 160, 160)
ACCURACY_CURVE = (8, 119, 189)

# Distinct colours for more than two classes (orange and blue first, as for two classes).
CLASS_COLORS = (
    ORANGE,
    BLUE,
    (46, 160, 67),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)


def qcolor(rgb: tuple[int, int, int], alpha: int = 255) -> QColor:
    """A QColor from an (r, g, b) tuple."""
    return QColor(rgb[0], rgb[1], rgb[2], alpha)


def diverging_lut(size: int = 257) -> np.ndarray:
    """A (size, 3) uint8 lookup table running orange -> grey -> blue (odd size: zero is exactly grey)."""
    t = np.linspace(-1.0, 1.0, size)[:, None]
    orange = np.array(ORANGE, dtype=float)
    neutral = np.array(NEUTRAL, dtype=float)
    blue = np.array(BLUE, dtype=float)
    # Interpolate each half separately so zero lands exactly on the neutral grey.
    lower = neutral + (orange - neutral) * np.clip(-t, 0.0, 1.0)
    upper = neutral + (blue - neutral) * np.clip(t, 0.0, 1.0)
    rgb = np.where(t < 0, lower, upper)
    return np.round(rgb).astype(np.uint8)


_LUT = diverging_lut()


def diverging_rgb(values: np.ndarray, levels: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Map values to (..., 3) uint8 colours; ``levels`` gives the orange and blue ends.

    NaN and infinite values (a diverged model) map to the neutral grey rather than raising.
    """
    low, high = levels
    span = high - low if high > low else 1.0
    scaled = (np.asarray(values, dtype=float) - low) / span
    scaled = np.nan_to_num(scaled, nan=0.5, posinf=1.0, neginf=0.0)
    index = np.clip(np.round(scaled * (len(_LUT) - 1)), 0, len(_LUT) - 1).astype(np.intp)
    return _LUT[index]


def symmetric_levels(values: np.ndarray, floor: float = 1e-6) -> tuple[float, float]:
    """(-m, m) where m is the largest finite |value|, so zero stays grey."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    m = float(np.max(np.abs(finite))) if finite.size else 1.0
    m = max(m, floor)
    return (-m, m)


def heatmap_image(grid: np.ndarray, levels: tuple[float, float] = (-1.0, 1.0)) -> QImage:
    """A QImage of a (rows, cols) grid, row 0 at the *bottom* (y grows upwards as in a plot).

    The returned image owns its pixels (copied), so the numpy buffer may be freed.
    """
    rgb = diverging_rgb(grid, levels)[::-1]  # flip rows: image row 0 is the top edge
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()
