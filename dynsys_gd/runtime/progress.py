r"""Progress bars for long analyses (Monte-Carlo estimates of the convergent set, claim C6;
learning-rate sweeps): a thin :mod:`tqdm` wrapper with a quiet mode.

Bars go to ``stderr`` (never ``stdout``, so JSON output stays clean) and are switched off
automatically when ``stderr`` is not a terminal (CI logs, pipes), unless forced with
``force=True`` or the environment variable ``DYNSYS_GD_PROGRESS=1``
(``DYNSYS_GD_PROGRESS=0`` switches every bar off).
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any, TextIO

from .._validation import check_int, describe
from ..errors import InvalidParameterError

__all__ = ["ProgressBar", "progress_bar", "progress_enabled"]


def progress_enabled(enabled: bool, *, force: bool = False, stream: TextIO | None = None) -> bool:
    r"""Whether a bar requested with ``enabled``/``force`` is actually shown.

    Shown iff ``enabled`` and (``force`` or ``DYNSYS_GD_PROGRESS=1`` or ``stream`` (default
    ``sys.stderr``) is a TTY); ``DYNSYS_GD_PROGRESS=0`` wins over everything.
    """
    if not enabled:
        return False
    env = os.environ.get("DYNSYS_GD_PROGRESS", "").strip()
    if env == "0":
        return False
    if force or env == "1":
        return True
    s = sys.stderr if stream is None else stream
    isatty = getattr(s, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (ValueError, OSError):  # closed stream
        return False


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
    ) -> None:
        self.total = total
        self.desc = desc
        self.n = initial
        self._bar: Any = None
        if shown:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total,
                desc=desc,
                initial=initial,
                file=sys.stderr if stream is None else stream,
                leave=False,
                dynamic_ncols=True,
                smoothing=0.1,
            )

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
    enabled: bool = True,
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
    enabled : bool, default True
        False gives the quiet mode (nothing is printed).
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
    if not isinstance(enabled, bool):
        raise InvalidParameterError(f"enabled must be a bool; got {describe(enabled)}")
    initial = check_int("initial", initial, minimum=0)
    shown = progress_enabled(enabled, force=force, stream=stream)
    return ProgressBar(total, desc, shown=shown, stream=stream, initial=initial)
