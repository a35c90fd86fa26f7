"""PyTorch implementations. Mirrors :mod:`companion.keras` (same names for the same models)."""
from .training import History, fit, to_device  # noqa: F401
