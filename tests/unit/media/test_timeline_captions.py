"""The render plan (pure timing) and word-level captions: chunking, layout, drawing, cues."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from tests.unit.media.conftest import FPS, make_inputs, make_plan, procedural
from trendreel.media import captions, layout
from trendreel.media.captions import (
    HIGHLIGHT,
    MAX_LINES,
    MAX_WORDS,
    CaptionTrack,
    build_chunks,
    split_chunks,
)
from trendreel.media.sprites import fill_rect
from trendreel.media.timeline import (
    CTA_MIN,
    HOOK_MAX,
    MIN_OUTRO,
    OUTRO,
    VOICE_OFFSET,
    TimedWord,
    build_plan,
    outro_seconds,
    quantise,
)
from trendreel.media.yuv import YuvFrame, colour, planes_to_rgb


def whole_frames(t: float) -> bool:
    return abs(t * FPS - round(t * FPS)) < 1e-6


def exact_frames(voice_seconds: float) -> int:
    """Frames in VOICE_OFFSET + voice + outro rounded up, in exact decimal arithmetic."""
    outro = Fraction(str(outro_seconds(voice_seconds)))
    total = Fraction(str(VOICE_OFFSET)) + Fraction(str(voice_seconds)) + outro
    return math.ceil(total * FPS)


# -- build_plan ------------------------------------------------------------------------------


@pytest.mark.parametrize("voice_seconds", [1.0, 2.0, 2.95, 3.0, 3.01, 4.37, 7.0])
def test_duration_is_whole_frames_covering_voice_and_outro(voice_seconds: float) -> None:
    plan = make_plan(voice_seconds=voice_seconds)
    assert whole_frames(plan.duration)
    assert plan.frame_count == exact_frames(voice_seconds)
    assert plan.duration >= VOICE_OFFSET + voice_seconds + outro_seconds(voice_seconds) - 1e-9
    assert MIN_OUTRO <= outro_seconds(voice_seconds) <= OUTRO
    assert plan.voice_offset == VOICE_OFFSET
    assert plan.voice_duration == voice_seconds


def test_duration_has_no_extra_frame_from_float_noise() -> None:
    plan = make_plan(voice_seconds=10.0)
    assert plan.frame_count == exact_frames(10.0) == 363


def test_scene_windows_are_contiguous_and_cover_the_video() -> None:
    plan = make_plan()
    assert [s.index for s in plan.scenes] == [0, 1, 2]
    assert plan.scenes[0].start == 0.0
    assert plan.scenes[-1].end == plan.duration
    for a, b in itertools.pairwise(plan.scenes):
        assert a.end == b.start
        assert a.start < a.end
    assert all(whole_frames(s.start) and whole_frames(s.end) for s in plan.scenes)
    # later scenes start when their first word is spoken (voice offset applied)
    assert plan.scenes[1].start == pytest.approx(1.2 + VOICE_OFFSET)
    assert plan.scenes[2].start == pytest.approx(2.2 + VOICE_OFFSET)
    assert [s.intent for s in plan.scenes] == ["hook", "list", "cta"]
    assert [s.visual.scene_index for s in plan.scenes] == [0, 1, 2]


def test_scene_at_maps_times_to_scenes() -> None:
    plan = make_plan()
    s1, s2 = plan.scenes[1].start, plan.scenes[2].start
    assert plan.scene_at(0.0) == 0
    assert plan.scene_at(s1 - 1e-3) == 0
    assert plan.scene_at(s1) == 1
    assert plan.scene_at(s2) == 2
    assert plan.scene_at(plan.duration + 5) == 2


def test_words_are_shifted_by_the_voice_offset_and_quantised() -> None:
    script, voice = make_inputs(
        phrases=[(0, 0.013, "one two three"), (1, 1.507, "four five")], voice_seconds=2.3
    )
    plan = build_plan(
        script, voice, [procedural(0, "hook"), procedural(1, "list")], ["#000000"] * 5, 1, FPS
    )
    assert [w.text for w in plan.words] == ["one", "two", "three", "four", "five"]
    assert [w.index for w in plan.words] == list(range(5))
    assert [w.scene_index for w in plan.words] == [0, 0, 0, 1, 1]
    for src, w in zip(voice.words, plan.words, strict=True):
        assert whole_frames(w.start)
        assert whole_frames(w.end)
        assert abs(w.start - (src.start + VOICE_OFFSET)) <= 0.5 / FPS + 1e-9
        assert abs(w.end - (src.end + VOICE_OFFSET)) <= 0.5 / FPS + 1e-9
        assert w.end >= w.start + 1 / FPS - 1e-9


def test_a_word_shorter_than_a_frame_lasts_one_frame() -> None:
    script, voice = make_inputs(phrases=[(0, 0.5, "a")], voice_seconds=1.0)
    voice.words[0].end = 0.505  # quantises to the same frame as its start
    plan = build_plan(script, voice, [procedural(0, "hook")], ["#000000"] * 5, 1, FPS)
    word = plan.words[0]
    assert word.start == pytest.approx(0.8)
    assert word.end == pytest.approx(0.8 + 1 / FPS)


def test_hook_and_cta_cards() -> None:
    plan = make_plan()
    assert plan.hook.kind == "hook"
    assert plan.hook.text == "Sleep better tonight"
    assert plan.hook.start == 0.0
    assert plan.hook.end == min(HOOK_MAX, plan.scenes[0].end)  # first scene is short here
    assert plan.cta.kind == "cta"
    assert plan.cta.text == "Follow for more"
    assert plan.cta.end == plan.duration
    hold = min(CTA_MIN, outro_seconds(plan.voice_duration) + 0.6)  # shorter for tiny videos
    assert plan.hook.end <= plan.cta.start <= plan.duration - hold + 1e-9
    assert whole_frames(plan.cta.start)
    assert plan.cta.start == pytest.approx(min(plan.duration - hold, plan.scenes[2].start + 0.5))


def test_single_scene_hook_lasts_hook_max() -> None:
    plan = make_plan(phrases=[(0, 0.0, "just one scene with several words in it")])
    assert plan.hook.end == HOOK_MAX
    assert plan.cta.start >= HOOK_MAX
    assert plan.cta.end == plan.duration


def test_visual_count_must_match_scenes() -> None:
    script, voice = make_inputs()
    with pytest.raises(ValueError, match="2 visuals for 3 scenes"):
        build_plan(script, voice, [procedural(0, "hook"), procedural(1, "list")], [], 1, FPS)


def test_quantise_rounds_to_the_nearest_frame() -> None:
    assert quantise(0.0166, 30) == 0.0
    assert quantise(0.0167, 30) == pytest.approx(1 / 30)
    assert quantise(1.0, 30) == 1.0


# -- split_chunks (pure, with a fake measure) -----------------------------------------------


def tw(n: int, text: str, start: float, scene: int = 0, length: float = 0.2) -> TimedWord:
    return TimedWord(n, text, start, start + length, scene)


def run(texts: list[str], gap: float = 0.05, scenes: list[int] | None = None) -> list[TimedWord]:
    out, t = [], 0.0
    for n, text in enumerate(texts):
        out.append(tw(n, text, t, scenes[n] if scenes else 0))
        t += 0.2 + gap
    return out


def by_chars(text: str) -> int:
    return 10 * len(text)


def texts(chunks: list[list[TimedWord]]) -> list[str]:
    return [" ".join(w.text for w in c) for c in chunks]


def test_chunks_hold_at_most_seven_words() -> None:
    chunks = split_chunks(run(["w"] * 16), by_chars, 10_000)
    assert [len(c) for c in chunks] == [MAX_WORDS, MAX_WORDS, 2]


def test_chunks_break_after_sentence_ends() -> None:
    words = run(["Sleep", "well.", "Eat", "right!", "Why", "not?", "Go"])
    assert texts(split_chunks(words, by_chars, 10_000)) == [
        "Sleep well.",
        "Eat right!",
        "Why not?",
        "Go",
    ]
    # a comma is not a sentence end
    assert texts(split_chunks(run(["one,", "two"]), by_chars, 10_000)) == ["one, two"]


def test_chunks_break_at_scene_changes() -> None:
    words = run(["a", "b", "c", "d"], scenes=[0, 0, 1, 1])
    assert texts(split_chunks(words, by_chars, 10_000)) == ["a b", "c d"]


def test_chunks_break_at_pauses_longer_than_the_threshold() -> None:
    words = [tw(0, "a", 0.0), tw(1, "b", 0.2 + 0.44), tw(2, "c", 0.84 + 0.46)]
    assert texts(split_chunks(words, by_chars, 10_000)) == ["a b", "c"]


def test_chunks_never_need_more_than_two_lines() -> None:
    # 100 px per line: "aaaa" (40) fits two to a line ("aaaa aaaa" = 90), so four per chunk.
    words = run(["aaaa"] * 10)
    chunks = split_chunks(words, by_chars, 100)
    assert [len(c) for c in chunks] == [4, 4, 2]
    assert all(len(captions._lines(c, by_chars, 100)) <= MAX_LINES for c in chunks)


def test_lines_measure_the_displayed_upper_case_text() -> None:
    seen: list[str] = []

    def measure(text: str) -> int:
        seen.append(text)
        return 0

    split_chunks(run(["hi", "there"]), measure, 100)
    assert {"HI", "THERE"} <= set(seen)  # each word's pill, as displayed (upper case)
    assert not any(t.islower() for t in seen)


# -- build_chunks, layout and cues (real font) ---------------------------------------------


def sentence_words(text: str, start: float = 0.3, step: float = 0.25) -> list[TimedWord]:
    return [
        TimedWord(
            n, word, quantise(start + n * step, FPS), quantise(start + n * step + 0.2, FPS), 0
        )
        for n, word in enumerate(text.split())
    ]


def rows(chunk: captions.Chunk) -> int:
    return len({p.box.y0 for p in chunk.words})


def test_built_chunks_follow_the_rules_and_the_words() -> None:
    plan = make_plan()
    chunks = build_chunks(plan.words, plan.duration)
    assert [p.word for c in chunks for p in c.words] == plan.words  # every word once, in order
    assert [" ".join(p.text for p in c.words) for c in chunks] == [
        "SLEEP IS YOUR SUPERPOWER.",
        "THREE TIPS TONIGHT.",
        "FOLLOW NOW.",
    ]
    for n, chunk in enumerate(chunks):
        assert chunk.index == n
        assert len(chunk.words) <= MAX_WORDS
        assert rows(chunk) <= MAX_LINES
        assert chunk.start == chunk.words[0].word.start
        next_start = chunks[n + 1].start if n + 1 < len(chunks) else plan.duration
        # held HOLD_AFTER past the last word, but never into the next chunk or past the end
        natural = chunk.words[-1].word.end + captions.HOLD_AFTER
        assert chunk.end == pytest.approx(min(natural, next_start, plan.duration))
    assert chunks[0].end == chunks[1].start  # the hold is cut short by the next chunk
    assert chunks[-1].end == pytest.approx(chunks[-1].words[-1].word.end + captions.HOLD_AFTER)


def test_a_third_line_starts_a_new_chunk() -> None:
    chunks = build_chunks(sentence_words("extraordinary magnificent wonderful"), 10.0)
    assert [[p.text for p in c.words] for c in chunks] == [
        ["EXTRAORDINARY", "MAGNIFICENT"],
        ["WONDERFUL"],
    ]
    assert [rows(c) for c in chunks] == [2, 1]


def test_long_words_wrap_onto_two_lines_centred_on_the_caption_line() -> None:
    words = sentence_words("extraordinary magnificent")
    (chunk,) = build_chunks(words, 10.0)
    assert rows(chunk) == 2
    top = min(p.box.y0 for p in chunk.words)
    bottom = max(p.box.y1 for p in chunk.words)
    assert abs((top + bottom) / 2 - layout.CAPTION_CENTER_Y) <= 8
    for line_y in {p.box.y0 for p in chunk.words}:
        line = [p.box for p in chunk.words if p.box.y0 == line_y]
        centre = (line[0].x0 + line[-1].x1) / 2
        assert abs(centre - layout.SAFE.center_x) <= 2


def inside_safe(chunks: list[captions.Chunk]) -> bool:
    ok = True
    for c in chunks:
        (x, y), (w, h) = c.origin, c.size
        ok &= layout.SAFE.contains(layout.Box(x, y, x + w, y + h))
        ok &= all(layout.SAFE.contains(p.box) for p in c.words)
    return ok


def test_chunks_with_long_words_stay_inside_the_safe_zone() -> None:
    words = sentence_words("extraordinary magnificent wonderful incredible sensational")
    chunks = build_chunks(words, 10.0)
    assert inside_safe(chunks)


@pytest.mark.parametrize(
    "text",
    [
        "Here are three quick tips to sleep better.",
        "we go to it on by at",
    ],
)
def test_everyday_sentences_stay_inside_the_safe_zone(text: str) -> None:
    assert inside_safe(build_chunks(sentence_words(text), 10.0))


def test_cues_one_per_word_with_frame_accurate_times() -> None:
    plan = make_plan()
    track = CaptionTrack(build_chunks(plan.words, plan.duration))
    cues = track.cues()
    assert [c.word_index for c in cues] == [w.index for w in plan.words]
    assert [c.word for c in cues] == [w.text for w in plan.words]
    for cue, word in zip(cues, plan.words, strict=True):
        assert cue.start == word.start
        assert cue.end >= cue.start
        assert whole_frames(cue.start)
    for chunk in track.chunks:
        chunk_cues = [c for c in cues if c.chunk_index == chunk.index]
        for a, b in itertools.pairwise(chunk_cues):
            assert a.end == b.start  # highlighted until the next word starts
        assert chunk_cues[-1].end == chunk.end
        for cue, placed in zip(chunk_cues, chunk.words, strict=True):
            box = placed.box
            assert cue.box == (box.x0, box.y0, box.x1, box.y1)


def highlight_share(frame: YuvFrame, box: tuple[int, int, int, int]) -> float:
    x0, y0, x1, y1 = box
    rgb = planes_to_rgb(*frame.planes())[y0:y1, x0:x1].astype(int)
    close = (np.abs(rgb - np.array(HIGHLIGHT)) <= (40, 40, 60)).all(axis=2)
    return float(close.mean())


def test_caption_track_draws_the_active_word_highlighted() -> None:
    plan = make_plan()
    track = CaptionTrack(build_chunks(plan.words, plan.duration))
    cues = track.cues()
    dark = colour((20, 20, 40))
    for n in (0, 2, 4):  # words in the first and second chunks
        frame = YuvFrame.blank(layout.WIDTH, layout.HEIGHT)
        fill_rect(frame, 0, 0, layout.WIDTH, layout.HEIGHT, dark)
        track.draw(frame, cues[n].start)
        assert highlight_share(frame, cues[n].box) > 0.5
        others = [c for c in cues if c.chunk_index == cues[n].chunk_index and c is not cues[n]]
        assert all(highlight_share(frame, c.box) < 0.05 for c in others)
        # the other words are drawn in white
        rgb = planes_to_rgb(*frame.planes())
        x0, y0, x1, y1 = others[0].box
        assert (rgb[y0:y1, x0:x1] > 230).all(axis=2).mean() > 0.1


def test_caption_track_draws_nothing_outside_chunk_times() -> None:
    plan = make_plan()
    chunks = build_chunks(plan.words, plan.duration)
    track = CaptionTrack(chunks)
    for t in (0.0, plan.words[0].start - 1 / FPS, chunks[-1].end, plan.duration):
        frame = YuvFrame.blank(layout.WIDTH, layout.HEIGHT)
        track.draw(frame, t)
        assert not frame.buf.any(), t
