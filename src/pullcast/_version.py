"""The package version (layer 0: importable from anywhere without import cycles)."""

__version__ = "0.1.0"
