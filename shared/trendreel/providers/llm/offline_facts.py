"""The facts a script can state, taken from the trend report and the theme config.

Every value is already in spoken form ("204 thousand", "TikTok, YouTube and Google search");
facts the report does not support are simply absent, and templates that need them are skipped.
Works with any analyzer's report: the chosen topic is matched to its cluster by label or by
shared items, and the writer copes when there is none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trendreel.models import ThemeConfig, TopicCluster, TrendReport
from trendreel.providers.llm.offline_speech import (
    audience_short,
    clean_for_speech,
    count_word,
    join_words,
    short_number,
    speakable,
    spoken_number,
    tame_caps,
    topic_phrase,
)

SPOKEN_PLATFORMS = {"youtube": "YouTube", "tiktok": "TikTok", "google_trends": "Google search"}
SCREEN_PLATFORMS = {"youtube": "YouTube", "tiktok": "TikTok", "google_trends": "Google"}
MIN_RATIO = 1.5
MAX_TITLE_WORDS = 14
MIN_VELOCITY = 1.0


@dataclass(frozen=True)
class TopicFacts:
    fields: dict[str, str]
    topic_title: str
    platforms_screen: list[str]
    keywords: list[str]
    velocity: float | None


def find_cluster(report: TrendReport) -> TopicCluster | None:
    chosen = report.chosen_topic
    for cluster in report.clusters:
        if cluster.label == chosen.label:
            return cluster
    support = set(chosen.supporting_items)
    overlapping = [c for c in report.clusters if support & set(c.item_ids)]
    return max(overlapping, key=lambda c: len(support & set(c.item_ids)), default=None)


def gather_facts(report: TrendReport, config: ThemeConfig) -> TopicFacts:
    cluster = find_cluster(report)
    topic = topic_phrase(report.chosen_topic.label) or "this trend"
    fields: dict[str, str] = {"topic": topic, "theme": clean_for_speech(config.config.theme)}
    velocity = (
        cluster.total_velocity if cluster and cluster.total_velocity >= MIN_VELOCITY else None
    )
    if velocity is not None and cluster is not None:
        fields |= _velocity_fields(velocity, len(cluster.item_ids), report)
    platforms = [p.value for p in cluster.platforms] if cluster else []
    fields |= _platform_fields(platforms)
    keywords = _keywords(report, topic)
    fields |= {
        name: kw for name, kw in zip(("keyword", "keyword2", "keyword3"), keywords, strict=False)
    }
    fields |= _titles(report.chosen_topic.supporting_titles)
    fields |= _config_fields(config)
    fields |= _collection_fields(report)
    return TopicFacts(
        fields={k: v for k, v in fields.items() if v},
        topic_title=" ".join(w if w.isupper() else w.capitalize() for w in topic.split()),
        platforms_screen=[SCREEN_PLATFORMS.get(p, p) for p in platforms],
        keywords=keywords,
        velocity=velocity,
    )


def _velocity_fields(velocity: float, members: int, report: TrendReport) -> dict[str, str]:
    fields = {"velocity": spoken_number(velocity), "velocity_short": short_number(velocity)}
    if members >= 2:
        fields["count"] = count_word(members)
    median = report.engagement.median_velocity
    ratio = velocity / members / median if median > 0 and members else 0.0
    if ratio >= MIN_RATIO:
        fields["ratio"] = count_word(round(ratio))
    return fields


def _platform_fields(platforms: list[str]) -> dict[str, str]:
    names = [SPOKEN_PLATFORMS.get(p, p.replace("_", " ")) for p in platforms]
    if len(names) == 1:
        return {"platform_one": names[0]}
    if len(names) >= 2:
        return {"platforms": join_words(names), "n_platforms": count_word(len(names))}
    return {}


def _keywords(report: TrendReport, topic: str) -> list[str]:
    """Topic keywords that add to the label, in spoken form."""
    label_words = set(topic.lower().split())
    keywords = [clean_for_speech(k).lower() for k in report.chosen_topic.keywords]
    keywords = [k for k in dict.fromkeys(keywords) if k and k not in label_words]
    titles = " ".join(clean_for_speech(t).lower() for t in report.chosen_topic.supporting_titles)
    merged = _merge_pairs(keywords, titles)
    return [" ".join(speakable(w) for w in k.split()) for k in dict.fromkeys(merged)]


def _merge_pairs(keywords: list[str], titles: str) -> list[str]:
    """Join two keywords the titles write side by side ("cottage" + "cheese")."""
    merged: list[str] = []
    for word in keywords:
        for index, previous in enumerate(merged):
            pair = _pair_in(previous, word, titles)
            if pair:
                merged[index] = pair
                break
        else:
            merged.append(word)
    return merged


def _pair_in(previous: str, word: str, titles: str) -> str | None:
    if " " in previous:
        return None
    for pair in (f"{previous} {word}", f"{word} {previous}"):
        if re.search(rf"\b{re.escape(pair)}\b", titles):
            return pair
    return None


def _titles(titles: list[str]) -> dict[str, str]:
    cleaned = [tame_caps(clean_for_speech(t)).replace(":", ",").rstrip(".!?;, ") for t in titles]
    usable = [t for t in cleaned if t and len(t.split()) <= MAX_TITLE_WORDS]
    return dict(zip(("title", "title2", "title3"), usable, strict=False))


def _config_fields(config: ThemeConfig) -> dict[str, str]:
    settings = config.config
    tagline = clean_for_speech(settings.tagline)
    if tagline and tagline[-1] not in ".!?":
        tagline += "."
    return {
        "audience": clean_for_speech(settings.target_audience),
        "audience_short": audience_short(settings.target_audience),
        "product": clean_for_speech(settings.product_name),
        "tagline": tagline,
    }


def _collection_fields(report: TrendReport) -> dict[str, str]:
    stats = report.engagement
    fields = {}
    if stats.median_views >= 1:
        fields["median_views"] = spoken_number(stats.median_views)
    rate = round(stats.mean_engagement_rate * 100)
    if 1 <= rate <= 100:
        fields["rate"] = count_word(rate)
    return fields
