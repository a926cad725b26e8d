"""One logical call as the policy's messages see it: named without its query string, scrubbed
by a redactor that knows this call's credentials, with its own retry budget and accepted
statuses."""

from __future__ import annotations

from collections.abc import Callable, Collection

from trendreel.errors import ProviderError
from trendreel.providers.http.redact import Redactor

MESSAGE_MAX_CHARS = 600


class Call:
    """One logical call: what to name it in messages, how to scrub them, how often to retry."""

    def __init__(
        self,
        method: str,
        path: str,
        redact: Redactor,
        retries: int | None,
        accept: Collection[int],
    ) -> None:
        self.where = redact(f"{method} {path}")
        self.redact = redact
        self.retries = retries
        self.accept = frozenset(accept)


def without_query(path: str) -> str:
    """Query strings are where API keys travel: never part of a message."""
    return path.split("?", 1)[0].split("#", 1)[0]


def amend(error: ProviderError, note: str, *, redact: Callable[[str], str] = str) -> None:
    """Append ``note`` to an error's message, then scrub and shorten it (a hook's error may
    quote a whole body)."""
    error.message = redact(f"{error.message} {note}".rstrip())[:MESSAGE_MAX_CHARS]
    error.args = (error.message,)
    error.hint = redact(error.hint)
