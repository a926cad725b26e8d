"""Range header parsing (RFC 9110 §14): single ranges served, the rest ignored or 416."""

from __future__ import annotations

import pytest

from trendreel.api.streaming import ByteRange, RangeNotSatisfiableError, parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=0-", ByteRange(0, 99)),
        ("bytes=10-20", ByteRange(10, 20)),
        ("bytes=90-200", ByteRange(90, 99)),
        ("bytes=-10", ByteRange(90, 99)),
        ("bytes=-1000", ByteRange(0, 99)),
        (" bytes=5-6 ", ByteRange(5, 6)),
        ("bytes=-", None),
        ("bytes=5-2", None),
        ("bytes=1-2,4-5", None),
        ("bytes=+1-2", None),
        ("lines=1-2", None),
        ("bytes 1-2", None),
        ("bytes=\u0661-2", None),  # a Unicode digit is not a digit here
        ("bytes=0-" + "9" * 5000, ByteRange(0, 99)),  # an end past any file is clipped
        ("bytes=-" + "9" * 5000, ByteRange(0, 99)),  # a suffix past any file is all of it
        ("bytes=" + "0" * 5000 + "10-20", ByteRange(10, 20)),  # leading zeros are free
        ("bytes=" + "9" * 5000 + "-2", None),  # last < first, however long: ignored
        ("bytes=" + "9" * 5000 + "-" + "9" * 4999, None),
    ],
)
def test_parse_range(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("bytes=100-", 100),
        ("bytes=-0", 100),
        ("bytes=-5", 0),
        ("bytes=" + "9" * 5000 + "-", 100),  # past int()'s 4,300-digit limit
        ("bytes=" + "9" * 19 + "-" + "9" * 20, 100),
        ("bytes=-" + "0" * 5000, 100),
    ],
)
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiableError):
        parse_range(header, size)


def test_length_is_inclusive() -> None:
    assert ByteRange(10, 19).length == 10
