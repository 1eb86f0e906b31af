"""The image playground: build a small conv net from blocks and watch it learn images, live."""

from .tab import ImagePlayground, LazyImagePlayground

__all__ = ["ImagePlayground", "LazyImagePlayground"]
