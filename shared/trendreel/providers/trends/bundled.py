"""The offline default trend source: a bundled sample of trending items.

The sample stores ``posted_hours_ago`` instead of absolute times, so the items are re-dated
against ``now`` on every call and engagement velocity stays meaningful whatever the date.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from pydantic import ValidationError

from trendreel.errors import ProviderResponseError
from trendreel.models import TrendItem
from trendreel.providers.base import UsageLog

BUNDLED_FILE = "trends_bundled.json"


class BundledTrendSource:
    """Serves the bundled sample, most engagement per hour first."""

    name = "bundled"

    def collect(self, now: datetime, limit: int, usage: UsageLog) -> list[TrendItem]:
        """The top ``limit`` items by velocity, keeping the sample's platform mix.

        Search trends have no likes, so their velocity is 0; a plain top-N cut would drop every
        one of them. Each platform therefore gets a share of ``limit`` proportional to its share
        of the sample, and the selection is then ordered by velocity (descending, stable).
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        items = [_to_item(raw, now) for raw in _load_raw()]
        ranked = sorted(items, key=lambda item: -item.engagement_velocity(now))
        chosen = _platform_fair_top(ranked, max(limit, 0))
        usage.record(self.name, "collect", len(chosen), "items", 0.0)
        return chosen


def _load_raw() -> list[dict[str, Any]]:
    text = resources.files("trendreel.data").joinpath(BUNDLED_FILE).read_text("utf-8")
    document = json.loads(text)
    items = document["items"] if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise ProviderResponseError("bundled", f"{BUNDLED_FILE} has no list of items")
    return items


def _to_item(raw: dict[str, Any], now: datetime) -> TrendItem:
    """Validate one raw entry, turning its relative age into an aware ``posted_at``."""
    data = dict(raw)
    hours = float(data.pop("posted_hours_ago", 0.0))
    data["posted_at"] = now - timedelta(hours=hours)
    data["source"] = "bundled"
    try:
        return TrendItem.model_validate(data)
    except ValidationError as exc:
        ident = raw.get("external_id", "?")
        raise ProviderResponseError("bundled", f"invalid bundled item {ident}: {exc}") from exc


def _platform_fair_top(ranked: list[TrendItem], limit: int) -> list[TrendItem]:
    """Keep ``ranked`` order while giving each platform its proportional share of ``limit``."""
    if limit >= len(ranked):
        return ranked
    quotas = _quotas(Counter(item.platform.value for item in ranked), limit)
    taken: Counter[str] = Counter()
    chosen: list[TrendItem] = []
    for item in ranked:
        platform = item.platform.value
        if taken[platform] < quotas[platform]:
            taken[platform] += 1
            chosen.append(item)
    return chosen


def _quotas(counts: Counter[str], limit: int) -> dict[str, int]:
    """Largest-remainder apportionment of ``limit`` over the platforms' item counts."""
    total = sum(counts.values())
    exact = {p: limit * n / total for p, n in counts.items()}
    quotas = {p: int(share) for p, share in exact.items()}
    by_remainder = sorted(exact, key=lambda p: (-(exact[p] - quotas[p]), p))
    for platform in by_remainder[: limit - sum(quotas.values())]:
        quotas[platform] += 1
    return quotas
