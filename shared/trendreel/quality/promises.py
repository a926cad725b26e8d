"""Counts the hook promises, and the scenes that deliver them.

A promise is a count from two to twenty, written as a bare number or number word, followed (after
at most two describing words, none of them a function word) by a list noun: "3 things", "three
simple takeaways", "5 hidden iPhone settings". "Top 5" is a promise with or without a noun. Only
the hook promises: the on-screen hook and the narration and on-screen text of every scene whose
visual_intent is "hook". Counts elsewhere ("two seconds", "nine posts", a quoted title) are not
promises.

A point is a scene between hook and call to action that is either a "list" scene or opens its
narration or on-screen text with an enumeration: "First,", "Secondly:", "Third tip", "Number two",
"No. 2", "#2", "2.", "Tip 3", "Reason number four", "Finally,". One scene is one point, because a
viewer counts points by what changes on screen.
"""

from __future__ import annotations

import re
from typing import Literal

from trendreel.models.content import Scene, Script
from trendreel.models.reports import CountPromise
from trendreel.quality.words import ORDINALS, WORD_NUMBERS, Term, read, word_list

MIN_COUNT, MAX_COUNT = 2, 20
MAX_DESCRIBING_WORDS = 2
#: Nouns that name the items of a list, singular (plurals are matched by stem).
LIST_NOUNS = frozenset(
    word_list(
        """thing reason way tip fact mistake sign secret trick hack step rule lesson takeaway idea
    myth habit question point tool app setting feature truth lie move example change trend item
    pick hint benefit problem method strategy insight stat number clue signal flag product gadget
    recipe option word"""
    )
)
_NUMBER = rf"(?:\d+|{'|'.join(WORD_NUMBERS)})\b"
_NOUN = rf"(?:{'|'.join(sorted(LIST_NOUNS))})"
_MARKER = re.compile(
    rf"(?:(?:and|now|okay|so|plus|then)\W+)?(?:"
    rf"(?:{'|'.join(ORDINALS)})(?:ly)?(?:\s*[,:;.!\u2013\u2014-]|\s+(?:up|off|of all)\b|\s+{_NOUN})"
    rf"|number\s+{_NUMBER}|(?:no\.|#)\s*\d+\b"
    rf"|\d{{1,2}}\s*[.):](?!\d)"
    rf"|{_NOUN}\s+(?:number\s+|#\s*)?{_NUMBER}"
    rf"|(?:finally|lastly)\b|last but not least)",
    re.IGNORECASE,
)
Source = Literal["hook", "narration", "on_screen_text"]
_LEADING_JUNK = " \t\n\"'\u201c\u201d\u2018\u2019*\u2022-\u2013\u2014"


def count_promises(text: str) -> list[tuple[int, str]]:
    """``(count, noun)`` for every promise in ``text``; the noun as written, "" after "Top"."""
    terms = read(text)
    found = []
    for index, term in enumerate(terms):
        if not (term.plain and term.value is not None and MIN_COUNT <= term.value <= MAX_COUNT):
            continue
        noun = _list_noun_after(terms, index)
        if noun is not None or (index > 0 and terms[index - 1].key == "top"):
            found.append((int(term.value), noun or ""))
    return found


def hook_promises(script: Script) -> list[CountPromise]:
    """Every promise the hook makes: on-screen hook text first, then the hook scenes'."""
    first = script.scenes[0].index
    shown: list[tuple[int, Source, str]] = [(first, "hook", script.hook)]
    for scene in script.scenes:
        if scene.visual_intent == "hook":
            shown += [(scene.index, "narration", scene.narration)]
            shown += [(scene.index, "on_screen_text", scene.on_screen_text)]
    return [
        CountPromise(scene_index=index, source=source, count=count, noun=noun)
        for index, source, text in shown
        for count, noun in count_promises(text)
    ]


def is_point(scene: Scene) -> bool:
    if scene.visual_intent in ("hook", "cta"):
        return False
    texts = (scene.narration, scene.on_screen_text)
    return scene.visual_intent == "list" or any(
        _MARKER.match(text.lstrip(_LEADING_JUNK)) for text in texts
    )


def point_scenes(script: Script) -> list[int]:
    return [scene.index for scene in script.scenes if is_point(scene)]


def _list_noun_after(terms: list[Term], index: int) -> str | None:
    """The list noun after the count at ``index``, across at most two describing words."""
    for term in terms[index + 1 : index + 2 + MAX_DESCRIBING_WORDS]:
        if term.stop or term.value is not None:
            return None
        if term.key in LIST_NOUNS:
            return term.shown
    return None
