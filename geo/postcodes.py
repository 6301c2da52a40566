"""Dutch postcodes and house numbers: parse, normalise and look up points.

Plain values in, plain values out; no web framework, no database.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "HouseNumber",
    "InvalidHouseNumber",
    "InvalidPostcode",
    "PostcodePoint",
    "PostcodeTable",
    "format_postcode",
    "normalize_postcode",
    "parse_house_number",
    "read_pc4_csv",
]

# PC6: four digits, the first not 0, then two letters. SA, SD and SS are never issued.
_PC6 = re.compile(r"^([1-9][0-9]{3})([A-Z]{2})$")
_PC4 = re.compile(r"^[1-9][0-9]{3}$")
_NOT_ISSUED = frozenset({"SA", "SD", "SS"})
_HOUSE_NUMBER = re.compile(
    r"^(?P<number>[1-9][0-9]{0,4})"
    r"(?:\s*[-/]\s*(?P<separated>[A-Za-z0-9]{1,4})|\s*(?P<letters>[A-Za-z][A-Za-z0-9]{0,3}))?$"
)


class InvalidPostcode(ValueError):
    """The text is not a Dutch postcode."""


class InvalidHouseNumber(ValueError):
    """The text is not a house number."""


def normalize_postcode(text: str) -> str:
    """``"6411 ab"``, ``" 6411AB "``, ``"6411-AB"`` → ``"6411AB"``; raises InvalidPostcode."""
    compact = re.sub(r"[\s\-]+", "", text or "").upper()
    match = _PC6.match(compact)
    if match is None or match.group(2) in _NOT_ISSUED:
        raise InvalidPostcode(text)
    return compact


def format_postcode(postcode: str) -> str:
    """``"6411AB"`` → ``"6411 AB"`` (the way it is written on a letter)."""
    pc6 = normalize_postcode(postcode)
    return f"{pc6[:4]} {pc6[4:]}"


@dataclass(frozen=True)
class HouseNumber:
    number: int
    addition: str = ""

    def __str__(self) -> str:
        return f"{self.number}{'-' + self.addition if self.addition else ''}"


def parse_house_number(text: str) -> HouseNumber:
    """``"12"``, ``"12a"``, ``"12-3"``, ``"12 bis"`` → HouseNumber; raises InvalidHouseNumber."""
    match = _HOUSE_NUMBER.match((text or "").strip())
    if match is None:
        raise InvalidHouseNumber(text)
    return HouseNumber(
        int(match.group("number")),
        (match.group("separated") or match.group("letters") or "").upper(),
    )


@dataclass(frozen=True)
class PostcodePoint:
    """A postcode's point (WGS84).

    ``precision``: ``pc6`` (street level) or ``pc4`` (centroid of a PC4 area).
    """

    postcode: str
    lon: float
    lat: float
    precision: str

    @property
    def approximate(self) -> bool:
        return self.precision != "pc6"


class PostcodeTable:
    """PC6 points, with PC4 centroids as a fallback (marked approximate)."""

    def __init__(self, points: Iterable[PostcodePoint] = ()) -> None:
        self._points: dict[str, PostcodePoint] = {}
        for point in points:
            self.add(point)

    def add(self, point: PostcodePoint) -> None:
        self._points[point.postcode] = point

    def __len__(self) -> int:
        return len(self._points)

    def __iter__(self) -> Iterator[PostcodePoint]:
        return iter(self._points.values())

    def lookup(self, postcode: str) -> PostcodePoint | None:
        """The PC6 point, else the PC4 centroid, else None. Raises InvalidPostcode."""
        pc6 = normalize_postcode(postcode)
        return self._points.get(pc6) or self._points.get(pc6[:4])


def read_pc4_csv(path: Path) -> list[PostcodePoint]:
    """Read a CSV with ``postcode`` (PC4 or PC6), ``lat`` and ``lon`` columns.

    PO-box rows (column ``soort`` == ``Postbus``) are skipped: PO-box codes are not places.
    """
    points: list[PostcodePoint] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (row.get("soort") or "").strip().lower() == "postbus":
                continue
            code = re.sub(r"\s+", "", row["postcode"]).upper()
            if _PC4.match(code):
                precision = "pc4"
            else:
                code, precision = normalize_postcode(code), "pc6"
            points.append(PostcodePoint(code, float(row["lon"]), float(row["lat"]), precision))
    return points
