"""The review dashboard: a static page (``api/ui/``) that talks only to the public JSON API.

The page holds no data, so its routes need no credential; every request it makes carries the
token the user typed, kept in session storage. Only the files named in ``ASSETS`` are served
(no path from the URL ever reaches the file system). Responses carry a strict
Content-Security-Policy: no inline script, no other origin except, on Google Cloud, the Cloud
Storage host that signed media URLs point at.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import flask

from trendreel.api.errors import not_found
from trendreel.api.routing import Call

#: file name -> content type: the whole set of files the UI routes will ever read.
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
GCS_ORIGIN = "https://storage.googleapis.com"


@cache
def asset_bytes(name: str) -> bytes:
    return resources.files("trendreel.api").joinpath("ui", name).read_bytes()


def content_security_policy(backend: str) -> str:
    media = "'self'" + (f" {GCS_ORIGIN}" if backend == "gcp" else "")
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {media}",
        f"media-src {media}",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def _headers(call: Call) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(call.rt.settings.backend),
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def _send(call: Call, name: str) -> flask.Response:
    response = flask.Response(asset_bytes(name), status=200, content_type=ASSETS[name])
    response.headers.update(_headers(call))
    if name == "index.html":
        response.headers["Cache-Control"] = "no-store"
    else:  # names carry no version: revalidate every time, cheap thanks to the ETag
        response.headers["Cache-Control"] = "no-cache"
        response.add_etag()
        response.make_conditional(call.request)
    return response


def _to_page(call: Call) -> flask.Response:
    return flask.Response(status=302, headers={"Location": call.url("/ui/")})


def ui_root(call: Call) -> flask.Response:
    """``/``: the page lives at ``/ui/`` so that its relative links resolve."""
    return _to_page(call)


def ui_slashless(call: Call) -> flask.Response:
    """``/ui``: same as ``/``."""
    return _to_page(call)


def ui_index(call: Call) -> flask.Response:
    return _send(call, "index.html")


def ui_asset(call: Call) -> flask.Response:
    name = call.params["asset"]
    if name not in ASSETS:
        raise not_found("asset_not_found", "no such UI file")
    return _send(call, name)
