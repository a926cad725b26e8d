"""The recommended video format for the chosen topic: hook style, pacing and duration.

Hook style, first rule that applies (a calm style never gets a "stat shock"):

1. "stat shock" — the topic's median velocity is at or above the collection's 90th percentile;
2. "countdown"  — 30 %+ of its titles are lists ("5 hidden settings", "3 study hacks");
3. "question"   — 30 %+ of its titles ask something;
4. the style's default (energetic/playful → "bold claim", dramatic → "stat shock",
   informative/calm → "question").

Pacing is a tempo score: the style's base (energetic/playful 2, dramatic 1, informative 0,
calm −1) +1 when the topic moves 1.5× faster than the median trend, +1 when its videos are
short (median ≤ 35 s); 3+ → fast cuts, 1–2 → brisk, less → steady.

Duration: the config's ``video_duration_seconds`` moved halfway toward the median length of the
topic's short videos (≤ 180 s), but never more than 15 % away from the config — the same
tolerance the script is planned to, so the config always wins.
"""

from __future__ import annotations

import re
import statistics

from trendreel.models import EngagementStats, RecommendedFormat, ThemeConfig
from trendreel.models.trends import Platform, ScoredTrendItem

LIST_TITLE = re.compile(r"^\s*\d+\s|\b(top|ways|tips|tricks|hacks|things|reasons|ranking|ranked)\b")
QUESTION_TITLE = re.compile(r"\?|^(why|how|what|is|are|should|can|who|which)\b")
TITLE_SHARE = 0.3
STYLE_HOOK = {
    "energetic": "bold claim",
    "playful": "bold claim",
    "dramatic": "stat shock",
    "informative": "question",
    "calm": "question",
}
STYLE_TEMPO = {"energetic": 2, "playful": 2, "dramatic": 1, "informative": 0, "calm": -1}
PACING = ("steady: a new scene every ~6 s", "brisk: a new scene every ~4 s", "fast cuts every ~3 s")
HOT_RATIO = 1.5
SHORT_VIDEO_SECONDS = 35.0
MAX_SHORT_SECONDS = 180.0
DURATION_TOLERANCE = 0.15


def recommend_format(
    members: list[ScoredTrendItem], stats: EngagementStats, config: ThemeConfig
) -> RecommendedFormat:
    style = config.config.style
    velocity = _median_velocity(members)
    lengths = [i.duration_seconds for i in members if i.duration_seconds]
    short_lengths = [d for d in lengths if d <= MAX_SHORT_SECONDS]
    median_length = statistics.median(short_lengths) if short_lengths else None
    hook, hook_why = _hook_style(members, velocity, stats, style)
    pacing = _pacing(velocity, stats, median_length, style)
    duration = _duration(config.config.video_duration_seconds, median_length)
    length_text = f"{median_length:.0f} s" if median_length else "unknown"
    reason = (
        f"{hook} hook because {hook_why}; {pacing.split(':')[0]} pacing for the {style} style "
        f"(topic median velocity {velocity:,.0f}/h vs {stats.median_velocity:,.0f}/h overall, "
        f"median short length {length_text}); {duration} s = the configured "
        f"{config.config.video_duration_seconds} s nudged toward that length, within ±15 %."
    )
    return RecommendedFormat(
        hook_style=hook, pacing=pacing, duration_seconds=duration, reason=reason
    )


def _median_velocity(members: list[ScoredTrendItem]) -> float:
    posts = [
        i.engagement_velocity_per_hour for i in members if i.platform != Platform.GOOGLE_TRENDS
    ]
    return float(statistics.median(posts)) if posts else 0.0


def _share(members: list[ScoredTrendItem], pattern: re.Pattern[str]) -> float:
    return sum(1 for i in members if pattern.search(i.title.lower())) / max(len(members), 1)


def _hook_style(
    members: list[ScoredTrendItem], velocity: float, stats: EngagementStats, style: str
) -> tuple[str, str]:
    candidates: list[tuple[str, str]] = []
    if velocity > 0 and velocity >= stats.p90_velocity:
        candidates.append(("stat shock", "the topic's velocity is in the top 10 %"))
    if _share(members, LIST_TITLE) >= TITLE_SHARE:
        candidates.append(("countdown", "many of its titles are lists"))
    if _share(members, QUESTION_TITLE) >= TITLE_SHARE:
        candidates.append(("question", "many of its titles ask a question"))
    candidates.append((STYLE_HOOK[style], f"it suits the {style} style"))
    allowed = [c for c in candidates if not (style == "calm" and c[0] == "stat shock")]
    return allowed[0] if allowed else ("question", "it suits the calm style")


def _pacing(velocity: float, stats: EngagementStats, length: float | None, style: str) -> str:
    tempo = STYLE_TEMPO[style]
    if stats.median_velocity > 0 and velocity >= HOT_RATIO * stats.median_velocity:
        tempo += 1
    if length is not None and length <= SHORT_VIDEO_SECONDS:
        tempo += 1
    return PACING[2] if tempo >= 3 else PACING[1] if tempo >= 1 else PACING[0]


def _duration(configured: int, median_length: float | None) -> int:
    if median_length is None:
        return configured
    nudged = configured + 0.5 * (median_length - configured)
    low, high = configured * (1 - DURATION_TOLERANCE), configured * (1 + DURATION_TOLERANCE)
    return max(5, min(180, round(min(max(nudged, low), high))))
