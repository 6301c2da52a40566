"""Outcomes per partner, for result-based financing (the Hoensbroek pilot): what became of
the referrals a municipality sent to each partner organisation, per wijk and domain, and the
statement per partner per quarter the contract manager downloads.

What each figure means. The period is a range of Dutch days, both ends included; only
referrals to a partner organisation count (``Referral.target_partner_id``; referrals to a
team are not a partner's results). A referral belongs to the period in which it *ended*
(``Referral.ended_at``, its Dutch day: 23:30 UTC on 30 September is 1 October):

``completed`` (per outcome code)
    Referrals to the partner that reached ``completed`` in the period, by their outcome
    (``referral_rules.vocabulary.OUTCOMES``: geholpen, doorverwezen, niet_bereikt,
    afgezien). Their sum is the partner's completed referrals.
``returned`` / ``declined``
    Referrals to the partner that the partner handed back (``returned``, after accepting)
    or refused (``declined``) in the period. Their reasons are the partner's own words
    (``Referral.state_reason``), grouped by their text (white space evened out) and counted;
    they appear in the per-partner statement only, never in the overview (which is
    protected knowing them: the two are read side by side).
``answers`` (ja / deels / nee) and ``share helped``
    *Requests* (not referrals) with at least one referral to the partner completed in the
    period whose resident answered the feedback question after closure, whenever they did,
    by their answer: "ja" (helped), "deels" (partly) and "nee" (not). A request with
    completed referrals to two partners counts for both. The share helped is ja / (ja +
    deels + nee). A past period's answers can still grow: a resident may answer later.
``per wijk``
    The same, by the wijk of the request (``SupportRequest.wijk_code``). The rows are the
    municipality's wijken (named as on the latest map), any other wijk code found on a
    request, and last the requests with no known wijk (no fixed address, not placed).
``per domain``
    Completed referrals by the referral's domain: a row for each domain the partner serves
    in the sociale kaart (``Coverage``), and one for every other domain together.

Filters: ``wijk_code`` keeps the requests of one wijk of the municipality, ``domain`` the
referrals of one domain; both are checked (a code of another municipality is refused).

Small numbers. The functions return exact counts (:class:`Outcomes`); what is shown to the
municipality goes through :meth:`Outcomes.protected` (and :func:`partner_statement`, which
only returns protected counts), with the tenant's rules
(:func:`app.services.small_numbers.rules_for`) and :mod:`disclosure`. Each partner's tables
are protected on their own: every referral goes to one partner, so no count adds up across
partners, and no municipality-wide total is published here. A partner's tables that share
their totals are protected together (:func:`disclosure.protect_linked`), so that a reader
who puts them side by side works out nothing either:

- completed by outcome per wijk and per domain: the same referrals, so the same total per
  outcome and the same total;
- returned and declined per wijk (the overview, and the statement's totals) and per reason
  (the statement): a state's reasons add up to its total. Each reason listed was given at
  least once, and the reader knows it; a state without reasons says that its total is 0,
  so that column is known (and written, like any count under the minimum, in words). A
  list of reasons that no suppression can protect (nine reasons under a total under ten:
  each was given once), or lists that pin the table down together, are left out of the
  statement, which says so.

Where one of a shared total's tables suppresses it, all do, and each protects it. A share
helped is computed from the published (rounded) counts, never from the exact ones, and is
not shown when its base is.

Fast on a million requests: three GROUP BY queries (the referrals ended in the period by
partner, wijk, domain, state and outcome; the returned and declined ones by partner, state
and reason; the distinct requests with completed referrals by partner, wijk and answer).
What leaves the database is one row per combination, never one per referral or request.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import func, select

from app.calendar import Period, day_start
from app.extensions import db
from app.i18n import _
from app.models import Area, Coverage, Partner, Referral, SupportRequest, Tenant, User
from app.services import audit
from app.services.errors import InvalidInput, NotFound
from app.services.export import csv_lines
from app.services.periods import check_period
from app.services.public_statistics import InvalidPeriod, parse_period
from app.services.small_numbers import rules_for, suppressed_text
from app.vocabulary import DOMAIN_LABELS, FEEDBACK_LABELS, OUTCOME_LABELS, label
from disclosure import Cell, Position, Protected, Rules, Status, Table, protect, protect_linked
from referral_rules.vocabulary import DOMAINS, OUTCOMES

#: The resident's answers to the feedback question, in the order of the tables.
ANSWERS: Final = ("ja", "deels", "nee")
#: The states a referral ends in that are not a completion (the columns of that table).
ENDED_OTHERWISE: Final = ("returned", "declined")
_ENDED: Final = ("completed", *ENDED_OTHERWISE)
#: The row of the per-domain table for every domain the partner does not serve.
OTHER_DOMAINS: Final = None
_HIDDEN: Final = Cell(Status.HIDDEN, None)


# ── Periods ───────────────────────────────────────────────────────────────────────────

def parse_quarter(text: str | None, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last Dutch day of the quarter ``text`` names (``2026-Q3``; None or empty:
    the last quarter that is over).

    The parsing is the public statistics' (:func:`app.services.public_statistics.parse_period`):
    one spelling of a quarter in the whole product, and a quarter must be over (a statement
    that settles a running quarter would change every day). Raises :class:`InvalidInput`
    (field ``quarter``) with its translated message for anything else."""
    period = _period(text, today)
    return period.first_day, period.last_day


def _period(text: str | None, today: dt.date | None) -> Period:
    try:
        return parse_period(text, today)
    except InvalidPeriod as problem:
        raise InvalidInput(str(problem), "quarter") from problem


# ── Exact results ─────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class Ended:
    """Referrals ended in the period: ``outcomes`` completed per outcome code (in the order
    of ``OUTCOMES``), ``returned`` and ``declined``."""

    outcomes: tuple[int, ...] = (0,) * len(OUTCOMES)
    returned: int = 0
    declined: int = 0

    @property
    def completed(self) -> int:
        return sum(self.outcomes)

    def by_outcome(self) -> dict[str, int]:
        return dict(zip(OUTCOMES, self.outcomes, strict=True))

    def __add__(self, other: Ended) -> Ended:
        return Ended(tuple(a + b for a, b in zip(self.outcomes, other.outcomes, strict=True)),
                     self.returned + other.returned, self.declined + other.declined)


@dataclass(frozen=True)
class Answers:
    """Residents' answers to the feedback question: requests, by answer."""

    ja: int = 0
    deels: int = 0
    nee: int = 0

    @property
    def answered(self) -> int:
        return self.ja + self.deels + self.nee

    @property
    def share_helped(self) -> float | None:
        """ja / all answers (0 to 1), None without answers."""
        return self.ja / self.answered if self.answered else None

    def counts(self) -> list[int]:
        return [self.ja, self.deels, self.nee]

    def __add__(self, other: Answers) -> Answers:
        return Answers(self.ja + other.ja, self.deels + other.deels, self.nee + other.nee)


@dataclass(frozen=True)
class Wijk:
    """A row of the per-wijk tables: a wijk, or (``code`` None) no known wijk."""

    code: str | None
    name: str | None


#: Reasons with their counts, the most given first: ``(reason, count)``.
Reasons = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class PartnerOutcomes:
    """One partner's exact counts. ``by_wijk`` and ``answers_by_wijk`` follow
    :attr:`Outcomes.wijken`; ``by_domain`` follows ``domains`` (a domain code, or
    :data:`OTHER_DOMAINS` for every domain the partner does not serve; completed only).
    ``reasons``: per state of :data:`ENDED_OTHERWISE`, the reasons the partner gave (white
    space evened out; "" for none) with their counts, the most given first."""

    partner_id: int
    name: str
    total: Ended
    answers: Answers
    by_wijk: tuple[Ended, ...]
    answers_by_wijk: tuple[Answers, ...]
    domains: tuple[str | None, ...]
    by_domain: tuple[Ended, ...]
    reasons: tuple[Reasons, ...] = ((),) * len(ENDED_OTHERWISE)


@dataclass(frozen=True)
class Outcomes:
    """Exact outcomes per partner of ``first``–``last`` (Dutch days), with the filter asked.
    Show nothing of it to the municipality directly: :meth:`protected` is what may be shown."""

    tenant_id: int
    first: dt.date
    last: dt.date
    wijk_code: str | None
    domain: str | None
    rules: Rules
    wijken: tuple[Wijk, ...]
    partners: tuple[PartnerOutcomes, ...]

    def partner(self, partner_id: int) -> PartnerOutcomes:
        return next(found for found in self.partners if found.partner_id == partner_id)

    def protected(self, partner_id: int | None = None) -> ProtectedOutcomes:
        """The same figures with the tenant's small-number rules applied: what may be shown;
        with ``partner_id``, only that partner's (its tables are the same either way: each
        partner's are protected on their own). The protection is the costly part (about
        40 ms a partner with 20 wijken), so a page about one partner asks for that one."""
        chosen = [found for found in self.partners
                  if partner_id is None or found.partner_id == partner_id]
        return ProtectedOutcomes(
            first=self.first, last=self.last, wijk_code=self.wijk_code, domain=self.domain,
            rules=self.rules, wijken=self.wijken,
            partners=tuple(_protect_partner(found, self.rules) for found in chosen))


# ── Protected results ─────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class ProtectedPartner:
    """One partner's tables, rounded and suppressed (``disclosure.Protected``).

    ``outcomes``: wijken × OUTCOMES (row totals: completed per wijk; column totals: the
    partner's completed per outcome; total: its completed referrals). ``ended_otherwise``:
    wijken × (returned, declined). ``answers``: wijken × (ja, deels, nee), row totals the
    answers per wijk. ``share_helped``: per wijk, then (last) the partner's, in whole
    percent. ``by_domain``: ``domains`` × OUTCOMES, its totals the same as ``outcomes``'.
    ``reasons``: per state of :data:`ENDED_OTHERWISE`, the reasons with their protected
    counts, or None where the list cannot be shown without giving a count away."""

    partner_id: int
    name: str
    outcomes: Protected
    ended_otherwise: Protected
    answers: Protected
    share_helped: tuple[Cell, ...]
    domains: tuple[str | None, ...]
    by_domain: Protected
    reasons: tuple[tuple[tuple[str, Cell], ...] | None, ...] = ((),) * len(ENDED_OTHERWISE)


@dataclass(frozen=True)
class ProtectedOutcomes:
    first: dt.date
    last: dt.date
    wijk_code: str | None
    domain: str | None
    rules: Rules
    wijken: tuple[Wijk, ...]
    partners: tuple[ProtectedPartner, ...]


# ── The overview ──────────────────────────────────────────────────────────────────────

def outcomes_by_partner(tenant: Tenant, first: dt.date, last: dt.date, *,
                        wijk_code: str | None = None, domain: str | None = None) -> Outcomes:
    """Exact outcomes per partner of ``tenant`` for the referrals ended from ``first`` to
    ``last`` (Dutch days, both included), for every partner of the municipality (what each
    figure means: this module's docstring). ``wijk_code``: only requests of that wijk;
    ``domain``: only referrals of that domain.

    Raises InvalidInput for a period that ends before it starts, a wijk that is not one of
    the municipality's, or an unknown domain. Show :meth:`Outcomes.protected`, not this."""
    return _compute(tenant, first, last, wijk_code=wijk_code, domain=domain)


def _check(tenant: Tenant, first: dt.date, last: dt.date, wijk_code: str | None,
           domain: str | None) -> None:
    check_period(first, last)
    if domain is not None and domain not in DOMAINS:
        raise InvalidInput(_("Choose a domain from the list."), "domain")
    if wijk_code is not None and db.session.scalar(
            select(func.count()).select_from(Area).where(
                Area.tenant_id == tenant.id, Area.kind == "wijk", Area.code == wijk_code)) == 0:
        raise InvalidInput(_("Choose a district of this municipality."), "wijk")


def _compute(tenant: Tenant, first: dt.date, last: dt.date, *, wijk_code: str | None,
             domain: str | None, partner_id: int | None = None) -> Outcomes:
    _check(tenant, first, last, wijk_code, domain)
    start, end = _bounds(first, last)
    conditions = [Referral.tenant_id == tenant.id, SupportRequest.tenant_id == tenant.id,
                  Referral.target_partner_id.is_not(None),
                  Referral.ended_at >= start, Referral.ended_at < end]
    if partner_id is not None:
        conditions.append(Referral.target_partner_id == partner_id)
    if domain is not None:
        conditions.append(Referral.domain == domain)
    if wijk_code is not None:
        conditions.append(SupportRequest.wijk_code == wijk_code)

    # partner → (wijk, domain) → ended referrals
    ended: dict[int, dict[tuple[str | None, str], Ended]] = defaultdict(
        lambda: defaultdict(Ended))
    keys = (Referral.target_partner_id, SupportRequest.wijk_code, Referral.domain,
            Referral.state, Referral.outcome)
    for partner, wijk, referral_domain, state, outcome, count in db.session.execute(
            select(*keys, func.count())
            .join(SupportRequest, SupportRequest.id == Referral.request_id)
            .where(*conditions, Referral.state.in_(_ENDED)).group_by(*keys)):
        if partner is not None:  # the query asks for a partner; this tells mypy
            ended[partner][(wijk, referral_domain)] += _ended(state, outcome, int(count))

    # partner → state → reason → returned or declined referrals
    reasons: dict[int, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int)))
    reason_keys = (Referral.target_partner_id, Referral.state, Referral.state_reason)
    for partner, state, reason, count in db.session.execute(
            select(*reason_keys, func.count())
            .join(SupportRequest, SupportRequest.id == Referral.request_id)
            .where(*conditions, Referral.state.in_(ENDED_OTHERWISE)).group_by(*reason_keys)):
        if partner is not None:
            reasons[partner][state][" ".join((reason or "").split())] += int(count)

    # The requests with a completed referral to the partner, by answer: a request has one
    # wijk and one answer, so counting its id once per group counts each request once.
    answer_keys = (Referral.target_partner_id, SupportRequest.wijk_code,
                   SupportRequest.feedback)
    answers: dict[int, dict[str | None, Answers]] = defaultdict(lambda: defaultdict(Answers))
    for partner, wijk, answer, count in db.session.execute(
            select(*answer_keys, func.count(Referral.request_id.distinct()))
            .join(SupportRequest, SupportRequest.id == Referral.request_id)
            .where(*conditions, Referral.state == "completed",
                   SupportRequest.feedback.in_(ANSWERS))
            .group_by(*answer_keys)):
        if partner is not None:
            answers[partner][wijk] += Answers(*(int(count) if code == answer else 0
                                                for code in ANSWERS))

    found = {wijk for groups in ended.values() for wijk, _domain in groups}
    found |= {wijk for given in answers.values() for wijk in given}
    wijken = _wijken(tenant, wijk_code, found)
    row_of = {wijk.code: index for index, wijk in enumerate(wijken)}
    partners = _partners(tenant, partner_id)
    served = _served(tenant)
    results = []
    for pid, name in partners:
        by_wijk = [Ended()] * len(wijken)
        answers_by_wijk = [Answers()] * len(wijken)
        domains: tuple[str | None, ...] = (
            (domain,) if domain is not None
            else (*(code for code in DOMAINS if code in served.get(pid, set())), OTHER_DOMAINS))
        by_domain = [Ended()] * len(domains)
        domain_row = {code: index for index, code in enumerate(domains)}
        for (wijk, referral_domain), counts in ended.get(pid, {}).items():
            by_wijk[row_of[wijk]] += counts
            by_domain[domain_row.get(referral_domain, len(domains) - 1)] += counts
        for wijk, given in answers.get(pid, {}).items():
            answers_by_wijk[row_of[wijk]] += given
        results.append(PartnerOutcomes(
            partner_id=pid, name=name, total=sum(by_wijk, Ended()),
            answers=sum(answers_by_wijk, Answers()), by_wijk=tuple(by_wijk),
            answers_by_wijk=tuple(answers_by_wijk), domains=domains,
            by_domain=tuple(by_domain),
            reasons=tuple(_most_given(reasons[pid][state]) if pid in reasons else ()
                          for state in ENDED_OTHERWISE)))
    return Outcomes(tenant_id=tenant.id, first=first, last=last, wijk_code=wijk_code,
                    domain=domain, rules=rules_for(tenant), wijken=wijken,
                    partners=tuple(results))


def _most_given(counts: dict[str, int]) -> Reasons:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The Dutch days as stored moments (naive UTC): from the first moment of ``first`` up
    to, without, the first moment of the day after ``last``."""
    return day_start(first), day_start(last + dt.timedelta(days=1))


def _ended(state: str, outcome: str | None, count: int) -> Ended:
    if state == "returned":
        return Ended(returned=count)
    if state == "declined":
        return Ended(declined=count)
    if outcome not in OUTCOMES:
        # The referral service refuses to complete without a known outcome: a row like this
        # is a fault to see, not a figure to guess.
        raise ValueError(f"a completed referral with outcome {outcome!r}")
    return Ended(outcomes=tuple(count if code == outcome else 0 for code in OUTCOMES))


def _wijken(tenant: Tenant, wijk_code: str | None, found: set[str | None]) -> tuple[Wijk, ...]:
    names: dict[str, str] = {}
    for code, name in db.session.execute(
            select(Area.code, Area.name).where(Area.tenant_id == tenant.id, Area.kind == "wijk")
            .order_by(Area.year, Area.id)):
        names[code] = name  # the latest map's name wins
    if wijk_code is not None:
        return (Wijk(wijk_code, names.get(wijk_code, wijk_code)),)
    for other in found:
        if other is not None and other not in names:
            names[other] = other
    rows = sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))
    return (*(Wijk(code, name) for code, name in rows), Wijk(None, None))


def _partners(tenant: Tenant, partner_id: int | None) -> list[tuple[int, str]]:
    query = select(Partner.id, Partner.name).where(Partner.tenant_id == tenant.id)
    if partner_id is not None:
        query = query.where(Partner.id == partner_id)
    found = [(int(pid), name) for pid, name in db.session.execute(query)]
    return sorted(found, key=lambda item: (item[1].casefold(), item[0]))


def _served(tenant: Tenant) -> dict[int, set[str]]:
    """partner id → the domains it serves somewhere in the municipality (its sociale kaart
    entry: a fact about the partner, so its rows tell nothing about residents)."""
    served: dict[int, set[str]] = defaultdict(set)
    for pid, domain in db.session.execute(
            select(Coverage.partner_id, Coverage.domain).distinct()
            .where(Coverage.tenant_id == tenant.id, Coverage.partner_id.is_not(None))):
        if pid is not None:
            served[pid].add(domain)
    return served


# ── Protection ────────────────────────────────────────────────────────────────────────

def _protect(counts: list[list[int]], rules: Rules) -> Protected:
    """:func:`disclosure.protect` with every total published. A table of zeros (a partner
    with nothing in the period: many in a sociale kaart) is small everywhere, which is
    what the library would find, without its search."""
    if any(any(row) for row in counts):
        return protect(counts, rules)
    small = Cell(Status.SMALL, None)
    width = len(counts[0])
    return Protected(cells=tuple((small,) * width for _row in counts),
                     row_totals=(small,) * len(counts), column_totals=(small,) * width,
                     total=small, rules=rules)


def _protect_partner(found: PartnerOutcomes, rules: Rules) -> ProtectedPartner:
    outcomes, by_domain = _protect_alike([list(row.outcomes) for row in found.by_wijk],
                                         [list(row.outcomes) for row in found.by_domain], rules)
    ended_otherwise, reasons = _protect_ended(found, rules)
    answers = _protect([row.counts() for row in found.answers_by_wijk], rules)
    assert answers.row_totals is not None and answers.column_totals is not None
    shares = [_share(row[0], total) for row, total in zip(answers.cells, answers.row_totals,
                                                          strict=True)]
    shares.append(_share(answers.column_totals[0], answers.total))
    return ProtectedPartner(
        partner_id=found.partner_id, name=found.name, outcomes=outcomes,
        ended_otherwise=ended_otherwise, answers=answers, share_helped=tuple(shares),
        domains=found.domains, by_domain=by_domain, reasons=reasons)


def _protect_alike(per_wijk: list[list[int]], per_domain: list[list[int]],
                   rules: Rules) -> tuple[Protected, Protected]:
    """Two tables of the same referrals by outcome (per wijk, per domain): their totals per
    outcome and their total are one count each, protected together."""
    if not any(any(row) for row in per_wijk):
        return _protect(per_wijk, rules), _protect(per_domain, rules)
    R, D = len(per_wijk), len(per_domain)
    links = [[(0, (R, c)), (1, (D, c))] for c in range(len(per_wijk[0]) + 1)]
    wijken, domains = protect_linked([Table(per_wijk), Table(per_domain)], links, rules)
    return wijken, domains


def _protect_ended(found: PartnerOutcomes, rules: Rules
                   ) -> tuple[Protected, tuple[tuple[tuple[str, Cell], ...] | None, ...]]:
    """Returned and declined per wijk, protected together with the reasons per state that
    add up to its totals (this module's docstring says what the reader knows of them); the
    reasons with their cells, None for a list left out."""
    counts = [[row.returned, row.declined] for row in found.by_wijk]
    if not any(any(row) for row in counts):
        return _protect(counts, rules), ((),) * len(ENDED_OTHERWISE)
    R = len(counts)
    # A state without reasons: its total is 0, and so is its every wijk, for all to see.
    known = frozenset((r, c) for c, listed in enumerate(found.reasons) if not listed
                      for r in range(R + 1))
    shown = [c for c, listed in enumerate(found.reasons) if listed]
    while True:
        # Each reason listed was given at least once, so its state's total is at least as
        # many as the list is long (a list left out: at least one).
        floors = {(R, c): len(found.reasons[c]) if c in shown else 1
                  for c, listed in enumerate(found.reasons) if listed}
        tables = [Table(counts, known=known, at_least=floors), *(
            Table([[count] for _reason, count in found.reasons[c]], row_totals=False,
                  at_least={(r, 0): 1 for r in range(len(found.reasons[c]))})
            for c in shown)]
        links = [[(0, (R, c)), (index, (len(found.reasons[c]), 0))]
                 for index, c in enumerate(shown, start=1)]
        protected = protect_linked(tables, links, rules)
        # A list no suppression protects, or lists that pin the table down (8 reasons for
        # declining and 1 for returning under a total under 10: 8 and 1), are left out.
        left_out = {c for c, table in zip(shown, protected[1:], strict=True)
                    if table.all_hidden or protected[0].all_hidden}
        if not left_out:
            break
        shown = [c for c in shown if c not in left_out]
    lists = {c: tuple((reason, row[0]) for (reason, _count), row
                      in zip(found.reasons[c], table.cells, strict=True))
             for c, table in zip(shown, protected[1:], strict=True)}
    reasons = tuple(lists.get(c) if listed else () for c, listed in enumerate(found.reasons))
    return _small_where(protected[0], known), reasons


def _small_where(table: Protected, positions: AbstractSet[Position]) -> Protected:
    """``table`` with the cells at ``positions`` (0, and known to be) written as a count under
    the minimum is: in words, like every other."""
    if not positions:
        return table
    R, C = len(table.cells), len(table.cells[0])

    def cell(r: int, c: int, found: Cell) -> Cell:
        return Cell(Status.SMALL, None) if (r, c) in positions else found

    def line(cells: tuple[Cell, ...] | None, at: Callable[[int], Position]
             ) -> tuple[Cell, ...] | None:
        return None if cells is None else tuple(cell(*at(i), found)
                                                for i, found in enumerate(cells))

    return Protected(
        cells=tuple(tuple(cell(r, c, found) for c, found in enumerate(row))
                    for r, row in enumerate(table.cells)),
        row_totals=line(table.row_totals, lambda r: (r, C)),
        column_totals=line(table.column_totals, lambda c: (R, c)),
        total=None if table.total is None else cell(R, C, table.total),
        rules=table.rules, all_hidden=table.all_hidden)


def _share(helped: Cell, answered: Cell | None) -> Cell:
    """ja / answers in whole percent, from the published (rounded) counts."""
    if answered is None or answered.status is Status.SMALL:
        return Cell(Status.SMALL, None)
    if not (helped.shown and answered.shown) or not answered.value or helped.value is None:
        return _HIDDEN
    return Cell(Status.SHOWN, round(100 * helped.value / answered.value))


# ── The statement per partner per quarter ─────────────────────────────────────────────

@dataclass(frozen=True)
class StatementRow:
    """One line of a statement: ``section`` (``completed``, ``answers``, ``share_helped``,
    ``returned``, ``declined``, ``total``) with its translated name, the line's ``item`` (a
    domain, an answer, a reason in the partner's words, or "Total") and ``category`` (an
    outcome, or empty), and its protected ``cell``: a count, or for ``share_helped`` a whole
    percent."""

    section: str
    section_label: str
    item: str
    category: str
    cell: Cell


@dataclass(frozen=True)
class PartnerStatement:
    """A partner's outcomes of one quarter, protected, for result-based financing. Holds no
    resident's name or story: counts, and the reasons the partner itself wrote."""

    title: str
    tenant_name: str
    partner_id: int
    partner_name: str
    quarter: str
    first: dt.date
    last: dt.date
    rules: Rules
    rows: tuple[StatementRow, ...]
    totals: tuple[StatementRow, ...]


def partner_statement(tenant: Tenant, partner: Partner | int, quarter: str | None, *,
                      today: dt.date | None = None) -> PartnerStatement:
    """The statement of ``partner`` (a partner of ``tenant``, or its id) for ``quarter``
    (``2026-Q3``; None: the last quarter that is over), every count protected with the
    tenant's rules. Rows: completed referrals per domain and outcome (with the totals per
    domain and per outcome), the residents' answers and the share helped, the returned and
    declined referrals per reason; then the totals.

    Raises NotFound for a partner of another municipality (or none), InvalidInput (field
    ``quarter``) for a quarter that is ill-formed, too early or not over."""
    partner_id = partner.id if isinstance(partner, Partner) else partner
    found = db.session.get(Partner, partner_id)
    if found is None or found.tenant_id != tenant.id:
        raise NotFound(_("This partner organisation does not exist in this municipality."))
    period = _period(quarter, today)
    outcomes = _compute(tenant, period.first_day, period.last_day, wijk_code=None,
                        domain=None, partner_id=found.id)
    protected = _protect_partner(outcomes.partner(found.id), outcomes.rules)
    rows = [*_completed_rows(protected), *_answer_rows(protected), *_reason_rows(protected)]
    return PartnerStatement(
        title=_("Outcomes of %(partner)s, %(quarter)s", partner=found.name,
                quarter=period.code),
        tenant_name=tenant.name, partner_id=found.id, partner_name=found.name,
        quarter=period.code, first=period.first_day, last=period.last_day,
        rules=outcomes.rules, rows=tuple(rows), totals=_total_rows(protected))


def _reason_rows(protected: ProtectedPartner) -> Iterator[StatementRow]:
    """The returned, then the declined referrals per reason; a list that cannot be shown is
    one line that says so."""
    for state, listed in zip(ENDED_OTHERWISE, protected.reasons, strict=True):
        name = _section_label(state)
        if listed is None:
            yield StatementRow(state, name, _("Reasons not shown, so that small numbers "
                                              "cannot be worked out"), "", _HIDDEN)
            continue
        for reason, cell in listed:
            yield StatementRow(state, name, reason or _("No reason given"), "", cell)


def _section_label(section: str) -> str:
    labels = {"completed": _("Completed referrals"), "answers": _("Residents' answers"),
              "share_helped": _("Share helped according to residents (percent)"),
              "returned": _("Returned by the partner"), "declined": _("Declined by the partner"),
              "total": _("Totals")}
    return labels[section]


def _domain_name(code: str | None) -> str:
    return _("Other domains") if code is None else label(DOMAIN_LABELS, code)


def _completed_rows(protected: ProtectedPartner) -> Iterator[StatementRow]:
    table = protected.by_domain
    name = _section_label("completed")
    assert table.row_totals is not None and table.column_totals is not None
    for code, cells, total in zip(protected.domains, table.cells, table.row_totals,
                                  strict=True):
        domain = _domain_name(code)
        for outcome, cell in zip(OUTCOMES, cells, strict=True):
            yield StatementRow("completed", name, domain, label(OUTCOME_LABELS, outcome), cell)
        yield StatementRow("completed", name, domain, _("Total"), total)
    for outcome, cell in zip(OUTCOMES, table.column_totals, strict=True):
        yield StatementRow("completed", name, _("Total"), label(OUTCOME_LABELS, outcome), cell)


def _answer_rows(protected: ProtectedPartner) -> Iterator[StatementRow]:
    table = protected.answers
    name = _section_label("answers")
    assert table.column_totals is not None and table.total is not None
    for answer, cell in zip(ANSWERS, table.column_totals, strict=True):
        yield StatementRow("answers", name, label(FEEDBACK_LABELS, answer), "", cell)
    yield StatementRow("answers", name, _("Total"), "", table.total)
    yield StatementRow("share_helped", _section_label("share_helped"),
                       label(FEEDBACK_LABELS, "ja"), "", protected.share_helped[-1])


def _total_rows(protected: ProtectedPartner) -> tuple[StatementRow, ...]:
    completed, ended = protected.by_domain, protected.ended_otherwise
    assert completed.total is not None and ended.column_totals is not None
    name = _section_label("total")
    return (StatementRow("total", name, _section_label("completed"), "", completed.total),
            StatementRow("total", name, _section_label("returned"), "", ended.column_totals[0]),
            StatementRow("total", name, _section_label("declined"), "", ended.column_totals[1]))


# ── CSV ───────────────────────────────────────────────────────────────────────────────

def shown_value(cell: Cell, rules: Rules) -> str | int:
    """A protected cell as a reader sees it: its (rounded) number, "fewer than 10" or
    "hidden" (:func:`app.services.small_numbers.suppressed_text`)."""
    words = suppressed_text(cell, rules)
    if words is not None or cell.value is None:
        return words or ""
    return cell.value


def statement_csv(statement: PartnerStatement) -> Iterator[str]:
    """The statement as CSV lines (``app.services.export.csv_lines``: ``;`` between cells,
    a byte-order mark, formulas neutralised, so a partner's reason starting with ``=`` stays
    text): first who and when, then one line per row and total."""
    header = (_("Part"), _("Item"), _("Outcome"), _("Number"))
    meta: list[Sequence[Any]] = [
        (statement.title, "", "", ""),
        (_("Municipality"), statement.tenant_name, "", ""),
        (_("Partner organisation"), statement.partner_name, "", ""),
        (_("Period"), statement.quarter, statement.first.isoformat(),
         statement.last.isoformat()),
        (_("Small numbers"), _("Counts are rounded to multiples of %(rounding)s; counts under "
                               "%(minimum)s are not shown.", rounding=statement.rules.rounding,
                               minimum=statement.rules.min_count), "", ""),
    ]
    lines = [(row.section_label, row.item, row.category,
              shown_value(row.cell, statement.rules))
             for row in (*statement.rows, *statement.totals)]
    return csv_lines(header, [*meta, *lines])


# ── Audit ─────────────────────────────────────────────────────────────────────────────

def exported(user: User, statement: PartnerStatement, file_format: str) -> None:
    """Audit that ``user`` downloaded ``statement`` (protected counts and the partner's own
    reasons, no person's data) as ``file_format`` (``csv``, ``ods``); commit."""
    audit.record("outcomes.exported", tenant_id=user.tenant_id, object_type="partner",
                 object_id=statement.partner_id, actor=user, quarter=statement.quarter,
                 format=file_format)
    db.session.commit()


__all__ = ["ANSWERS", "ENDED_OTHERWISE", "OTHER_DOMAINS", "Answers", "Ended", "Outcomes",
           "PartnerOutcomes", "PartnerStatement", "ProtectedOutcomes", "ProtectedPartner",
           "StatementRow", "Wijk", "exported", "outcomes_by_partner", "parse_quarter",
           "partner_statement", "shown_value", "statement_csv"]
