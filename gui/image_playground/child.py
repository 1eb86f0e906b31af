"""The image playground's child process: ``python -m gui.image_playground.child FD image``.

It runs `minitorch.live.image_session.ImageSession` as ``python -m minitorch.live.process FD
image`` would, with one difference: the images of a folder data set are decoded by Qt (PNG
and JPEG, no Pillow needed), as the desktop app always did. Qt's image classes load only when
a folder is read, so the child starts as quickly as the Qt-free one.
"""

from __future__ import annotations

import functools
import sys

import numpy as np


def qt_decode(path: str) -> np.ndarray:
    """A PNG/JPEG file as a 2-D grey array in [0, 1], decoded by Qt (no application object needed)."""
    from PySide6.QtGui import QImage

    image = QImage(path)
    if image.isNull():
        raise ValueError("not a readable PNG or JPEG image")
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = grey.width(), grey.height(), grey.bytesPerLine()
    buffer = np.frombuffer(grey.constBits(), dtype=np.uint8, count=stride * height).reshape(height, stride)
    return buffer[:, :width].astype(np.float64) / 255.0


def main(argv: list[str] | None = None) -> int:
    from minitorch.live import process
    from minitorch.live.image_session import ImageFrameEncoder, ImageSession
    from minitorch.training.image_trainer import limit_blas_threads

    limit_blas_threads()  # a small conv net's products gain nothing from BLAS threads; the window needs a core
    return process.main(argv, functools.partial(ImageSession, decode=qt_decode), ImageFrameEncoder)


if __name__ == "__main__":
    sys.exit(main())
