"""Numeric layer: batched kernels, GD iteration, fixed points, spectra, sharpness."""

from .kernels import LinearNetworkKernels, NumericModel, gd_map, numeric_model

__all__ = ["LinearNetworkKernels", "NumericModel", "gd_map", "numeric_model"]
