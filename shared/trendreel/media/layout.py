"""Frame geometry for a 1080×1920 vertical video: sizes and the platform safe zone.

Short-video apps draw their own UI over the video: the caption/description block and progress
bar along the bottom ~20%, the like/comment/share column on the right, the header on top. Our
text stays inside SAFE (x 60..940, y 220..1480) so nothing we draw is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 1080
HEIGHT = 1920
FPS = 30


@dataclass(frozen=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def center_x(self) -> int:
        return (self.x0 + self.x1) // 2

    def contains(self, other: Box) -> bool:
        return (
            self.x0 <= other.x0
            and self.y0 <= other.y0
            and other.x1 <= self.x1
            and other.y1 <= self.y1
        )


SAFE = Box(60, 220, 940, 1480)
HEADLINE_CENTER_Y = 330
HOOK_CENTER_Y = 640
CTA_CENTER_Y = 800
CAPTION_CENTER_Y = 1200
CAPTION_MAX_WIDTH = SAFE.width - 40
