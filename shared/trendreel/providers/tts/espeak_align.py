"""Map espeak-ng WORD events onto our own tokens of the text.

Tokens are the whitespace-separated pieces of the text; a piece made only of punctuation ("—",
"-", "...") is attached to the token before it (or after it, at the start), because espeak does
not speak it as a word.

espeak's events do not map one-to-one onto tokens. Observed with espeak-ng 1.52 (en-us):

* numbers, URLs, emoji and camelCase words ("2026", "example.com", "TikTok") produce several
  events, the later ones at positions inside the same token;
* multi-word dictionary entries ("of the", "in the", "at once") produce ONE event for all their
  words, so the later words get none;
* entries with an internal word boundary ("it is", "déjà vu", "for a while") report the second
  event at the first word's position + 1, inside the previous token.

So a greedy rule cascades on real text. Instead a small dynamic programme finds the monotone
assignment of events to tokens with the least cost, where the costs encode the cases above.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import accumulate

# Stripped from the ends of a token's word; internal apostrophes and hyphens are kept.
PUNCTUATION = "\"'.,;:!?…“”‘’«»()[]{}<>—–-/\\*_~`|"

MISMATCH = 2.0  # per token between the event's reported position and the token it is given to
CONTINUE_PLAIN = 3.0  # a second event on a plain word: more likely a drifted position
CONTINUE_COMPOUND = 0.0  # numbers, URLs, camelCase: several events are normal
SKIP_WORD = 1.5  # a word with no event of its own (merged into a dictionary phrase)
SKIP_SYMBOL = 0.5  # "&", emoji: espeak may or may not speak them
_GAP = 0.25  # a position between tokens counts as just after the earlier token


@dataclass(frozen=True)
class Token:
    text: str  # the raw text, punctuation attached
    first: int  # 1-based index of its first character (espeak's convention)
    last: int  # 1-based index of its last character
    word: str  # the text without surrounding punctuation

    @property
    def symbol(self) -> bool:
        """No letters or digits: "&", "+", an emoji."""
        return not any(ch.isalnum() for ch in self.word)

    @property
    def compound(self) -> bool:
        """espeak may split it into several spoken words (and events)."""
        core = self.word.replace("'", "").replace("’", "").replace("-", "")
        return (not core.isalpha()) or re.search(r"[a-z][A-Z]", core) is not None

    @property
    def weight(self) -> int:
        """Rough relative spoken length, for sharing one event's audio among merged words."""
        return 1 + sum(ch.isalnum() for ch in self.word)


def normalise(text: str) -> str:
    """NFC so character positions match espeak's; NULs would end the C string early."""
    return unicodedata.normalize("NFC", text).replace("\x00", " ")


def tokenise(text: str) -> list[Token]:
    spans: list[tuple[int, int]] = []
    pending: int | None = None  # start of leading punctuation-only pieces
    for match in re.finditer(r"\S+", text):
        start, end = match.start(), match.end()
        if not match.group().strip(PUNCTUATION):
            if spans:
                spans[-1] = (spans[-1][0], end)
            elif pending is None:
                pending = start
            continue
        spans.append((start if pending is None else pending, end))
        pending = None
    return [_token(text[start:end], start, end) for start, end in spans]


def _token(raw: str, start: int, end: int) -> Token:
    word = raw.strip(PUNCTUATION + " \t\r\n")
    return Token(text=raw, first=start + 1, last=end, word=word or raw)


def _place(tokens: list[Token], position: int) -> float:
    """The (fractional) token index a character position falls on."""
    place = -_GAP
    for index, token in enumerate(tokens):
        if position < token.first:
            break
        place = index if position <= token.last else index + _GAP
    return place


def align(tokens: list[Token], positions: list[int]) -> list[int | None]:
    """For each token, the index of its first event, or None if espeak gave it no event."""
    if not tokens or not positions:
        return [None] * len(tokens)
    skip = [SKIP_SYMBOL if t.symbol else SKIP_WORD for t in tokens]
    cum = list(accumulate(skip, initial=0.0))  # cum[k]: cost of skipping tokens[0:k]
    stay = [CONTINUE_COMPOUND if t.compound else CONTINUE_PLAIN for t in tokens]
    places = [_place(tokens, p) for p in positions]
    cost = [cum[t] + MISMATCH * abs(places[0] - t) for t in range(len(tokens))]
    back: list[list[int]] = []
    for place in places[1:]:
        cost, choice = _step(cost, cum, stay, place)
        back.append(choice)
    total = [c + cum[-1] - cum[t + 1] for t, c in enumerate(cost)]
    return _first_events(_backtrack(back, total.index(min(total))), len(tokens))


def _step(
    cost: list[float], cum: list[float], stay: list[float], place: float
) -> tuple[list[float], list[int]]:
    """One event further: best cost per token and which token the previous event was on."""
    new: list[float] = []
    choice: list[int] = []
    best_prev, best = -1, float("inf")  # min over t' < t of cost[t'] - cum[t' + 1]
    for t, previous in enumerate(cost):
        keep = previous + stay[t]
        advance = best + cum[t]
        if keep <= advance:  # ties: a continuation, so a token's start is never postponed
            new.append(keep + MISMATCH * abs(place - t))
            choice.append(t)
        else:
            new.append(advance + MISMATCH * abs(place - t))
            choice.append(best_prev)
        if previous - cum[t + 1] < best:
            best_prev, best = t, previous - cum[t + 1]
    return new, choice


def _backtrack(back: list[list[int]], last: int) -> list[int]:
    assigned = [last]
    for choice in reversed(back):
        assigned.append(choice[assigned[-1]])
    return assigned[::-1]


def _first_events(assigned: list[int], n_tokens: int) -> list[int | None]:
    first: list[int | None] = [None] * n_tokens
    for event, token in enumerate(assigned):
        if first[token] is None:
            first[token] = event
    return first
