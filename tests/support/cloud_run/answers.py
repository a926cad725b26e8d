"""The answers Cloud Run's front end gives itself, without forwarding the request: a status and
a small HTML error page.

The messages are troubleshooting's (https://cloud.google.com/run/docs/troubleshooting) where it
gives them. The 401/403 bodies are the HTML pages Cloud Run is seen to return ("Error:
Unauthorized ... Your client does not have permission to the requested URL", "Error: Forbidden
... Your client does not have permission to get URL ... from this server"); the docs do not give
them. The 404 body is not documented; the one here is a plain Google-style error page. 413 is
"413 Request Entity Too Large ... Your client issued a request that was too large" (the page
users report)."""

from __future__ import annotations

import html

MESSAGES = {
    400: ("Bad Request", "Your client has issued a malformed or illegal request."),
    401: ("Unauthorized", "Your client does not have permission to the requested URL {path}."),
    403: ("Forbidden", "Your client does not have permission to get URL {path} from this server."),
    404: ("Not Found", "The requested URL {path} was not found on this server."),
    413: ("Request Entity Too Large", "Your client issued a request that was too large."),
    429: ("Too Many Requests", "The request was aborted because there was no available instance."),
    500: (
        "Internal Server Error",
        "The request failed because the instance could not start successfully.",
    ),
    503: (
        "Service Unavailable",
        "The request failed because either the HTTP response was malformed or connection to "
        "the instance had an error.",
    ),
    504: (
        "Gateway Timeout",
        "The request has been terminated because it has reached the maximum request timeout.",
    ),
}


class RejectError(Exception):
    """An answer from the edge itself; the request is not forwarded. ``body_read`` says
    whether the request body has been read already (True), is still to be drained (None), or
    was left unread and the connection must close (False)."""

    def __init__(self, status: int, *, body_read: bool | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body_read = body_read


def error_page(status: int, target: str) -> bytes:
    """The HTML page for ``status``, naming the path of ``target`` (its query left out)."""
    title, message = MESSAGES[status]
    path = html.escape(target.split("?", 1)[0])
    return (
        f"<html><head><title>{status} {title}</title></head><body>"
        f"<h1>Error: {title}</h1><h2>{message.format(path=f'<code>{path}</code>')}</h2>"
        "</body></html>\n"
    ).encode()
