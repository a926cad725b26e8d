"""Term extraction and topic clustering for the offline analyzer.

Items are grouped by the overlap of their informative terms (hashtags and stemmed words that
occur in at least two items but not in a large share of all items), with single-linkage
union-find over pairs that share ``MIN_SHARED_TERMS`` terms and whose Jaccard similarity reaches
``JACCARD_THRESHOLD``. It is
deterministic: items are visited in collection order and ties break on item ids.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from trendreel.models.trends import Platform, ScoredTrendItem
from trendreel.providers.llm.offline_text import (
    STOPWORDS,
    Vocabulary,
    split_compound,
    stem,
    words,
)
from trendreel.providers.llm.trend_stats import normalise_hashtag

#: Pairs of items at least this similar (Jaccard of informative terms) share a cluster.
JACCARD_THRESHOLD = 0.2
#: ...and share at least this many informative terms (one shared word is a coincidence).
MIN_SHARED_TERMS = 2
#: Terms in more than this share of all items are too generic to link items...
MAX_LINK_SHARE = 0.2
#: ...except that in small collections a term may always link up to this many items.
MIN_LINK_DF_CAP = 5
#: Search trends have no likes; log(search volume) times this stands in for log(1+velocity).
#: 0.6 puts a 200K-search trend (12.2 → 7.3) level with ~1,500 engagements an hour.
SEARCH_WEIGHT_SCALE = 0.6


@dataclass(frozen=True)
class ItemTerms:
    """One item's stemmed words (with counts), normalised hashtags and ranking weight."""

    item: ScoredTrendItem
    words: Counter[str]
    tags: frozenset[str]
    weight: float

    @property
    def ident(self) -> str:
        return f"{self.item.platform.value}:{self.item.external_id}"

    def features(self) -> set[str]:
        """Words plus hashtags (prefixed so a tag never equals a word)."""
        return set(self.words) | {"#" + t for t in self.tags}


@dataclass
class Cluster:
    members: list[ItemTerms] = field(default_factory=list)

    @property
    def platforms(self) -> list[Platform]:
        return sorted({m.item.platform for m in self.members}, key=lambda p: p.value)

    def raw_strength(self, cross_platform_bonus: float) -> float:
        """Sum of member weights, multiplied up for every extra platform it appears on."""
        bonus = 1.0 + cross_platform_bonus * (len(self.platforms) - 1)
        return sum(m.weight for m in self.members) * bonus

    def by_velocity(self) -> list[ItemTerms]:
        """Members fastest first; search trends (velocity 0) follow by search volume."""
        return sorted(
            self.members,
            key=lambda m: (-m.item.engagement_velocity_per_hour, -m.item.views, m.ident),
        )


def item_weight(item: ScoredTrendItem) -> float:
    """log(1 + velocity) for posts; scaled log(1 + search volume) for search trends."""
    if item.platform is Platform.GOOGLE_TRENDS:
        return SEARCH_WEIGHT_SCALE * math.log1p(item.views)
    return math.log1p(item.engagement_velocity_per_hour)


def extract_terms(items: list[ScoredTrendItem]) -> tuple[list[ItemTerms], Vocabulary]:
    """Terms per item. Hashtags are also split into known words so ``#batterylife`` matches."""
    known = {w for item in items for w in words(f"{item.title} {item.description}")}
    vocab = Vocabulary()
    result: list[ItemTerms] = []
    for item in items:
        tags = [normalise_hashtag(t) for t in item.hashtags]
        tags = [t for t in tags if t and t not in STOPWORDS]
        tokens = words(f"{item.title} {item.description}")
        tokens += [part for t in tags for part in split_compound(t, known) if part not in STOPWORDS]
        counts = Counter(vocab.add(token) for token in tokens)
        result.append(ItemTerms(item, counts, frozenset(tags), item_weight(item)))
    return result, vocab


def document_frequency(terms: list[ItemTerms]) -> Counter[str]:
    return Counter(f for t in terms for f in t.features())


def cluster_items(terms: list[ItemTerms]) -> list[Cluster]:
    """Single-linkage clusters of items whose informative terms overlap enough."""
    df = document_frequency(terms)
    max_df = max(MIN_LINK_DF_CAP, math.floor(MAX_LINK_SHARE * len(terms)))
    signatures = [{f for f in t.features() if 2 <= df[f] <= max_df} for t in terms]
    parent = list(range(len(terms)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in _similar_pairs(signatures):
        parent[max(root(i), root(j))] = min(root(i), root(j))
    groups: dict[int, Cluster] = {}
    for index, item_terms in enumerate(terms):
        groups.setdefault(root(index), Cluster()).members.append(item_terms)
    return list(groups.values())


def _similar_pairs(signatures: list[set[str]]) -> list[tuple[int, int]]:
    pairs = []
    for i, left in enumerate(signatures):
        for j in range(i + 1, len(signatures)):
            right = signatures[j]
            shared = len(left & right)
            if shared >= MIN_SHARED_TERMS and shared / len(left | right) >= JACCARD_THRESHOLD:
                pairs.append((i, j))
    return pairs


def term_weights(cluster: Cluster, df: Counter[str], total: int) -> dict[str, float]:
    """Distinctiveness per stem: share of members using it × log(total / document frequency)."""
    size = len(cluster.members)
    share = Counter(w for m in cluster.members for w in set(m.words))
    return {t: (n / size) * math.log(total / df[t]) for t, n in share.items() if df[t]}


def distinctive_terms(cluster: Cluster, df: Counter[str], total: int) -> list[str]:
    """Word stems ranked by distinctiveness; in bigger clusters only those 2+ members use."""
    weights = term_weights(cluster, df, total)
    share = Counter(w for m in cluster.members for w in set(m.words))
    single = len(cluster.members) == 1
    candidates = [t for t in weights if share[t] >= 2 or single]
    return sorted(candidates, key=lambda t: (-weights[t], t))


def cluster_hashtags(cluster: Cluster, top: int = 5) -> list[str]:
    """Hashtags most members use, faster members breaking ties."""
    counts: Counter[str] = Counter()
    speed: dict[str, float] = {}
    for member in cluster.members:
        for tag in member.tags:
            counts[tag] += 1
            speed[tag] = speed.get(tag, 0.0) + member.item.engagement_velocity_per_hour
    return sorted(counts, key=lambda t: (-counts[t], -speed[t], t))[:top]


def cluster_terms(cluster: Cluster) -> set[str]:
    """Every stem the cluster mentions, including stemmed hashtags, for theme matching."""
    terms = {w for m in cluster.members for w in m.words}
    return terms | {stem(t) for m in cluster.members for t in m.tags}
