r"""Progress bars and long-job warnings: a thin :mod:`tqdm` wrapper with a quiet mode.

``progress=None`` (the default of every long-running function) means *auto*: a bar is shown
when ``stderr`` is a terminal or the code runs in a Jupyter kernel, and not in pipes, CI logs
(``CI`` set) or under pytest (``PYTEST_CURRENT_TEST`` set).  An automatic bar appears only once
the job has run for :data:`AUTO_DELAY` seconds, so quick calls print nothing and every job that
takes longer than a few seconds shows one, with the count of finished tasks (or chunks of runs),
the rate and the ETA.  ``progress=True`` shows it on a
terminal or in a notebook even under pytest or CI, ``force=True`` everywhere, ``progress=False``
never.  The environment variable ``DYNSYS_GD_PROGRESS=1`` / ``0``
overrides all of these.  Bars go to ``stderr`` (never ``stdout``, so JSON output stays clean).

:func:`warn_long_job` issues a :class:`LongJobWarning` (the :mod:`warnings` module) before a job
whose estimated duration is above a threshold (default 60 s), with the estimate, so a caller
can stop it or make it smaller before waiting minutes.

This module knows nothing about gradient descent: callers estimate their own cost.
"""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType
from typing import Any, TextIO

from .._validation import check_int, describe
from ..errors import InvalidParameterError

__all__ = [
    "AUTO_DELAY",
    "LongJobWarning",
    "ProgressBar",
    "in_notebook",
    "progress_bar",
    "progress_enabled",
    "warn_long_job",
]


#: Seconds an automatic bar (``progress=None``) waits before it is drawn.
AUTO_DELAY = 2.0


def in_notebook() -> bool:
    """True inside a Jupyter kernel (a bar is drawn as a widget there)."""
    mod = sys.modules.get("IPython")
    if mod is None:
        return False
    try:
        shell = mod.get_ipython()
    except Exception:  # pragma: no cover - a broken IPython
        return False
    return shell is not None and hasattr(shell, "kernel")


def _automated() -> bool:
    """True under pytest or a CI system (no bars unless asked for)."""
    return bool(os.environ.get("PYTEST_CURRENT_TEST") or os.environ.get("CI"))


def progress_enabled(
    enabled: bool | None, *, force: bool = False, stream: TextIO | None = None
) -> bool:
    r"""Whether a bar requested with ``enabled`` (True, False or None = auto) is shown.

    ``DYNSYS_GD_PROGRESS=0`` / ``1`` wins over everything, then ``force`` (always shown) and
    ``enabled=False`` (never).  ``True`` shows the bar where it can be seen: ``stream``
    (default ``sys.stderr``) is a terminal, or the code runs in a notebook.  ``None`` does the
    same except under pytest or on CI (``PYTEST_CURRENT_TEST`` or ``CI`` set), where it is off.
    """
    env = os.environ.get("DYNSYS_GD_PROGRESS", "").strip()
    if env == "0" or enabled is False:
        return False
    if env == "1" or force:
        return True
    if enabled is None and _automated():
        return False
    if in_notebook():
        return True
    s = sys.stderr if stream is None else stream
    isatty = getattr(s, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (ValueError, OSError):  # closed stream
        return False


def _reported_width(stream: Any) -> int | None:
    """Columns of the terminal behind ``stream``: None when unknown, 0 when it reports none.

    A terminal that reports 0 columns (a pseudo-terminal without a window size) would get an
    empty bar from tqdm, so such a bar is drawn 80 columns wide instead.
    """
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return None


def _tqdm_class(stream: TextIO | None) -> Any:
    """tqdm's widget bar in a notebook with ipywidgets, else its text bar (never a warning).

    ``tqdm.auto`` falls back to a text bar with a warning that names the install's path when
    ipywidgets is missing; choosing here keeps that warning out of notebooks and built docs.
    """
    if stream is None and in_notebook():
        try:
            import ipywidgets  # noqa: F401
        except ImportError:
            pass
        else:
            from tqdm.notebook import tqdm as notebook_tqdm

            return notebook_tqdm
    from tqdm.std import tqdm as text_tqdm

    return text_tqdm


class ProgressBar:
    r"""A counter that drives a tqdm bar on ``stderr``, or does nothing in quiet mode.

    Use as a context manager; :meth:`update` advances by ``n`` finished items.  ``n`` (items done
    so far) is counted in both modes, so callers and tests can rely on it.
    """

    def __init__(
        self,
        total: int | None,
        desc: str,
        *,
        shown: bool,
        stream: TextIO | None = None,
        initial: int = 0,
        delay: float = 0.0,
    ) -> None:
        self.total = total
        self.desc = desc
        self.n = initial
        self._bar: Any = None
        self._timer: threading.Timer | None = None
        if shown:
            file = sys.stderr if stream is None else stream
            width = _reported_width(file)
            self._bar = _tqdm_class(stream)(
                total=total,
                desc=desc,
                initial=initial,
                file=file,
                leave=False,
                dynamic_ncols=width != 0,
                ncols=80 if width == 0 else None,
                nrows=20 if width == 0 else None,
                smoothing=0.1,
                delay=delay,
            )
            if delay > 0:  # tqdm itself draws a delayed bar only at the next tick
                self._timer = threading.Timer(delay, self._draw)
                self._timer.daemon = True
                self._timer.start()

    def _draw(self) -> None:
        """Draw the bar now (the end of an automatic bar's delay)."""
        bar = self._bar
        if bar is not None:
            bar.refresh()

    @property
    def shown(self) -> bool:
        """True if a real bar is drawn."""
        return self._bar is not None

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` finished items."""
        self.n += n
        if self._bar is not None:
            self._bar.update(n)

    def set_postfix(self, text: str) -> None:
        """Show ``text`` after the bar (e.g. the current learning rate)."""
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        """Remove the bar (idempotent)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "shown" if self.shown else "quiet"
        return f"ProgressBar({self.desc!r}, {self.n}/{self.total}, {mode})"


def progress_bar(
    total: int | None,
    desc: str = "",
    enabled: bool | None = None,
    *,
    force: bool = False,
    stream: TextIO | None = None,
    initial: int = 0,
) -> ProgressBar:
    r"""A progress bar over ``total`` items on ``stderr`` (quiet when disabled or not a TTY).

    Parameters
    ----------
    total : int or None
        Number of items (None: unknown).
    desc : str
        Label in front of the bar.
    enabled : bool or None, default None
        None: automatic (see :func:`progress_enabled`), drawn once the job has run for
        :data:`AUTO_DELAY` seconds; False: quiet mode (nothing is printed); True: shown at once
        on a terminal or in a notebook.
    force : bool, default False
        Show the bar even when the stream is not a terminal.
    stream : text stream, optional
        Where to draw (default ``sys.stderr``).
    initial : int, default 0
        Items already done (e.g. tasks found in a resumed results store).
    """
    if total is not None:
        total = check_int("total", total, minimum=0)
    if not isinstance(desc, str):
        raise InvalidParameterError(f"desc must be a str; got {describe(desc)}")
    if enabled is not None and not isinstance(enabled, bool):
        raise InvalidParameterError(f"enabled must be a bool or None; got {describe(enabled)}")
    initial = check_int("initial", initial, minimum=0)
    shown = progress_enabled(enabled, force=force, stream=stream)
    forced = force or os.environ.get("DYNSYS_GD_PROGRESS", "").strip() == "1"
    delay = AUTO_DELAY if enabled is None and not forced else 0.0
    return ProgressBar(total, desc, shown=shown, stream=stream, initial=initial, delay=delay)


class LongJobWarning(UserWarning):
    """A job is about to run for longer than a minute (the message has the estimate)."""


def format_duration(seconds: float) -> str:
    """``45 s``, ``3.2 min``, ``2.5 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def warn_long_job(
    seconds: float,
    what: str,
    *,
    threshold: float = 60.0,
    hint: str = "",
    stacklevel: int = 3,
    verb: str = "may take up to about",
) -> bool:
    """Warn (:class:`LongJobWarning`) when a job is estimated to take over ``threshold`` s.

    Parameters
    ----------
    seconds : float
        Estimated duration.
    what : str
        The job, e.g. ``"Monte-Carlo estimate of 100000 runs"``.
    threshold : float
        Warn above this many seconds (default 60).
    hint : str
        How to make it smaller (appended to the message).
    verb : str
        How sure the estimate is: "may take up to about" for an upper bound, "should take
        about" for a measured one.

    Returns
    -------
    bool
        Whether a warning was issued.
    """
    import warnings

    if not (seconds > threshold):
        return False
    msg = f"{what} {verb} {format_duration(seconds)} on this machine"
    if hint:
        msg += f"; {hint}"
    warnings.warn(msg, LongJobWarning, stacklevel=stacklevel)
    return True
