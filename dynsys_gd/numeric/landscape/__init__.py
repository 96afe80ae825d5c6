"""The landscape floor: critical points, the manifold of minima, spectra, minimal sharpness and
its certificates."""
