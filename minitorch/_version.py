"""The package version, in one place for the package and the files it writes."""

__version__ = "0.1.0"
