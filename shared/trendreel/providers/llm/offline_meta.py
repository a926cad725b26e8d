"""The script's short texts: title, on-screen hook, per-scene screen text and visual keywords,
call to action, description and hashtags. Screen texts are clipped at word boundaries.

Whatever is shown (hook, screen text, call to action) is chosen after the narration is fitted:
the first candidate whose every word that scene's narration says (``quality.words.unsaid``),
else a key phrase of one of its sentences, so the screen never shows what the voice skipped.
"""

from __future__ import annotations

import random
import re

from trendreel.models import ThemeConfig, TrendReport
from trendreel.providers.llm.offline_facts import TopicFacts
from trendreel.providers.llm.offline_phrases import SCREEN_HOOKS, TITLES
from trendreel.providers.llm.offline_speech import clean_for_speech, clip, key_phrase, normalise_tag
from trendreel.providers.llm.offline_text import STOPWORDS
from trendreel.quality.words import unsaid

TITLE_CHARS = 60
HOOK_CHARS = 40
SCREEN_CHARS = 32
CTA_CHARS = 40
MAX_HASHTAGS = 8
TOPIC_HASHTAGS = 5
MAX_THEME_TAG = 30
MIN_KEYWORDS = 2
MAX_KEYWORDS = 4
#: A concrete, filmable noun per scene purpose, for stock-footage search.
INTENT_NOUNS = {
    "hook": "smartphone",
    "stat": "chart",
    "explain": "laptop",
    "story": "creator",
    "list": "notebook",
    "contrast": "crowd",
    "cta": "phone",
}
#: Descriptive words that make poor stock-footage searches on their own.
NOT_VISUAL_WORDS = "hidden high smart live new best cheap easy fast quick big top real viral simple"
NOT_VISUAL = frozenset(NOT_VISUAL_WORDS.split())
DEFAULT_SCREEN = {
    "stat": ("One of the fastest rising",),
    "explain": ("Creator to creator",),
    "story": ("Every creator has a take",),
    "list": ("Creators' own spin",),
    "contrast": ("Jump in early", "Jump in while it is rising", "Still rising"),
}
#: A lead before the point of a sentence ("Here is the big one:", "Second,"), for key phrases.
_LEAD = re.compile(r"^(?:[^:]{1,40}:|\w+,)\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def title(facts: TopicFacts, style: str, rng: random.Random) -> str:
    template = rng.choice(TITLES[style])
    text = template.format(topic_title=facts.topic_title)
    return clip(text[:1].upper() + text[1:], TITLE_CHARS)


def screen_hook(facts: TopicFacts, hook_style: str, fields: dict[str, str], said: str) -> str:
    """The on-screen hook for the spoken hook ``said``; ``fields`` are the voice's."""
    values = fields | {"topic_title": facts.topic_title}
    templates = SCREEN_HOOKS.get(hook_style, SCREEN_HOOKS["bold claim"])
    candidates = [t.format(**values) for t in templates if _known(t, values)]
    return spoken_pick([*candidates, facts.topic_title], said, HOOK_CHARS)


def call_to_action(config: ThemeConfig, said: str) -> str:
    """The tagline, else "Try <product>", else a follow line, whichever the CTA scene says."""
    tagline = config.config.tagline.strip()
    product = config.config.product_name.strip()
    candidates = [
        tagline if len(tagline) <= CTA_CHARS else "",
        f"Try {product}" if product else "",
        "Follow for more trends",
    ]
    return spoken_pick(candidates, said, CTA_CHARS)


def scene_screen_text(intent: str, facts: TopicFacts, points: list[str], said: str) -> str:
    """The key phrase shown during a body scene: its talking point, else its fact or a default."""
    fields = facts.fields
    velocity = fields.get("velocity_short")
    by_intent = {
        "stat": [f"{velocity} reactions an hour" if velocity else ""],
        "explain": [" + ".join(facts.platforms_screen)],
        "story": [key_phrase(fields["title"], SCREEN_CHARS) if "title" in fields else ""],
        "list": [", ".join(facts.keywords[:3]), ", ".join(facts.keywords[:2])],
    }
    candidates = [key_phrase(p, SCREEN_CHARS) for p in points[:1]] + by_intent.get(intent, [])
    return spoken_pick([*candidates, *DEFAULT_SCREEN.get(intent, ())], said, SCREEN_CHARS)


def spoken_pick(candidates: list[str], said: str, limit: int) -> str:
    """The first candidate that fits ``limit`` and whose words ``said`` all says, else a key
    phrase of one of its sentences; a clipped candidate reads worse than either, so comes last."""
    phrases = [key_phrase(_LEAD.sub("", s), limit) for s in _SENTENCE_END.split(said)]
    fitting = [c for c in candidates if c and len(c) <= limit]
    options = [*fitting, *phrases, *(clip(c, limit) for c in candidates if c)]
    return next((o for o in options if o and not unsaid(o, said)), clip(said, limit))


def _known(template: str, values: dict[str, str]) -> bool:
    return all(values.get(name) for name in re.findall(r"{(\w+)}", template))


def scene_keywords(intent: str, index: int, facts: TopicFacts) -> list[str]:
    """2–4 search terms: the topic's own words, one rotating keyword, a filmable noun."""
    label_words = [w.lower() for w in facts.topic_title.split() if w.lower() not in STOPWORDS]
    visual = [k.lower() for k in facts.keywords if k.lower() not in NOT_VISUAL]
    rotating = [visual[index % len(visual)]] if visual else []
    picks = list(dict.fromkeys([*label_words[:2], *rotating, INTENT_NOUNS[intent]]))
    if len(picks) < MIN_KEYWORDS:
        picks.append("social media")
    return picks[:MAX_KEYWORDS]


def description(facts: TopicFacts, report: TrendReport, config: ThemeConfig) -> str:
    fields = facts.fields
    where = " on " + ", ".join(facts.platforms_screen) if facts.platforms_screen else ""
    speed = (
        f", with about {fields['velocity_short']} likes, comments and shares an hour"
        if "velocity_short" in fields
        else ""
    )
    sentences = [f"{facts.topic_title} is trending{where}{speed}."]
    settings = config.config
    if settings.product_name and settings.tagline:
        sentences.append(f"{settings.product_name}: {settings.tagline.rstrip('.')}.")
    elif settings.target_audience:
        sentences.append(f"Made for {settings.target_audience.rstrip('.')}.")
    titles = [clean_for_speech(t) for t in report.chosen_topic.supporting_titles[:3]]
    if titles:
        sentences.append("Trends behind this video: " + "; ".join(f'"{t}"' for t in titles) + ".")
    return " ".join(sentences)[:2200]


def hashtags(report: TrendReport, config: ThemeConfig) -> list[str]:
    """Topic hashtags first, then the theme as one tag, the product, and theme words."""
    topic = [normalise_tag(t) for t in report.chosen_topic.hashtags][:TOPIC_HASHTAGS]
    theme_tag = normalise_tag(config.config.theme)
    theme = [theme_tag] if len(theme_tag) <= MAX_THEME_TAG else []
    chosen = [
        t for t in dict.fromkeys([*topic, *theme, normalise_tag(config.config.product_name)]) if t
    ]
    for word in config.config.theme.split():
        tag = normalise_tag(word)
        if tag and word.lower() not in STOPWORDS and not any(tag in t for t in chosen):
            chosen.append(tag)
    return chosen[:MAX_HASHTAGS]
