"""The trend-analysis prompt, the answer schema Gemini fills in, and the report built from it.

Gemini contributes judgement (keywords, clusters, format, the chosen topic); counts, engagement
statistics and hashtag rankings are computed here, deterministically, from the collection.
"""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel, Field

from trendreel.errors import ProviderResponseError
from trendreel.models import (
    ChosenTopic,
    KeywordScore,
    RecommendedFormat,
    ThemeConfig,
    TopicCluster,
    TrendReport,
)
from trendreel.models.trends import ScoredTrendItem
from trendreel.providers.llm.trend_stats import engagement_stats, hashtag_scores, normalise_hashtag

PROVIDER = "gemini"
MAX_LISTED_ITEMS = 80
MAX_KEYWORDS = 15

SYSTEM = (
    "You are a short-form video strategist. You read trending items and decide which topic a "
    "brand should make a vertical short about. Answer only with JSON matching the schema; cite "
    "items only by the ids given in the listing."
)


class KeywordDraft(BaseModel):
    term: str = Field(description="keyword or short phrase, lowercase")
    score: float = Field(description="relevance to the trends and the theme, 0 to 1")


class ClusterDraft(BaseModel):
    label: str = Field(description="short topic name")
    keywords: list[str]
    hashtags: list[str] = Field(description="hashtags without '#'")
    item_ids: list[str] = Field(description="ids of member items, copied exactly from the listing")
    score: float = Field(description="how promising the cluster is for the theme, 0 to 1")


class FormatDraft(BaseModel):
    hook_style: str = Field(description="how the first two seconds should grab attention")
    pacing: str = Field(description="e.g. fast cuts, steady, build-up")
    duration_seconds: int = Field(description="recommended video length, 5 to 180")
    reason: str


class ChosenDraft(BaseModel):
    label: str
    keywords: list[str]
    hashtags: list[str] = Field(description="hashtags without '#'")
    reason: str = Field(description="why this topic, citing the evidence")
    supporting_item_ids: list[str] = Field(description="ids from the listing that support it")


class AnalysisDraft(BaseModel):
    top_keywords: list[KeywordDraft]
    clusters: list[ClusterDraft]
    recommended_format: FormatDraft
    chosen_topic: ChosenDraft


def item_id(item: ScoredTrendItem) -> str:
    return f"{item.platform.value}:{item.external_id}"


def listing(items: list[ScoredTrendItem]) -> str:
    """One compact line per item, fastest-rising first."""
    ranked = sorted(items, key=lambda i: (-i.engagement_velocity_per_hour, item_id(i)))
    lines = []
    for item in ranked[:MAX_LISTED_ITEMS]:
        tags = " ".join(f"#{normalise_hashtag(t)}" for t in item.hashtags[:8])
        duration = f" | {item.duration_seconds:.0f}s" if item.duration_seconds else ""
        lines.append(
            f"{item_id(item)} | {item.title[:120]} | {tags} | views {item.views}"
            f" | velocity {item.engagement_velocity_per_hour:.1f}/h{duration}"
        )
    return "\n".join(lines)


def analysis_prompt(items: list[ScoredTrendItem], config: ThemeConfig, now: datetime) -> str:
    theme = config.config.model_dump(exclude={"auto_post"})
    refs = [
        {"title": r.title, "talking_points": r.talking_points} for r in config.content_references
    ]
    return (
        f"Now: {now.isoformat()}\n"
        f"Theme config: {json.dumps(theme)}\n"
        f"Content references: {json.dumps(refs)}\n\n"
        "Trending items (id | title | hashtags | views | engagement velocity | duration):\n"
        f"{listing(items)}\n\n"
        f"List up to {MAX_KEYWORDS} top keywords, group the items into topic clusters, "
        "recommend a format, and choose the one topic that best fits the theme and is rising "
        "fastest. Cite supporting items by their exact ids."
    )


def build_report(
    draft: AnalysisDraft, items: list[ScoredTrendItem], now: datetime, analyzer: str
) -> TrendReport:
    by_id = {item_id(i): i for i in items}
    clusters = [c for c in (_cluster(d, by_id) for d in draft.clusters) if c is not None]
    fmt = draft.recommended_format
    return TrendReport(
        generated_at=now,
        analyzer=analyzer,
        top_hashtags=hashtag_scores(items),
        top_keywords=_keywords(draft.top_keywords, items),
        clusters=sorted(clusters, key=lambda c: (-c.score, c.label)),
        engagement=engagement_stats(items),
        recommended_format=RecommendedFormat(
            hook_style=fmt.hook_style,
            pacing=fmt.pacing,
            duration_seconds=min(max(fmt.duration_seconds, 5), 180),
            reason=fmt.reason,
        ),
        chosen_topic=_chosen(draft.chosen_topic, by_id),
    )


def _known(ids: list[str], by_id: dict[str, ScoredTrendItem]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in ids if i.strip() in by_id))


def _tags(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in (normalise_hashtag(x) for x in tags) if t))


def _unit(score: float) -> float:
    return round(min(max(score, 0.0), 1.0), 5)


def _keywords(drafts: list[KeywordDraft], items: list[ScoredTrendItem]) -> list[KeywordScore]:
    texts = [" ".join([i.title, i.description, *i.hashtags]).lower() for i in items]
    result: dict[str, KeywordScore] = {}
    for draft in drafts:
        term = " ".join(draft.term.lower().split())
        if term and term not in result:
            count = sum(1 for text in texts if term in text)
            result[term] = KeywordScore(term=term, count=count, score=_unit(draft.score))
    return sorted(result.values(), key=lambda k: (-k.score, -k.count, k.term))[:MAX_KEYWORDS]


def _cluster(draft: ClusterDraft, by_id: dict[str, ScoredTrendItem]) -> TopicCluster | None:
    members = _known(draft.item_ids, by_id)
    if not members or not draft.label.strip():
        return None
    platforms = sorted({by_id[i].platform for i in members}, key=lambda p: p.value)
    return TopicCluster(
        label=draft.label.strip(),
        keywords=[k.strip() for k in draft.keywords if k.strip()],
        hashtags=_tags(draft.hashtags),
        item_ids=members,
        platforms=platforms,
        score=_unit(draft.score),
        total_velocity=round(sum(by_id[i].engagement_velocity_per_hour for i in members), 3),
    )


def _chosen(draft: ChosenDraft, by_id: dict[str, ScoredTrendItem]) -> ChosenTopic:
    supporting = _known(draft.supporting_item_ids, by_id)
    if not draft.label.strip():
        raise ProviderResponseError(PROVIDER, "chosen topic has an empty label")
    if not supporting:
        raise ProviderResponseError(
            PROVIDER,
            f"chosen topic {draft.label!r} cites none of the collected items "
            f"({len(draft.supporting_item_ids)} unknown ids)",
        )
    return ChosenTopic(
        label=draft.label.strip(),
        keywords=[k.strip() for k in draft.keywords if k.strip()],
        hashtags=_tags(draft.hashtags),
        reason=draft.reason,
        supporting_items=supporting,
        supporting_titles=[by_id[i].title for i in supporting],
    )
