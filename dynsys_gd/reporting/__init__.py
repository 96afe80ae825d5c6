"""The public plotting and reporting face of dynsys_gd.

Every figure of the toolkit is a ``plot_*`` function here; each takes a result object of the
analysis layer (or plain arrays), draws in one house style and returns the
:class:`matplotlib.figure.Figure` (``ax=`` draws into an existing axes where the figure has one
panel).  Results with a natural figure also have ``.plot(ax=None)``, which calls these functions.
:func:`save_figure` writes PNG and PDF, :func:`apply_style` sets the style for a notebook, and
:func:`format_table` / :func:`counts_table` write aligned text tables.

Names load lazily (``lazy_loader``): importing :mod:`dynsys_gd.reporting` does not import
matplotlib until a plotting name is used.

Examples
--------
>>> import dynsys_gd as dg
>>> from dynsys_gd import reporting
>>> sweep = dg.lr_sweep(dg.LinearNetwork.scalar(2, 1.0), [0.9, 1.1], n_samples=20, seed=0)
>>> fig = reporting.plot_sweep(sweep)          # or sweep.plot()
>>> len(fig.axes)
2
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
