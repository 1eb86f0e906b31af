"""The image playground: build a small conv net from blocks and watch it learn images, live."""

from __future__ import annotations

from typing import Any

__all__ = ["ImagePlayground", "LazyImagePlayground"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that the training child (`gui.image_playground.child`) does not
    # load the widgets and pyqtgraph.
    if name in __all__:
        from . import tab

        return getattr(tab, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
