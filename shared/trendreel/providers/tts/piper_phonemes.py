"""From text to what a Piper voice speaks: IPA symbols per sentence, and the symbols of each word.

Voices with ``phoneme_type: espeak`` were trained on espeak-ng's IPA, so the text goes through the
espeak-ng the project already binds (``espeak_ffi.phonemize``), in the shape Piper's training
used: one inference per sentence; each clause's IPA followed by its punctuation (",", ":", ";"
then a space, or a sentence-ending ".", "?", "!"); every code point after NFD decomposition one
symbol, so stress and length marks are symbols of their own. Symbols the voice has no id for are
dropped, as Piper does.

Words: espeak separates its IPA words by spaces and reports one WORD event, with a position in the
text, per such word. ``espeak_align.align`` (the same dynamic programme the espeak voice uses)
maps the events onto our tokens, so "204K" owns every IPA word of "two hundred and four K". A
multi-word dictionary entry ("in the" is one IPA word, ``ɪnðɪ``) is shared by its tokens, cut
between symbols in proportion to their length. A clause's punctuation is read from the token that
ends it; espeak decides where clauses end ("e.g." and "Dr." end one, "U.S." does not).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container
from dataclasses import dataclass, field
from itertools import accumulate, pairwise

from trendreel.errors import MediaError
from trendreel.providers.tts import espeak_ffi
from trendreel.providers.tts.espeak_align import PUNCTUATION, Token, align

_LANGUAGE_FLAG = re.compile(r"\([^)]*\)")  # "(fr)" around words espeak reads in another language
_STRESS = "ˈˌ"  # belongs to the syllable after it, so a cut never falls right after one
_PAUSES = " ,.?!:;"  # between words, never part of one
_CLAUSE_MARKS = ("?", "?"), ("!", "!"), (".…", "."), (":", ":"), (";", ";"), (",—–-()", ",")


@dataclass(frozen=True)
class Utterance:
    sentences: list[list[str]]  # the symbols of each inference
    spans: list[tuple[int, int]]  # per token: [start, end) into the sentences' symbols, joined


@dataclass(frozen=True)
class _Word:
    clause: int  # which of espeak's clauses it is in
    symbols: list[str]
    position: int  # its WORD event's 1-based character position in the text


@dataclass(frozen=True)
class _Group:
    tokens: range
    words: range


@dataclass
class _Sentences:
    done: list[list[str]] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    offset: int = 0  # symbols in the finished sentences

    def add_word(self, symbols: list[str]) -> tuple[int, int]:
        """Append one word; its [start, end) in all sentences' symbols."""
        if self.current and self.current[-1] != " ":
            self.current.append(" ")
        start = self.offset + len(self.current)
        self.current += symbols
        return start, start + len(symbols)

    def end_clause(self, mark: str) -> None:
        if mark:
            self.current.append(mark)
        if mark in (",", ":", ";"):
            self.current.append(" ")
        elif mark:
            self.finish()

    def finish(self) -> None:
        if self.current:
            self.done.append(self.current)
            self.offset += len(self.current)
            self.current = []


def clause_mark(token: Token) -> str:
    """The punctuation symbol for a clause that ends with ``token``, or "" if it has none."""
    lead = len(token.text) - len(token.text.lstrip(PUNCTUATION + " \t\r\n"))
    trail = token.text[lead + len(token.word) :] if token.word != token.text else ""
    return next((mark for chars, mark in _CLAUSE_MARKS if any(c in trail for c in chars)), "")


def utterance(
    text: str, tokens: list[Token], espeak_voice: str, symbols: Container[str]
) -> Utterance:
    words = _words(text, espeak_voice, symbols)
    groups = _groups(align(tokens, [word.position for word in words]), len(tokens), len(words))
    if not groups:
        raise MediaError(f"espeak-ng found nothing to say in {text!r}")
    sentences = _Sentences()
    ranges = []
    for group in groups:
        for n in group.words:
            ranges.append(sentences.add_word(words[n].symbols))
            if n + 1 == len(words) or words[n + 1].clause != words[n].clause:
                last = n + 1 == group.words.stop  # the clause ends with this group's last token
                sentences.end_clause(clause_mark(tokens[group.tokens[-1]]) if last else "")
    sentences.finish()
    flat = [symbol for sentence in sentences.done for symbol in sentence]
    spans = []
    for group in groups:
        start, end = ranges[group.words[0]][0], ranges[group.words[-1]][1]
        spans += _share(start, end, [tokens[t].weight for t in group.tokens], flat)
    return Utterance(sentences.done, spans)


def _words(text: str, espeak_voice: str, symbols: Container[str]) -> list[_Word]:
    """espeak's IPA words with their events; words with no symbol the voice knows are left out."""
    spoken = espeak_ffi.phonemize(text, espeak_voice)
    ipa = [(n, word) for n, clause in enumerate(spoken.clauses) for word in clause.split()]
    if len(ipa) != len(spoken.events):
        raise MediaError(
            f"espeak-ng gave {len(ipa)} IPA words but {len(spoken.events)} word events for "
            f"{text!r}; they must agree to time the words"
        )
    words = []
    for (clause, word), event in zip(ipa, spoken.events, strict=True):
        decomposed = unicodedata.normalize("NFD", _LANGUAGE_FLAG.sub("", word))
        kept = [c for c in decomposed if c in symbols]
        if kept:
            words.append(_Word(clause, kept, event.position))
    return words


def _groups(first: list[int | None], token_count: int, word_count: int) -> list[_Group]:
    """Tokens with a word of their own, each with the tokens after it that have none (at the
    start, the tokens before the first word join the first group), and the words they own."""
    anchors = [(t, f) for t, f in enumerate(first) if f is not None]
    bounds = [*anchors[1:], (token_count, word_count)]
    pairs = enumerate(zip(anchors, bounds, strict=True))
    return [
        _Group(range(0 if n == 0 else token, next_token), range(word, next_word))
        for n, ((token, word), (next_token, next_word)) in pairs
    ]


def _share(start: int, end: int, weights: list[int], flat: list[str]) -> list[tuple[int, int]]:
    """Cut [start, end) in proportion to ``weights``, between symbols and never right after a
    stress mark. Each part keeps two symbols where there are enough (each lasts at least a
    frame, so its word then lasts longer than a video frame), else one; with fewer symbols than
    words, every word gets them all (only sound-less tokens such as "^" do that)."""
    count = len(weights)
    if end - start < count:
        return [(start, end)] * count
    least = 2 if end - start >= 2 * count else 1
    cuts = [start]
    for k, acc in enumerate(accumulate(weights[:-1]), start=1):
        cut = start + round((end - start) * acc / sum(weights))
        cut = max(min(cut, end - least * (count - k)), cuts[-1] + least)
        if flat[cut - 1] in _STRESS and cut - 1 >= cuts[-1] + least:
            cut -= 1
        cuts.append(cut)
    return [_inner(a, b, flat) for a, b in pairwise([*cuts, end])]


def _inner(start: int, end: int, flat: list[str]) -> tuple[int, int]:
    """[start, end) without the spaces and clause marks at its edges (when it has more)."""
    while end - start > 1 and flat[start] in _PAUSES:
        start += 1
    while end - start > 1 and flat[end - 1] in _PAUSES:
        end -= 1
    return start, end
