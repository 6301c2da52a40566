"""Saved filters: a user's own views of the queue, kept under a name and shown as tabs."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.i18n import _
from app.limits import SAVED_FILTER_NAME_MAX
from app.models import SavedFilter, User
from app.services.errors import InvalidInput, NotFound
from app.services.queue.filters import Choices, Parsed, QueueFilter, parse

SAVED_FILTERS_MAX = 20


def saved_filters(user: User) -> list[SavedFilter]:
    return list(db.session.scalars(select(SavedFilter).where(
        SavedFilter.tenant_id == user.tenant_id, SavedFilter.user_id == user.id)
        .order_by(SavedFilter.id)))


def saved_filter(user: User, filter_id: int) -> SavedFilter:
    """One of the user's own saved filters; someone else's is NotFound."""
    found = db.session.get(SavedFilter, filter_id)
    if found is None or found.user_id != user.id or found.tenant_id != user.tenant_id:
        raise NotFound(_("This saved filter does not exist."))
    return found


def save_filter(user: User, name: str | None, qfilter: QueueFilter) -> SavedFilter:
    """Save the filter under a name of the user's choice; commit.

    Raises InvalidInput (on ``name``) for an empty, too long or already used name, or when
    the user has :data:`SAVED_FILTERS_MAX` filters already."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("Give the filter a name."), "name")
    if len(name) > SAVED_FILTER_NAME_MAX:
        raise InvalidInput(_("Use at most %(max)d characters.", max=SAVED_FILTER_NAME_MAX),
                           "name")
    mine = saved_filters(user)
    if any(existing.name.casefold() == name.casefold() for existing in mine):
        raise InvalidInput(_("You already have a filter with this name. Choose another name."),
                           "name")
    if len(mine) >= SAVED_FILTERS_MAX:
        raise InvalidInput(_("You can save at most %(max)d filters. Delete one first.",
                             max=SAVED_FILTERS_MAX), "name")
    found = SavedFilter(tenant_id=user.tenant_id, user_id=user.id, name=name,
                        params=qfilter.params())
    db.session.add(found)
    db.session.commit()
    return found


def delete_filter(user: User, filter_id: int) -> str:
    """Delete one of the user's saved filters; commit. Returns its name."""
    found = saved_filter(user, filter_id)
    name = found.name
    db.session.delete(found)
    db.session.commit()
    return name


def stored_filter(saved: SavedFilter, choices: Choices) -> Parsed:
    """A saved filter as a filter, checked again (a colleague or an area may be gone)."""
    params = {key: value if isinstance(value, list) else [str(value)]
              for key, value in (saved.params or {}).items()}
    return parse(params, choices)
