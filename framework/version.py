"""The framework version, written into every model archive."""

__version__ = "0.1.0"
