"""Persistent state: SQLAlchemy 2 typed models. No business rules live here.

Every row belongs to exactly one tenant (a municipality); queries never cross tenants.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.lifecycle import REQUEST_CLOSED, REQUEST_INITIAL, TASK_OPEN
from app.limits import (
    ADDRESS_MAX,
    EMAIL_MAX,
    HOUSE_NUMBER_MAX,
    NAME_MAX,
    PHONE_MAX,
    REPLY_TITLE_MAX,
    SAFE_TIMES_MAX,
    SAVED_FILTER_NAME_MAX,
    SUBMISSION_TOKEN_MAX,
)

if TYPE_CHECKING:  # db.Model is made at run time; to mypy it is our declarative base
    from app.extensions import Base as Model
else:
    Model = db.Model


def utcnow() -> dt.datetime:
    """Now, in UTC, without tzinfo (stored as UTC on both databases)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Region(Model):
    """Municipalities that buy some lots together (Utrecht and its fifteen region
    municipalities, for example). Each member keeps its data in its own tenant; a regional
    partner receives the referrals of every member (app/services/regions.py)."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Tenant(Model):
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The region it buys lots with (None: none), from its tenant file.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    gemeentecode: Mapped[str] = mapped_column(String(6))
    ruleset: Mapped[str] = mapped_column(String(64))  # slug of referral_rules/rulesets/<slug>.yaml
    # The municipality's own closing days (ISO dates) from its tenant file: not working days
    # for referral and reply periods (app/calendar.py); legal terms ignore them.
    closing_days: Mapped[list[str] | None] = mapped_column(JSON)
    # How small a published count may be ({min_count, rounding}; None: the defaults), from the
    # tenant file (app/services/small_numbers.py).
    small_numbers: Mapped[dict[str, int] | None] = mapped_column(JSON)
    contact_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    # From the tenant file, checked by app/services/theme.py (which says what they hold):
    # the look (name shown, colours, logo type) and the contact details for residents.
    theme: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    contact: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The logo's bytes (kept in the database: any web process can serve it); read only by
    # the logo route.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Area(Model):
    """A CBS buurt, wijk or gemeente of one tenant's map."""

    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("tenant_id", "code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    code: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # buurt, wijk, gemeente
    parent_code: Mapped[str | None] = mapped_column(String(12))
    year: Mapped[int] = mapped_column(Integer)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)  # GeoJSON geometry, WGS84


class PostcodePoint(Model):
    """Reference data (national): a PC6 or PC4 postcode and its point, WGS84."""

    __tablename__ = "postcode_point"

    postcode: Mapped[str] = mapped_column(String(6), primary_key=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    precision: Mapped[str] = mapped_column(String(3))  # pc6 or pc4


class GeocodeCache(Model):
    """Answers of the external geocoder, so the same address is never asked twice.

    A miss ("no such place") is cached too; a failure (timeout, error) never is.
    """

    __tablename__ = "geocode_cache"

    query_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    service: Mapped[str] = mapped_column(String(32))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Team(Model):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))  # stable key used in config files
    name: Mapped[str] = mapped_column(String(200))
    # central_intake, wijkteam, jeugdteam, cooperative
    kind: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    is_central_intake: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("tenant_id", "key"),)


class Partner(Model):
    """A partner organisation in the tenant's social map (sociale kaart)."""

    __tablename__ = "partner"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(200))  # "whsec_…" (Standard Webhooks)
    # After a rotation the old secret signs too, for WEBHOOK_SECRET_OVERLAP_HOURS, so the
    # partner can switch without losing a message.
    webhook_secret_previous: Mapped[str | None] = mapped_column(String(200))
    webhook_secret_rotated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A regional partner: the same organisation (the same key) in every member municipality
    # of the tenant's region, working from one portal (app/services/regions.py).
    regional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Coverage(Model):
    """Who is responsible for a domain in an area: exactly one team or one partner.

    ``area_code`` is a buurt, wijk or gemeente code; NULL is the tenant-wide default used
    for requests without a buurt (no fixed address, unknown location).
    """

    __tablename__ = "coverage"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    area_code: Mapped[str | None] = mapped_column(String(12))
    domain: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))

    team: Mapped[Team | None] = relationship()
    partner: Mapped[Partner | None] = relationship()

    __table_args__ = (Index("ix_coverage_lookup", "tenant_id", "domain", "area_code"),)


class Contract(Model):
    """What the municipality bought or funds from a partner: a product (lot) for domains in
    areas, from a first to a last day (none: until further notice).

    A partner only receives new referrals for a domain where and while it has a live
    contract (``app.services.contracts``, ``geo.contracts``). ``areas`` are buurt, wijk or
    gemeente codes; empty is the whole municipality. ``volume``: the number of residents
    (trajecten) agreed for the whole period, when the contract names one.
    """

    __tablename__ = "contract"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),
                      Index("ix_contract_partner", "tenant_id", "partner_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    key: Mapped[str] = mapped_column(String(64))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    product: Mapped[str] = mapped_column(String(40))  # referral_rules.vocabulary.PRODUCTS
    lot: Mapped[str | None] = mapped_column(String(120))  # the tender's name for it (perceel)
    funding: Mapped[str] = mapped_column(String(16), default="inkoop")  # vocabulary.FUNDING
    domains: Mapped[list[str]] = mapped_column(JSON)
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    volume: Mapped[int | None] = mapped_column(Integer)
    # Capacity, as the partner keeps it (portal or API; app/services/capacity.py): whether the
    # service takes new referrals, from which day it takes them again when it does not (none:
    # not known yet), and the waiting time it publishes for new clients, in weeks.
    accepting: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    accepts_again_on: Mapped[dt.date | None] = mapped_column(Date)
    waiting_weeks: Mapped[int | None] = mapped_column(Integer)
    capacity_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    partner: Mapped[Partner] = relationship()


class ContractTransfer(Model):
    """A partner's open referrals handed over to a successor when a contract ends, as one
    audited operation (``app.services.transfers``). ``product`` None: every lot of the
    partner. ``on``: the first day the successor helps. ``counts``: how many referrals moved,
    how many wait for the resident's consent and how many stayed (``moved``,
    ``needs_consent``, ``left``); ``held_ids``: the referrals that wait for consent."""

    __tablename__ = "contract_transfer"
    __table_args__ = (Index("ix_contract_transfer_from", "tenant_id", "from_partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    from_partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    to_partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    product: Mapped[str | None] = mapped_column(String(40))
    from_contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    on: Mapped[dt.date] = mapped_column(Date)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    held_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

    from_partner: Mapped[Partner] = relationship(foreign_keys=[from_partner_id])
    to_partner: Mapped[Partner] = relationship(foreign_keys=[to_partner_id])


class User(UserMixin, Model):
    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # one of app.roles.ROLES
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The daily e-mail with the team's overdue items (staff and team leads).
    wants_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Second factor (TOTP, RFC 6238) and its one-time recovery codes (argon2 hashes).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_enabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    recovery_codes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Throttling: failed logins in a row, and until when the account is locked after too many.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    tenant: Mapped[Tenant] = relationship()
    team: Mapped[Team | None] = relationship()
    partner: Mapped[Partner | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active


class ApiToken(Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    tenant: Mapped[Tenant] = relationship()


class ReferenceCounter(Model):
    """The last request number handed out per year (references WL-YYYY-NNNNNN)."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


#: The condition of the partial indexes on open requests (the queries say ``!= REQUEST_CLOSED``).
_OPEN_REQUEST = f"status <> '{REQUEST_CLOSED}'"
#: The condition of the partial index on requests whose legal clocks were ever suspended.
_WAITED = "paused_days > 0 OR waiting_since IS NOT NULL"


class SupportRequest(Model):
    """A resident's question (melding), from intake to closure."""

    __tablename__ = "support_request"
    __table_args__ = (
        Index("ix_request_queue", "tenant_id", "owner_team_id", "status", "created_at"),
        # The queue, its counts and the request page on a million requests (docs/benchmarks.md).
        Index("ix_request_team_created", "tenant_id", "owner_team_id", "created_at", "id",
              postgresql_include=["status", "priority", "coordinator_id", "channel", "wijk_code",
                                  "buurt_code"]),
        Index("ix_request_open_queue", "tenant_id", "owner_team_id", "priority", "created_at", "id",
              postgresql_where=text(_OPEN_REQUEST), sqlite_where=text(_OPEN_REQUEST),
              postgresql_include=["status", "coordinator_id", "channel", "wijk_code",
                                  "buurt_code"]),
        Index("ix_request_wmo_application", "tenant_id", "wmo_application_on",
              postgresql_where=text("wmo_application_on IS NOT NULL AND wmo_decision_on IS NULL"),
              sqlite_where=text("wmo_application_on IS NOT NULL AND wmo_decision_on IS NULL")),
        Index("ix_request_legal_due", "tenant_id", "owner_team_id", "legal_due_on",
              postgresql_where=text("legal_due_on IS NOT NULL"),
              sqlite_where=text("legal_due_on IS NOT NULL")),
        Index("ix_request_open_address", "tenant_id", "postcode",
              postgresql_where=text(_OPEN_REQUEST), sqlite_where=text(_OPEN_REQUEST)),
        Index("ix_request_merged_into", "merged_into_id",
              postgresql_where=text("merged_into_id IS NOT NULL"),
              sqlite_where=text("merged_into_id IS NOT NULL")),
        Index("ix_request_transfer", "tenant_id", "transfer_team_id", "transfer_requested_at",
              postgresql_where=text("transfer_team_id IS NOT NULL"),
              sqlite_where=text("transfer_team_id IS NOT NULL")),
        # A municipality's requests of a period, whichever team owns them (the figures), and
        # for its legal terms (app/services/punctuality.py) its applications and the requests
        # whose terms were suspended while the resident was waited for.
        Index("ix_request_created", "tenant_id", "created_at"),
        Index("ix_request_application", "tenant_id", "wmo_application_on",
              postgresql_where=text("wmo_application_on IS NOT NULL"),
              sqlite_where=text("wmo_application_on IS NOT NULL")),
        Index("ix_request_waited", "tenant_id", "created_at",
              postgresql_where=text(_WAITED), sqlite_where=text(_WAITED)),
        # The requests a municipality closed in a period (the figures, public statistics).
        Index("ix_request_closed", "tenant_id", "closed_at",
              postgresql_where=text("closed_at IS NOT NULL"),
              sqlite_where=text("closed_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # Idempotent submission: the same form token never creates a second request.
    submission_token: Mapped[str | None] = mapped_column(String(SUBMISSION_TOKEN_MAX), unique=True)
    # With SECRET_KEY and the reference, derives the status page's secret
    # (status_tokens.status_token); a new salt revokes old links.
    status_salt: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    for_whom: Mapped[str] = mapped_column(String(8))
    postcode: Mapped[str | None] = mapped_column(String(6))
    house_number: Mapped[str | None] = mapped_column(String(HOUSE_NUMBER_MAX))
    # Free text, without a postcode.
    address: Mapped[str | None] = mapped_column(String(ADDRESS_MAX))
    no_fixed_address: Mapped[bool] = mapped_column(Boolean, default=False)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    age: Mapped[int | None] = mapped_column(Integer)
    life_areas: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(8))
    priority: Mapped[str] = mapped_column(String(8))
    housing: Mapped[str | None] = mapped_column(String(24))
    contact_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    contact_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    contact_phone: Mapped[str | None] = mapped_column(String(PHONE_MAX))
    contact_preferred: Mapped[str | None] = mapped_column(String(16))
    consent_share: Mapped[bool] = mapped_column(Boolean, default=False)
    email_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    # Contact is not safe (app/services/safe_contact.py): nothing goes to the resident's own
    # address or shared contact details; staff use the safe way, if the resident gave one.
    contact_unsafe: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    contact_unsafe_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    contact_unsafe_by: Mapped[str | None] = mapped_column(String(16))  # resident, staff, rule
    safe_phone: Mapped[str | None] = mapped_column(String(PHONE_MAX))
    safe_times: Mapped[str | None] = mapped_column(String(SAFE_TIMES_MAX))
    code_word_hash: Mapped[str | None] = mapped_column(String(255))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    close_note: Mapped[str | None] = mapped_column(Text)
    # The earliest contact moment with the resident (ContactMoment.happened_at), kept by
    # services.casework.log_contact.
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The resident's answer after closure: ja, deels, nee (+ comment).
    feedback: Mapped[str | None] = mapped_column(String(8))
    feedback_comment: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Wmo 2015 legal clocks (app/services/legal.py): the investigation after the melding is
    # done (art. 2.3.2), the application (aanvraag) received and decided (art. 2.3.5).
    wmo_investigation_done_on: Mapped[dt.date | None] = mapped_column(Date)
    wmo_application_on: Mapped[dt.date | None] = mapped_column(Date)
    wmo_decision_on: Mapped[dt.date | None] = mapped_column(Date)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    location_precision: Mapped[str | None] = mapped_column(String(8))  # pc6, pc4, geocoded
    # Why there is no buurt: no_fixed_address, unknown_postcode, unknown_address,
    # geocoder_down, outside_area, pc4_ambiguous (routing.Placement.problem).
    location_problem: Mapped[str | None] = mapped_column(String(24))
    buurt_code: Mapped[str | None] = mapped_column(String(12))
    map_year: Mapped[int | None] = mapped_column(Integer)  # the map the buurt was found on
    wijk_code: Mapped[str | None] = mapped_column(String(12))
    owner_team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # One of app/lifecycle.py's REQUEST_STATES, changed only through its machine.
    status: Mapped[str] = mapped_column(String(16), default=REQUEST_INITIAL)
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)
    ruleset_version: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: every change raises it; a form posted with an older version is
    # refused instead of overwriting a colleague's change.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # BSN as staff recorded it (11-proof checked); shown masked unless revealed (logged).
    bsn: Mapped[str | None] = mapped_column(String(9))
    # A warm handover to another team: both teams see the request until that team accepts.
    transfer_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    transfer_reason: Mapped[str | None] = mapped_column(Text)
    transfer_requested_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    transfer_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Waiting for the resident's answer to a question: deadline clocks pause meanwhile.
    waiting_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    waiting_reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    paused_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The legal clocks as the queue reads them, written on every insert and update by
    # app/services/legal.py (keep_clock): the earliest due date of the running clocks without
    # the current wait, and the Dutch day that wait began.
    legal_due_on: Mapped[dt.date | None] = mapped_column(Date)
    legal_paused_on: Mapped[dt.date | None] = mapped_column(Date)
    # Set when this request was merged into another (a duplicate); its history stays.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("support_request.id"))

    owner_team: Mapped[Team] = relationship(foreign_keys=[owner_team_id])
    transfer_team: Mapped[Team | None] = relationship(foreign_keys=[transfer_team_id])
    coordinator: Mapped[User | None] = relationship(foreign_keys=[coordinator_id])
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="request", order_by="Referral.id"
    )
    tasks: Mapped[list[Task]] = relationship(back_populates="request", order_by="Task.id")

    __mapper_args__ = {"version_id_col": version}


_ENDED_AT_PARTNER = "ended_at IS NOT NULL AND target_partner_id IS NOT NULL"


class Referral(Model):
    """A request referred to a team or a partner for one domain."""

    __tablename__ = "referral"
    __table_args__ = (Index("ix_referral_waiting", "tenant_id", "due_date",
                            postgresql_where=text("state = 'sent'"),
                            sqlite_where=text("state = 'sent'"),
                            postgresql_include=["request_id", "escalated_at"]),
                      # Punctuality per period (app/services/punctuality.py): referrals sent in it.
                      Index("ix_referral_sent", "tenant_id", "sent_at",
                            postgresql_where=text("sent_at IS NOT NULL"),
                            sqlite_where=text("sent_at IS NOT NULL"),
                            postgresql_include=["due_date", "answered_at", "ended_at", "domain",
                                                "target_team_id", "target_partner_id",
                                                "request_id"]),
                      # Outcomes per partner (app/services/outcomes.py): referrals ended in it.
                      Index("ix_referral_ended", "tenant_id", "ended_at",
                            postgresql_where=text(_ENDED_AT_PARTNER),
                            sqlite_where=text(_ENDED_AT_PARTNER),
                            postgresql_include=["target_partner_id", "state", "outcome",
                                                "domain", "request_id"]),
                      # Held referrals, released by the scheduler (app/services/capacity.py).
                      Index("ix_referral_held", "tenant_id", "held_since",
                            postgresql_where=text("held_since IS NOT NULL"),
                            sqlite_where=text("held_since IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    # active_history: moving a referral that was expired still knows the request it left,
    # whose figure rows must be written again (app.services.request_figures).
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id"), index=True,
                                            active_history=True)
    domain: Mapped[str] = mapped_column(String(32))
    target_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    target_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    # The partner's contract it was made under (None: to a team, or made before contracts).
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    state: Mapped[str] = mapped_column(String(16))
    # Held: made while no contracted partner had room. The referral stays ``proposed`` (shared
    # with nobody) until a partner has room again (app/services/capacity.py releases it).
    held_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    due_date: Mapped[dt.date] = mapped_column(Date)
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    ruleset_version: Mapped[str] = mapped_column(String(64))
    # Why it was declined, returned, withdrawn or expired (shown to the owning team).
    state_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(32))  # referral_rules.vocabulary.OUTCOMES
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # The scheduler's steps past the due date, each done once.
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Its moments, each set once by the one move (services.referrals._move): when it became
    # ``sent``; the receiver's response (the first accept or decline); the accept; and when it
    # reached a final state (completed, declined, returned, expired, withdrawn).
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A referral made by a contract transfer (app/services/transfers.py): the one it takes
    # over (which stays live for the old partner until this one is accepted), the transfer,
    # and the old partner's handover note for the new one.
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"),
                                                            index=True)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("contract_transfer.id"),
                                                    index=True)
    handover_note: Mapped[str | None] = mapped_column(Text)
    handover_note_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    request: Mapped[SupportRequest] = relationship(back_populates="referrals")
    target_team: Mapped[Team | None] = relationship()
    target_partner: Mapped[Partner | None] = relationship()
    contract: Mapped[Contract | None] = relationship()
    transferred_from: Mapped[Referral | None] = relationship(
        remote_side=[id], foreign_keys=[transferred_from_id])
    transfer: Mapped[ContractTransfer | None] = relationship()

    @property
    def target(self) -> Partner | Team | None:
        """The organisation or team the referral went to (services.referrals sets one)."""
        return self.target_partner or self.target_team

    @property
    def target_name(self) -> str:
        return self.target.name if self.target else ""

    @property
    def held(self) -> bool:
        """Waiting for room at a contracted partner (shared with nobody yet)."""
        return self.held_since is not None and self.state == "proposed"


class ResidentMessage(Model):
    """A message between the team and the resident: a question by e-mail and on the status
    page, and the resident's answer through the status page."""

    __tablename__ = "resident_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id"), index=True)
    direction: Mapped[str] = mapped_column(String(16))  # to_resident, from_resident
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SavedFilter(Model):
    """A queue filter a staff member saved, shown as a tab with its count."""

    __tablename__ = "saved_filter"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(SAVED_FILTER_NAME_MAX))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ReplyTemplate(Model):
    """A standard text per tenant and situation, with placeholders, kept by team leads."""

    __tablename__ = "reply_template"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(REPLY_TITLE_MAX))
    audience: Mapped[str] = mapped_column(String(12))  # resident, partner
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Note(Model):
    """A staff note on a request; ``shareable`` False keeps it from partners."""

    __tablename__ = "request_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    shareable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User] = relationship()


class ContactMoment(Model):
    """A try to reach the resident: called, no answer, visited, …"""

    __tablename__ = "contact_moment"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(16))  # app.vocabulary.CONTACT_KIND_LABELS
    note: Mapped[str | None] = mapped_column(Text)
    happened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User] = relationship()


class ProgressionStep(Model):
    """A step on a person's path from day activities on to work (Heerlen's tender, task 3):
    which step (``referral_rules.vocabulary.PROGRESSION_STEPS``), since which Dutch date, and
    who recorded it. No free text: the person's story stays out. A step back is a row too."""

    __tablename__ = "progression_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id"), index=True)
    step: Mapped[str] = mapped_column(String(24))
    happened_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # Set when a partner's account recorded it (on a referral to that partner).
    recorded_by_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    recorded_by: Mapped[User] = relationship()
    recorded_by_partner: Mapped[Partner | None] = relationship()


#: The columns the figure rows' indexes carry besides their keys (PostgreSQL's INCLUDE), so
#: that the figures of a period read the index only (migration d4e0a7b1f685).
FIGURE_GROUPS = ("wijk_code", "buurt_code", "channel", "age_band", "team_id", "life_areas")
FIGURE_RECEIVED_INCLUDE = (*FIGURE_GROUPS, "closed_at", "no_fixed_address", "referral_domains",
                           "first_contact_seconds", "first_referral_seconds",
                           "first_acceptance_seconds", "closure_seconds")
FIGURE_CLOSED_INCLUDE = (*FIGURE_GROUPS, "received_at", "referral_domains", "feedback",
                         "closure_seconds")
REFERRAL_FIGURE_INCLUDE = (*FIGURE_GROUPS, "state", "domain", "partner_id", "request_id")


def _figure_indexes(table: str, *key: str) -> tuple[Index, ...]:
    """The indexes of a table of request figure rows, by tenant (and ``key``): the rows
    received, the closed ones and the open ones, each carrying what the figures read."""
    closed, still_open = text("closed_at IS NOT NULL"), text("closed_at IS NULL")
    return (
        Index(f"ix_{table}_received", "tenant_id", *key, "received_at",
              postgresql_include=list(FIGURE_RECEIVED_INCLUDE)),
        Index(f"ix_{table}_closed", "tenant_id", *key, "closed_at", postgresql_where=closed,
              sqlite_where=closed, postgresql_include=list(FIGURE_CLOSED_INCLUDE)),
        Index(f"ix_{table}_open", "tenant_id", *key, "received_at",
              postgresql_where=still_open, sqlite_where=still_open,
              postgresql_include=list(FIGURE_GROUPS)),
    )


class _RequestFigureColumns:
    """The columns of a request's figure row (:class:`RequestFigure`), shared with its rows
    per partner (:class:`PartnerRequestFigure`)."""

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    wijk_code: Mapped[str | None] = mapped_column(String(12))
    buurt_code: Mapped[str | None] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(16))
    age_band: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int] = mapped_column(Integer)
    no_fixed_address: Mapped[bool] = mapped_column(Boolean)
    life_areas: Mapped[int] = mapped_column(Integer)
    referral_domains: Mapped[int] = mapped_column(Integer)
    feedback: Mapped[str | None] = mapped_column(String(8))
    first_contact_seconds: Mapped[float | None] = mapped_column(Float)
    first_referral_seconds: Mapped[float | None] = mapped_column(Float)
    first_acceptance_seconds: Mapped[float | None] = mapped_column(Float)
    closure_seconds: Mapped[float | None] = mapped_column(Float)


class RequestFigure(_RequestFigureColumns, Model):
    """A request as the municipality's figures count it: one narrow row per request that is
    not merged into another, kept by :mod:`app.services.request_figures` in the transaction
    that changes the request or one of its referrals. No name, no story: the moments, the
    groups it is counted in and the times from receipt, so a year of figures reads these
    rows and not the requests. ``life_areas`` and ``referral_domains`` are bit sets in the
    order of ``referral_rules.vocabulary.LIFE_AREAS`` and ``DOMAINS``; the times are
    seconds from receipt (None: not got there yet)."""

    __tablename__ = "request_figure"
    # Covering on PostgreSQL: a year of figures is an index-only scan of these.
    __table_args__ = _figure_indexes("request_figure")

    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_request.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)


class PartnerRequestFigure(_RequestFigureColumns, Model):
    """A request as the figures count it for one partner it was referred to: the columns of
    its :class:`RequestFigure`, but the times to the first referral sent and accepted are
    those of its referrals to this partner. One row per request and partner, kept with the
    request's rows by :mod:`app.services.request_figures`, so that the figures with a
    partner chosen read one range of rows, not every referral the partner ever had."""

    __tablename__ = "partner_request_figure"
    __table_args__ = _figure_indexes("partner_request_figure", "partner_id")

    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_request.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class ReferralFigure(Model):
    """A referral as the municipality's figures count it: one narrow row per referral of a
    request that is not merged into another, kept with its request's :class:`RequestFigure`
    by :mod:`app.services.request_figures`. Besides the referral's moments, state, domain
    and partner it carries its request's groups (``received_at`` and the groups of
    :data:`FIGURE_GROUPS`), so that the referrals of a filter are counted from these rows
    alone."""

    __tablename__ = "referral_figure"
    __table_args__ = (
        Index("ix_referral_figure_made", "tenant_id", "created_at",
              postgresql_include=list(REFERRAL_FIGURE_INCLUDE)),
        Index("ix_referral_figure_sent", "tenant_id", "sent_at",
              postgresql_where=text("sent_at IS NOT NULL"),
              sqlite_where=text("sent_at IS NOT NULL"),
              postgresql_include=list(REFERRAL_FIGURE_INCLUDE)),
        # A partner's requests of a period, for the figures with a partner chosen.
        Index("ix_referral_figure_partner", "tenant_id", "partner_id", "received_at",
              postgresql_include=["request_id", "domain"]),
    )

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_request.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(16))
    domain: Mapped[str] = mapped_column(String(32))
    partner_id: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    wijk_code: Mapped[str | None] = mapped_column(String(12))
    buurt_code: Mapped[str | None] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(16))
    age_band: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int] = mapped_column(Integer)
    life_areas: Mapped[int] = mapped_column(Integer)


class Task(Model):
    """Something a person in the owning team must do."""

    __tablename__ = "task"
    __table_args__ = (
        # The figures count the requests with a task of a kind made in a period.
        Index("ix_task_kind_created", "tenant_id", "kind", "created_at",
              postgresql_include=["request_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(8), default=TASK_OPEN)  # lifecycle.TASK_STATES
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # A legal deadline of its own (a resident's request to correct or erase data: AVG
    # art. 12(3), one month); the cracks report lists it when it has passed.
    due_on: Mapped[dt.date | None] = mapped_column(Date)

    request: Mapped[SupportRequest] = relationship(back_populates="tasks")


class Notification(Model):
    """An in-app notice for one staff member. ``kind`` and ``params`` are rendered in the
    reader's language (app.vocabulary.NOTIFICATION_TEXTS); params hold no personal data."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_inbox", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("support_request.id"))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    request: Mapped[SupportRequest | None] = relationship()


class ScheduledRun(Model):
    """A scheduled job done once per period, claimed by inserting its row (e.g. the digest
    of one tenant on one day); the primary key keeps two workers from both doing it."""

    __tablename__ = "scheduled_run"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class OutboxMessage(Model):
    """A message written in the same transaction as the change it announces."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email, webhook
    recipient: Mapped[str] = mapped_column(String(500))
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    # The request a message to its resident is about: checked again at delivery, so that
    # nothing reaches a resident whose contact became unsafe after it was written.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("support_request.id"))
    # pending, sent, dead, refused (to a resident whose contact is not safe: never sent)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class CapturedMail(Model):
    """A mail delivered to the local mailbox (embedded default, MAIL_TRANSPORT=mailbox)."""

    __tablename__ = "captured_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(254))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEvent(Model):
    """Who did or saw what, when and why (NEN 7513 style). Only ever inserted."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
