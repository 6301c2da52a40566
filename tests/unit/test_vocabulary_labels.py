"""Every vocabulary the UI shows has a label for every code, in every language.

A code without a label is an error (``app.vocabulary.label`` raises), so this test is what
keeps the screens whole: for each vocabulary every code has a label, and every label's message
id is translated (not empty, not fuzzy) in every catalogue under ``translations/``. A failure
names the vocabulary, the code and the language.

Most codes are tuples where they mean something. Three vocabularies have no tuple because the
code is written where it is used: task kinds (``add_task`` calls and the rulesets' ``task``),
audit actions (``audit.record`` calls) and location problems (``Placement(problem=...)``).
Those are read from the source, so a new literal without a label fails here too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask_babel.speaklater import LazyString

from app import vocabulary as v
from app.admin.users import ACCOUNT_EVENT_LABELS, ACTOR_LABELS
from app.lifecycle import BACK_TO_OWNER, REFERRAL_STATES, REQUEST_STATES, TRANSITIONS
from app.services import accounts, casework
from app.services.accounts import ROLES
from app.services.casework import CONTACT_KINDS, VIEW_ACTIONS
from app.services.contracts import CONTRACT_STATES
from app.services.cracks import KINDS as CRACK_KINDS
from app.services.legal import STEPS as WMO_STEPS
from app.services.queue import DEADLINE_KINDS
from app.services.referrals import FEEDBACK_ANSWERS
from app.services.replies import AUDIENCES
from app.staff.queue import DEADLINE_CHOICES, PRIORITY_CHOICES, STATUS_CHOICES
from referral_rules import vocabulary as codes
from referral_rules.loader import load_ruleset_file

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
LANGUAGES = sorted(path.name for path in (ROOT / "translations").iterdir()
                   if (path / "LC_MESSAGES" / "messages.po").is_file())


# --- Codes written where they are used --------------------------------------------------------

def _calls(name: str) -> Iterator[tuple[Path, ast.Call]]:
    """Every call of a function or method called ``name`` in ``app/``."""
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if called == name:
                    yield path, node


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return call.args[position] if len(call.args) > position else None


def _strings(node: ast.expr, where: str, expansions: Mapping[str, Iterable[str]],
             elsewhere: Mapping[str, Iterable[str]]) -> set[str]:
    """The codes an argument can be: a literal, either side of ``a if c else b``, an f-string
    whose literal prefix ``expansions`` expands, or an expression ``elsewhere`` answers for
    (its source text as key). Anything else fails: the test must know every code."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return (_strings(node.body, where, expansions, elsewhere)
                | _strings(node.orelse, where, expansions, elsewhere))
    if isinstance(node, ast.JoinedStr) and len(node.values) == 2 \
            and isinstance(node.values[0], ast.Constant):
        prefix = str(node.values[0].value)
        if prefix in expansions:
            return {prefix + code for code in expansions[prefix]}
    source = ast.unparse(node)
    if source in elsewhere:
        return set(elsewhere[source])
    raise AssertionError(f"{where}: cannot tell which codes {source!r} can be; teach "
                         "tests/unit/test_vocabulary_labels.py where they come from")


def _ruleset_task_kinds() -> set[str]:
    rulesets = sorted((ROOT / "referral_rules" / "rulesets").glob("*.yaml"))
    found = {rule.task.kind
             for path in rulesets if not path.name.endswith(".cases.yaml")
             for rule in load_ruleset_file(path).rules if rule.task is not None}
    assert found, "the shipped rulesets name no task kinds: did the folder move?"
    return found


def _task_kinds() -> tuple[str, ...]:
    found: set[str] = set()
    for path, call in _calls("add_task"):
        if path.name == "tasks.py":
            continue
        argument = _argument(call, 2, "kind")
        assert argument is not None, f"{path}:{call.lineno}"
        found |= _strings(argument, f"{path.relative_to(ROOT)}:{call.lineno}",
                          {"referral_": BACK_TO_OWNER},
                          {"action.kind": _ruleset_task_kinds(),
                           "asked": casework.RIGHTS_KINDS})
    return tuple(sorted(found))


def _audit_actions() -> set[str]:
    found: set[str] = set()
    for path, call in _calls("record"):
        argument = _argument(call, 0, "action")
        if argument is None:
            continue
        found |= _strings(argument, f"{path.relative_to(ROOT)}:{call.lineno}",
                          {"referral.": {t for targets in TRANSITIONS.values() for t in targets},
                           "request.wmo_": WMO_STEPS},
                          {"INVITED": {accounts.INVITED}})
    return found


def _case_actions() -> tuple[str, ...]:
    """What the timeline and the access log show: actions on requests, referrals and tasks."""
    return tuple(sorted(action for action in _audit_actions()
                        if action.split(".")[0] in {"request", "referral", "task"}))


def _account_actions() -> tuple[str, ...]:
    return tuple(sorted(action for action in _audit_actions() if action.startswith("user.")))


def _location_problems() -> tuple[str, ...]:
    found: set[str] = set()
    for path, call in _calls("Placement"):
        argument = _argument(call, 99, "problem")
        if argument is not None:
            found |= _strings(argument, f"{path.relative_to(ROOT)}:{call.lineno}", {}, {})
    return tuple(sorted(found))


def _legal_deadline_kinds() -> tuple[str, ...]:
    found: set[str] = set()
    for path, call in _calls("LegalDeadline"):
        argument = _argument(call, 0, "kind")
        assert argument is not None, f"{path}:{call.lineno}"
        found |= _strings(argument, f"{path.relative_to(ROOT)}:{call.lineno}", {}, {})
    return tuple(sorted(found))


# --- The vocabularies ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Vocabulary:
    name: str
    labels: Mapping[str, LazyString]
    codes: tuple[str, ...]


VOCABULARIES = (
    Vocabulary("life areas", v.LIFE_AREA_LABELS, codes.LIFE_AREAS),
    Vocabulary("life area examples", v.LIFE_AREA_EXAMPLES, codes.LIFE_AREAS),
    Vocabulary("domains", v.DOMAIN_LABELS, codes.DOMAINS),
    Vocabulary("for whom", v.FOR_WHOM_LABELS, codes.FOR_WHOM),
    Vocabulary("urgencies", v.URGENCY_LABELS, codes.URGENCIES),
    Vocabulary("housing", v.HOUSING_LABELS, codes.HOUSING),
    Vocabulary("channels", v.CHANNEL_LABELS, codes.CHANNELS),
    Vocabulary("contact preferences", v.CONTACT_PREFERENCE_LABELS, codes.CONTACT_PREFERENCES),
    Vocabulary("outcomes", v.OUTCOME_LABELS, codes.OUTCOMES),
    Vocabulary("age bands", v.AGE_BAND_LABELS, tuple(band[0] for band in codes.AGE_BANDS)),
    Vocabulary("progression steps", v.PROGRESSION_STEP_LABELS, codes.PROGRESSION_STEPS),
    Vocabulary("products", v.PRODUCT_LABELS, codes.PRODUCTS),
    Vocabulary("funding", v.FUNDING_LABELS, codes.FUNDING),
    Vocabulary("contract states", v.CONTRACT_STATE_LABELS, CONTRACT_STATES),
    Vocabulary("request states", v.REQUEST_STATUS_LABELS, REQUEST_STATES),
    Vocabulary("referral states", v.REFERRAL_STATE_LABELS, REFERRAL_STATES),
    Vocabulary("task kinds", v.TASK_KIND_LABELS, _task_kinds()),
    Vocabulary("crack kinds", v.CRACK_LABELS, CRACK_KINDS),
    Vocabulary("contact kinds", v.CONTACT_KIND_LABELS, CONTACT_KINDS),
    Vocabulary("Wmo steps", v.WMO_STEP_LABELS, tuple(WMO_STEPS)),
    Vocabulary("legal deadlines", v.LEGAL_DEADLINE_LABELS, _legal_deadline_kinds()),
    Vocabulary("roles", v.ROLE_LABELS, tuple(ROLES)),
    Vocabulary("feedback answers", v.FEEDBACK_LABELS, FEEDBACK_ANSWERS),
    Vocabulary("reply audiences", v.REPLY_AUDIENCE_LABELS, AUDIENCES),
    Vocabulary("location problems", v.LOCATION_PROBLEM_LABELS, _location_problems()),
    # notifications.notify() refuses a kind without a text; the texts are checked for languages.
    Vocabulary("notifications", v.NOTIFICATION_TEXTS, ()),
    Vocabulary("request events", v.EVENT_LABELS, _case_actions()),
    Vocabulary("account events", ACCOUNT_EVENT_LABELS, _account_actions()),
    Vocabulary("actors", ACTOR_LABELS, ("cli", "anonymous", "system")),
    Vocabulary("queue status filter", STATUS_CHOICES, REQUEST_STATES),
    Vocabulary("queue urgency filter", PRIORITY_CHOICES, codes.URGENCIES),
    Vocabulary("queue deadline filter", DEADLINE_CHOICES, DEADLINE_KINDS),
)

CODES = [pytest.param(vocab, code, id=f"{vocab.name}-{code}")
         for vocab in VOCABULARIES for code in vocab.codes]
LABELS = [pytest.param(vocab, code, language, id=f"{vocab.name}-{code}-{language}")
          for language in LANGUAGES
          for vocab in VOCABULARIES for code in vocab.labels]


@cache
def _catalogue(language: str) -> Catalog:
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _msgid(text: LazyString) -> str:
    # lazy_gettext(msgid, **variables) keeps its arguments for the moment it is rendered.
    assert isinstance(text, LazyString), f"{text!r} is not a lazy translation (_l)"
    return str(text._args[0])


def test_the_catalogues_are_all_there():
    assert {"nl", "en", "ar", "pl", "tr", "uk"} <= set(LANGUAGES)


def test_the_codes_read_from_the_source_are_found():
    # An empty list would make every "has a label" test pass for nothing.
    assert {"crisis", "referral_declined", "home_visit", "transition_18"} <= set(_task_kinds())
    assert {"request.submitted", "referral.sent", "request.wmo_decision_taken", "task.done"} \
        <= set(_case_actions())
    assert "user.invited" in _account_actions()
    assert {"unknown_postcode", "geocoder_down"} <= set(_location_problems())
    assert set(_legal_deadline_kinds()) == {"wmo_investigation", "wmo_decision"}


@pytest.mark.parametrize(("vocab", "code"), CODES)
def test_every_code_of_a_vocabulary_has_a_label(vocab, code):
    assert code in vocab.labels, f"{vocab.name}: no label for {code!r}"


@pytest.mark.parametrize(("vocab", "code", "language"), LABELS)
def test_every_label_is_translated_in_every_language(vocab, code, language):
    msgid = _msgid(vocab.labels[code])
    message = _catalogue(language).get(msgid)
    assert message is not None, f"{vocab.name} {code!r}: {msgid!r} is not in {language}"
    assert message.string, f"{vocab.name} {code!r}: {msgid!r} has no {language} translation"
    assert not message.fuzzy, f"{vocab.name} {code!r}: the {language} translation is fuzzy"


def test_views_are_left_out_of_the_timeline_but_labelled_for_the_access_log():
    assert set(VIEW_ACTIONS) <= set(v.EVENT_LABELS)


def test_a_code_without_a_label_is_an_error_not_the_code_on_screen():
    with pytest.raises(v.MissingLabel, match="no_such_state"):
        v.label(v.REFERRAL_STATE_LABELS, "no_such_state")
    assert v.label(v.HOUSING_LABELS, None) == ""


def test_in_production_a_missing_label_is_logged_and_the_page_still_shows(caplog):
    from flask import Flask

    production = Flask("production")
    with production.app_context(), caplog.at_level("ERROR", logger="app.vocabulary"):
        assert v.label(v.REFERRAL_STATE_LABELS, "eigen_taak") == "eigen_taak"
    assert "no label for vocabulary code 'eigen_taak'" in caplog.text
    testing = Flask("testing")
    testing.testing = True
    with testing.app_context(), pytest.raises(v.MissingLabel):
        v.label(v.REFERRAL_STATE_LABELS, "eigen_taak")
