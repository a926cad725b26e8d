"""The writer's voice: style, tone and facts; renders phrase templates in a seeded order.

Wording is chosen with a seeded ``random.Random`` so the same inputs give the same script.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass

from trendreel.models import ThemeConfig
from trendreel.providers.llm.offline_phrases import HOT
from trendreel.providers.llm.offline_speech import count_word, sentence_case

PUNCHY_TONES = frozenset({"punchy", "snappy", "direct", "concise", "short"})
FORMAL_TONES = frozenset({"formal", "professional", "serious", "neutral"})
_FORMATTER = string.Formatter()
_SENTENCE_START = re.compile(r"([.!?]\s+)([a-z])")


@dataclass
class Voice:
    """Style, tone and the facts; renders templates and orders variants deterministically."""

    style: str
    fields: dict[str, str]
    rng: random.Random
    tone: frozenset[str]

    @property
    def punchy(self) -> bool:
        return bool(self.tone & PUNCHY_TONES)

    @property
    def formal(self) -> bool:
        return bool(self.tone & FORMAL_TONES)

    def render(self, templates: tuple[str, ...] | list[str]) -> list[str]:
        """Every template whose fields are known, formatted, in a seeded preference order."""
        rendered = [self.finish(t.format(**self.fields)) for t in templates if self.known(t)]
        shift = self.rng.randrange(len(rendered)) if rendered else 0
        ordered = rendered[shift:] + rendered[:shift]
        return sorted(ordered, key=lambda s: len(s.split())) if self.punchy else ordered

    def known(self, template: str) -> bool:
        return all(name in self.fields for _, name, _, _ in _FORMATTER.parse(template) if name)

    def finish(self, text: str) -> str:
        """Capitalise sentence starts; a formal tone drops exclamation marks."""
        text = _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), sentence_case(text))
        return text.replace("!", ".") if self.formal else text


def make_voice(config: ThemeConfig, fields: dict[str, str], n_body: int, seed: int) -> Voice:
    rng = random.Random(seed)
    style = config.config.style
    tone = frozenset(re.findall(r"[a-z]+", config.config.tone.lower()))
    hot, hot2 = rng.sample(HOT[style], 2)
    extra = {"hot": hot, "hot2": hot2, "n_things": count_word(n_body), "n_digits": str(n_body)}
    return Voice(style, fields | extra, rng, tone)
