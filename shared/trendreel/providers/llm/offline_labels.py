"""Cluster labels that read like a topic ("cottage cheese", "champions league final").

A label is the 2–3 word phrase, taken from member titles and descriptions, whose words are the
cluster's most distinctive terms and which the most members share. Falling back to the top two
distinctive terms keeps every cluster labelled even when no phrase repeats. A single trend is
its own topic: its title is the label ("My cat learned to open the fridge", not "cat learned").
"""

from __future__ import annotations

import math
import re
from collections import Counter

from trendreel.providers.llm.offline_clusters import Cluster, distinctive_terms, term_weights
from trendreel.providers.llm.offline_text import STOPWORDS, Vocabulary, stem

_BREAK = re.compile(r"[^a-z0-9' ]+")
_NOT_TITLE = re.compile(r"#\w+|[^\w\s'’&:,.!?/()-]")
PHRASE_SIZES = (2, 3)
MIN_WORD_LENGTH = 2
MAX_TITLE_WORDS = 10


def content_runs(text: str) -> list[list[str]]:
    """Runs of adjacent content words; stopwords, numbers and punctuation break a run."""
    runs: list[list[str]] = []
    for chunk in _BREAK.split(text.lower()):
        current: list[str] = []
        for raw in chunk.split():
            word = raw.removesuffix("'s")
            if word in STOPWORDS or word.isdigit() or len(word) < MIN_WORD_LENGTH:
                runs.append(current)
                current = []
            else:
                current.append(word)
        runs.append(current)
    return [run for run in runs if run]


def _member_phrases(text: str) -> set[str]:
    phrases: set[str] = set()
    for run in content_runs(text):
        for size in PHRASE_SIZES:
            phrases.update(" ".join(run[k : k + size]) for k in range(len(run) - size + 1))
    return phrases


def cluster_label(cluster: Cluster, df: Counter[str], total: int, vocab: Vocabulary) -> str:
    """The best shared phrase, scored by members containing it × mean-ish word weight."""
    if len(cluster.members) == 1 and (title := title_label(cluster.members[0].item.title)):
        return title
    weights = term_weights(cluster, df, total)
    counts: Counter[str] = Counter()
    for member in cluster.members:
        counts.update(_member_phrases(f"{member.item.title} . {member.item.description}"))

    def score(phrase: str) -> float:
        parts = phrase.split()
        total_weight = sum(weights.get(stem(p), 0.0) for p in parts)
        return float(counts[phrase] * total_weight / math.sqrt(len(parts)))

    shared = [p for p in counts if counts[p] >= 2 or len(cluster.members) == 1]
    if shared:
        return min(shared, key=lambda p: (-score(p), p))
    top = distinctive_terms(cluster, df, total)[:2]
    return " ".join(vocab.display(t) for t in top) or "trending now"


def title_label(title: str) -> str:
    """A trend's title as a topic label: no hashtags or emoji, at most MAX_TITLE_WORDS words."""
    words = _NOT_TITLE.sub(" ", title).split()[:MAX_TITLE_WORDS]
    return " ".join(words).rstrip(" ,:;-")
