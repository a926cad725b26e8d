"""Trend items from a JSON or CSV file, local or in Cloud Storage (``gs://bucket/object``).

JSON is a list of items or ``{"items": [...]}``; CSV has a header row and a ``hashtags`` column
split on spaces, commas or semicolons. Every row must validate as a ``TrendItem``:
``posted_at`` is a timezone-aware ISO 8601 time, or ``posted_hours_ago`` gives the age in hours
relative to ``now``. One invalid row rejects the whole file with a ``ConfigError`` naming the
(1-based) row and the field.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from trendreel.errors import (
    ConfigError,
    ProviderAuthError,
    ProviderNotConfiguredError,
    ProviderUnavailableError,
)
from trendreel.models import TrendItem
from trendreel.providers.base import UsageLog
from trendreel.settings import Settings

NAME = "file"
FIELD = "trends_file"

#: Reads ``gs://bucket/name`` as bytes; raises FileNotFoundError when the object is absent.
GcsReader = Callable[[str, str], bytes]

_TAG_SEPARATORS = re.compile(r"[\s,;]+")


def read_gcs_object(bucket: str, name: str) -> bytes:
    """The default GcsReader: Google Cloud Storage with application default credentials."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    storage: Any = importlib.import_module("google.cloud.storage")
    uri = f"gs://{bucket}/{name}"
    try:
        return bytes(storage.Client().bucket(bucket).blob(name).download_as_bytes())
    except gexc.NotFound as exc:
        raise FileNotFoundError(uri) from exc
    except (gexc.Forbidden, gexc.Unauthorized, auth_exc.GoogleAuthError) as exc:
        raise ProviderAuthError(NAME, f"cannot read {uri}: {type(exc).__name__}") from exc
    except gexc.GoogleAPIError as exc:
        raise ProviderUnavailableError(NAME, f"cannot read {uri}: {type(exc).__name__}") from exc


class FileTrendSource:
    name: str = NAME

    def __init__(self, settings: Settings, *, gcs_reader: GcsReader | None = None) -> None:
        if not settings.trends_file:
            raise ProviderNotConfiguredError(NAME, "TRENDREEL_TRENDS_FILE")
        self._location = settings.trends_file
        self._gcs_reader = gcs_reader or read_gcs_object

    def __repr__(self) -> str:
        return f"FileTrendSource({self._location!r})"

    def collect(self, now: datetime, limit: int, usage: UsageLog) -> list[TrendItem]:
        text = self._read_text()
        rows = _json_rows(text) if _is_json(self._location, text) else _csv_rows(text)
        items = [self._validate(row, number, now) for number, row in enumerate(rows, start=1)]
        return items[: max(limit, 0)]

    def _read_text(self) -> str:
        try:
            data = self._read_bytes()
        except FileNotFoundError as exc:
            raise ConfigError(f"trends file {self._location} does not exist", field=FIELD) from exc
        except OSError as exc:
            raise ConfigError(
                f"cannot read trends file {self._location}: {exc.strerror or exc}", field=FIELD
            ) from exc
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"trends file {self._location} is not UTF-8", field=FIELD) from exc

    def _read_bytes(self) -> bytes:
        if not self._location.startswith("gs://"):
            return Path(self._location).expanduser().read_bytes()
        bucket, _, name = self._location.removeprefix("gs://").partition("/")
        if not bucket or not name:
            raise ConfigError(
                f"trends file {self._location} must look like gs://bucket/object", field=FIELD
            )
        return self._gcs_reader(bucket, name)

    def _validate(self, row: dict[str, Any], number: int, now: datetime) -> TrendItem:
        where = f"trends file {self._location} row {number}"
        data = {**row, "source": NAME}
        if "posted_hours_ago" in data:
            hours = _hours(data.pop("posted_hours_ago"), where)
            if "posted_at" in data:
                raise ConfigError(
                    f"{where}: give posted_at or posted_hours_ago, not both", field="posted_at"
                )
            data["posted_at"] = now - timedelta(hours=hours)
        if isinstance(data.get("hashtags"), str | list):
            data["hashtags"] = _hashtags(data["hashtags"])
        try:
            return TrendItem.model_validate(data)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"]) or "item"
            raise ConfigError(f"{where}, field {field}: {error['msg']}", field=field) from exc


def _is_json(location: str, text: str) -> bool:
    suffix = PurePosixPath(location).suffix.lower()
    if suffix in (".json", ".csv"):
        return suffix == ".json"
    return text.lstrip()[:1] in ("[", "{")


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"trends file is not valid JSON: {exc}", field=FIELD) from exc
    if isinstance(data, dict) and "items" in data:
        data = data["items"]
    if not isinstance(data, list):
        raise ConfigError('trends file JSON must be a list or {"items": [...]}', field=FIELD)
    for number, row in enumerate(data, start=1):
        if not isinstance(row, dict):
            raise ConfigError(f"trends file row {number} is not a JSON object", field=FIELD)
    return data


def _csv_rows(text: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=1):
        if None in row:
            raise ConfigError(
                f"trends file row {number} has more cells than the header", field=FIELD
            )
        rows.append({k.strip(): v.strip() for k, v in row.items() if v is not None and v.strip()})
    return rows


def _hours(value: object, where: str) -> float:
    try:
        hours = float(str(value))
    except ValueError:
        hours = -1.0
    if not (math.isfinite(hours) and hours >= 0):
        raise ConfigError(
            f"{where}, field posted_hours_ago: expected a number of hours >= 0, got {value!r}",
            field="posted_hours_ago",
        )
    return hours


def _hashtags(value: str | list[Any]) -> list[Any]:
    parts = _TAG_SEPARATORS.split(value) if isinstance(value, str) else value
    cleaned = [p.strip().lstrip("#") if isinstance(p, str) else p for p in parts]
    return [p for p in cleaned if p != ""]
