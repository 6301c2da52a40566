"""Spreadsheet exports (CSV, and OpenDocument .ods) that are safe to open in Excel or LibreOffice.

A cell that starts with ``=``, ``+``, ``-``, ``@`` or a tab/carriage return is a formula to a
spreadsheet ("CSV injection"): such a cell gets a leading apostrophe, so it shows as text.
The csv module quotes separators, quotes and line breaks. Dutch spreadsheets expect ``;``
between cells and a byte-order mark to read UTF-8. Each download is an audit event.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Sheet:
    """One sheet of a spreadsheet: its name, header and rows (text, whole or decimal
    numbers)."""

    name: str
    header: Sequence[Any]
    rows: Sequence[Sequence[Any]]


#: Characters a sheet's name cannot hold in LibreOffice and Excel.
_SHEET_NAME_FORBIDDEN = str.maketrans({char: " " for char in "[]*?:/\\'"})


def ods_document(sheets: Sequence[Sheet]) -> bytes:
    """An OpenDocument spreadsheet (.ods, odfpy) with ``sheets``: numbers as numbers, text
    as text. A text cell of an ODS file is never a formula, so nothing needs neutralising."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    names: set[str] = set()
    for sheet in sheets:
        # At most 31 characters (Excel's limit when it opens the file), each name once.
        name = base = sheet.name.translate(_SHEET_NAME_FORBIDDEN)[:31]
        number = 1
        while name in names:
            number += 1
            name = f"{base[:31 - len(str(number)) - 3]} ({number})"
        names.add(name)
        table = Table(name=name)
        for cells in (sheet.header, *sheet.rows):
            row = TableRow()
            for value in cells:
                if isinstance(value, int | float) and not isinstance(value, bool):
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=str(value)))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text="" if value is None else str(value)))
                row.addElement(cell)
            table.addElement(row)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def queue_exported(user: User, filter_params: dict[str, Any], rows: int) -> None:
    """Audit that ``user`` downloaded the queue with this filter and this many rows (the
    download holds no resident's name or story, so nothing else is logged); commit."""
    audit.record("queue.exported", tenant_id=user.tenant_id, object_type="team",
                 object_id=user.team_id, actor=user, filter=filter_params, rows=rows)
    db.session.commit()
