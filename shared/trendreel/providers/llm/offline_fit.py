"""The offline analyzer's fit of a topic to the theme: shared meaning, and shared words.

A topic is related to the theme when its meaning is close to the theme's (``theme_meaning``,
with the offline sentence model): "healthy cooking" finds the cottage-cheese trends although
they never say "cooking". A theme word its trends use (``offline_relevance``) is evidence too,
but not enough alone ("history" in "football history" does not make a final a history topic):
it lowers the similarity needed by ``WORD_EVIDENCE``.

A related topic competes with ``boost = word boost (1 + 1.5 × coverage + 0.05 × context words)
+ 1.5 × similarity``, so among related topics a closer one needs less trend strength to win.
An unrelated topic keeps a boost of 1: when nothing fits, trend strength alone decides.
"""

from __future__ import annotations

from trendreel.models.trends import ThemeFit
from trendreel.providers.llm.offline_relevance import Relevance
from trendreel.providers.llm.offline_text import Vocabulary
from trendreel.providers.llm.theme_meaning import Meaning

MEANING_BOOST = 1.5
#: Measured with the offline model on the bundled trends: "learning languages" and the AI
#: translation glasses (which say "languages") are 0.27 apart in meaning, "medieval history"
#: and the football final (a description says "football history") 0.22.
WORD_EVIDENCE = 0.05
CONTEXT_SHOWN = 4


def theme_fit(relevance: Relevance, meaning: Meaning, vocab: Vocabulary) -> ThemeFit:
    near = meaning.similarity >= meaning.threshold - WORD_EVIDENCE
    related = meaning.related or (bool(relevance.theme_matched) and near)
    boost = relevance.boost + MEANING_BOOST * meaning.similarity if related else 1.0
    return ThemeFit(
        related=related,
        boost=round(boost, 4),
        similarity=meaning.similarity,
        relation=_relation(relevance, meaning, vocab) if related else meaning.describe(),
    )


def _relation(relevance: Relevance, meaning: Meaning, vocab: Vocabulary) -> str:
    if meaning.related:
        parts = [meaning.describe()]
    else:
        parts = [f"similar in meaning to the theme ({meaning.similarity:.2f})"]
    if relevance.theme_matched:
        words = ", ".join(f"'{vocab.display(t)}'" for t in relevance.theme_matched)
        parts.append(f"its trends use the theme words {words}")
    if relevance.context_matched:
        shown = relevance.context_matched[:CONTEXT_SHOWN]
        parts.append("the context words " + ", ".join(vocab.display(t) for t in shown))
    return "; ".join(parts)
