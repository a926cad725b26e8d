"""Text to Piper's symbols: which IPA each word of the script became (real espeak-ng, no model)."""

from __future__ import annotations

from itertools import pairwise

import pytest

from trendreel.errors import MediaError
from trendreel.providers.tts import espeak_ffi
from trendreel.providers.tts.espeak_align import normalise, tokenise
from trendreel.providers.tts.piper_phonemes import Utterance, clause_mark, utterance
from trendreel.providers.tts.piper_voice import packaged_voice, read_config

SYMBOLS = read_config(packaged_voice()).phoneme_id_map


def _spoken(text: str) -> tuple[Utterance, dict[str, str]]:
    """The utterance, and each word's IPA (its symbols joined)."""
    text = normalise(text)
    tokens = tokenise(text)
    spoken = utterance(text, tokens, "en-us", SYMBOLS)
    flat = [symbol for sentence in spoken.sentences for symbol in sentence]
    ipa = {t.word: "".join(flat[a:b]) for t, (a, b) in zip(tokens, spoken.spans, strict=True)}
    return spoken, ipa


def test_numbers_abbreviations_and_symbols_map_to_their_own_words() -> None:
    _, ipa = _spoken("The iPhone sold 204K units in 3 days! AI costs $5 now; state-of-the-art.")
    assert list(ipa) == [
        *("The", "iPhone", "sold", "204K", "units", "in", "3", "days"),
        *("AI", "costs", "$5", "now", "state-of-the-art"),
    ]
    # "204K" is every spoken word of "two hundred and four K", and nothing of "units"
    assert "hˈʌndɹɪd" in ipa["204K"]
    assert "kˈeɪ" in ipa["204K"]
    assert ipa["204K"].count(" ") >= 2
    assert ipa["units"] == "jˈuːnɪts"
    assert ipa["3"] == "θɹˈiː"
    assert ipa["AI"] == "ˌeɪˈaɪ"  # letters, not the word "ai"
    assert "dˈɑːlɚ" in ipa["$5"]
    assert "fˈaɪv" in ipa["$5"]
    assert "fˈoʊn" in ipa["iPhone"]
    assert " " in ipa["iPhone"]  # camelCase: two spoken words
    assert " " not in ipa["state-of-the-art"]
    assert ipa["state-of-the-art"].endswith("ˈɑːɹt")


def test_sentences_and_clauses_carry_their_punctuation() -> None:
    spoken, _ = _spoken("Wait, what? Rock & roll! It works; it ships: done.")
    text = ["".join(sentence) for sentence in spoken.sentences]
    assert len(text) == 3
    assert text[0].endswith("?")
    assert ", " in text[0]
    assert text[1].endswith("!")
    assert "ænd" in text[1]
    assert text[2].endswith(".")
    assert "; " in text[2]
    assert ": " in text[2]


def test_a_multi_word_dictionary_entry_is_shared_between_its_words() -> None:
    spoken, ipa = _spoken("In the end, we meet at once.")
    # espeak speaks "in the" and "at once" as one IPA word each; each word keeps a part of it
    assert (ipa["In"] + ipa["the"]).startswith("ɪnð")
    assert all(len(ipa[word]) >= 2 for word in ("In", "the", "at", "once"))  # > a video frame
    assert ipa["once"].endswith("ns")
    assert all(b[0] == a[1] for a, b in pairwise(spoken.spans[:2]))  # adjacent, no gap


def test_dashes_and_punctuation_only_pieces_are_not_words() -> None:
    _, ipa = _spoken("— Wait — what? (Really) “quoted” words…")
    assert list(ipa) == ["Wait", "what", "Really", "quoted", "words"]


def test_every_word_gets_its_own_symbols_in_order() -> None:
    text = "Videos are gaining 204 thousand reactions every hour. That's 5x, e.g. Dr. Who."
    spoken, ipa = _spoken(text)
    assert all(ipa.values())
    assert all(a[1] <= b[0] for a, b in pairwise(spoken.spans))
    flat = [symbol for sentence in spoken.sentences for symbol in sentence]
    for start, end in spoken.spans:
        assert " " not in (flat[start], flat[end - 1])


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ("end.", "."),
        ("what?!", "?"),
        ("wow!", "!"),
        ("so,", ","),
        ("wait —", ","),
        ("well…", "."),
        ("e.g.", "."),
        ("(maybe)", ","),
        ("“quoted.”", "."),
        ("note:", ":"),
        ("plain", ""),
        ("state-of-the-art", ""),
    ],
)
def test_clause_mark(text: str, mark: str) -> None:
    [token] = tokenise(text)
    assert clause_mark(token) == mark


def test_symbols_the_voice_does_not_know_are_dropped() -> None:
    text = "Three fish."
    known = {s: ids for s, ids in SYMBOLS.items() if s != "θ"}
    spoken = utterance(text, tokenise(text), "en-us", known)
    assert "θ" not in spoken.sentences[0]
    assert "".join(spoken.sentences[0]).startswith("ɹˈiː")


def test_ipa_and_word_events_that_disagree_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    phonemize = espeak_ffi.phonemize

    def one_event_short(text: str, voice: str) -> espeak_ffi.Phonemes:
        real = phonemize(text, voice)
        return espeak_ffi.Phonemes(real.clauses, real.events[:-1])

    monkeypatch.setattr(espeak_ffi, "phonemize", one_event_short)
    with pytest.raises(MediaError, match="must agree"):
        _spoken("Hello there.")
