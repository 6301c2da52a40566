"""The rows the municipality's figures read (:class:`app.models.RequestFigure` and
:class:`app.models.ReferralFigure`), and how they stay right.

One narrow row per request that is not merged into another: when it came in and closed,
the groups it counts in (district, neighbourhood, channel, age band, owning team, life
areas, the domains of its referrals), the resident's feedback, and the seconds from receipt
to the first contact, the first referral sent, the first referral accepted and closure. A
year of figures reads a few tens of thousands of these instead of the wide requests with
their referrals (``docs/benchmarks.md``: the figures bench). Beside it, one row per
referral of such a request: its moments, state, domain and partner, and its request's
groups, so that the referrals of a filter are counted without joining the requests. And
one row per request and partner it was referred to (:func:`partner_facts`): the request's
row with the times to that partner's first referral, so that the figures with a partner
chosen read that partner's rows only (``docs/benchmarks.md``: the partner filter). On
PostgreSQL their indexes carry the columns the figures read (``INCLUDE``), so a period's
figures are index-only scans.

**How they stay right.** :func:`facts`, :func:`referral_facts` and :func:`partner_facts`
are the one definition
of each kind of row, as SQL over the requests and their referrals. After every flush of a
session that added, changed or deleted a request or a referral, the rows of the requests
concerned (for a referral moved to another request: both requests) are written again from
those definitions (:func:`refresh`), on the same connection and so in the same transaction:
what is committed with a change is committed with its figures, and a rollback takes both
back. A request merged into another as its duplicate has no rows (it is not counted, nor are
the ended referrals that stay with it); a deleted request or referral loses its row with it
(``ON DELETE CASCADE``). A statement that changes
requests without the ORM's unit of work (an ``UPDATE`` of its own) calls :func:`refresh`
itself. :func:`rebuild` writes every row of a tenant from the definition (the migration and
``flask figures rebuild`` use it, e.g. after data was loaded by hand) and
:func:`differences` lists the requests whose row is not what the definition says
(``flask figures check``; the tests compare after each kind of change).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from itertools import islice
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    case,
    cast,
    delete,
    distinct,
    event,
    except_,
    func,
    insert,
    inspect,
    literal,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.models import (
    PartnerRequestFigure,
    Referral,
    ReferralFigure,
    RequestFigure,
    SupportRequest,
)
from app.sql import seconds_between
from referral_rules.vocabulary import AGE_BANDS, DOMAINS, LIFE_AREAS

#: The bit of each life area and domain in the rows' bit sets.
LIFE_AREA_BITS = {code: 1 << index for index, code in enumerate(LIFE_AREAS)}
DOMAIN_BITS = {code: 1 << index for index, code in enumerate(DOMAINS)}
#: The age band of a request without a known age.
UNKNOWN_AGE = "unknown"
#: Requests written again per statement (the IN list of one DELETE and INSERT).
_CHUNK = 500

_COLUMNS = ("request_id", "tenant_id", "received_at", "closed_at", "wijk_code", "buurt_code",
            "channel", "age_band", "team_id", "no_fixed_address", "life_areas",
            "referral_domains", "feedback", "first_contact_seconds", "first_referral_seconds",
            "first_acceptance_seconds", "closure_seconds")
_PARTNER_COLUMNS = ("partner_id", *_COLUMNS)
_REFERRAL_COLUMNS = ("referral_id", "request_id", "tenant_id", "created_at", "sent_at",
                     "accepted_at", "state", "domain", "partner_id", "received_at", "wijk_code",
                     "buurt_code", "channel", "age_band", "team_id", "life_areas")


def age_band_of(age: Any) -> ColumnElement[str]:
    """The band of ``referral_rules.vocabulary.AGE_BANDS`` an age falls in, in SQL."""
    whens = []
    for code, low, high in AGE_BANDS:
        condition = age >= low if high is None else and_(age >= low, age <= high)
        whens.append((condition, code))
    return case(*whens, else_=UNKNOWN_AGE)


def has_bit(column: Any, bit: int) -> ColumnElement[bool]:
    """The bit set ``column`` holds ``bit``."""
    return column.op("&")(bit) != 0


def _life_area_bits() -> ColumnElement[int]:
    # A text match on the stored JSON list: every code is quoted there and no code holds a
    # quote, so '"geld"' matches that code only.
    listed = cast(SupportRequest.life_areas, Text)
    total: ColumnElement[int] = literal(0)
    for code, bit in LIFE_AREA_BITS.items():
        total = total + case((listed.like(f'%"{code}"%'), bit), else_=0)
    return total


def facts(requests: ColumnElement[bool], referrals: ColumnElement[bool]
          ) -> Select[*tuple[Any, ...]]:
    """The rows of the requests ``requests`` selects (merged duplicates left out), in the
    order of the table's columns; ``referrals`` narrows the referrals read to theirs (the
    same requests: it only lets the database read fewer)."""
    domain_bit = case(*((Referral.domain == code, bit) for code, bit in DOMAIN_BITS.items()),
                      else_=0)
    firsts = (select(Referral.request_id.label("request_id"),
                     func.min(Referral.sent_at).label("sent"),
                     func.min(Referral.accepted_at).label("accepted"),
                     func.sum(distinct(domain_bit)).label("domains"))
              .where(referrals).group_by(Referral.request_id).subquery())
    received = SupportRequest.created_at
    query: Select[*tuple[Any, ...]] = (select(
        SupportRequest.id, SupportRequest.tenant_id, received, SupportRequest.closed_at,
        SupportRequest.wijk_code, SupportRequest.buurt_code, SupportRequest.channel,
        age_band_of(SupportRequest.age), SupportRequest.owner_team_id,
        func.coalesce(SupportRequest.no_fixed_address, False), _life_area_bits(),
        func.coalesce(firsts.c.domains, 0), SupportRequest.feedback,
        seconds_between(received, SupportRequest.first_contact_at),
        seconds_between(received, firsts.c.sent), seconds_between(received, firsts.c.accepted),
        seconds_between(received, SupportRequest.closed_at))
        .outerjoin(firsts, firsts.c.request_id == SupportRequest.id)
        .where(requests, SupportRequest.merged_into_id.is_(None)))
    return query


def referral_facts(requests: ColumnElement[bool], referrals: ColumnElement[bool]
                   ) -> Select[*tuple[Any, ...]]:
    """The referral rows (:class:`app.models.ReferralFigure`) of the referrals ``referrals``
    selects whose request ``requests`` selects and is not merged, in the order of the
    table's columns: the referral's own moments and where it went, and the groups of its
    request as :func:`facts` writes them."""
    return (select(
        Referral.id, Referral.request_id, Referral.tenant_id, Referral.created_at,
        Referral.sent_at, Referral.accepted_at, Referral.state, Referral.domain,
        Referral.target_partner_id, SupportRequest.created_at, SupportRequest.wijk_code,
        SupportRequest.buurt_code, SupportRequest.channel, age_band_of(SupportRequest.age),
        SupportRequest.owner_team_id, _life_area_bits())
        .join(SupportRequest, SupportRequest.id == Referral.request_id)
        .where(requests, referrals, SupportRequest.merged_into_id.is_(None)))


def partner_facts(requests: ColumnElement[bool], referrals: ColumnElement[bool]
                  ) -> Select[*tuple[Any, ...]]:
    """The partner rows (:class:`app.models.PartnerRequestFigure`) of the requests
    ``requests`` selects: one per request and partner it has a referral to, as
    :func:`facts` gives its request's row, but with the times to the first referral sent
    and accepted of its referrals to that partner."""
    request = facts(requests, referrals).subquery()
    firsts = (select(Referral.request_id.label("request_id"),
                     Referral.target_partner_id.label("partner_id"),
                     func.min(Referral.sent_at).label("sent"),
                     func.min(Referral.accepted_at).label("accepted"))
              .where(referrals, Referral.target_partner_id.is_not(None))
              .group_by(Referral.request_id, Referral.target_partner_id).subquery())
    by_name: dict[str, Any] = dict(zip(_COLUMNS, request.c, strict=True))
    received = by_name["received_at"]
    by_name["first_referral_seconds"] = seconds_between(received, firsts.c.sent)
    by_name["first_acceptance_seconds"] = seconds_between(received, firsts.c.accepted)
    return (select(firsts.c.partner_id, *(by_name[name] for name in _COLUMNS))
            .join(firsts, firsts.c.request_id == by_name["request_id"]))


def _write(connection: Connection, ids: list[int]) -> None:
    # A referral moved from another request: that request is among ``ids`` too
    # (:func:`_concerned`), so its old row goes here.
    connection.execute(delete(ReferralFigure).where(ReferralFigure.request_id.in_(ids)))
    connection.execute(delete(PartnerRequestFigure).where(
        PartnerRequestFigure.request_id.in_(ids)))
    connection.execute(delete(RequestFigure).where(RequestFigure.request_id.in_(ids)))
    connection.execute(insert(RequestFigure).from_select(
        _COLUMNS, facts(SupportRequest.id.in_(ids), Referral.request_id.in_(ids))))
    connection.execute(insert(ReferralFigure).from_select(
        _REFERRAL_COLUMNS,
        referral_facts(SupportRequest.id.in_(ids), Referral.request_id.in_(ids))))
    connection.execute(insert(PartnerRequestFigure).from_select(
        _PARTNER_COLUMNS,
        partner_facts(SupportRequest.id.in_(ids), Referral.request_id.in_(ids))))


def refresh(connection: Connection, request_ids: Iterable[int]) -> None:
    """Write the rows of these requests again from :func:`facts` (none for a merged or
    deleted one), on ``connection``: in the caller's transaction."""
    ids = iter(sorted(set(request_ids)))
    while chunk := list(islice(ids, _CHUNK)):
        _write(connection, chunk)


def _of_tenant(tenant_id: int | None) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    if tenant_id is None:
        return literal(True), literal(True)
    return SupportRequest.tenant_id == tenant_id, Referral.tenant_id == tenant_id


def _rebuild(session: Session, model: Any, columns: tuple[str, ...],
             definition: Any, tenant_id: int | None) -> int:
    connection = session.connection()
    mine: ColumnElement[bool] = literal(True) if tenant_id is None else \
        model.tenant_id == tenant_id
    connection.execute(delete(model).where(mine))
    connection.execute(insert(model).from_select(columns, definition(*_of_tenant(tenant_id))))
    return int(session.scalar(select(func.count()).select_from(model).where(mine)) or 0)


def rebuild_requests(session: Session, tenant_id: int | None = None) -> int:
    """Write every request row (:class:`RequestFigure`) of ``tenant_id`` (None: of every
    tenant) again; returns how many there are. The caller commits."""
    return _rebuild(session, RequestFigure, _COLUMNS, facts, tenant_id)


def rebuild_referrals(session: Session, tenant_id: int | None = None) -> int:
    """Write every referral row (:class:`ReferralFigure`) of ``tenant_id`` again; returns how
    many there are. The caller commits."""
    return _rebuild(session, ReferralFigure, _REFERRAL_COLUMNS, referral_facts, tenant_id)


def rebuild_partners(session: Session, tenant_id: int | None = None) -> int:
    """Write every partner row (:class:`PartnerRequestFigure`) of ``tenant_id`` again;
    returns how many there are. The caller commits."""
    return _rebuild(session, PartnerRequestFigure, _PARTNER_COLUMNS, partner_facts, tenant_id)


def rebuild(session: Session, tenant_id: int | None = None) -> tuple[int, int, int]:
    """Write every request, referral and partner row of ``tenant_id`` (None: of every
    tenant) again; returns how many there are of each. The caller commits."""
    return (rebuild_requests(session, tenant_id), rebuild_referrals(session, tenant_id),
            rebuild_partners(session, tenant_id))


def differences(session: Session, tenant_id: int | None = None) -> list[int]:
    """The requests whose stored rows (the request's, its referrals') are not the ones
    :func:`facts` and :func:`referral_facts` give (missing, left over or different), in
    order; empty when every row is right."""
    requests, referrals = _of_tenant(tenant_id)
    pairs = []
    for model, columns, definition, id_column in (
            (RequestFigure, _COLUMNS, facts, 0),
            (ReferralFigure, _REFERRAL_COLUMNS, referral_facts, 1),
            (PartnerRequestFigure, _PARTNER_COLUMNS, partner_facts, 1)):
        stored = select(*(getattr(model, name) for name in columns))
        if tenant_id is not None:
            stored = stored.where(model.tenant_id == tenant_id)
        pairs.append((stored, definition(requests, referrals), id_column))
    wrong: set[int] = set()
    for stored, computed, id_column in pairs:
        for first, second in ((stored, computed), (computed, stored)):
            rows = except_(first, second).subquery()
            wrong.update(session.scalars(select(rows.c[id_column])))
    return sorted(wrong)


def _concerned(objects: Collection[Any]) -> set[int]:
    ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, SupportRequest) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, Referral):
            if obj.request_id is not None:
                ids.add(obj.request_id)
            # A referral moved to another request changes the figures of the one it left.
            ids.update(old for old in inspect(obj).attrs.request_id.history.deleted
                       if old is not None)
    return ids


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    """Keep the rows of the requests this flush added, changed or deleted, or whose
    referrals it did (the collections still hold what was flushed)."""
    ids = _concerned([*session.new, *session.dirty, *session.deleted])
    if ids:
        refresh(session.connection(), ids)


__all__ = ["DOMAIN_BITS", "LIFE_AREA_BITS", "UNKNOWN_AGE", "age_band_of", "differences",
           "facts", "has_bit", "partner_facts", "rebuild", "rebuild_partners",
           "rebuild_referrals", "rebuild_requests", "referral_facts", "refresh"]
