"""Logs on-call can filter: one JSON object per line on stdout on Google Cloud, in the shape Cloud
Logging reads from a Cloud Run container (Cloud Logging docs, "Structured logging": the special
fields ``severity``, ``message``, ``logging.googleapis.com/trace`` and ``.../spanId``; every other
key lands in ``jsonPayload``).

Each line carries the job it is about (``job_id``, ``stage``, ``generation``, ``attempt``) and the
request's trace (from ``X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1``, which Cloud Run's front end
adds), so one job's path can be followed across services::

    jsonPayload.job_id="20250101T090000-1a2b3c4d"

The fields are bound per request with ``request_context`` and ``bound`` (context variables, so
concurrent requests in one instance never mix them up). Locally, logs stay plain text lines.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from trendreel.settings import Settings

TRACE = "logging.googleapis.com/trace"
SPAN = "logging.googleapis.com/spanId"
SAMPLED = "logging.googleapis.com/trace_sampled"
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "trendreel_log_context", default=MappingProxyType({})
)
_SEVERITY = {  # Python level -> Cloud Logging LogSeverity
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}


def current() -> Mapping[str, Any]:
    return _context.get()


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to every log line written inside the block (this request only)."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def trace_fields(header: str | None, project: str | None) -> dict[str, Any]:
    """``X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=OPTIONS`` as Cloud Logging's trace fields."""
    if not header or not project:
        return {}
    trace_id, _, rest = header.partition("/")
    span, _, options = rest.partition(";")
    if not trace_id.isalnum() or len(trace_id) > 64:
        return {}
    fields: dict[str, Any] = {TRACE: f"projects/{project}/traces/{trace_id}"}
    if span.isdigit():
        fields[SPAN] = span
    if options.startswith("o="):
        fields[SAMPLED] = options == "o=1"
    return fields


@contextmanager
def request_context(request: Any, settings: Settings, *, function: str) -> Iterator[None]:
    """Bind the function's name and the request's trace for the request's log lines."""
    trace = trace_fields(request.headers.get("X-Cloud-Trace-Context"), settings.gcp_project)
    with bound(function=function, **trace):
        yield


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per record: severity, message, time, logger, the bound fields."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info))
        entry: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelno, "DEFAULT"),
            "message": message,
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        entry.update({k: v for k, v in _context.get().items() if v is not None})
        service = os.environ.get("K_SERVICE")  # Cloud Run's container contract sets it
        if service:
            entry.setdefault("service", service)
        return json.dumps(entry, default=str)


_HANDLER_NAME = "trendreel-cloud-logging"


def configure(settings: Settings, stream: Any = None) -> None:
    """On Google Cloud: JSON lines on stdout at INFO for the whole process (once; idempotent).
    Locally nothing changes: the CLI and ``trendreel serve`` keep their plain text."""
    if settings.backend != "gcp":
        return
    root = logging.getLogger()
    if any(h.get_name() == _HANDLER_NAME for h in root.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(CloudLoggingFormatter())
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    # httpx logs every request's full URL at INFO: query strings carry API keys, and webhook
    # URLs are their owners' business. Its warnings still reach the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
