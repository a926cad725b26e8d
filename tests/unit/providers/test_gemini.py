"""GeminiAnalyzer and GeminiScriptWriter against a scripted generateContent endpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.test_http_client import jittered
from trendreel.errors import (
    ProviderAuthError,
    ProviderNotConfiguredError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.models import (
    ChosenTopic,
    ContentReference,
    Platform,
    RecommendedFormat,
    SourceReport,
    ThemeConfig,
    ThemeSettings,
    TrendCollection,
    TrendReport,
)
from trendreel.models.trends import ScoredTrendItem
from trendreel.providers.base import Analyzer, ScriptWriter, UsageLog
from trendreel.providers.llm.gemini import GeminiAnalyzer, GeminiScriptWriter
from trendreel.providers.llm.trend_stats import engagement_stats, hashtag_scores
from trendreel.settings import Settings

NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
KEY = "AIza-test-secret-0123456789"
MODEL = "gemini-2.5-flash"
PATH = f"/v1beta/models/{MODEL}:generateContent"


def _settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "gemini_api_key": SecretStr(KEY),
        "gemini_model": MODEL,
        "gemini_base_url": url,
        "http_timeout_seconds": 5.0,
        "http_max_retries": 2,
        "http_backoff_seconds": 0.5,
        **overrides,
    }
    return Settings(**values)


def _item(platform: Platform, ext: str, title: str, tags: list[str], likes: int) -> ScoredTrendItem:
    return ScoredTrendItem(
        platform=platform,
        external_id=ext,
        title=title,
        hashtags=tags,
        views=likes * 20,
        likes=likes,
        comments=likes // 10,
        duration_seconds=30.0,
        posted_at=NOW - timedelta(hours=5),
        engagement_velocity_per_hour=likes / 5,
    )


ITEMS = [
    _item(
        Platform.YOUTUBE, "abc", "5 AI tools that save hours", ["#AITools", "#productivity"], 900
    ),
    _item(Platform.TIKTOK, "t1", "My ai tools desk setup", ["#aitools", "#desksetup"], 1500),
    _item(Platform.YOUTUBE, "def", "Budget travel hacks", ["#travel"], 300),
    _item(Platform.GOOGLE_TRENDS, "g1", "solar eclipse", [], 50),
]
COLLECTION = TrendCollection(
    collected_at=NOW, items=ITEMS, sources=[SourceReport(source="bundled", ok=True, item_count=4)]
)
CONFIG = ThemeConfig(
    config=ThemeSettings(theme="everyday tech tips", target_audience="busy creators"),
    content_references=[
        ContentReference(
            ref_id="why", title="Why trends", talking_points=["Ride the first wave of a trend"]
        )
    ],
)

ANALYSIS = {
    "top_keywords": [
        {"term": "AI  Tools", "score": 0.9},
        {"term": "budget", "score": 1.4},
        {"term": "ai tools", "score": 0.2},
    ],
    "clusters": [
        {
            "label": "AI productivity",
            "keywords": ["ai tools", "productivity"],
            "hashtags": ["#AITools", "productivity"],
            "item_ids": ["youtube:abc", "tiktok:t1", "youtube:invented"],
            "score": 0.8,
        },
        {"label": "Ghost", "keywords": [], "hashtags": [], "item_ids": ["x:1"], "score": 0.9},
    ],
    "recommended_format": {
        "hook_style": "bold question",
        "pacing": "fast cuts",
        "duration_seconds": 240,
        "reason": "Fast-rising AI tool videos run 20-40 s.",
    },
    "chosen_topic": {
        "label": "AI tools that save hours",
        "keywords": ["ai tools", " "],
        "hashtags": ["AITools"],
        "reason": "Two of the fastest-rising items are about AI tools.",
        "supporting_item_ids": ["tiktok:t1", "youtube:zzz", "youtube:abc", "tiktok:t1"],
    },
}

NARRATION = [
    "Stop scrolling: three AI tools can give you back two hours every single week.",
    "First, an inbox assistant drafts replies so you only tweak and send them.",
    "Second, a meeting recorder writes the summary and the action items for you.",
    "Third, a writing helper turns rough notes into a clean post in seconds.",
    "Follow for more tips and try one of these tools today before the trend peaks.",
]
SCRIPT = {
    "title": "3 AI tools that save hours",
    "hook": "Get 2 hours back",
    "scenes": [
        {
            "narration": text,
            "visual_intent": intent,
            "on_screen_text": f"Tip {i}",
            "keywords": ["laptop", " office "],
        }
        for i, (text, intent) in enumerate(
            zip(NARRATION, ["hook", "list", "list", "list", "cta"], strict=True)
        )
    ],
    "call_to_action": "Follow for more",
    "description": "Three AI tools that give you hours back.",
    "hashtags": ["#AITools", "productivity", "ai tools", "#aitools"],
}


def _reply(payload: Any, *, text: str | None = None, **extra: Any) -> Scripted:
    body = {
        "candidates": [
            {
                "content": {
                    "parts": [{"text": json.dumps(payload) if text is None else text}],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 1200,
            "candidatesTokenCount": 300,
            "thoughtsTokenCount": 100,
            "totalTokenCount": 1600,
        },
        "modelVersion": MODEL,
        **extra,
    }
    return Scripted.json(body)


def _error(status: int, reason: str) -> Scripted:
    body = {"error": {"code": status, "message": f"{reason} (key {KEY})", "status": reason}}
    return Scripted.json(body, status=status)


def _report() -> TrendReport:
    return TrendReport(
        generated_at=NOW,
        analyzer="offline",
        top_hashtags=hashtag_scores(ITEMS),
        top_keywords=[],
        clusters=[],
        engagement=engagement_stats(ITEMS),
        recommended_format=RecommendedFormat(
            hook_style="bold question", pacing="fast cuts", duration_seconds=30, reason="r"
        ),
        chosen_topic=ChosenTopic(
            label="AI tools that save hours",
            keywords=["ai tools"],
            hashtags=["aitools"],
            reason="rising",
            supporting_items=["tiktok:t1"],
            supporting_titles=["My ai tools desk setup"],
        ),
    )


def test_analyzer_builds_report_from_insights_and_deterministic_stats(
    http_fixture: FixtureServer,
) -> None:
    http_fixture.add("POST", PATH, _reply(ANALYSIS))
    usage = UsageLog()
    analyzer: Analyzer = GeminiAnalyzer(_settings(http_fixture.url))

    report = analyzer.analyze(COLLECTION, CONFIG, NOW, usage)

    assert report.analyzer == "gemini"
    assert report.generated_at == NOW
    assert report.engagement == engagement_stats(ITEMS)
    assert report.top_hashtags == hashtag_scores(ITEMS)
    assert [(k.term, k.count, k.score) for k in report.top_keywords] == [
        ("budget", 1, 1.0),
        ("ai tools", 2, 0.9),
    ]
    (cluster,) = report.clusters
    assert cluster.item_ids == ["youtube:abc", "tiktok:t1"]
    assert cluster.platforms == [Platform.TIKTOK, Platform.YOUTUBE]
    assert cluster.hashtags == ["aitools", "productivity"]
    assert cluster.total_velocity == pytest.approx(180 + 300)
    assert report.recommended_format.duration_seconds == 180
    chosen = report.chosen_topic
    assert chosen.supporting_items == ["tiktok:t1", "youtube:abc"]
    assert chosen.supporting_titles == ["My ai tools desk setup", "5 AI tools that save hours"]
    assert chosen.keywords == ["ai tools"]
    assert chosen.hashtags == ["aitools"]
    assert [(c.operation, c.units, c.unit_name) for c in usage.calls] == [
        ("analyze:input", 1200, "tokens"),
        ("analyze:output", 400, "tokens"),
    ]
    assert usage.total_cost() == pytest.approx(1200 * 0.30 / 1e6 + 400 * 2.50 / 1e6)


def test_analyzer_request_shape(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, _reply(ANALYSIS))
    GeminiAnalyzer(_settings(http_fixture.url)).analyze(COLLECTION, CONFIG, NOW, UsageLog())

    (request,) = http_fixture.requests
    assert request.path == PATH
    assert request.headers["x-goog-api-key"] == KEY
    assert KEY not in json.dumps(request.query)
    body = request.json()
    generation = body["generationConfig"]
    assert generation["responseMimeType"] == "application/json"
    assert set(generation["responseSchema"]["properties"]) == {
        "top_keywords",
        "clusters",
        "recommended_format",
        "chosen_topic",
    }
    assert generation["temperature"] == pytest.approx(0.2)
    prompt = body["contents"][0]["parts"][0]["text"]
    lines = [line for line in prompt.splitlines() if " | " in line and ":" in line.split()[0]]
    assert [line.split(" | ")[0] for line in lines] == [
        "tiktok:t1",
        "youtube:abc",
        "youtube:def",
        "google_trends:g1",
    ]
    assert "everyday tech tips" in prompt
    assert "Ride the first wave of a trend" in prompt
    assert body["systemInstruction"]["parts"][0]["text"]


def test_analyzer_rejects_topic_without_known_supporting_items(
    http_fixture: FixtureServer,
) -> None:
    answer = json.loads(json.dumps(ANALYSIS))
    answer["chosen_topic"]["supporting_item_ids"] = ["youtube:nope", "tiktok:nada"]
    http_fixture.add("POST", PATH, _reply(answer))
    usage = UsageLog()

    with pytest.raises(ProviderResponseError, match="cites none of the collected items"):
        GeminiAnalyzer(_settings(http_fixture.url)).analyze(COLLECTION, CONFIG, NOW, usage)
    assert len(usage.calls) == 2  # the tokens were spent all the same


def test_writer_returns_validated_script(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, _reply(SCRIPT))
    usage = UsageLog()
    writer: ScriptWriter = GeminiScriptWriter(_settings(http_fixture.url))

    script = writer.write(_report(), CONFIG, 30, usage)

    assert script.writer == "gemini"
    assert script.target_seconds == 30
    assert [s.index for s in script.scenes] == [0, 1, 2, 3, 4]
    assert [s.visual_intent for s in script.scenes] == ["hook", "list", "list", "list", "cta"]
    assert script.scenes[0].narration == NARRATION[0]
    assert script.scenes[1].keywords == ["laptop", "office"]
    assert script.hashtags == ["#aitools", "#productivity"]
    assert 60 <= script.word_count() <= 100
    assert [c.operation for c in usage.calls] == ["write_script:input", "write_script:output"]
    body = http_fixture.requests[0].json()
    prompt = body["contents"][0]["parts"][0]["text"]
    assert "about 80 words" in prompt
    assert "160 words per minute" in prompt
    assert "AI tools that save hours" in prompt
    schema = body["generationConfig"]["responseSchema"]
    intent = schema["properties"]["scenes"]["items"]["properties"]["visual_intent"]
    assert set(intent["enum"]) == {"hook", "explain", "list", "stat", "contrast", "story", "cta"}


def test_writer_rejects_script_not_ending_with_cta(http_fixture: FixtureServer) -> None:
    answer = json.loads(json.dumps(SCRIPT))
    answer["scenes"][-1]["visual_intent"] = "story"
    http_fixture.add("POST", PATH, _reply(answer))

    with pytest.raises(ProviderResponseError, match="end with 'cta'"):
        GeminiScriptWriter(_settings(http_fixture.url)).write(_report(), CONFIG, 30, UsageLog())


def test_writer_rejects_narration_far_from_target_length(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, _reply(SCRIPT))
    writer = GeminiScriptWriter(_settings(http_fixture.url))

    with pytest.raises(ProviderResponseError) as caught:
        writer.write(_report(), CONFIG, 60, UsageLog())

    words = sum(len(text.split()) for text in NARRATION)
    assert f"has {words} words" in str(caught.value)
    assert "needs 160 ±25% (120-200)" in str(caught.value)


def test_unauthorized_is_auth_error_without_the_key(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, _error(403, "PERMISSION_DENIED"))
    sleeps: list[float] = []
    analyzer = GeminiAnalyzer(_settings(http_fixture.url), sleep=sleeps.append)

    with pytest.raises(ProviderAuthError) as caught:
        analyzer.analyze(COLLECTION, CONFIG, NOW, UsageLog())

    assert "HTTP 403" in str(caught.value)
    assert KEY not in str(caught.value)
    assert KEY not in caught.value.hint
    assert sleeps == []
    assert len(http_fixture.requests) == 1


def test_rate_limit_is_retried_with_backoff(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, _error(429, "RESOURCE_EXHAUSTED"), _reply(ANALYSIS))
    sleeps: list[float] = []
    analyzer = GeminiAnalyzer(_settings(http_fixture.url), sleep=sleeps.append)

    report = analyzer.analyze(COLLECTION, CONFIG, NOW, UsageLog())

    assert report.chosen_topic.label == "AI tools that save hours"
    assert jittered(sleeps, [0.5])
    assert len(http_fixture.requests) == 2  # the SDK did not retry on its own


def test_rate_limit_exhausted_is_rate_limit_error(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, _error(429, "RESOURCE_EXHAUSTED"))
    analyzer = GeminiAnalyzer(_settings(http_fixture.url, http_max_retries=1), sleep=lambda _: None)

    with pytest.raises(ProviderRateLimitError) as caught:
        analyzer.analyze(COLLECTION, CONFIG, NOW, UsageLog())
    assert caught.value.retryable
    assert len(http_fixture.requests) == 2


def test_server_errors_exhaust_retries(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, _error(503, "UNAVAILABLE"))
    sleeps: list[float] = []
    writer = GeminiScriptWriter(_settings(http_fixture.url), sleep=sleeps.append)

    with pytest.raises(ProviderUnavailableError) as caught:
        writer.write(_report(), CONFIG, 30, UsageLog())

    assert caught.value.retryable
    assert caught.value.provider == "gemini"
    assert KEY not in str(caught.value)
    assert jittered(sleeps, [0.5, 1.0])
    assert len(http_fixture.requests) == 3


def test_unreachable_service_is_unavailable() -> None:
    settings = _settings("http://127.0.0.1:9", http_max_retries=0)

    with pytest.raises(ProviderUnavailableError, match="generateContent failed"):
        GeminiAnalyzer(settings).analyze(COLLECTION, CONFIG, NOW, UsageLog())


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (_reply(None, text="{not json"), "does not match AnalysisDraft"),
        (_reply({"top_keywords": []}), "does not match AnalysisDraft"),
        (Scripted.text("<html>gateway</html>", content_type="text/html"), "undecodable body"),
        (
            Scripted.json({"candidates": [{"finishReason": "SAFETY"}]}),
            "empty answer .finish reason",
        ),
        (
            Scripted.json({"promptFeedback": {"blockReason": "SAFETY"}}),
            "empty answer .prompt blocked",
        ),
    ],
)
def test_unusable_answers_are_response_errors(
    http_fixture: FixtureServer, reply: Scripted, message: str
) -> None:
    http_fixture.add("POST", PATH, reply)
    analyzer = GeminiAnalyzer(_settings(http_fixture.url), sleep=lambda _: None)

    with pytest.raises(ProviderResponseError, match=message) as caught:
        analyzer.analyze(COLLECTION, CONFIG, NOW, UsageLog())
    assert not caught.value.retryable
    assert len(http_fixture.requests) == 1


@pytest.mark.parametrize("cls", [GeminiAnalyzer, GeminiScriptWriter])
def test_missing_key_is_not_configured(cls: type[GeminiAnalyzer | GeminiScriptWriter]) -> None:
    with pytest.raises(ProviderNotConfiguredError) as caught:
        cls(_settings("http://127.0.0.1:9", gemini_api_key=None))
    assert caught.value.setting == "TRENDREEL_GEMINI_API_KEY"
    assert caught.value.provider == "gemini"
