"""A page of the queue.

Pages hold :data:`PAGE_SIZE` requests and are found by keyset (a cursor,
:mod:`app.services.queue.cursors`, holds the sort key of a page's last or first row),
never by OFFSET: a page deep in the list costs what the first one does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, select, tuple_

from app.extensions import db
from app.lifecycle import TASK_OPEN
from app.models import SupportRequest, Task
from app.services.queue.cursors import Cursor, encode_cursor
from app.services.queue.filters import QueueFilter, Scope
from app.services.queue.sql import queue_conditions, sort_keys, waiting_due

PAGE_SIZE = 50


@dataclass(frozen=True)
class QueuePage:
    requests: list[SupportRequest]
    open_tasks: dict[int, int]  # request id → open tasks of the team
    next_cursor: str | None
    previous_cursor: str | None


def page(scope: Scope, qfilter: QueueFilter, cursor: Cursor | None = None,
         size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue: after (or before) the cursor, or the first page.

    Two steps in one statement: the page's ids and sort keys first (from the indexes alone
    when the filters allow it), then those rows (a "deferred join")."""
    waiting = waiting_due(scope)
    keys, ascending = sort_keys(qfilter.sort, waiting, scope.today)
    forward = cursor is None or cursor.forward
    upwards = ascending == forward
    ids = select(SupportRequest.id.label("page_id"),
                 *(key.label(f"key{number}") for number, key in enumerate(keys)))
    if qfilter.sort == "deadline":
        ids = ids.outerjoin(waiting, waiting.c.request_id == SupportRequest.id)
    ids = ids.where(*queue_conditions(scope, qfilter))
    if cursor is not None:
        values = tuple_(*(literal(value, key.type)
                          for key, value in zip(keys, cursor.key, strict=True)))
        ids = ids.where(tuple_(*keys) > values if upwards else tuple_(*keys) < values)
    found = ids.order_by(*(key.asc() if upwards else key.desc() for key in keys)) \
        .limit(size + 1).subquery("found")
    key_columns = [found.c[f"key{number}"] for number in range(len(keys))]
    rows = list(db.session.execute(
        select(SupportRequest, *key_columns)
        .join(found, found.c.page_id == SupportRequest.id)
        .order_by(*(column.asc() if upwards else column.desc() for column in key_columns))
    ).all())
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    requests = [row[0] for row in rows]
    first_key, last_key = (tuple(rows[0][1:]), tuple(rows[-1][1:])) if rows else ((), ())
    if forward:
        next_cursor = encode_cursor(Cursor(qfilter.sort, True, last_key)) if more else None
        previous_cursor = (encode_cursor(Cursor(qfilter.sort, False, first_key))
                           if cursor is not None and rows else None)
    else:
        next_cursor = encode_cursor(Cursor(qfilter.sort, True, last_key)) if rows else None
        previous_cursor = (encode_cursor(Cursor(qfilter.sort, False, first_key))
                           if more else None)
    return QueuePage(requests, _open_tasks(scope, requests), next_cursor, previous_cursor)


def _open_tasks(scope: Scope, requests: list[SupportRequest]) -> dict[int, int]:
    if not requests:
        return {}
    return {request_id: count for request_id, count in db.session.execute(
        select(Task.request_id, func.count(Task.id))
        .where(Task.request_id.in_([request.id for request in requests]),
               Task.team_id == scope.team_id, Task.state == TASK_OPEN)
        .group_by(Task.request_id)).all()}
