"""quality.words: numbers read by value in any written form, other words by stem."""

from __future__ import annotations

import pytest

from trendreel.quality.words import read, stem, unsaid


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("204K", 204_000),
        ("204 thousand", 204_000),
        ("1.2M", 1_200_000),
        ("1.2 million", 1_200_000),
        ("2,000", 2_000),
        ("two thousand", 2_000),
        ("twenty one", 21),
        ("two hundred and five", 205),
        ("3rd", 3),
        ("third", 3),
        ("50%", 50),
        ("3x", 3),
    ],
)
def test_a_number_is_one_term_with_its_value(text: str, value: float) -> None:
    [term] = read(text)
    assert term.value == pytest.approx(value)
    assert term.shown == text


def test_only_bare_integers_and_number_words_are_plain() -> None:
    terms = read("3 tips, three tips, 3K, 3rd, 1.5, two hundred")
    plain = {t.shown: t.plain for t in terms if t.value is not None}
    assert plain == {"3": True, "three": True, "3K": False, "3rd": False, "1.5": False,
                     "two hundred": False}  # fmt: skip


@pytest.mark.parametrize(
    ("word", "expected"),
    [("Videos", "video"), ("strategies", "strategy"), ("glasses", "glass"),
     ("creator's", "creator"), ("creators'", "creator"), ("bus", "bus"), ("status", "status")],
)  # fmt: skip
def test_stems_ignore_case_possessives_and_plurals(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_function_words_are_marked_stop_and_meaningful_ones_are_not() -> None:
    stops = {t.shown: t.stop for t in read("the trend is on your feed behind not up")}
    assert stops == {"the": True, "trend": False, "is": True, "on": True, "your": True,
                     "feed": False, "behind": False, "not": False, "up": False}  # fmt: skip


def test_unsaid_lists_missing_words_and_numbers_as_written() -> None:
    narration = "Phone battery videos gain about 200 thousand reactions every hour."
    assert unsaid("204K reactions an hour", narration) == ["204K"]
    assert unsaid("Battery life doubles", narration) == ["life", "doubles"]
    assert unsaid("200K Videos + reactions!", narration) == []
