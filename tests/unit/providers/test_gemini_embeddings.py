"""Theme fit with Gemini: its embedding model against a scripted batchEmbedContents endpoint,
and the analyzer bootstrap builds for TRENDREEL_ANALYZER=gemini."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.providers.test_gemini import COLLECTION, KEY, NOW, PATH, _reply, _settings
from tests.unit.test_http_client import jittered
from trendreel.bootstrap import analyzer
from trendreel.errors import ProviderAuthError, ProviderResponseError
from trendreel.models import ThemeConfig, ThemeSettings
from trendreel.providers.base import UsageLog
from trendreel.providers.llm.gemini_embedder import GeminiEmbedder

MODEL = "gemini-embedding-001"
EMBED_PATH = f"/v1beta/models/{MODEL}:batchEmbedContents"
THEME = "saving money on trips"


def embeddings(*vectors: list[float], tokens: int | None = None) -> Scripted:
    body: dict[str, Any] = {"embeddings": [{"values": v} for v in vectors]}
    if tokens is not None:
        body["usageMetadata"] = {"promptTokenCount": tokens, "totalTokenCount": tokens}
    return Scripted.json(body)


def test_texts_go_in_one_batch_request_and_come_back_as_unit_vectors(
    http_fixture: FixtureServer,
) -> None:
    http_fixture.add("POST", EMBED_PATH, embeddings([3.0, 4.0], [0.0, 2.0]))
    usage = UsageLog()

    vectors = GeminiEmbedder(_settings(http_fixture.url)).embed(
        ["cheap flights", "abcdefghi"], usage
    )

    assert vectors.tolist() == [pytest.approx([0.6, 0.8]), pytest.approx([0.0, 1.0])]
    (request,) = http_fixture.requests
    assert request.headers["x-goog-api-key"] == KEY
    assert request.json() == {
        "requests": [
            {
                "model": f"models/{MODEL}",
                "content": {"parts": [{"text": text}]},
                "taskType": "SEMANTIC_SIMILARITY",
                "outputDimensionality": 768,
            }
            for text in ["cheap flights", "abcdefghi"]
        ]
    }
    # no token count in the answer: 22 characters estimated at four a token, rounded up
    (call,) = usage.calls
    assert (call.provider, call.operation, call.units, call.unit_name) == (
        "gemini",
        "embed",
        6,
        "tokens_estimated",
    )
    assert call.estimated_cost_usd == round(6 * 0.15 / 1e6, 6)  # the usage log keeps 6 places


def test_a_counted_answer_is_billed_by_its_count_and_big_inputs_go_in_batches(
    http_fixture: FixtureServer,
) -> None:
    http_fixture.add(
        "POST", EMBED_PATH, embeddings(*[[1.0, 0.0]] * 100, tokens=900), embeddings([0.0, 1.0])
    )
    usage = UsageLog()

    vectors = GeminiEmbedder(_settings(http_fixture.url)).embed(
        [f"t{n}" for n in range(101)], usage
    )

    assert vectors.shape == (101, 2)
    assert [len(r.json()["requests"]) for r in http_fixture.requests] == [100, 1]
    assert [(c.units, c.unit_name) for c in usage.calls] == [
        (900, "tokens"),
        (1, "tokens_estimated"),
    ]
    assert usage.total_cost() == pytest.approx(901 * 0.15 / 1e6, abs=1e-6)


def test_an_answer_that_does_not_match_the_texts_is_a_response_error(
    http_fixture: FixtureServer,
) -> None:
    http_fixture.add("POST", EMBED_PATH, embeddings([1.0, 0.0]))
    with pytest.raises(ProviderResponseError, match="1 usable embeddings for 2 texts"):
        GeminiEmbedder(_settings(http_fixture.url)).embed(["a", "b"], UsageLog())


def test_rate_limits_are_retried_and_refusals_are_named_without_the_key(
    http_fixture: FixtureServer,
) -> None:
    busy = Scripted.json({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}, status=429)
    http_fixture.add("POST", EMBED_PATH, busy, embeddings([1.0]))
    sleeps: list[float] = []
    embedder = GeminiEmbedder(_settings(http_fixture.url), sleep=sleeps.append)
    assert embedder.embed(["a"], UsageLog()).tolist() == [[1.0]]
    assert jittered(sleeps, [0.5])

    denied = {"error": {"code": 403, "message": f"bad key {KEY}", "status": "PERMISSION_DENIED"}}
    http_fixture.add("POST", "/v1beta/models/other:batchEmbedContents", Scripted.json(denied, 403))
    other = GeminiEmbedder(_settings(http_fixture.url, gemini_embedding_model="other"))
    with pytest.raises(ProviderAuthError, match="batchEmbedContents answered HTTP 403") as caught:
        other.embed(["a"], UsageLog())
    assert KEY not in str(caught.value)


ANALYSIS = {
    "top_keywords": [{"term": "ai tools", "score": 0.9}],
    "clusters": [
        {
            "label": "AI productivity",
            "keywords": ["ai tools"],
            "hashtags": ["aitools"],
            "item_ids": ["youtube:abc", "tiktok:t1"],
            "score": 0.8,
        },
        {
            "label": "Budget travel",
            "keywords": ["travel"],
            "hashtags": ["travel"],
            "item_ids": ["youtube:def"],
            "score": 0.5,
        },
    ],
    "recommended_format": {
        "hook_style": "question",
        "pacing": "fast cuts",
        "duration_seconds": 30,
        "reason": "short wins",
    },
    "chosen_topic": {
        "label": "AI tools that save hours",
        "keywords": ["ai tools"],
        "hashtags": ["aitools"],
        "reason": "The fastest-rising items are about AI tools.",
        "supporting_item_ids": ["tiktok:t1", "youtube:abc"],
    },
}
THEME_VECTOR = [1.0, 0.0, 0.0]
AI_TOOLS = [[0.1, 1.0, 0.0], [0.0, 1.0, 0.2]]  # youtube:abc, tiktok:t1
TRAVEL = [[0.9, 0.0, 0.3]]  # youtube:def: close to the theme


def gemini_analysis(http_fixture: FixtureServer, theme: str) -> tuple[Any, UsageLog]:
    http_fixture.add("POST", PATH, _reply(ANALYSIS))
    http_fixture.add("POST", EMBED_PATH, embeddings(THEME_VECTOR, *AI_TOOLS, *TRAVEL, tokens=40))
    settings = _settings(http_fixture.url, analyzer="gemini")
    config = ThemeConfig(config=ThemeSettings(theme=theme))
    usage = UsageLog()
    return analyzer(settings).analyze(COLLECTION, config, NOW, usage), usage


def test_with_gemini_the_topic_closest_to_the_theme_in_meaning_is_chosen(
    http_fixture: FixtureServer,
) -> None:
    report, usage = gemini_analysis(http_fixture, THEME)

    chosen = report.chosen_topic
    assert chosen.label == "Budget travel"
    assert chosen.supporting_items == ["youtube:def"]
    assert chosen.reason.startswith(
        f"{THEME} theme: related by meaning to 'Budget travel hacks' (similarity 0.95)."
    )
    own_pick = "The analyzer's own pick, 'AI tools that save hours', fits the theme less."
    assert chosen.reason.endswith(own_pick)
    travel = next(c for c in report.clusters if c.label == "Budget travel")
    assert travel.fit is not None
    assert travel.fit.related
    texts = [r["content"]["parts"][0]["text"] for r in http_fixture.requests[1].json()["requests"]]
    assert texts[0] == THEME
    assert texts[1:] == [
        "5 AI tools that save hours. ai tools productivity",
        "My ai tools desk setup. ai tools desk setup",
        "Budget travel hacks. travel",
    ]
    assert [c.operation for c in usage.calls] == ["analyze:input", "analyze:output", "embed"]


def test_with_gemini_its_own_words_stay_when_its_pick_fits_best(
    http_fixture: FixtureServer,
) -> None:
    http_fixture.add("POST", PATH, _reply(ANALYSIS))
    vectors = [[0.0, 1.0, 0.0], *AI_TOOLS, *TRAVEL]  # now the theme is about AI tools
    http_fixture.add("POST", EMBED_PATH, embeddings(*vectors))
    config = ThemeConfig(config=ThemeSettings(theme="working smarter"))
    settings = _settings(http_fixture.url, analyzer="gemini")

    report = analyzer(settings).analyze(COLLECTION, config, NOW, UsageLog())

    chosen = report.chosen_topic
    assert chosen.label == "AI tools that save hours"
    assert chosen.reason.startswith("working smarter theme: related by meaning to ")
    assert chosen.reason.endswith(". The fastest-rising items are about AI tools.")
    ai = next(c for c in report.clusters if c.label == "AI productivity")
    assert ai.fit is not None
    assert ai.fit.similarity is not None
    assert ai.fit.boost == pytest.approx(1 + 1.5 * ai.fit.similarity, abs=1e-4)
