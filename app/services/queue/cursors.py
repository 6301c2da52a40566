"""The queue's cursors: where a page starts, as an opaque token in the page's links.

A cursor holds the sort key of a page's last row (for the next page) or its first row (for
the previous one); :func:`app.services.queue.paging.page` reads the rows beyond it by
keyset, never by OFFSET.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

#: How each sort's key (:func:`app.services.queue.sql.sort_keys`) is written in a cursor.
_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "newest": (dt.datetime, int),
    "oldest": (dt.datetime, int),
    "deadline": (dt.date, int, dt.datetime, int),
    "priority": (int, dt.datetime, int),
}


@dataclass(frozen=True)
class Cursor:
    sort: str
    forward: bool  # True: the rows after ``key``; False: the rows before it
    key: tuple[Any, ...]


def encode_cursor(cursor: Cursor) -> str:
    key = [value.isoformat() if isinstance(value, dt.date) else value for value in cursor.key]
    raw = json.dumps([cursor.sort, "a" if cursor.forward else "b", key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> Cursor | None:
    """The cursor in ``token`` when it is well formed and made for ``sort``; else None."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        made_for, direction, values = json.loads(raw)
        types = _KEY_TYPES[sort]
        if made_for != sort or direction not in ("a", "b") or len(values) != len(types):
            return None
        key: list[Any] = []
        for kind, value in zip(types, values, strict=True):
            if kind is int:
                if type(value) is not int or abs(value) > 2**62:
                    return None
                key.append(value)
            elif kind is dt.datetime:
                key.append(dt.datetime.fromisoformat(value).replace(tzinfo=None))
            else:
                key.append(dt.date.fromisoformat(value))
        return Cursor(sort, direction == "a", tuple(key))
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        return None
