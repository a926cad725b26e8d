"""A functions-framework function for the Cloud Run edge's own tests: it says what reached it.

GET/POST /anything?...      -> {"method", "path", "query", "headers", "body_length", "pid",
                                "ppid", "env" (with ?env=1)}
?sleep=S                    sleep S seconds before answering
?mark=ID                    remember ID as started, then (after the sleep) as finished
?exit=worker                the worker process exits mid-request (gunicorn starts another)
?exit=instance              the whole instance dies mid-request (master and worker)
?bytes=N                    answer N bytes, streamed in 64 KiB chunks (no Content-Length)
GET /__marks                {"started": [...], "finished": [...]} in this worker
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import flask
import functions_framework

_lock = threading.Lock()
_marks: dict[str, list[str]] = {"started": [], "finished": []}
_CHUNK = 64 * 1024


def _mark(kind: str, mark: str | None) -> None:
    if mark:
        with _lock:
            _marks[kind].append(mark)


def _stream(total: int) -> Iterator[bytes]:
    while total > 0:
        size = min(_CHUNK, total)
        total -= size
        yield b"x" * size


@functions_framework.http
def handle(request: flask.Request) -> Any:
    if request.path == "/__marks":
        with _lock:
            return flask.jsonify({k: list(v) for k, v in _marks.items()})
    body = request.get_data()
    args = request.args
    _mark("started", args.get("mark"))
    if args.get("exit") == "instance":
        os.kill(os.getppid(), signal.SIGKILL)  # the gunicorn master: the container is gone
        os._exit(70)
    if args.get("exit") == "worker":
        os._exit(70)
    time.sleep(float(args.get("sleep", "0")))
    _mark("finished", args.get("mark"))
    if "bytes" in args:
        return flask.Response(_stream(int(args["bytes"])), mimetype="application/octet-stream")
    echo = {
        "method": request.method,
        "path": request.path,
        "query": request.query_string.decode(),
        "headers": dict(request.headers),
        "body_length": len(body),
        "pid": os.getpid(),
        "ppid": os.getppid(),
    }
    if args.get("env") == "1":
        echo["env"] = dict(os.environ)
    return flask.Response(json.dumps(echo), mimetype="application/json")
