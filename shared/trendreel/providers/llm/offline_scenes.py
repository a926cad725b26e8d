"""Turning facts, talking points and the style's phrase banks into scene plans.

Layout: a hook, then body scenes by count (2: stat, list · 3: + explain · 4: + contrast ·
5: + story), then the call to action. Talking points go, in order, to the list scene and then the
contrast scene; the first of each is mandatory, the rest are added while the budget allows, in
the same round as each fact scene's second sentence so scene lengths stay balanced. The audience
call-out is mandatory in its short form; the planner may swap in the long one.
Wording is chosen with a seeded ``random.Random`` so the same inputs give the same script.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass

from trendreel.models import ThemeConfig
from trendreel.models.content import VisualIntent
from trendreel.providers.llm.offline_phrases import (
    AUDIENCE,
    CTA_CLOSERS,
    CTA_FALLBACK,
    CTA_PRODUCT,
    HOOKS,
    HOT,
    OPENERS,
    TONE_CLOSERS,
)
from trendreel.providers.llm.offline_phrases_body import BODY, FILLERS, PIVOT, TP_FIRST, TP_NEXT
from trendreel.providers.llm.offline_plan import ScenePlan
from trendreel.providers.llm.offline_speech import (
    clean_for_speech,
    count_word,
    key_phrase,
    sentence_case,
)

BODY_LAYOUT: dict[int, tuple[VisualIntent, ...]] = {
    1: ("list",),
    2: ("stat", "list"),
    3: ("stat", "explain", "list"),
    4: ("stat", "explain", "list", "contrast"),
    5: ("stat", "explain", "story", "list", "contrast"),
}
TALKING_POINT_INTENTS = ("list", "contrast")
PUNCHY_TONES = frozenset({"punchy", "snappy", "direct", "concise", "short"})
FORMAL_TONES = frozenset({"formal", "professional", "serious", "neutral"})
GIST_CHARS = 40
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
    extra = {"hot": hot, "hot2": hot2, "n_things": count_word(n_body)}
    return Voice(style, fields | extra, rng, tone)


def build_plans(voice: Voice, hook_style: str, groups: list[list[str]]) -> list[ScenePlan]:
    """Hook, body scenes (``groups`` = their talking points, from ``talking_point_groups``), CTA."""
    n_body = len(groups)
    intents = BODY_LAYOUT[n_body]
    fillers = list(FILLERS[voice.style])
    voice.rng.shuffle(fillers)
    plans = [_hook(voice, hook_style)]
    for index, intent in enumerate(intents):
        plans.append(_body(voice, intent, groups[index], fillers[index::n_body]))
    plans.append(_cta(voice))
    return plans


def _hook(voice: Voice, hook_style: str) -> ScenePlan:
    bank = HOOKS[voice.style]
    plan = ScenePlan("hook")
    plan.add(3, voice.render(OPENERS[voice.style]))
    plan.add(0, voice.render(bank.get(hook_style, ())) or voice.render(bank["bold claim"]))
    audience = [t.format(**voice.fields) for t in AUDIENCE[voice.style] if voice.known(t)]
    plan.add(0, [voice.finish(a) for a in reversed(audience)])
    return plan


def _body(voice: Voice, intent: VisualIntent, points: list[str], fillers: list[str]) -> ScenePlan:
    plan = ScenePlan(intent)
    if points:
        lead = TP_FIRST[voice.style] if intent == "list" else PIVOT[voice.style]
        plan.add(0, [_lead(lead, points[0]), points[0], _gist(points[0])])
        for point in points[1:]:
            plan.add(1, [_lead(voice.rng.choice(TP_NEXT[voice.style]), point), point])
    else:
        for number, (variants, fallback) in enumerate(BODY[intent]):
            rendered = voice.render(variants)
            if number == 0 and not rendered and fallback:
                rendered = voice.render((fallback,))
            plan.add(min(number, 2), rendered)
    for filler in fillers:
        plan.add(3, voice.render((filler,)))
    return plan


def _cta(voice: Voice) -> ScenePlan:
    plan = ScenePlan("cta")
    tagline = voice.fields.get("tagline", "")
    offers = voice.render(CTA_PRODUCT[voice.style])
    if offers:
        plan.add(
            0, [f"{offer} {tagline}".strip() for offer in offers] + ([tagline] if tagline else [])
        )
    else:
        plan.add(0, [tagline or CTA_FALLBACK])
    plan.add(2, voice.render(CTA_CLOSERS[voice.style]))
    plan.add(
        3, voice.render(tuple(TONE_CLOSERS[w] for w in sorted(voice.tone & TONE_CLOSERS.keys())))
    )
    return plan


def talking_point_groups(talking_points: list[str], n_body: int) -> list[list[str]]:
    """Talking points as spoken sentences, in order, split over the list and contrast scenes."""
    intents = BODY_LAYOUT[n_body]
    points = [_as_sentence(tp) for tp in talking_points if clean_for_speech(tp)]
    targets = [i for i, intent in enumerate(intents) if intent in TALKING_POINT_INTENTS]
    groups: list[list[str]] = [[] for _ in intents]
    share = -(-len(points) // len(targets))
    for number, target in enumerate(targets):
        groups[target] = points[number * share : (number + 1) * share]
    return groups


def _as_sentence(text: str) -> str:
    text = sentence_case(clean_for_speech(text))
    return text if text[-1:] in ".!?" else text + "."


def _gist(point: str) -> str:
    """A last-resort short form of a long talking point: its key phrase as a sentence."""
    return key_phrase(point, GIST_CHARS) + "."


def _lead(lead: str, point: str) -> str:
    """``lead`` + point; the point's first letter lowered after ':' or ',' unless a name."""
    first = point.split(maxsplit=1)[0]
    if lead[-1] in ".!?" or first == "I" or (len(first) > 1 and not first[1:].islower()):
        return f"{lead} {point}"
    return f"{lead} {point[0].lower()}{point[1:]}"
