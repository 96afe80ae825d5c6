"""Automatic progress bars: drawn after a delay, with an ETA, text bars outside widget notebooks."""

from __future__ import annotations

import io

import pytest

from dynsys_gd.runtime import progress as prog


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_forced_bar_shows_count_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DYNSYS_GD_PROGRESS", raising=False)
    stream = _TTY()
    with prog.progress_bar(5, "lr sweep", True, force=True, stream=stream) as bar:
        for _ in range(5):
            bar._bar.refresh()
            bar.update(1)
        bar._bar.refresh()
        text = stream.getvalue()
    assert "lr sweep" in text and "5/5" in text
    assert "<" in text  # tqdm's "elapsed<remaining" (the ETA)
    assert bar.n == 5


def test_auto_bar_waits_before_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    """progress=None draws nothing for a job that ends within AUTO_DELAY seconds."""
    monkeypatch.delenv("DYNSYS_GD_PROGRESS", raising=False)
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.delenv("CI", raising=False)
    stream = _TTY()
    with prog.progress_bar(3, "quick", None, stream=stream) as bar:
        assert bar.shown
        assert bar._bar.delay == prog.AUTO_DELAY > 0
        bar.update(3)
    assert stream.getvalue().strip() == ""


def test_text_bar_outside_notebooks() -> None:
    from tqdm.std import tqdm as text_tqdm

    assert prog._tqdm_class(None) is text_tqdm
    assert prog._tqdm_class(io.StringIO()) is text_tqdm


def _read_until(fd: int, needle: str) -> str:
    """What the pseudo-terminal ``fd`` has received, read until ``needle`` or nothing is left."""
    import os
    import select

    text = ""
    while needle not in text and select.select([fd], [], [], 1.0)[0]:
        text += os.read(fd, 4096).decode("utf-8", "replace")
    return text


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal")
def test_terminal_without_a_size_still_gets_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh pseudo-terminal reports 0 columns; tqdm would draw an empty bar there."""
    import os

    monkeypatch.delenv("DYNSYS_GD_PROGRESS", raising=False)
    master, slave = os.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as stream:
            assert prog._reported_width(stream) == 0
            with prog.progress_bar(4, "lr sweep", True, stream=stream) as bar:
                bar.update(2)
                bar._bar.refresh()
                stream.flush()
                text = _read_until(master, "2/4")
        assert "lr sweep" in text and "2/4" in text, text
    finally:
        os.close(master)
        os.close(slave)


def test_auto_bar_appears_after_the_delay_without_a_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    """A job whose first task is long still shows its bar once the delay has passed."""
    import time

    monkeypatch.delenv("DYNSYS_GD_PROGRESS", raising=False)
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(prog, "AUTO_DELAY", 0.05)
    stream = _TTY()
    with prog.progress_bar(5, "lr sweep", None, stream=stream) as bar:
        deadline = time.monotonic() + 5.0
        while "0/5" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "lr sweep" in stream.getvalue() and "0/5" in stream.getvalue()
        bar.update(5)
