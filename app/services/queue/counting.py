"""How many requests the queue's filters find (the numbers on the tabs and the team lead's
dashboard) and who carries what."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, literal_column, select

from app.extensions import db
from app.models import SupportRequest
from app.services.queue.filters import QueueFilter, Scope
from app.services.queue.sql import queue_conditions, scope_conditions
from referral_rules.vocabulary import PRESSING_URGENCIES

#: Counting stops here (shown as "more than"): see count_limit.
COUNT_LIMIT = 10_000
COUNT_LIMIT_COSTLY = 1_000


@dataclass(frozen=True)
class Count:
    number: int
    more: bool  # there are more than ``number``; counting stopped there


def count_limit(qfilter: QueueFilter) -> int:
    """Where counting stops: the simple filters are answered from the indexes; a domain or
    a deadline filter reads the requests themselves, so its count stops sooner."""
    return COUNT_LIMIT_COSTLY if qfilter.domain or qfilter.deadline else COUNT_LIMIT


def counts(scope: Scope, filters: Sequence[QueueFilter]) -> list[Count]:
    """How many of the team's requests each filter finds (up to its :func:`count_limit`),
    in one statement."""
    if not filters:
        return []
    columns = []
    for qfilter in filters:
        limited = (select(literal_column("1").label("one")).select_from(SupportRequest)
                   .where(*queue_conditions(scope, qfilter))
                   .limit(count_limit(qfilter) + 1).subquery())
        columns.append(select(func.count()).select_from(limited).scalar_subquery())
    row = db.session.execute(select(*columns)).one()
    found = []
    for qfilter, number in zip(filters, row, strict=True):
        limit = count_limit(qfilter)
        found.append(Count(min(int(number), limit), int(number) > limit))
    return found


def workload(scope: Scope) -> dict[int | None, tuple[int, int]]:
    """Open requests per coordinator (None: nobody yet): (all, crisis or urgent)."""
    urgent = func.count(case((SupportRequest.priority.in_(PRESSING_URGENCIES), 1)))
    rows = db.session.execute(
        select(SupportRequest.coordinator_id, func.count(SupportRequest.id), urgent)
        .where(*scope_conditions(scope, only_open=True))
        .group_by(SupportRequest.coordinator_id)).all()
    return {coordinator: (int(total), int(pressing)) for coordinator, total, pressing in rows}
