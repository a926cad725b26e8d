"""How well a trend cluster fits the user's theme, as a score multiplier.

``boost = 1 + 1.5 × theme coverage + 0.05 × (context words the cluster uses, at most 6)``

* theme coverage — the mean over the words of ``config.theme`` of how much of the cluster uses
  that word: fully when half or more of its items do, proportionally below. A member "uses" a
  word when its title, description or split hashtags contain it, or one of its hashtags
  contains it (``music`` in ``#newmusic``). Coverage, not mere presence, so one stray
  ``#travel`` tag on a gadget video does not make it a travel topic.
* context words — the target audience, talking points and reference titles. They are many and
  generic, so they add at most +0.3 and mostly break near-ties.

This is the word half of the offline analyzer's fit to the theme; ``offline_fit`` adds the
meaning half and decides what counts as related.
"""

from __future__ import annotations

from dataclasses import dataclass

from trendreel.models import ThemeConfig
from trendreel.providers.llm.offline_clusters import Cluster, ItemTerms, cluster_terms
from trendreel.providers.llm.offline_text import theme_terms

THEME_BOOST = 1.5
CONTEXT_BOOST = 0.05
CONTEXT_CAP = 6
FULL_COVERAGE_SHARE = 0.5
MIN_TAG_SUBSTRING = 4


@dataclass(frozen=True)
class Relevance:
    """Matched theme stems, matched context stems and the resulting multiplier."""

    theme_matched: list[str]
    context_matched: list[str]
    coverage: float

    @property
    def matched(self) -> list[str]:
        return self.theme_matched + self.context_matched

    @property
    def boost(self) -> float:
        context = CONTEXT_BOOST * min(len(self.context_matched), CONTEXT_CAP)
        return 1.0 + THEME_BOOST * self.coverage + context


class ThemeProfile:
    """The config's theme words and its context words (audience, talking points, titles)."""

    def __init__(self, config: ThemeConfig) -> None:
        context = [config.config.target_audience, *config.talking_points()]
        context += [ref.title for ref in config.content_references]
        self.theme = sorted(theme_terms(config.config.theme))
        self.context = {t for text in context for t in theme_terms(text)} - set(self.theme)

    def relevance(self, cluster: Cluster) -> Relevance:
        size = len(cluster.members)
        shares = {t: sum(_uses(m, t) for m in cluster.members) / size for t in self.theme}
        coverage = [min(1.0, share / FULL_COVERAGE_SHARE) for share in shares.values()]
        matched = sorted((t for t in self.theme if shares[t] > 0), key=lambda t: -shares[t])
        context = sorted(cluster_terms(cluster) & self.context)
        mean = sum(coverage) / len(coverage) if coverage else 0.0
        return Relevance(matched, context, mean)


def _uses(member: ItemTerms, term: str) -> bool:
    if term in member.words:
        return True
    if len(term) >= MIN_TAG_SUBSTRING:
        return any(term in tag for tag in member.tags)
    return term in member.tags
