"""The review dashboard's static files: public, typed, a strict CSP, nothing else reachable."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import error_code
from trendreel.api import routes_ui
from trendreel.api.routes import ROUTES, UI_ROUTES
from trendreel.bootstrap import Runtime


def test_root_and_slashless_ui_redirect_to_the_page(client: FlaskClient) -> None:
    for path in ("/", "/ui"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/ui/"


def test_the_page_is_served_without_a_token_and_never_cached(client: FlaskClient) -> None:
    response = client.get("/ui/")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = response.get_data(as_text=True)
    assert '<script src="app.js" defer></script>' in page
    assert '<link rel="stylesheet" href="style.css">' in page


def test_no_inline_script_or_style_in_the_page(client: FlaskClient) -> None:
    page = client.get("/ui/").get_data(as_text=True)

    assert re.findall(r"<script[^>]*>", page) == ['<script src="app.js" defer>']
    assert "<style" not in page
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers
    assert "javascript:" not in page


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [("/ui/app.js", "text/javascript"), ("/ui/style.css", "text/css"),
     ("/ui/index.html", "text/html")],
)  # fmt: skip
def test_assets_have_their_content_types(client: FlaskClient, path: str, mimetype: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Content-Security-Policy"]
    assert response.get_data()


def test_scripts_and_styles_revalidate_with_an_etag(client: FlaskClient) -> None:
    first = client.get("/ui/app.js")
    assert first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]

    again = client.get("/ui/app.js", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_the_csp_allows_only_this_origin_locally(client: FlaskClient) -> None:
    csp = client.get("/ui/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))

    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["media-src"] == "'self'"
    assert directives["img-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in csp


def test_on_gcp_media_may_come_from_cloud_storage(client: FlaskClient, rt: Runtime) -> None:
    rt.settings = rt.settings.model_copy(update={"backend": "gcp"})
    csp = client.get("/ui/").headers["Content-Security-Policy"]

    assert "media-src 'self' https://storage.googleapis.com" in csp
    assert "img-src 'self' https://storage.googleapis.com" in csp
    assert "script-src 'self';" in csp
    assert routes_ui.content_security_policy("local").count("googleapis") == 0


def test_an_unknown_asset_is_404(client: FlaskClient) -> None:
    response = client.get("/ui/secrets.txt")

    assert response.status_code == 404
    assert error_code(response) == "asset_not_found"


@pytest.mark.parametrize(
    "path",
    ["/ui/../pyproject.toml", "/ui/..%2f..%2fpyproject.toml", "/ui/%2e%2e/routes.py",
     "/ui/../../settings.py", "/ui/ui/app.js", "/ui/app.js/", "/ui/.%2fapp.js",
     "/ui/..\\app.js"],
)  # fmt: skip
def test_path_traversal_is_refused(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert b"def " not in response.get_data()


def test_the_ui_does_not_weaken_the_api(client: FlaskClient) -> None:
    assert client.get("/jobs").status_code == 401
    assert client.post("/ui/").status_code == 405


def test_ui_routes_are_public_and_outside_the_openapi_table() -> None:
    assert all(route.access == "public" for route in UI_ROUTES)
    assert not {r.path for r in UI_ROUTES} & {r.path for r in ROUTES}
    assert set(routes_ui.ASSETS) == {"index.html", "app.js", "style.css"}
    for name in routes_ui.ASSETS:  # shipped as package data
        assert routes_ui.asset_bytes(name)
