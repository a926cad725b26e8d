"""Words and numbers as a listener hears them: the vocabulary the script checks compare.

Text is cut into terms, case ignored. A number is read in any written form: digits ("204",
"2,000", "1.2"), digits with a short scale ("204K", "1.2M", "3B") or another suffix ("3rd", "50%",
"3x"), number words ("two", "twenty one", "two hundred"), ordinals ("first"), each with an optional
scale word after it ("204 thousand"); it is one term, compared by value, so "204K" on screen is
"204 thousand" in the narration. Any other word is compared by stem: a possessive "'s" and a
plural ending are ignored ("Videos" = "video", "strategies" = "strategy"). Function words
(articles, pronouns, auxiliaries, conjunctions and the lightest prepositions: "of", "to", "in" …)
make no claim of their own and are marked ``stop``; "behind", "before", "up" and "not" do.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"(?P<digits>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<fraction>\.\d+)?(?P<suffix>[a-z%]*)"
    r"|(?P<word>[a-z]+(?:'[a-z]+)*)",
    re.IGNORECASE,
)


def word_list(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_UNITS = word_list("""zero one two three four five six seven eight nine ten eleven twelve
    thirteen fourteen fifteen sixteen seventeen eighteen nineteen""")
_TENS = word_list("twenty thirty forty fifty sixty seventy eighty ninety")
WORD_NUMBERS = {w: n for n, w in enumerate(_UNITS)} | {w: 20 + 10 * n for n, w in enumerate(_TENS)}
_ORDINALS = word_list("first second third fourth fifth sixth seventh eighth ninth tenth")
ORDINALS = {w: n for n, w in enumerate(_ORDINALS, start=1)}
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
SHORT_SCALES = {"k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}
STOPWORDS = frozenset(
    word_list(
        """a an the this that these those some any each every all here there
    i me my mine we us our ours you your yours he him his she her hers it its they them their
    theirs who whom whose which what i'm you're we're they're let's
    am is are was were be been being do does did has have had will would can could shall should
    may might must and or but nor so yet if then than as because while
    about at by for from in into of on onto per to via vs with"""
    )
)


@dataclass(frozen=True)
class Term:
    """A word (``key`` = its stem) or a number (``value``; ``plain`` if written as a bare integer
    or number word, which is what a count looks like)."""

    shown: str
    key: str = ""
    value: float | None = None
    plain: bool = False
    stop: bool = False


def stem(word: str) -> str:
    """Lowercase, no possessive or plural ending: "Settings" and "setting's" → "setting"."""
    word = word.lower().removesuffix("'s").rstrip("'")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def read(text: str) -> list[Term]:
    """Every word and number in ``text``, in order, numbers joined with their scale words."""
    tokens = list(_TOKEN.finditer(text.replace("\u2019", "'")))
    terms: list[Term] = []
    index = 0
    while index < len(tokens):
        number = _number(tokens, index)
        if number is not None:
            term, index = number
            terms.append(term)
            continue
        word = tokens[index].group()
        terms.append(Term(word, stem(word), stop=word.lower() in STOPWORDS))
        index += 1
    return terms


def said(term: Term, narration: list[Term]) -> bool:
    """Whether the narration says ``term``: the same number, or a word with the same stem."""
    if term.value is not None:
        return any(t.value is not None and math.isclose(t.value, term.value) for t in narration)
    return any(t.key == term.key for t in narration)


def unsaid(shown: str, narration: str) -> list[str]:
    """The content words and numbers of ``shown`` that ``narration`` never says, as written."""
    spoken = read(narration)
    return [t.shown for t in read(shown) if not t.stop and not said(t, spoken)]


def _number(tokens: list[re.Match[str]], index: int) -> tuple[Term, int] | None:
    """The number starting at ``tokens[index]`` and the index after it, if one starts there."""
    first = tokens[index]
    if first["digits"]:
        value, plain = _digits(first)
        end = index + 1
    else:
        word = first.group().lower()
        if word in ORDINALS:
            return Term(first.group(), value=ORDINALS[word]), index + 1
        if word not in WORD_NUMBERS:
            return None
        value, end = _spelled(tokens, index)
        plain = end == index + 1
    scale = SCALES.get(tokens[end].group().lower()) if end < len(tokens) else None
    if scale is not None:
        value, plain, end = value * scale, False, end + 1
    shown = " ".join(t.group() for t in tokens[index:end])
    return Term(shown, value=value, plain=plain), end


def _digits(token: re.Match[str]) -> tuple[float, bool]:
    value = float(token["digits"].replace(",", "") + (token["fraction"] or ""))
    suffix = token["suffix"].lower()
    plain = not suffix and not token["fraction"]
    return value * SHORT_SCALES.get(suffix, 1.0), plain


def _spelled(tokens: list[re.Match[str]], index: int) -> tuple[float, int]:
    """Number words: "twenty one", "two hundred", "two hundred and five"."""

    def word(at: int) -> str:
        return tokens[at].group().lower() if at < len(tokens) else ""

    value, end = WORD_NUMBERS[word(index)], index + 1
    if value >= 20 and WORD_NUMBERS.get(word(end), 10) < 10:
        value, end = value + WORD_NUMBERS[word(end)], end + 1
    if word(end) == "hundred":
        value, end = value * 100, end + 1
        rest = end + 1 if word(end) == "and" and word(end + 1) in WORD_NUMBERS else end
        if word(rest) in WORD_NUMBERS and WORD_NUMBERS[word(rest)] < 100:
            value, end = value + WORD_NUMBERS[word(rest)], rest + 1
    return float(value), end
