"""An analyzer whose topic choice is checked against the theme by meaning, with an embedder.

With ``TRENDREEL_ANALYZER=gemini``, Gemini groups the trends and scores the clusters; this
wrapper then measures how close each cluster is to the theme with Gemini's embedding model
(``theme_meaning``) and chooses like the offline analyzer does: the related cluster with the
best score × fit, or, when none is related, the best score, saying so. When that is the topic
Gemini chose too, Gemini's own words stay in the why, after the relation found.
"""

from __future__ import annotations

from datetime import datetime

from trendreel.models import ThemeConfig, TrendCollection, TrendReport
from trendreel.models.trends import (
    ChosenTopic,
    ScoredTrendItem,
    ThemeFit,
    TopicCluster,
    by_preference,
)
from trendreel.providers.base import Analyzer, UsageLog
from trendreel.providers.llm.embeddings import Embedder
from trendreel.providers.llm.theme_meaning import Meaning, theme_meanings
from trendreel.providers.llm.topic_reason import choice_head, chosen_from, ident

MEANING_BOOST = 1.5


class ThemeFittedAnalyzer:
    def __init__(self, inner: Analyzer, embedder: Embedder) -> None:
        self._inner = inner
        self._embedder = embedder
        self.name = inner.name

    def analyze(
        self, collection: TrendCollection, config: ThemeConfig, now: datetime, usage: UsageLog
    ) -> TrendReport:
        report = self._inner.analyze(collection, config, now, usage)
        if not report.clusters:
            return report
        theme = config.config.theme
        items = {ident(i): i for i in collection.items}
        groups = [[items[i] for i in c.item_ids if i in items] for c in report.clusters]
        meanings = theme_meanings(theme, groups, self._embedder, usage)
        clusters = [
            c.model_copy(update={"fit": _fit(m)})
            for c, m in zip(report.clusters, meanings, strict=True)
        ]
        chosen = _chosen(theme, report.chosen_topic, by_preference(clusters), items)
        return report.model_copy(update={"clusters": clusters, "chosen_topic": chosen})


def _fit(meaning: Meaning) -> ThemeFit:
    boost = 1.0 + MEANING_BOOST * meaning.similarity if meaning.related else 1.0
    return ThemeFit(
        related=meaning.related,
        boost=round(boost, 4),
        similarity=meaning.similarity,
        relation=meaning.describe(),
    )


def _chosen(
    theme: str,
    proposed: ChosenTopic,
    ranked: list[TopicCluster],
    items: dict[str, ScoredTrendItem],
) -> ChosenTopic:
    best = ranked[0]
    if set(proposed.supporting_items) & set(best.item_ids):
        head = choice_head(theme, best, ranked)
        return proposed.model_copy(update={"reason": f"{head}. {proposed.reason}"})
    note = f" The analyzer's own pick, '{proposed.label}', fits the theme less."
    return chosen_from(theme, best, ranked, items, note)
