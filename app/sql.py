"""SQL functions of our own that each database writes its way, for the figures.

Each is a :class:`~sqlalchemy.sql.functions.FunctionElement` compiled per dialect, so a query
reads the same on PostgreSQL and SQLite and nothing asks at run time which database it is.
(The queue's own date functions are in :mod:`app.services.queue.sql`.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement[float]):  # noqa: N801 - used as a SQL function
    """Seconds from the first moment to the second (NULL when either is NULL)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _seconds_between_pg(element: seconds_between, compiler: Any, **kw: Any) -> str:
    first, last = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(extract(epoch FROM ({last} - {first})) AS DOUBLE PRECISION)"


@compiles(seconds_between)
def _seconds_between_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    first, last = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({last}) - julianday({first})) * 86400.0)"


class whole_days(FunctionElement[int]):  # noqa: N801 - used as a SQL function
    """Whole days (24 hours, rounded down) in a number of seconds of zero or more, such as
    :class:`seconds_between` gives. The seconds are rounded to whole ones first, which
    undoes SQLite's floating-point error in them (a day of ``julianday`` differences can
    come out a hair under 86,400)."""

    type = Integer()
    inherit_cache = True
    name = "whole_days"


@compiles(whole_days)
def _whole_days(element: whole_days, compiler: Any, **kw: Any) -> str:
    (seconds,) = (compiler.process(clause, **kw) for clause in element.clauses)
    # Both databases divide integers rounding down for numbers of zero and more.
    return f"(CAST(round({seconds}) AS INTEGER) / 86400)"
