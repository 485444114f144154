"""Dates as people know them: day or month may be unknown.

Canonical form (ISO 8601 with reduced precision): ``1990-12-31`` for a full
date, ``1990-12`` when the day is unknown, ``1990`` when day and month are
unknown. Input is accepted as ``31.12.1990``, ``31/12/1990``, ``1990-12-31``
and, where partial dates are allowed, ``12.1990``, ``1990-12``, ``1990`` or
with ``00``/``XX`` for the unknown parts (``00.12.1990``), as passports print.
"""
import calendar
import re
from datetime import date

_DAY_FIRST = re.compile(r"^(\d{1,2}|xx)[./](\d{1,2}|xx)[./](\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2}|xx)[./](\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2}|xx)(?:-(\d{1,2}|xx))?)?$")


class DateError(ValueError):
    """Why a date could not be read: 'format', 'partial' or 'impossible'."""


def parse(text, partial=False):
    """Read a typed date (ASCII digits) into its canonical form."""
    t = re.sub(r"\s+", "", text.lower())
    if m := _DAY_FIRST.match(t):
        day, month, year = m.groups()
    elif m := _MONTH_YEAR.match(t):
        day, (month, year) = None, m.groups()
    elif m := _ISO.match(t):
        year, month, day = m.groups()
    else:
        raise DateError("format")
    day = None if day in (None, "xx", "00", "0") else int(day)
    month = None if month in (None, "xx", "00", "0") else int(month)
    year = int(year)
    if month is None and day is not None:
        raise DateError("format")
    if (day is None or month is None) and not partial:
        raise DateError("partial")
    if not 1800 <= year <= 2200 or (month is not None and not 1 <= month <= 12):
        raise DateError("impossible")
    if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise DateError("impossible")
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def bounds(canonical):
    """The earliest and the latest day a canonical (possibly partial) date can mean."""
    parts = [int(p) for p in canonical.split("-")]
    if len(parts) == 3:
        d = date(*parts)
        return d, d
    if len(parts) == 2:
        y, m = parts
        return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
    return date(parts[0], 1, 1), date(parts[0], 12, 31)


def to_input(canonical):
    """The canonical date as it is typed in Germany: 31.12.1990, 12.1990 or 1990."""
    return ".".join(reversed(canonical.split("-")))
