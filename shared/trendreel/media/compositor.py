"""Frame-by-frame composition of a render plan, exposed as a moviepy VideoClip.

One output buffer is reused for every frame: background (slice copy or decoded footage), then
motion graphics, text cards and captions are drawn into it in place. Only the current scene's
background is alive at any time, so memory does not grow with the video's length.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from moviepy import VideoClip

from trendreel.media import layout
from trendreel.media.backgrounds import ProceduralBackground
from trendreel.media.captions import CaptionTrack, build_chunks
from trendreel.media.footage import FootageBackground
from trendreel.media.overlays import card, centred, headline
from trendreel.media.palette import yuv
from trendreel.media.sprites import Sprite, blit, fill_rect
from trendreel.media.timeline import TRANSITION, RenderPlan, SceneWindow
from trendreel.media.yuv import U8, YuvFrame

SLIDE_IN = 0.3


class Background(Protocol):
    def draw(self, out: YuvFrame, t: float) -> None: ...

    def close(self) -> None: ...


class Compositor:
    def __init__(self, plan: RenderPlan, footage: Callable[[str], Path] | None = None) -> None:
        self.plan = plan
        self._footage = footage
        self.captions = CaptionTrack(build_chunks(plan.words, plan.duration))
        self._out = YuvFrame.blank(layout.WIDTH, layout.HEIGHT)
        self._scene = -1
        self._last_t = -1.0
        self._background: Background | None = None
        self._headline: Sprite | None = None
        accent = plan.palette[2]
        self._hook = card(plan.hook.text, size=92, accent=accent)
        self._cta = card(plan.cta.text, size=84, accent=plan.palette[3])
        self._bar = yuv(plan.palette[4])
        self._wipe = yuv(plan.palette[2])

    def close(self) -> None:
        if self._background is not None:
            self._background.close()
            self._background = None

    @property
    def current(self) -> YuvFrame:
        """The frame drawn last (the buffer is reused: copy it to keep it)."""
        return self._out

    def clip(self) -> VideoClip:
        """A moviepy clip whose frames are I420 buffers shaped (1.5·H, W), ready to encode.

        Its duration has half a frame of slack so moviepy's frame count (a truncation of
        duration × fps) never loses the last frame to float rounding; callers stop at
        ``plan.frame_count``.
        """
        slack = 0.5 / self.plan.fps
        clip = VideoClip(frame_function=self.i420, duration=self.plan.duration + slack)
        return clip.with_fps(self.plan.fps)

    def i420(self, t: float) -> U8:
        return self.frame(t).as_image_array()

    def frame(self, t: float) -> YuvFrame:
        if t == self._last_t:  # moviepy asks for frame 0 twice; footage must not advance
            return self._out
        self._last_t = t
        plan = self.plan
        n = plan.scene_at(t)
        scene = plan.scenes[n]
        self._enter(n, scene)
        assert self._background is not None
        out = self._out
        local = t - scene.start
        self._background.draw(out, local)
        if n > 0 and local < TRANSITION:
            self._draw_wipe(out, local / TRANSITION)
        self._draw_cards(out, t, local)
        self.captions.draw(out, t)
        fill_rect(out, 0, 0, int(layout.WIDTH * t / plan.duration), 12, self._bar)
        return out

    def _enter(self, n: int, scene: SceneWindow) -> None:
        if n == self._scene:
            return
        self.close()
        self._background = self._make_background(scene)
        text = scene.headline.strip()
        same_as_hook = text.casefold() == self.plan.hook.text.strip().casefold()
        self._headline = headline(text, self.plan.palette[3]) if text and not same_as_hook else None
        self._scene = n

    def _make_background(self, scene: SceneWindow) -> Background:
        visual = scene.visual
        if visual.kind == "video":
            if self._footage is None or visual.asset_key is None:
                raise ValueError(f"scene {scene.index} uses footage but none was provided")
            path = self._footage(visual.asset_key)
            return FootageBackground(path, self.plan.fps, scene.end - scene.start)
        return ProceduralBackground(
            template=visual.template,
            palette=self.plan.palette,
            seed=self.plan.seed + scene.index,
            duration=scene.end - scene.start,
        )

    def _draw_wipe(self, out: YuvFrame, p: float) -> None:
        # A panel sweeps up across the cut: leading edge eases in, trailing edge follows.
        lead = int(layout.HEIGHT * (1 - min(1.0, p * 1.6)))
        trail = int(layout.HEIGHT * (1 - max(0.0, p * 1.6 - 0.6)))
        fill_rect(out, 0, lead, layout.WIDTH, trail, self._wipe)

    def _draw_cards(self, out: YuvFrame, t: float, local: float) -> None:
        plan = self.plan
        if plan.hook.start <= t < plan.hook.end:
            self._blit_sliding(out, self._hook, layout.HOOK_CENTER_Y, t - plan.hook.start)
        elif plan.cta.start <= t < plan.cta.end:
            self._blit_sliding(out, self._cta, layout.CTA_CENTER_Y, t - plan.cta.start)
        elif self._headline is not None and local >= TRANSITION:
            self._blit_sliding(out, self._headline, layout.HEADLINE_CENTER_Y, local - TRANSITION)

    @staticmethod
    def _blit_sliding(out: YuvFrame, sprite: Sprite, center_y: int, since: float) -> None:
        x, y = centred(sprite, center_y)
        offset = int(120 * (1 - min(since / SLIDE_IN, 1.0)) ** 3)
        blit(out, sprite, x, y + offset)
