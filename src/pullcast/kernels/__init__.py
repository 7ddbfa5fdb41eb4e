"""Numba kernels over grouped arrays ``(data, indptr)``."""
