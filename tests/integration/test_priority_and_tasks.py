"""The urgency order and the completion of a task each live in one place: the queue's SQL
ordering and the team lead's workload agree with the Python order for every urgency, and
every way a task ends goes through ``app.services.tasks.complete``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.lifecycle import TASK_DONE, TASK_OPEN
from app.models import SupportRequest, Task, utcnow
from app.roles import STAFF
from app.services import queue, referrals, tasks
from app.services.queue import Scope
from referral_rules.vocabulary import MOST_PRESSING_FIRST, PRESSING_URGENCIES, URGENCIES
from tests import factories


def _team_with_one_request_per_urgency():
    tenant = factories.tenant()
    team = factories.team(tenant)
    staff = factories.user(tenant, role=STAFF, team=team)
    # The least pressing first, and each one older than the next: only the priority order
    # can put crisis on top.
    made = {code: factories.support_request(
                team, priority=code, coordinator_id=staff.id,
                created_at=utcnow() - dt.timedelta(days=10 - number))
            for number, code in enumerate(URGENCIES)}
    db.session.commit()
    return staff, made


def test_the_sql_priority_rank_is_the_python_order_for_every_urgency(app):
    _team_with_one_request_per_urgency()
    ranks = dict(db.session.execute(select(SupportRequest.priority, queue.PRIORITY_RANK)).all())
    assert ranks == {code: MOST_PRESSING_FIRST.index(code) for code in URGENCIES}


def test_a_priority_outside_the_vocabulary_sorts_with_the_least_pressing(app):
    staff, made = _team_with_one_request_per_urgency()
    made[URGENCIES[0]].priority = "onbekend"
    db.session.commit()
    rank = db.session.scalar(select(queue.PRIORITY_RANK)
                             .where(SupportRequest.id == made[URGENCIES[0]].id))
    assert rank == len(MOST_PRESSING_FIRST) - 1


def test_the_queue_sorts_by_priority_in_the_most_pressing_first_order(app):
    staff, _ = _team_with_one_request_per_urgency()
    page = queue.page(Scope.of(staff), queue.QueueFilter(sort="priority"))
    assert tuple(item.priority for item in page.requests) == MOST_PRESSING_FIRST


def test_the_workload_counts_every_urgency_above_the_lowest_as_pressing(app):
    staff, _ = _team_with_one_request_per_urgency()
    assert queue.workload(Scope.of(staff)) == {staff.id: (len(URGENCIES),
                                                          len(PRESSING_URGENCIES))}


def test_completing_a_task_records_who_and_when_once(app):
    tenant = factories.tenant()
    team = factories.team(tenant)
    staff = factories.user(tenant, role=STAFF, team=team)
    task = factories.task(factories.support_request(team))
    assert task.state == TASK_OPEN and tasks.is_open(task)
    at = dt.datetime(2026, 5, 4, 12, 0)
    assert tasks.complete(task, staff, at) is True
    assert (task.state, task.done_at, task.done_by_id) == (TASK_DONE, at, staff.id)
    assert not tasks.is_open(task)
    assert tasks.complete(task, staff) is False
    assert task.done_at == at


def test_closing_a_request_completes_its_open_tasks_at_the_closing_time(app):
    tenant = factories.tenant()
    team = factories.team(tenant)
    staff = factories.user(tenant, role=STAFF, team=team)
    request = factories.support_request(team)
    still_open = factories.task(request)
    earlier = dt.datetime(2026, 1, 5, 9, 0)
    done_before = factories.task(request, state=TASK_DONE, done_at=earlier,
                                 done_by_id=staff.id)
    db.session.commit()
    referrals.close_request(staff, request.reference, "Opgelost.")
    db.session.expire_all()
    request = db.session.get(SupportRequest, request.id)
    assert db.session.get(Task, still_open.id).state == TASK_DONE
    assert db.session.get(Task, still_open.id).done_at == request.closed_at
    assert db.session.get(Task, done_before.id).done_at == earlier
