"""Text utilities for the offline analyzer: tokenising, stopwords, light stemming.

Everything here is deterministic and dependency-free so the offline "brain" behaves the same on
every machine. Terms are compared by stem (``hacks`` and ``hack`` match) but shown to people in
their most common surface form.
"""

from __future__ import annotations

import re
from collections import Counter


#: Common English function words; they carry no topic.
def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENGLISH_STOPWORDS = _word_set(
    """a about above after again against all almost also am an and any are aren't as at be
    because been before being below between both but by can can't cannot could couldn't did
    didn't do does doesn't doing don't down during each even ever every few for from further get
    gets got had hadn't has hasn't have haven't having he her here hers herself him himself his
    how i i'm if in into is isn't it it's its itself just let's like made make makes me more most
    much must my myself no nor not now of off on once one only or other our ours ourselves out
    over own part really same she should shouldn't so some still such than that that's the their
    theirs them themselves then there there's these they they're this those through to too try
    tried under until up us very vs was wasn't way we we're were weren't what what's when where
    which while who whom why will with won't would wouldn't yet you you're your yours yourself
    actually already always another anyone anything everyone everything here's instead nobody
    nothing people someone something thing things time know want new first last best"""
)

#: Platform boilerplate: tags and words that say "this is a post", not what it is about.
PLATFORM_STOPWORDS = _word_set(
    """fyp foryou foryoupage viral trending trend shorts short tiktok youtube video videos
    official reaction pov part edition episode watch subscribe related searches search
    explained explains full review vs"""
)

STOPWORDS = ENGLISH_STOPWORDS | PLATFORM_STOPWORDS

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
MIN_TERM_LENGTH = 2
MIN_SPLIT_PART = 2


def stem(word: str) -> str:
    """A light plural stemmer: enough to match ``tips``/``tip`` and ``recipes``/``recipe``."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lowercased word tokens (camelCase split first), without stopwords or bare numbers."""
    spaced = _CAMEL.sub(" ", text)
    tokens = (t.removesuffix("'s") for t in _WORD.findall(spaced.lower()))
    return [t for t in tokens if _is_term(t)]


def _is_term(token: str) -> bool:
    return len(token) >= MIN_TERM_LENGTH and token not in STOPWORDS and not token.isdigit()


def split_compound(tag: str, vocabulary: set[str]) -> list[str]:
    """Split a run-together hashtag (``batterylife``) into known words, or return [].

    Only two-part splits whose halves are both known words are tried: cheap and good enough for
    hashtags, which are mostly two words glued together.
    """
    for cut in range(MIN_SPLIT_PART, len(tag) - MIN_SPLIT_PART + 1):
        head, tail = tag[:cut], tag[cut:]
        if head in vocabulary and tail in vocabulary:
            return [head, tail]
    return []


class Vocabulary:
    """Maps stems to the surface form people most often wrote."""

    def __init__(self) -> None:
        self._surfaces: dict[str, Counter[str]] = {}

    def add(self, word: str) -> str:
        key = stem(word)
        self._surfaces.setdefault(key, Counter())[word] += 1
        return key

    def display(self, key: str) -> str:
        surfaces = self._surfaces.get(key)
        if not surfaces:
            return key
        return min(surfaces, key=lambda w: (-surfaces[w], len(w), w))


def theme_terms(text: str) -> set[str]:
    """Stemmed content words of free text from the config (theme, talking points, audience)."""
    return {stem(w) for w in words(text)}
