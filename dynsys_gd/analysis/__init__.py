"""Analysis layer: stability analysis, convergent-set estimates, sweeps, certificates."""
