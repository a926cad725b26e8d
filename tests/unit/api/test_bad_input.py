"""Bad input on every route is a 4xx with a clear JSON error, and changes nothing."""

from __future__ import annotations

import io
from typing import Any

import flask
import pytest
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.unit.api.conftest import AUTH, error_code
from tests.unit.api.fakes import FakeJobStore, FakeTaskQueue, finished_job, make_job
from trendreel.models import JobStatus

POST_ROUTES = {
    "/generate": {"theme": 5},
    "/jobs/job-0002/retry": [],
    "/videos/vid-0001/approve": {"reason": 5},
    "/videos/vid-0001/reject": {"reason": ["too", "long"]},
}
JSON = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture(autouse=True)
def data(store: FakeJobStore) -> None:
    store.create(finished_job("vid-0001"))
    store.create(make_job("job-0002", status=JobStatus.FAILED, completed=1))


@pytest.fixture
def unchanged(store: FakeJobStore, queue: FakeTaskQueue) -> Any:
    jobs, tasks = dict(store.jobs), dict(queue.tasks)
    yield
    assert store.jobs == jobs
    assert queue.tasks == tasks


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize("body", ['{"theme": ', "{'a': 1}", "nope", '{"a": 1}}', "\xff"])
def test_malformed_json_is_400(client: FlaskClient, path: str, body: str) -> None:
    response = client.post(path, data=body.encode("latin-1"), headers=JSON)

    assert response.status_code == 400
    assert error_code(response) == "invalid_json"
    assert "not valid JSON" in response.get_json()["error"]["message"]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("path", POST_ROUTES)
def test_unknown_fields_are_400_naming_them(client: FlaskClient, path: str) -> None:
    response = client.post(path, json={"surprise": True}, headers=AUTH)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_body"
    assert "'surprise'" in error["message"]
    assert error["details"][0]["field"] == "surprise"
    assert "input" not in error["details"][0]  # what was sent is not echoed back


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("path", "body"), POST_ROUTES.items())
def test_wrong_types_are_400(client: FlaskClient, path: str, body: Any) -> None:
    response = client.post(path, json=body, headers=AUTH)

    assert response.status_code == 400
    assert error_code(response) == "invalid_body"


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null"])
def test_a_body_that_is_not_an_object_is_400(client: FlaskClient, path: str, body: str) -> None:
    response = client.post(path, data=body, headers=JSON)

    assert response.status_code == 400
    assert "(root)" in response.get_json()["error"]["message"]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("path", POST_ROUTES)
def test_an_oversized_body_is_413(client: FlaskClient, path: str) -> None:
    body = b'{"theme": "' + b"x" * (300 * 1024) + b'"}'

    response = client.post(path, data=body, headers=JSON)

    assert response.status_code == 413
    assert error_code(response) == "body_too_large"


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("path", POST_ROUTES)
def test_an_oversized_chunked_body_is_413(client: FlaskClient, path: str) -> None:
    # No Content-Length (chunked transfer): the limit is enforced while reading.
    body = io.BytesIO(b'{"reason": "' + b"x" * (300 * 1024) + b'"}')
    builder = EnvironBuilder(
        path=path, method="POST", input_stream=body, headers=list(JSON.items())
    )
    environ = builder.get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True

    response = client.open(environ)

    assert response.status_code == 413


def _raw_post(
    client: FlaskClient, path: str, body: bytes, content_length: str | None
) -> flask.Response:
    """POST with exactly this Content-Length (None: chunked, so none at all). The environ goes
    to the app as is: the test client would rebuild it, and the header with it."""
    builder = EnvironBuilder(
        path=path,
        method="POST",
        input_stream=io.BytesIO(body),
        headers=list(JSON.items()),
        environ_base=client.environ_base,
    )
    environ = builder.get_environ()
    if content_length is None:
        del environ["CONTENT_LENGTH"]
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = content_length
    app_iter, status, headers = run_wsgi_app(client.application, environ, buffered=True)
    return flask.Response(b"".join(app_iter), status=status, headers=headers)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize(
    "content_length", ["-1", "abc", "9" * 5000, "1" * 19, "+16", "16.0", "0x10", "16, 16", "\u00b2"]
)
def test_a_malformed_content_length_is_400(
    client: FlaskClient, path: str, content_length: str
) -> None:
    # werkzeug reads all of these as 0, i.e. an empty body: POST /generate would start a job
    # with every default although the client sent something else.
    response = _raw_post(client, path, b'{"theme": "tea", "reason": "x"}', content_length)

    assert response.status_code == 400
    assert error_code(response) == "invalid_content_length"
    assert "Content-Length" in response.get_json()["error"]["message"]
    assert response.headers["Connection"] == "close"


@pytest.mark.parametrize("content_length", [None, "", "0", "00", " 0 "])
def test_no_body_chunked_or_empty_still_starts_a_default_job(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue, content_length: str | None
) -> None:
    response = _raw_post(client, "/generate", b"", content_length)

    assert response.status_code == 202
    assert store.get(response.get_json()["job_id"]) is not None


def test_a_chunked_body_is_read(client: FlaskClient, store: FakeJobStore) -> None:
    response = _raw_post(client, "/generate", b'{"theme": "chunked tea"}', None)

    assert response.status_code == 202
    job = store.get(response.get_json()["job_id"])
    assert job is not None
    assert job.theme == "chunked tea"


def test_a_body_at_the_limit_is_accepted(client: FlaskClient) -> None:
    body = b'{"reason": "' + b"x" * 400 + b'"}' + b" " * (256 * 1024 - 414)
    assert len(body) == 256 * 1024

    assert client.post("/videos/vid-0001/approve", data=body, headers=JSON).status_code == 200


def test_an_unknown_route_is_404(client: FlaskClient) -> None:
    response = client.get("/nothing/here", headers=AUTH)

    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_an_unknown_route_is_404_before_auth(client: FlaskClient) -> None:
    assert client.get("/nothing/here").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/generate", "POST"),
        ("DELETE", "/jobs", "GET, HEAD"),
        ("PUT", "/jobs/job-0002", "GET, HEAD"),
        ("GET", "/jobs/job-0002/retry", "POST"),
        ("POST", "/health", "GET, HEAD"),
    ],
)
def test_a_wrong_method_is_405_with_allow(
    client: FlaskClient, method: str, path: str, allowed: str
) -> None:
    response = client.open(path, method=method, headers=AUTH)

    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    assert error_code(response) == "method_not_allowed"


def test_errors_are_json_and_not_cached(client: FlaskClient) -> None:
    response = client.get("/jobs/job-nope", headers=AUTH)

    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unexpected_error_is_500_without_details(
    client: FlaskClient, store: FakeJobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(job_id: str) -> None:
        raise KeyError("internal/secret/path")

    monkeypatch.setattr(store, "get", explode)

    response = client.get("/jobs/job-0002", headers=AUTH)

    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize("chunked", [False, True])
def test_an_unread_oversized_upload_is_not_buffered(client: FlaskClient, chunked: bool) -> None:
    size = 8 * 1024 * 1024
    upload = io.BytesIO(b" " * size)
    builder = EnvironBuilder(
        path="/generate", method="POST", input_stream=upload, content_length=size
    )
    environ = builder.get_environ()
    if chunked:
        del environ["CONTENT_LENGTH"]
        environ["wsgi.input_terminated"] = True

    response = client.open(environ)  # no token: rejected before the body is read

    assert response.status_code == 401
    assert response.headers["Connection"] == "close"
    assert upload.tell() == 0  # nobody read (or buffered) the upload
