"""A browser double for the loopback flow (see ``tests.support.fakes.oauth``)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx


class Browser:
    """Plays the person's browser for `connect`: called with the authorization URL (as
    ``webbrowser.open`` would be), it GETs it, and follows the 302 to the loopback redirect, in
    a thread. ``tamper_authorize`` / ``tamper_redirect`` rewrite a URL on the way."""

    def __init__(
        self,
        tamper_authorize: Callable[[str], str] | None = None,
        tamper_redirect: Callable[[str], str] | None = None,
    ) -> None:
        self.tamper_authorize = tamper_authorize
        self.tamper_redirect = tamper_redirect
        self.visited: list[str] = []
        self.final: httpx.Response | None = None
        self._thread: threading.Thread | None = None

    def __call__(self, url: str) -> bool:
        self._thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        self._thread.start()
        return True

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _visit(self, url: str) -> None:
        with httpx.Client(timeout=10) as client:
            url = self.tamper_authorize(url) if self.tamper_authorize else url
            self.visited.append(url)
            page = client.get(url)
            if page.status_code != 302:
                self.final = page
                return
            location = page.headers["Location"]
            location = self.tamper_redirect(location) if self.tamper_redirect else location
            self.visited.append(location)
            self.final = client.get(location)
