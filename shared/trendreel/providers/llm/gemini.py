"""Gemini as trend analyzer and script writer (google-genai SDK, structured JSON output, every
request under the outbound-call policy: see ``gemini_client``).

Both ask Gemini for JSON matching a pydantic schema, validate the answer themselves and turn
anything unusable into ProviderResponseError("gemini", ...). Token usage and an estimated cost
(see ``gemini_client.PRICE_PER_MILLION_TOKENS``) are recorded per call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import httpx

from trendreel.errors import NoTrendsError
from trendreel.models import Script, ThemeConfig, TrendCollection, TrendReport
from trendreel.providers.base import UsageLog
from trendreel.providers.llm import gemini_analysis, gemini_script
from trendreel.providers.llm.gemini_client import GeminiJson
from trendreel.settings import Settings

ANALYSIS_TEMPERATURE = 0.2
SCRIPT_TEMPERATURE = 0.7


class _GeminiProvider:
    """The shared part: a structured-JSON Gemini client built from settings."""

    name = "gemini"

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._gemini = GeminiJson(settings, transport=transport, sleep=sleep)


class GeminiAnalyzer(_GeminiProvider):
    """Trend analysis: Gemini judges topics; statistics come from ``trend_stats``."""

    def analyze(
        self, collection: TrendCollection, config: ThemeConfig, now: datetime, usage: UsageLog
    ) -> TrendReport:
        items = collection.items
        if not items:
            raise NoTrendsError("no collected trend items to analyze")
        draft = self._gemini.generate(
            "analyze",
            gemini_analysis.SYSTEM,
            gemini_analysis.analysis_prompt(items, config, now),
            gemini_analysis.AnalysisDraft,
            ANALYSIS_TEMPERATURE,
            usage,
        )
        return gemini_analysis.build_report(draft, items, now, self.name)


class GeminiScriptWriter(_GeminiProvider):
    """Script writing: scenes from hook to call to action, sized to the target duration."""

    def write(
        self, report: TrendReport, config: ThemeConfig, target_seconds: int, usage: UsageLog
    ) -> Script:
        draft = self._gemini.generate(
            "write_script",
            gemini_script.SYSTEM,
            gemini_script.script_prompt(report, config, target_seconds),
            gemini_script.ScriptDraft,
            SCRIPT_TEMPERATURE,
            usage,
        )
        return gemini_script.build_script(draft, target_seconds, self.name)
