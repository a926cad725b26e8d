"""YouTube's quotas: what each call costs, which bucket it draws on, and when a bucket refills.

From https://developers.google.com/youtube/v3/determine_quota_cost: a project has 100
``videos.insert`` calls a day in a bucket of their own (1 per call) and 10,000 units a day for
every other method (``videos.list`` 1 unit, ``thumbnails.set`` 50 units); "Daily quotas reset at
midnight Pacific Time (PT)". A channel's own upload limit (``uploadLimitExceeded``) is separate:
YouTube counts it over 24 hours and says to try again in 24 hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trendreel.errors import ProviderQuotaExceededError

NAME = "youtube"
UNITS = "youtube_quota_units"
INSERT_CALLS = "youtube_videos_insert_calls"
#: operation -> (cost, the usage unit it is counted in)
COST: dict[str, tuple[int, str]] = {
    "videos.insert": (1, INSERT_CALLS),
    "videos.list": (1, UNITS),
    "thumbnails.set": (50, UNITS),
}
DAILY_INSERTS = 100
DAILY_UNITS = 10_000
UPLOAD_LIMIT_WINDOW = timedelta(hours=24)
QUOTA_HINT = (
    "Publishing can resume after the quota resets (the message says when). For more quota, "
    "file the YouTube API Services audit and quota extension form."
)
UPLOAD_LIMIT_HINT = (
    "Wait 24 hours before publishing to this channel again (private uploads count too); "
    "verifying the channel at https://www.youtube.com/verify can raise the limit."
)


def next_quota_reset(now: datetime) -> datetime:
    """The first midnight Pacific Time after ``now``, as an aware datetime in Pacific Time."""
    pacific = _pacific()
    if pacific is None:
        return next_midnight_by_us_rule(now)
    tomorrow = now.astimezone(pacific).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=pacific)


def quota_exceeded(operation: str, now: datetime) -> ProviderQuotaExceededError:
    """The daily project quota ``operation`` draws on is spent."""
    reset = next_quota_reset(now)
    when = f"{reset:%Y-%m-%d %H:%M %Z} ({reset.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
    if operation == "videos.insert":
        quota = (
            f"the project's daily videos.insert quota is spent (a bucket of its own, "
            f"{DAILY_INSERTS} uploads a day by default)"
        )
    else:
        cost = COST.get(operation, (1, UNITS))[0]
        quota = (
            f"the project's daily YouTube Data API quota is spent ({DAILY_UNITS:,} units a day "
            f"by default; {operation} costs {cost} unit{'s' if cost != 1 else ''})"
        )
    message = f"quotaExceeded: {quota}; it resets at midnight Pacific Time, {when}"
    return ProviderQuotaExceededError(NAME, message, hint=QUOTA_HINT)


def upload_limit_exceeded(now: datetime) -> ProviderQuotaExceededError:
    """The channel (not the project) has uploaded as many videos as YouTube allows in 24 h."""
    retry_at = (now + UPLOAD_LIMIT_WINDOW).astimezone(UTC)
    message = (
        "uploadLimitExceeded: the channel has uploaded as many videos as YouTube allows in "
        f"24 hours (the website and the API share this limit); try again after "
        f"{retry_at:%Y-%m-%d %H:%M} UTC"
    )
    return ProviderQuotaExceededError(NAME, message, hint=UPLOAD_LIMIT_HINT)


def thumbnail_limit_exceeded(now: datetime) -> ProviderQuotaExceededError:
    """thumbnails.set's own limit: too many custom thumbnails in the past 24 hours."""
    retry_at = (now + UPLOAD_LIMIT_WINDOW).astimezone(UTC)
    message = (
        "uploadRateLimitExceeded: the channel has set too many custom thumbnails in the past "
        f"24 hours; try again after {retry_at:%Y-%m-%d %H:%M} UTC"
    )
    return ProviderQuotaExceededError(NAME, message, hint="Set the thumbnail again tomorrow.")


def _pacific() -> tzinfo | None:
    try:
        return ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:  # a slim image without the tz database
        return None


def next_midnight_by_us_rule(now: datetime) -> datetime:
    """Without a tz database: US Pacific rules since 2007 (PDT from 02:00 on March's second
    Sunday to 02:00 on November's first Sunday). A midnight is never inside a transition."""
    utc = now.astimezone(UTC)
    offset = 7 if _dst_start_utc(utc.year) <= utc < _dst_end_utc(utc.year) else 8
    tomorrow = (utc - timedelta(hours=offset)).date() + timedelta(days=1)
    march, november = _nth_sunday(tomorrow.year, 3, 2), _nth_sunday(tomorrow.year, 11, 1)
    daylight = march < tomorrow <= november
    zone = (
        timezone(timedelta(hours=-7), "PDT") if daylight else timezone(timedelta(hours=-8), "PST")
    )
    return datetime.combine(tomorrow, time(0), tzinfo=zone)


def _dst_start_utc(year: int) -> datetime:
    return datetime.combine(_nth_sunday(year, 3, 2), time(10), tzinfo=UTC)  # 02:00 PST


def _dst_end_utc(year: int) -> datetime:
    return datetime.combine(_nth_sunday(year, 11, 1), time(9), tzinfo=UTC)  # 02:00 PDT


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))
