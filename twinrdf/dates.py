"""Dates that keep their precision: ``1920`` stays a year, ``1969-09`` a month.

A year alone is the common case in twinning data, so dates are never padded to a day. In RDF a
partial date is an ``xsd:gYear``, ``xsd:gYearMonth`` or ``xsd:date`` literal (the vocabulary's
``twin:PartialDate`` is their union).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Precision = Literal["year", "month", "day"]

XSD = "http://www.w3.org/2001/XMLSchema#"
DATATYPE = {"year": XSD + "gYear", "month": XSD + "gYearMonth", "day": XSD + "date"}
_RE = re.compile(r"^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class DateError(ValueError):
    """A date that cannot be read; the message says what was expected."""


@dataclass(frozen=True, order=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return "day"
        if self.month is not None:
            return "month"
        return "year"

    @property
    def datatype(self) -> str:
        return DATATYPE[self.precision]

    def __str__(self) -> str:
        y = f"{self.year:04d}" if self.year >= 0 else f"-{-self.year:04d}"
        if self.month is None:
            return y
        if self.day is None:
            return f"{y}-{self.month:02d}"
        return f"{y}-{self.month:02d}-{self.day:02d}"

    def earliest(self) -> tuple[int, int, int]:
        """First day the date can denote, for comparisons across precisions."""
        return (self.year, self.month or 1, self.day or 1)

    def latest(self) -> tuple[int, int, int]:
        """Last day the date can denote (``1950`` ends on 1950-12-31)."""
        return (self.year, self.month or 12, self.day or 31)

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; anything else raises DateError."""
        s = text.strip()
        m = _RE.match(s)
        if not m:
            raise DateError(f"not a date: {text!r} (expected YYYY, YYYY-MM or YYYY-MM-DD)")
        year = int(m.group(1))
        month = int(m.group(2)) if m.group(2) else None
        day = int(m.group(3)) if m.group(3) else None
        if month is not None and not 1 <= month <= 12:
            raise DateError(f"month out of range in {text!r}")
        if day is not None:
            import datetime

            try:
                datetime.date(year, month or 1, day)
            except ValueError as exc:
                raise DateError(f"no such day: {text!r}") from exc
        return cls(year, month, day)

    @classmethod
    def from_wikidata(cls, time: str, precision: int) -> PartialDate:
        """From a Wikidata time value (``+1961-00-00T00:00:00Z``, precision 9=year, 10=month, 11=day)."""
        m = re.match(r"^([+-]?\d+)-(\d{2})-(\d{2})T", time)
        if not m:
            raise DateError(f"not a Wikidata time: {time!r}")
        year = int(m.group(1))
        if precision <= 9:
            return cls(year)
        if precision == 10:
            return cls(year, int(m.group(2)))
        return cls(year, int(m.group(2)), int(m.group(3)))
