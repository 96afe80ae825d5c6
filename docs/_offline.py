"""What a built HTML page loads from the network (used by the docs build and its tests).

A page works offline when every ``<script src>``, ``<link href>`` of a stylesheet, ``<img src>``
and ``<iframe src>`` is a relative path (or a ``data:`` URI).  Links to other sites (``<a
href>``) are fine: they are not loaded with the page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["network_loads"]

_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


class _Loads(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        url = None
        if tag in ("script", "img", "iframe", "source", "audio", "video"):
            url = a.get("src")
        elif tag == "link" and (a.get("rel") or "").lower() in ("stylesheet", "preload", "icon"):
            url = a.get("href")
        if url and _REMOTE.match(url.strip()):
            self.urls.append(f"<{tag}> {url.strip()}")


def network_loads(page: str | Path) -> list[str]:
    """The network URLs that ``page`` (an HTML file, or HTML text) loads when opened."""
    text = Path(page).read_text(encoding="utf-8") if isinstance(page, Path) else page
    parser = _Loads()
    parser.feed(text)
    return parser.urls
