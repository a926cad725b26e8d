"""The bundled trends as trend analysis receives them, and one offline analyzer for the tests.

The analyzer is shared as the runtime shares it (one per process), so its sentence model loads
once per test run, not once per test.
"""

from __future__ import annotations

from datetime import UTC, datetime

from trendreel.config import apply_overrides, load_default_config
from trendreel.models import ThemeConfig, TrendCollection
from trendreel.models.trends import ScoredTrendItem
from trendreel.providers.base import UsageLog
from trendreel.providers.llm.offline_analyzer import OfflineAnalyzer
from trendreel.providers.trends.bundled import BundledTrendSource
from trendreel.settings import Settings

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ANALYZER = OfflineAnalyzer()
#: What a job collects from the bundled source by default.
DEFAULT_LIMIT = Settings.model_fields["trends_per_source"].default


def bundled(limit: int = DEFAULT_LIMIT, now: datetime = NOW) -> TrendCollection:
    items = BundledTrendSource().collect(now, limit, UsageLog())
    scored = [
        ScoredTrendItem(**i.model_dump(), engagement_velocity_per_hour=i.engagement_velocity(now))
        for i in items
    ]
    return TrendCollection(collected_at=now, items=scored, sources=[])


def themed(theme: str) -> ThemeConfig:
    """The default config with another theme, as `trendreel render --config` would get."""
    return apply_overrides(load_default_config(), theme=theme)
