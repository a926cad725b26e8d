"""A chosen topic and why, in words: the relation to the theme found, or that none was found
and trend strength decided, then the evidence (how many trends, where, how fast).

Shared by the analyzers and by trend analysis's repeat check, so a topic reads the same
whichever of them chose it.
"""

from __future__ import annotations

from trendreel.models.trends import ChosenTopic, ScoredTrendItem, TopicCluster

PLATFORM_NAMES = {"youtube": "YouTube", "tiktok": "TikTok", "google_trends": "Google Trends"}
SUPPORTING_ITEMS = 5


def chosen_from(
    theme: str,
    cluster: TopicCluster,
    ranked: list[TopicCluster],
    items: dict[str, ScoredTrendItem],
    note: str = "",
) -> ChosenTopic:
    """``cluster`` as the chosen topic; ``items``: the collection by ``platform:external_id``."""
    members = [items[i] for i in cluster.item_ids if i in items]
    members.sort(key=lambda i: (-i.engagement_velocity_per_hour, -i.views, ident(i)))
    supporting = members[:SUPPORTING_ITEMS]
    return ChosenTopic(
        label=cluster.label,
        keywords=cluster.keywords,
        hashtags=cluster.hashtags,
        reason=choice_reason(theme, cluster, ranked, supporting, note),
        supporting_items=[ident(i) for i in supporting],
        supporting_titles=[i.title for i in supporting],
    )


def ident(item: ScoredTrendItem) -> str:
    return f"{item.platform.value}:{item.external_id}"


def choice_reason(
    theme: str,
    chosen: TopicCluster,
    ranked: list[TopicCluster],
    supporting: list[ScoredTrendItem],
    note: str = "",
) -> str:
    """``ranked``: every candidate, preferred first; ``supporting``: fastest first; ``note``:
    a last sentence (what was skipped)."""
    return f"{choice_head(theme, chosen, ranked)}: {_evidence(chosen, supporting)}.{note}"


def choice_head(theme: str, chosen: TopicCluster, ranked: list[TopicCluster]) -> str:
    """The first part of the why: how the topic relates to the theme and how it ranked."""
    label = f"'{chosen.label}'"
    if chosen.related and chosen.fit is not None:
        count = sum(c.related for c in ranked)
        weights = f"{chosen.score:.2f} × fit {chosen.fit.boost:.2f} = {chosen.weighted_score:.2f}"
        return (
            f"{theme} theme: {chosen.fit.relation}. {label} is the best fit of {count} related "
            f"{_topics(count)} ({weights})"
        )
    strongest = (
        f"{label} is the strongest of {len(ranked)} {_topics(len(ranked))} "
        f"(score {chosen.score:.2f})"
    )
    if any(c.related for c in ranked):
        return (
            f"No topic related to the {theme} theme is left to choose, so trend strength "
            f"decided: {strongest}"
        )
    return (
        f"Nothing in the trends relates to the {theme} theme{_closest(ranked)}, so trend "
        f"strength decided: {strongest}"
    )


def _closest(ranked: list[TopicCluster]) -> str:
    fits = [c.fit for c in ranked if c.fit is not None and c.fit.similarity is not None]
    if not fits:
        return ""
    return f" ({max(fits, key=lambda fit: fit.similarity or 0.0).relation})"


def _evidence(chosen: TopicCluster, supporting: list[ScoredTrendItem]) -> str:
    platforms = ", ".join(PLATFORM_NAMES.get(p.value, p.value) for p in chosen.platforms)
    count = len(chosen.item_ids)
    text = (
        f"{count} {'trend' if count == 1 else 'trends'} on {platforms} with about "
        f"{chosen.total_velocity:,.0f} likes, comments and shares an hour combined"
    )
    return f"{text}. Fastest: '{supporting[0].title}'" if supporting else text


def _topics(count: int) -> str:
    return "topic" if count == 1 else "topics"
