"""Word-level captions: chunking spoken words into at most two lines, laying them out inside
the safe zone, and drawing each chunk with the active word highlighted.

A chunk appears when its first word is spoken and each word is highlighted from its own start
(frame-quantised synthesizer time) until the next word starts, so what is on screen tracks the
voice to within half a frame.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw

from trendreel.media import layout
from trendreel.media.sprites import Sprite, blit
from trendreel.media.text import font, text_width
from trendreel.media.timeline import TimedWord
from trendreel.media.yuv import YuvFrame
from trendreel.models import CaptionCue

FONT_SIZE = 76
LINE_GAP = 14
MAX_LINES = 2
MAX_WORDS = 7
PAUSE_BREAK = 0.45
HOLD_AFTER = 0.4
PILL_PAD_X = 14
PILL_PAD_Y = 6
STROKE = 7
HIGHLIGHT = (255, 214, 10)
ACTIVE_TEXT = (18, 18, 18)
TEXT = (255, 255, 255)
OUTLINE = (0, 0, 0)


@dataclass(frozen=True)
class PlacedWord:
    word: TimedWord
    text: str
    box: layout.Box  # the highlight pill, in frame coordinates


@dataclass(frozen=True)
class Chunk:
    index: int
    words: list[PlacedWord]
    start: float
    end: float
    origin: tuple[int, int]  # top-left of the chunk's sprite in the frame
    size: tuple[int, int]


def display_text(word: str) -> str:
    return word.upper()


def split_chunks(
    words: list[TimedWord], measure: Callable[[str], int], max_width: int, space: int = 0
) -> list[list[TimedWord]]:
    """Group words into chunks; ``measure`` gives one word's laid-out width (its pill)."""
    chunks: list[list[TimedWord]] = []
    current: list[TimedWord] = []
    for word in words:
        if current and _breaks(current, word, measure, max_width, space):
            chunks.append(current)
            current = []
        current.append(word)
    if current:
        chunks.append(current)
    return chunks


def _breaks(
    current: list[TimedWord],
    word: TimedWord,
    measure: Callable[[str], int],
    max_width: int,
    space: int,
) -> bool:
    prev = current[-1]
    return (
        len(current) >= MAX_WORDS
        or word.scene_index != prev.scene_index
        or word.start - prev.end > PAUSE_BREAK
        or prev.text.endswith((".", "!", "?"))
        or len(_lines([*current, word], measure, max_width, space)) > MAX_LINES
    )


def _line_width(words: list[TimedWord], measure: Callable[[str], int], space: int) -> int:
    """Exactly what _place lays out: each word's pill, one space between pills."""
    return sum(measure(display_text(w.text)) for w in words) + space * (len(words) - 1)


def _lines(
    words: list[TimedWord], measure: Callable[[str], int], max_width: int, space: int = 0
) -> list[list[TimedWord]]:
    lines: list[list[TimedWord]] = [[]]
    for word in words:
        if lines[-1] and _line_width([*lines[-1], word], measure, space) > max_width:
            lines.append([word])
        else:
            lines[-1].append(word)
    return lines


def build_chunks(words: list[TimedWord], duration: float) -> list[Chunk]:
    face = font(FONT_SIZE)
    space = text_width(" ", face)
    groups = split_chunks(words, _pill_width, _MAX_LINE, space)
    chunks: list[Chunk] = []
    for n, group in enumerate(groups):
        start = group[0].start
        natural_end = group[-1].end + HOLD_AFTER
        next_start = groups[n + 1][0].start if n + 1 < len(groups) else duration
        end = min(max(natural_end, group[-1].end), next_start, duration)
        chunks.append(_place(n, group, start, end))
    return chunks


def _pill_width(text: str) -> int:
    return text_width(text, font(FONT_SIZE)) + 2 * PILL_PAD_X


_MAX_LINE = layout.CAPTION_MAX_WIDTH - 2 * STROKE  # the outline reaches past the outer pills


def _place(index: int, group: list[TimedWord], start: float, end: float) -> Chunk:
    face = font(FONT_SIZE)
    ascent, descent = face.getmetrics()
    line_h = ascent + descent + 2 * PILL_PAD_Y
    space = text_width(" ", face)
    lines = _lines(group, _pill_width, _MAX_LINE, space)
    block_h = len(lines) * line_h + (len(lines) - 1) * LINE_GAP
    top = layout.CAPTION_CENTER_Y - block_h // 2
    placed: list[PlacedWord] = []
    for row, line in enumerate(lines):
        widths = [_pill_width(display_text(w.text)) for w in line]
        line_w = sum(widths) + space * (len(line) - 1)
        x = layout.SAFE.center_x - line_w // 2
        y = top + row * (line_h + LINE_GAP)
        for word, w in zip(line, widths, strict=True):
            box = layout.Box(x, y, x + w, y + line_h)
            placed.append(PlacedWord(word, display_text(word.text), box))
            x += w + space
    x0 = min(p.box.x0 for p in placed) - STROKE
    y0 = top - STROKE
    x1 = max(p.box.x1 for p in placed) + STROKE
    return Chunk(index, placed, start, end, (x0, y0), (x1 - x0, block_h + 2 * STROKE))


def render_chunk(chunk: Chunk) -> Sprite:
    """Every word of the chunk in the resting style: white with a black outline."""
    face = font(FONT_SIZE)
    image = Image.new("RGBA", chunk.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ox, oy = chunk.origin
    for placed in chunk.words:
        x, y = placed.box.x0 - ox + PILL_PAD_X, placed.box.y0 - oy + PILL_PAD_Y
        draw.text(
            (x, y), placed.text, font=face, fill=TEXT, stroke_width=STROKE, stroke_fill=OUTLINE
        )
    return Sprite.from_image(image)


def render_highlight(placed: PlacedWord) -> Sprite:
    """The active word: dark text on a solid pill, drawn over the chunk at the word's box."""
    face = font(FONT_SIZE)
    b = placed.box
    image = Image.new("RGBA", (b.width, b.height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, b.width - 1, b.height - 1), radius=16, fill=HIGHLIGHT)
    draw.text((PILL_PAD_X, PILL_PAD_Y), placed.text, font=face, fill=ACTIVE_TEXT)
    return Sprite.from_image(image)


class CaptionTrack:
    """Draws the caption on screen at t; each chunk and each highlight is rendered once."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self._starts = [c.start for c in chunks]
        self._chunk: tuple[int, Sprite] | None = None
        self._word: tuple[int, Sprite] | None = None

    def draw(self, frame: YuvFrame, t: float) -> None:
        n = bisect.bisect_right(self._starts, t + 1e-6) - 1
        if n < 0 or t >= self.chunks[n].end:
            return
        chunk = self.chunks[n]
        if self._chunk is None or self._chunk[0] != n:
            self._chunk = (n, render_chunk(chunk))
        blit(frame, self._chunk[1], *chunk.origin)
        active = _active_word(chunk, t)
        if active is None:
            return
        placed = chunk.words[active]
        if self._word is None or self._word[0] != placed.word.index:
            self._word = (placed.word.index, render_highlight(placed))
        blit(frame, self._word[1], placed.box.x0, placed.box.y0)

    def cues(self) -> list[CaptionCue]:
        cues: list[CaptionCue] = []
        for chunk in self.chunks:
            for n, placed in enumerate(chunk.words):
                nxt = chunk.words[n + 1].word.start if n + 1 < len(chunk.words) else chunk.end
                b = placed.box
                cues.append(
                    CaptionCue(
                        word=placed.word.text,
                        word_index=placed.word.index,
                        chunk_index=chunk.index,
                        start=placed.word.start,
                        end=nxt,
                        box=(b.x0, b.y0, b.x1, b.y1),
                    )
                )
        return cues


def _active_word(chunk: Chunk, t: float) -> int | None:
    starts = [p.word.start for p in chunk.words]
    n = bisect.bisect_right(starts, t + 1e-6) - 1
    return n if n >= 0 else None
