"""Turning facts, talking points and the style's phrase banks into scene plans.

Layout: a hook, then body scenes by count (2: stat, list · 3: + explain · 4: + contrast ·
5: + story), then the call to action. Talking points go, in order, to the list scene and then the
contrast scene; the first of each is mandatory, the rest are added while the budget allows, in
the same round as each fact scene's second sentence so scene lengths stay balanced. The audience
call-out is mandatory in its short form; the planner may swap in the long one.
A countdown hook promises as many things as there are body scenes, and every body scene opens
its mandatory sentence with its number ("Number two.", "Second,"), so the promise is kept at any
length; no hook sentence may promise any other count (``quality.promises``).
Wording is chosen by the ``Voice`` (seeded), so the same inputs give the same script.
"""

from __future__ import annotations

from trendreel.models.content import VisualIntent
from trendreel.providers.llm.offline_phrases import (
    AUDIENCE,
    CTA_CLOSERS,
    CTA_FALLBACK,
    CTA_PRODUCT,
    HOOK_FALLBACK,
    HOOKS,
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
from trendreel.providers.llm.offline_voice import Voice
from trendreel.quality.promises import count_promises

BODY_LAYOUT: dict[int, tuple[VisualIntent, ...]] = {
    1: ("list",),
    2: ("stat", "list"),
    3: ("stat", "explain", "list"),
    4: ("stat", "explain", "list", "contrast"),
    5: ("stat", "explain", "story", "list", "contrast"),
}
TALKING_POINT_INTENTS = ("list", "contrast")
GIST_CHARS = 40
#: A countdown numbers every body scene out loud: "Number one." in these styles, else "First,".
NUMBER_STYLES = frozenset({"energetic", "playful"})
ORDINAL_WORDS = ("First", "Second", "Third", "Fourth", "Fifth")
ARTICLES = frozenset({"the", "a", "an"})


def build_plans(voice: Voice, hook_style: str, groups: list[list[str]]) -> list[ScenePlan]:
    """Hook, body scenes (``groups`` = their talking points, from ``talking_point_groups``), CTA."""
    n_body = len(groups)
    intents = BODY_LAYOUT[n_body]
    fillers = list(FILLERS[voice.style])
    voice.rng.shuffle(fillers)
    count = n_body if hook_style == "countdown" else None
    plans = [_hook(voice, hook_style, count)]
    for index, intent in enumerate(intents):
        number = _number_lead(voice.style, index) if count else None
        plans.append(_body(voice, intent, groups[index], fillers[index::n_body], number))
    plans.append(_cta(voice))
    return plans


def _hook(voice: Voice, hook_style: str, count: int | None) -> ScenePlan:
    """Hook sentences; with ``count`` None none may promise a count, else only that one."""

    def keeping(sentences: list[str]) -> list[str]:
        return [s for s in sentences if all(n == count for n, _ in count_promises(s))]

    bank = HOOKS[voice.style]
    plan = ScenePlan("hook")
    plan.add(3, keeping(voice.render(OPENERS[voice.style])))
    lines = voice.render(bank.get(hook_style, ())) or voice.render(bank["bold claim"])
    plan.add(0, keeping(lines) or voice.render((HOOK_FALLBACK,)))
    audience = [t.format(**voice.fields) for t in AUDIENCE[voice.style] if voice.known(t)]
    plan.add(0, keeping([voice.finish(a) for a in reversed(audience)]))
    return plan


def _number_lead(style: str, index: int) -> str:
    if style in NUMBER_STYLES:
        return f"Number {count_word(index + 1)}."  # a full stop: the point may have its own colon
    return f"{ORDINAL_WORDS[index]},"


def _body(
    voice: Voice,
    intent: VisualIntent,
    points: list[str],
    fillers: list[str],
    number: str | None,
) -> ScenePlan:
    """A body scene; ``number`` (a countdown's "Number two.") opens every mandatory variant."""
    plan = ScenePlan(intent)
    if points:
        lead = TP_FIRST[voice.style] if intent == "list" else PIVOT[voice.style]
        first = [_lead(lead, points[0]), points[0], _gist(points[0])]
        if number:
            first = [_lead(number, points[0]), _lead(number, _gist(points[0]))]
        plan.add(0, first)
        for point in points[1:]:
            plan.add(1, [_lead(voice.rng.choice(TP_NEXT[voice.style]), point), point])
    else:
        for index, (variants, fallback) in enumerate(BODY[intent]):
            rendered = voice.render(variants)
            if index == 0 and not rendered and fallback:
                rendered = voice.render((fallback,))
            if index == 0 and number:
                rendered = [_lead(number, sentence) for sentence in rendered]
            plan.add(min(index, 2), rendered)
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
    """A last-resort short form of a long talking point: its key phrase (article kept)."""
    phrase = key_phrase(point, GIST_CHARS)
    article = point.split(maxsplit=1)[0]
    if article.lower() in ARTICLES and phrase.split(maxsplit=1)[0].lower() not in ARTICLES:
        phrase = f"{article} {phrase[0].lower()}{phrase[1:]}"
    return phrase + "."


def _lead(lead: str, point: str) -> str:
    """``lead`` + point; the point's first letter lowered after ':' or ',' unless a name."""
    first = point.split(maxsplit=1)[0]
    if lead[-1] in ".!?" or first == "I" or (len(first) > 1 and not first[1:].islower()):
        return f"{lead} {point}"
    return f"{lead} {point[0].lower()}{point[1:]}"
