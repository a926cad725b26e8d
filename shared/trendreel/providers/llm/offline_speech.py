"""Making text safe and natural for a speech synthesizer and short for the screen.

Narration must not contain what a TTS engine would spell out or stumble on: URLs, hashtags,
emoji, symbols, long exact numbers. Numbers become "203 thousand" or "1.2 million"; small counts
become words.
"""

from __future__ import annotations

import re

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HASHTAG = re.compile(r"#\w+")
_SLASH_DIGITS = re.compile(r"(?<=\d)/(?=\d)")
_DISALLOWED = re.compile(r"[^A-Za-z0-9 .,!?':;\-]")
_SPACES = re.compile(r"\s+")
_REPEATED_PUNCT = re.compile(r"([!?.,])[!?.,]+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,!?:;])")
_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
SMALL_NUMBERS = tuple(_NUMBER_WORDS.split())
#: Short words said letter by letter; shown and spoken in capitals.
ACRONYMS = frozenset({"ai", "ucl", "diy", "asmr", "usa", "uk", "tv", "pc", "vr", "ar", "nba"})
BRAND_CASE = {"iphone": "iPhone", "tiktok": "TikTok", "youtube": "YouTube", "ipad": "iPad"}
#: Words that end a noun phrase in an audience description ("creators who want …").
_CLAUSE_STARTS = frozenset({"who", "that", "which", "looking", "wanting", "trying", "with"})
MIN_PHRASE_WORDS = 3
_FILLER_WORDS = """a an the of on in to and or for with that which who is are your my our their
    this these will can just"""
_TRAILING_FILLER = frozenset(_FILLER_WORDS.split())


def clean_for_speech(text: str) -> str:
    """Drop URLs, hashtags, emoji and symbols; keep words and plain punctuation."""
    text = _URL.sub(" ", text)
    text = _HASHTAG.sub(" ", text)
    text = _SLASH_DIGITS.sub(" ", text).replace("&", " and ").replace("/", " or ")
    text = text.replace("\u2019", "'").replace("(", ", ").replace(")", ", ")
    text = _DISALLOWED.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text))
    text = _REPEATED_PUNCT.sub(r"\1", text)
    return text.strip(" ,;:-")


def tame_caps(text: str) -> str:
    """Lowercase SHOUTED words (longer than 3 letters) so they are read, not spelled."""
    return " ".join(w.capitalize() if len(w) > 3 and w.isupper() else w for w in text.split())


def speakable(word: str) -> str:
    """Acronyms in capitals so the synthesizer says the letters; brand names in their casing."""
    lower = word.lower()
    if lower in ACRONYMS:
        return word.upper()
    return BRAND_CASE.get(lower, word)


def topic_phrase(label: str) -> str:
    """A cluster label as a spoken noun phrase: lowercase, acronyms capitalised."""
    return " ".join(speakable(w) for w in clean_for_speech(label).lower().split())


def count_word(n: int) -> str:
    return SMALL_NUMBERS[n] if 0 <= n < len(SMALL_NUMBERS) else str(n)


def spoken_number(value: float) -> str:
    """Round for speech: 950, 4.3 thousand, 203 thousand, 1.2 million, 12 million.

    Each range ends where its rounding would carry into the next ("1000 thousand" is 1 million).
    """
    if round(value) < 1_000:
        return str(round(value))
    if value < 9_950:
        return f"{value / 1_000:.1f}".removesuffix(".0") + " thousand"
    if value < 999_500:
        return f"{round(value / 1_000)} thousand"
    if value < 9_950_000:
        return f"{value / 1_000_000:.1f}".removesuffix(".0") + " million"
    return f"{round(value / 1_000_000)} million"


def short_number(value: float) -> str:
    """Compact on-screen form of exactly what ``spoken_number`` says: 950, 4.3K, 203K, 1.2M, 12M."""
    spoken = spoken_number(value)
    return spoken.replace(" thousand", "K").replace(" million", "M")


def join_words(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary, without dangling filler words."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    words = head.split()
    if not text[limit].isspace() and not head.endswith(" "):
        words = words[:-1]
    while len(words) > 1 and words[-1].lower().strip(",.:;") in _TRAILING_FILLER:
        words.pop()
    return " ".join(words).rstrip(",.:;-") or text[:limit]


def key_phrase(sentence: str, limit: int) -> str:
    """The start of a sentence as on-screen text: no leading article, cut at a phrase break."""
    words = sentence.rstrip(".!?").split()
    if len(words) > 1 and words[0].lower() in {"the", "a", "an"}:
        words = words[1:]
    phrase = " ".join(words)
    phrase = phrase[:1].upper() + phrase[1:]
    clipped = clip(phrase, limit)
    if clipped == phrase:
        return phrase
    kept = clipped.split()
    breaks = [
        i for i, w in enumerate(kept) if i >= MIN_PHRASE_WORDS and w.lower() in _TRAILING_FILLER
    ]
    if breaks:
        kept = kept[: breaks[0]]
    while len(kept) > 1 and kept[-1].lower().strip(",.:;") in _TRAILING_FILLER:
        kept.pop()
    return " ".join(kept).rstrip(",.:;-")


def audience_short(audience: str) -> str:
    """The noun phrase of an audience description: "creators and small teams who …" → head."""
    words = clean_for_speech(audience).split()
    for index, word in enumerate(words):
        if index and word.lower() in _CLAUSE_STARTS:
            return " ".join(words[:index]).rstrip(",")
    return " ".join(words)


def normalise_tag(tag: str) -> str:
    """A hashtag as stored on the script: lowercase letters and digits, no '#'."""
    return re.sub(r"[^a-z0-9]", "", tag.lower())


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
