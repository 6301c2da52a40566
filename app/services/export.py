"""Spreadsheet exports (CSV) that are safe to open in Excel or LibreOffice.

A cell that starts with ``=``, ``+``, ``-``, ``@`` or a tab/carriage return is a formula to a
spreadsheet ("CSV injection"): such a cell gets a leading apostrophe, so it shows as text.
The csv module quotes separators, quotes and line breaks. Dutch spreadsheets expect ``;``
between cells and a byte-order mark to read UTF-8. Each download is an audit event.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from app.extensions import db
from app.models import User
from app.services import audit

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DELIMITER = ";"
BOM = "\ufeff"


def safe_cell(value: Any) -> str:
    """The text of one cell, with a formula neutralised."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The file line by line (for a streamed response): BOM and header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")

    def line(cells: Iterable[Any]) -> str:
        writer.writerow([safe_cell(cell) for cell in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BOM + line(header)
    for row in rows:
        yield line(row)


def queue_exported(user: User, filter_params: dict[str, Any], rows: int) -> None:
    """Audit that ``user`` downloaded the queue with this filter and this many rows (the
    download holds no resident's name or story, so nothing else is logged); commit."""
    audit.record("queue.exported", tenant_id=user.tenant_id, object_type="team",
                 object_id=user.team_id, actor=user, filter=filter_params, rows=rows)
    db.session.commit()
