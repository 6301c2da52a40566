"""Translated labels for every vocabulary the UI shows.

The codes live where they mean something (``referral_rules.vocabulary``, ``app.lifecycle``, the
services); this module only names them. Every code has a label in every language: the checks
below guard the codes this module can import, and ``tests/unit/test_vocabulary_labels.py``
checks all of them, the services' codes and the catalogues included. :func:`label` raises for
a code without a label, so a gap is an error, never a raw code on screen.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import current_app, has_app_context
from flask_babel.speaklater import LazyString

from app.i18n import _l
from app.lifecycle import (
    REFERRAL_STATES,
    REQUEST_CLOSED,
    REQUEST_IN_PROGRESS,
    REQUEST_NEW,
    REQUEST_STATES,
)
from referral_rules.vocabulary import (
    AGE_BANDS,
    CHANNELS,
    CONTACT_PREFERENCES,
    DOMAINS,
    FOR_WHOM,
    FUNDING,
    HOUSING,
    LIFE_AREAS,
    OUTCOMES,
    PRODUCTS,
    PROGRESSION_STEPS,
    URGENCIES,
)

LIFE_AREA_LABELS: dict[str, LazyString] = {
    "geld": _l("Money, debts or benefits"),
    "werk": _l("Work, school or something to do during the day"),
    "wonen": _l("Housing, or the risk of losing my home"),
    "opvoeden": _l("Raising children, or worries about a child or young person"),
    "gezondheid": _l("Health, body or mind, getting around"),
    "huishouden": _l("Running the household or taking care of myself"),
    "contact": _l("Loneliness, few people around me"),
    "verslaving": _l("Alcohol, drugs or gambling"),
    "veiligheid": _l("Safety at home, violence or abuse"),
    "mantelzorg": _l("Caring for someone close, and it is too much"),
    "anders": _l("Something else"),
}

LIFE_AREA_EXAMPLES: dict[str, LazyString] = {
    "geld": _l("For example: I have debts or cannot make ends meet."),
    "werk": _l("For example: I am looking for work or a place to go during the day."),
    "wonen": _l("For example: I have to leave my home, or I have no place to live."),
    "opvoeden": _l("For example: I worry about my child, or raising my child is hard."),
    "gezondheid": _l("For example: I am ill, I feel down, or walking is hard."),
    "huishouden": _l("For example: cleaning, cooking or washing is too hard for me."),
    "contact": _l("For example: I feel alone and would like more contact."),
    "verslaving": _l("For example: I drink, use or gamble more than I want."),
    "veiligheid": _l("For example: someone at home hurts me or threatens me."),
    "mantelzorg": _l("For example: I care for my partner or parent and it is too much."),
    "anders": _l("My question is about something else."),
}

DOMAIN_LABELS: dict[str, LazyString] = {
    "jeugd": _l("Youth help"),
    "wmo": _l("Social support (Wmo)"),
    "dagbesteding": _l("Day activities"),
    "participatie": _l("Work and re-integration"),
    "schulden": _l("Debt help"),
    "wonen": _l("Housing and shelter"),
    "veiligheid": _l("Safety at home"),
    "ggz": _l("Mental health care"),
    "verslaving": _l("Addiction care"),
    "mantelzorg": _l("Support for carers"),
    "welzijn": _l("Neighbourhood activities and welfare"),
    "wijkteam": _l("Neighbourhood team"),
}

FOR_WHOM_LABELS: dict[str, LazyString] = {
    "zelf": _l("For myself"),
    "kind": _l("For my child"),
    "ander": _l("For someone else"),
}

URGENCY_LABELS: dict[str, LazyString] = {
    "normaal": _l("Normal: it can wait a few days"),
    "spoed": _l("Soon: it has to be this week"),
    "crisis": _l("Danger or crisis: it cannot wait"),
}

HOUSING_LABELS: dict[str, LazyString] = {
    "eigen_woning": _l("Own home"),
    "huur": _l("Rented home"),
    "geen_vaste_woonplek": _l("No fixed place to live"),
    "instelling": _l("In an institution or sheltered housing"),
}

CHANNEL_LABELS: dict[str, LazyString] = {
    "web": _l("Web form"),
    "telefoon": _l("Phone call"),
    "balie": _l("Walk-in desk"),
    "huisbezoek": _l("Home visit"),
    "partner": _l("Via a partner"),
}

CONTACT_PREFERENCE_LABELS: dict[str, LazyString] = {
    "email": _l("By e-mail"),
    "telefoon": _l("By phone"),
}

REQUEST_STATUS_LABELS: dict[str, LazyString] = {
    REQUEST_NEW: _l("Received"),
    REQUEST_IN_PROGRESS: _l("Being handled"),
    REQUEST_CLOSED: _l("Closed"),
}

REFERRAL_STATE_LABELS: dict[str, LazyString] = {
    "proposed": _l("Proposed, waiting for consent"),
    "sent": _l("Sent, waiting for an answer"),
    "accepted": _l("Accepted"),
    "in_progress": _l("In progress"),
    "completed": _l("Completed"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
    "returned": _l("Returned"),
    "withdrawn": _l("Withdrawn"),
}

TASK_KIND_LABELS: dict[str, LazyString] = {
    "rights_correction": _l("The resident asks to correct data: answer within a month"),
    "rights_erasure": _l("The resident asks to erase data: answer within a month"),
    "location_unknown": _l("Location unknown: find out where the resident lives"),
    "referral_declined": _l("A referral was declined: find another route"),
    "referral_returned": _l("A referral was given back: find another route"),
    "referral_expired": _l("A referral got no answer in time: find another route"),
    "reopen_request": _l("The resident was not helped: look at the question again"),
    "home_visit": _l("Plan a home visit"),
    "consent_needed": _l("Ask the resident for consent to share"),
    "crisis": _l("Crisis: contact the resident today"),
    "transition_18": _l("Turning 18: arrange a warm handover to adult support"),
    "handover_refused": _l("The other team did not take the request over: look at it again"),
    "route_removed": _l("A route fell away after a change: withdraw the referral if needed"),
    "no_reply": _l("The resident did not answer the question: call or decide without it"),
    "no_contract": _l("No organisation has a contract for this help here: find another way"),
    "referral_held": _l("Nobody has room: the referral waits, see if the resident can wait"),
    "transfer_consent": _l("A contract ends: ask the resident for consent to share with the "
                           "new organisation"),
}

OUTCOME_LABELS: dict[str, LazyString] = {
    "geholpen": _l("Helped"),
    "doorverwezen": _l("Referred on to someone else"),
    "niet_bereikt": _l("Could not reach the resident"),
    "afgezien": _l("The resident did not want help after all"),
}

#: Steps on the path from day activities on to work (``PROGRESSION_STEPS``), in its order.
PROGRESSION_STEP_LABELS: dict[str, LazyString] = {
    "dagbesteding": _l("Day activities"),
    "vrijwilligerswerk": _l("Volunteering"),
    "beschut_werk": _l("Sheltered work"),
    "betaald_werk": _l("Paid work"),
}

FEEDBACK_LABELS: dict[str, LazyString] = {
    "ja": _l("Yes, I got the help I needed"),
    "deels": _l("Partly"),
    "nee": _l("No"),
}

#: The age bands of the municipality's figures (``referral_rules.vocabulary.AGE_BANDS``).
AGE_BAND_LABELS: dict[str, LazyString] = {
    "0-17": _l("0 to 17 years"),
    "18-22": _l("18 to 22 years"),
    "23-64": _l("23 to 64 years"),
    "65+": _l("65 years and older"),
}

#: What a municipality buys or funds (``referral_rules.vocabulary.PRODUCTS``).
PRODUCT_LABELS: dict[str, LazyString] = {
    "basisondersteuning": _l("Basic support in the neighbourhood"),
    "individuele_begeleiding": _l("Individual support (begeleiding)"),
    "dagbegeleiding": _l("Day activities with support"),
    "arbeidsmatige_activering": _l("Work-like day activities"),
    "huishoudelijke_ondersteuning": _l("Help in the household"),
    "re_integratie": _l("Help to find work (re-integration)"),
    "schuldhulpverlening": _l("Debt help"),
    "jeugdhulp": _l("Youth care"),
    "ggz": _l("Mental health care"),
    "verslavingszorg": _l("Addiction care"),
    "daklozenopvang": _l("Shelter for homeless people"),
    "beschermd_wonen": _l("Sheltered housing"),
    "opvang_geweld": _l("Shelter after violence at home"),
    "veilig_thuis": _l("Veilig Thuis (advice and reports on violence at home)"),
    "mantelzorgondersteuning": _l("Support for carers"),
}

#: How a contract is paid (``referral_rules.vocabulary.FUNDING``).
FUNDING_LABELS: dict[str, LazyString] = {
    "inkoop": _l("Bought (contract)"),
    "subsidie": _l("Grant (subsidy)"),
    "eigen_beheer": _l("The municipality's own service"),
}

#: A contract's state on a day (``app.services.contracts.state_on``).
CONTRACT_STATE_LABELS: dict[str, LazyString] = {
    "planned": _l("Not started yet"),
    "running": _l("Running"),
    "ending": _l("Ends soon"),
    "ended": _l("Ended"),
}

ROLE_LABELS: dict[str, LazyString] = {
    "staff": _l("Staff member"),
    "team_lead": _l("Team lead"),
    "partner": _l("Partner organisation"),
    "admin": _l("Administrator"),
    "beleid": _l("Policy advisor (figures only)"),
}

#: Who looked at a resident's request, as the status page says it (never a name).
RESIDENT_ROLE_LABELS: dict[str, LazyString] = {
    "staff": _l("A staff member of %(organisation)s"),
    "team_lead": _l("A team lead of %(organisation)s"),
    "partner": _l("Someone at %(organisation)s"),
    "admin": _l("An administrator of %(organisation)s"),
    "beleid": _l("A policy advisor of %(organisation)s"),
}
#: What they did (app.services.access_log.overview).
ACCESS_KIND_LABELS: dict[str, LazyString] = {
    "looked": _l("looked at your question"),
    "changed": _l("did something with your question"),
    "refused": _l("tried to open your question and was refused"),
}

log = logging.getLogger(__name__)


class MissingLabel(LookupError):
    """A vocabulary code has no label: the vocabulary changed and its labels did not."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no label for {code!r}")
        self.code = code


def _complete(labels: dict[str, LazyString], codes: tuple[str, ...], name: str) -> None:
    missing = set(codes) - set(labels)
    if missing:  # pragma: no cover - guards against a vocabulary change without labels
        raise RuntimeError(f"{name} has no label for {sorted(missing)}")


_complete(LIFE_AREA_LABELS, LIFE_AREAS, "LIFE_AREA_LABELS")
_complete(LIFE_AREA_EXAMPLES, LIFE_AREAS, "LIFE_AREA_EXAMPLES")
_complete(DOMAIN_LABELS, DOMAINS, "DOMAIN_LABELS")
_complete(FOR_WHOM_LABELS, FOR_WHOM, "FOR_WHOM_LABELS")
_complete(URGENCY_LABELS, URGENCIES, "URGENCY_LABELS")
_complete(HOUSING_LABELS, HOUSING, "HOUSING_LABELS")
_complete(CHANNEL_LABELS, CHANNELS, "CHANNEL_LABELS")
_complete(CONTACT_PREFERENCE_LABELS, CONTACT_PREFERENCES, "CONTACT_PREFERENCE_LABELS")
_complete(REQUEST_STATUS_LABELS, REQUEST_STATES, "REQUEST_STATUS_LABELS")
_complete(REFERRAL_STATE_LABELS, REFERRAL_STATES, "REFERRAL_STATE_LABELS")
_complete(PROGRESSION_STEP_LABELS, PROGRESSION_STEPS, "PROGRESSION_STEP_LABELS")
_complete(PRODUCT_LABELS, PRODUCTS, "PRODUCT_LABELS")
_complete(FUNDING_LABELS, FUNDING, "FUNDING_LABELS")


def label(labels: Mapping[str, LazyString], code: str | None) -> str:
    """The translated label for ``code``; ``""`` for no code (an optional field left empty).

    A code ``labels`` does not know is a gap: under test or in debug mode it raises
    :class:`MissingLabel`, so the completeness test and every page test see it. In production
    it is logged as an error and the code is shown, because a municipality's own ruleset may
    name a task kind that has no label yet, and a page that breaks helps nobody.
    """
    if code is None:
        return ""
    try:
        return str(labels[code])
    except KeyError:
        if not has_app_context() or current_app.testing or current_app.debug:
            raise MissingLabel(code) from None
        log.error("no label for vocabulary code %r", code)
        return code

#: Why a request has no buurt (``routing.Placement.problem``), as staff read it.
LOCATION_PROBLEM_LABELS: dict[str, LazyString] = {
    "no_fixed_address": _l("no fixed address"),
    "unknown_postcode": _l("postcode not found"),
    "unknown_address": _l("address not found"),
    "geocoder_down": _l("address service did not answer"),
    "outside_area": _l("outside this municipality"),
    "pc4_ambiguous": _l("postcode area belongs to more than one team"),
}
_complete(OUTCOME_LABELS, OUTCOMES, "OUTCOME_LABELS")
_complete(AGE_BAND_LABELS, tuple(code for code, _low, _high in AGE_BANDS), "AGE_BAND_LABELS")

#: The kinds of crack in the report (``app.services.cracks.KINDS``).
CRACK_LABELS: dict[str, LazyString] = {
    "request_without_owner": _l("Request without an owning team"),
    "request_stranded": _l("Request in progress that nobody works on"),
    "coordinator_gone": _l("Coordinator left the team or the account is closed"),
    "referral_overdue": _l("Referral without an answer past its deadline"),
    "dead_letter": _l("Message that could not be delivered"),
    "task_unassigned": _l("Task waiting more than a working day"),
    "legal_deadline_passed": _l("Legal deadline passed"),
    "rights_request_overdue": _l("Request to correct or erase data not answered in time"),
}

#: What a resident asks about their own data (``app.services.casework.RIGHTS_KINDS``).
RIGHTS_REQUEST_LABELS: dict[str, LazyString] = {
    "rights_correction": _l("To correct data (AVG art. 16)"),
    "rights_erasure": _l("To erase data (AVG art. 17)"),
}

#: Legal clocks of a request (``app.services.legal``).
LEGAL_DEADLINE_LABELS: dict[str, LazyString] = {
    "wmo_investigation": _l("Wmo: investigation done (6 weeks after the request)"),
    "wmo_decision": _l("Wmo: decision on the application (2 weeks)"),
}

#: Steps of the Wmo procedure staff record (``app.services.legal.STEPS``).
WMO_STEP_LABELS: dict[str, LazyString] = {
    "investigation_done": _l("The investigation is done"),
    "application_received": _l("The application came in"),
    "decision_taken": _l("The decision is taken"),
}

#: In-app notifications for staff (``app.messaging.in_app.notifications``), by kind.
#: Placeholders come from the notification's params: never personal data, only codes and names.
NOTIFICATION_TEXTS: dict[str, LazyString] = {
    "task": _l("%(reference)s: %(task)s"),
    "new_urgent": _l("New urgent request %(reference)s"),
    "referral_accepted": _l("%(reference)s: %(target)s accepted the referral"),
    "referral_completed": _l("%(reference)s: %(target)s finished the referral"),
    "referral_overdue": _l("%(reference)s: %(target)s did not answer in time"),
    "assigned": _l("%(reference)s: %(by)s made you the coordinator"),
    "handover_asked": _l("%(reference)s: %(team)s asks your team to take the request over"),
    "handover_accepted": _l("%(reference)s: %(team)s took the request over"),
    "resident_replied": _l("%(reference)s: the resident answered your question"),
}

#: How staff tried to reach the resident (``app.services.casework.CONTACT_KINDS``).
CONTACT_KIND_LABELS: dict[str, LazyString] = {
    "called": _l("Called"),
    "no_answer": _l("Called, no answer"),
    "spoke": _l("Talked in person"),
    "visited": _l("Home visit"),
    "not_home": _l("Home visit, nobody home"),
    "message": _l("Sent a message"),
    "letter": _l("Sent a letter"),
}

#: What happened, as the request's timeline and the access log show it (audit actions).
EVENT_LABELS: dict[str, LazyString] = {
    "request.submitted": _l("Request received"),
    "request.picked_up": _l("Picked up"),
    "request.closed": _l("Closed"),
    "request.feedback": _l("The resident answered the feedback question"),
    "request.note_added": _l("Note"),
    "request.contact_logged": _l("Contact with the resident"),
    "request.wmo_investigation_done": _l("Wmo: investigation done"),
    "request.wmo_application_received": _l("Wmo: application received"),
    "request.wmo_decision_taken": _l("Wmo: decision taken"),
    "request.viewed": _l("Viewed the request"),
    "referral.viewed": _l("Viewed the referral"),
    "access.refused": _l("Tried to open it without access (refused)"),
    "referral.created": _l("Referral made"),
    "referral.sent": _l("Referral sent"),
    "referral.accepted": _l("Referral accepted"),
    "referral.in_progress": _l("Referral started"),
    "referral.completed": _l("Referral finished"),
    "referral.declined": _l("Referral declined"),
    "referral.expired": _l("Referral expired: no answer in time"),
    "referral.returned": _l("Referral given back"),
    "referral.withdrawn": _l("Referral withdrawn"),
    "referral.reminded": _l("Reminder sent to the receiver"),
    "referral.escalated": _l("Team lead alerted: no answer"),
    "referral.released": _l("Room at the organisation: the waiting referral went on"),
    "referral.consent_given": _l("The resident agreed to share (the referral still waits)"),
    "referral.handover_started": _l("Handover to another organisation started (a contract "
                                    "ends)"),
    "referral.handover_note": _l("Handover note written for the new organisation"),
    "task.done": _l("Task done"),
    "request.assigned": _l("Coordinator chosen"),
    "request.handover_asked": _l("Handover to another team asked"),
    "request.handover_accepted": _l("Handover accepted"),
    "request.handover_refused": _l("Handover refused"),
    "request.handover_cancelled": _l("Handover cancelled"),
    "request.bsn_recorded": _l("BSN recorded"),
    "request.bsn_revealed": _l("BSN shown in full"),
    "request.life_areas_changed": _l("Subjects changed, rules run again"),
    "request.merged": _l("A duplicate was merged into this request"),
    "request.merged_into": _l("Merged into another request (a duplicate)"),
    "request.resident_asked": _l("Question to the resident"),
    "request.resident_replied": _l("Answer from the resident"),
    "request.resident_reminded": _l("Reminder to the resident: no answer yet"),
    "request.progression_recorded": _l("Step on the path to work recorded"),
    "request.progression_removed": _l("Step on the path to work removed"),
    "request.contact_unsafe": _l("Contact marked as not safe"),
    "request.rights_requested": _l("The resident asked to correct or erase data"),
    "request.contact_safe": _l("Contact is safe again"),
    "outbox.refused": _l("A message to the resident was stopped: contact is not safe"),
    "status.closed_shown": _l("Status page opened without the code word: it showed only "
                              "that the question is being handled"),
    "status.code_word_wrong": _l("A wrong code word was given on the status page"),
    "status.code_word_right": _l("The code word was given on the status page"),
}

#: Who marked a request's contact as not safe (``app.services.safe_contact``).
SAFE_CONTACT_SOURCE_LABELS: dict[str, LazyString] = {
    "resident": _l("the resident, on the form"),
    "staff": _l("a staff member"),
    "rule": _l("a rule of the municipality"),
}

#: For whom a standard text is (``app.services.replies.AUDIENCES``).
REPLY_AUDIENCE_LABELS: dict[str, LazyString] = {
    "resident": _l("The resident"),
    "partner": _l("A partner organisation"),
}
