"""The OpenAPI 3.1 description of the JSON API, written out by hand and tested.

Length limits come from app/limits.py, the target shape from app/targets.py: the
description states the numbers and enums the code enforces."""

from __future__ import annotations

from typing import Any

from app import limits
from app.api import open_data_schema
from app.lifecycle import REFERRAL_STATES, REQUEST_STATES
from app.services.capacity import WAITING_WEEKS_MAX
from app.targets import TARGET_KINDS
from referral_rules.vocabulary import (
    CHANNELS,
    CONTACT_PREFERENCES,
    DOMAINS,
    FOR_WHOM,
    HOUSING,
    LIFE_AREAS,
    OUTCOMES,
    PRODUCTS,
    URGENCIES,
)

_TARGET_REF = {"$ref": "#/components/schemas/ReferralTarget"}

_REFERRAL_TARGET = {
    "type": "object",
    "description": "The team or partner organisation a route or referral goes to. The key "
                   "is the one in the tenant file and in 'flask token create --partner KEY'.",
    "required": ["kind", "id", "key", "name"],
    "properties": {
        "kind": {"enum": list(TARGET_KINDS)},
        "id": {"type": "integer"},
        "key": {"type": "string", "examples": ["schuldhulp"]},
        "name": {"type": "string", "examples": ["Schuldhulp Demodorp"]},
    },
}

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "fields": {
            "type": "object",
            "description": "Per invalid field (dotted for nested ones), why it is invalid.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Wijkloket API",
            "version": "1.0.0",
            "description": "Support requests for the neighbourhood front door: intake, "
            "owner team, routes and referrals.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": _ERROR,
                "ReferralTarget": _REFERRAL_TARGET,
                **open_data_schema.SCHEMAS,
                "NewRequest": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["for_whom", "life_areas", "description", "urgency",
                                 "consent_share", "contact"],
                    "properties": {
                        "for_whom": {"enum": list(FOR_WHOM)},
                        "postcode": {"type": "string", "maxLength": limits.POSTCODE_INPUT_MAX,
                                     "examples": ["9999 AA"]},
                        "house_number": {"type": ["string", "integer"],
                                         "maxLength": limits.HOUSE_NUMBER_MAX,
                                         "examples": ["12a"]},
                        "address": {"type": "string", "maxLength": limits.ADDRESS_MAX,
                                    "description": "Street and place, when the postcode is "
                                                   "not known (geocoded when configured)",
                                    "examples": ["Akerstraat 1, Heerlen"]},
                        "no_fixed_address": {"type": "boolean"},
                        "birth_date": {"type": "string", "format": "date"},
                        "age": {"type": "integer", "minimum": limits.AGE_MIN,
                                "maximum": limits.AGE_MAX},
                        "life_areas": {"type": "array", "minItems": 1,
                                       "items": {"enum": list(LIFE_AREAS)}},
                        "description": {"type": "string", "maxLength": limits.DESCRIPTION_MAX},
                        "urgency": {"enum": list(URGENCIES)},
                        "housing": {"enum": list(HOUSING)},
                        "contact": {
                            "type": "object",
                            "description": "At least an e-mail address or a phone number.",
                            "properties": {
                                "name": {"type": "string", "maxLength": limits.NAME_MAX},
                                "email": {"type": "string", "format": "email",
                                          "maxLength": limits.EMAIL_MAX},
                                "phone": {"type": "string", "maxLength": limits.PHONE_MAX},
                                "preferred": {"enum": list(CONTACT_PREFERENCES)},
                            },
                        },
                        "consent_share": {"type": "boolean"},
                        "channel": {"enum": list(CHANNELS), "default": "web"},
                        "language": {"enum": ["nl", "en"], "default": "nl"},
                        "submission_token": {
                            "type": "string", "minLength": limits.SUBMISSION_TOKEN_MIN,
                            "maxLength": limits.SUBMISSION_TOKEN_MAX,
                            "description": "Idempotency: the same token returns the first request.",
                        },
                    },
                },
                "Request": {
                    "type": "object",
                    "required": ["reference", "status", "owner_team", "buurt_code", "routes"],
                    "properties": {
                        "reference": {"type": "string", "examples": ["WL-2026-000123"]},
                        "status": {"enum": list(REQUEST_STATES)},
                        "priority": {"enum": list(URGENCIES)},
                        "owner_team": {
                            "type": "object",
                            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                        },
                        "buurt_code": {"type": ["string", "null"]},
                        "status_url": {
                            "type": "string", "format": "uri",
                            "description": "The resident's status page (with its secret); only "
                                           "in the answer that created the request.",
                        },
                        "routes": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "domain": {"enum": list(DOMAINS)},
                                    "target": _TARGET_REF,
                                    "rule_ids": {"type": "array", "items": {"type": "string"}},
                                    "reason": {"type": "string"},
                                },
                            },
                        },
                        "referrals": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "integer"},
                                    "domain": {"enum": list(DOMAINS)},
                                    "target": _TARGET_REF,
                                    "state": {"type": "string"},
                                    "due_date": {"type": "string", "format": "date"},
                                },
                            },
                        },
                        "open_tasks": {
                            "type": "array",
                            "items": {"type": "object", "properties": {
                                "id": {"type": "integer"}, "kind": {"type": "string"},
                                "reason": {"type": "string"}}},
                        },
                        "legal_deadlines": {
                            "type": "array",
                            "description": "Wmo 2015 clocks: wmo_investigation (art. 2.3.2, "
                                           "6 weeks after the melding), wmo_decision (art. "
                                           "2.3.5, 2 weeks after the application).",
                            "items": {"type": "object", "properties": {
                                "kind": {"enum": ["wmo_investigation", "wmo_decision"]},
                                "started": {"type": "string", "format": "date"},
                                "due": {"type": "string", "format": "date"},
                                "done": {"type": ["string", "null"], "format": "date"}}},
                        },
                        "ruleset_version": {"type": "string"},
                        "created_at": {"type": "string", "format": "date-time"},
                    },
                },
                "Service": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "product": {"enum": list(PRODUCTS)},
                        "lot": {"type": ["string", "null"]},
                        "domains": {"type": "array", "items": {"enum": list(DOMAINS)}},
                        "areas": {"type": "array", "items": {"type": "string"},
                                  "description": "Buurt, wijk or gemeente codes; empty: "
                                                 "the whole municipality."},
                        "starts_on": {"type": "string", "format": "date"},
                        "ends_on": {"type": ["string", "null"], "format": "date"},
                        "accepting": {"type": "boolean"},
                        "accepts_again_on": {"type": ["string", "null"], "format": "date"},
                        "waiting_weeks": {"type": ["integer", "null"]},
                        "has_room_today": {"type": "boolean"},
                    },
                },
                "Referral": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "reference": {"type": "string"},
                        "domain": {"enum": list(DOMAINS)},
                        "target": _TARGET_REF,
                        "state": {"enum": list(REFERRAL_STATES)},
                        "due_date": {"type": "string", "format": "date"},
                        "reason": {"type": "string"},
                        "outcome": {"enum": [*OUTCOMES, None]},
                        "request": {"type": "object", "description": "What the resident "
                                    "consented to share: for whom, age, life areas, "
                                    "description, priority, contact, coordinating team. "
                                    "When contact.safe is false, contact is not safe: the "
                                    "resident's own e-mail address and phone number are "
                                    "left out (null); use contact.safe_phone at "
                                    "contact.safe_times, or the coordinating team."},
                        "taken_over_from": {
                            "oneOf": [{"$ref": "#/components/schemas/Handover"},
                                      {"type": "null"}],
                            "description": "A contract transfer: the partner whose contract "
                                           "ended, and its handover note for you."},
                        "handed_over_to": {
                            "oneOf": [{"$ref": "#/components/schemas/Handover"},
                                      {"type": "null"}],
                            "description": "A contract transfer: your contract ends and this "
                                           "partner takes the referral over. Until it answers, "
                                           "the referral stays yours and you may write "
                                           "the handover note (PUT .../handover-note)."},
                    },
                },
                "Handover": {
                    "type": "object",
                    "required": ["partner", "starts_on", "note", "note_at"],
                    "properties": {
                        "partner": {"type": "string"},
                        "starts_on": {"type": ["string", "null"], "format": "date",
                                      "description": "The new partner helps from this day."},
                        "note": {"type": ["string", "null"]},
                        "note_at": {"type": ["string", "null"], "format": "date-time"},
                        "may_write_note": {"type": "boolean"},
                    },
                },
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/requests": {
                "post": {
                    "summary": "Submit a support request",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/NewRequest"}}}},
                    "responses": {
                        "201": {"description": "Stored", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Request"}}}},
                        "400": _error_response("The body is not a JSON object"),
                        "401": _error_response("No or an invalid token"),
                        "413": _error_response("The body is too large"),
                        "422": _error_response("Invalid fields; nothing stored"),
                    },
                }
            },
            "/requests/{reference}": {
                "get": {
                    "summary": "A request of the token's municipality",
                    "parameters": [{"name": "reference", "in": "path", "required": True,
                                    "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"description": "Found", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Request"}}}},
                        "401": _error_response("No or an invalid token"),
                        "404": _error_response("No such request for this municipality"),
                    },
                }
            },
            "/referrals": {
                "get": {
                    "summary": "The referrals sent to the token's partner organisation",
                    "parameters": [{"name": "state", "in": "query", "required": False,
                                    "schema": {"enum": list(REFERRAL_STATES)}}],
                    "responses": {
                        "200": {"description": "The list", "content": {"application/json": {
                            "schema": {"type": "object", "properties": {"referrals": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Referral"}}}}}}},
                        "403": _error_response("Not a partner's token"),
                    },
                }
            },
            "/referrals/{id}": {
                "get": {
                    "summary": "One referral of the token's partner",
                    "parameters": [_ID],
                    "responses": {
                        "200": {"description": "Found", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Referral"}}}},
                        "404": _error_response("Not this partner's referral"),
                    },
                }
            },
            **{f"/referrals/{{id}}/{action}": _action(action, summary, body)
               for action, summary, body in _ACTIONS},
            "/referrals/{id}/handover-note": {
                "put": {
                    "summary": "Write or change the handover note for the partner that takes "
                               "the referral over, until that partner answers",
                    "parameters": [_ID],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"type": "object", "required": ["note"], "properties": {
                            "note": {"type": "string", "maxLength": limits.NOTE_MAX}}}}}},
                    "responses": {
                        "200": {"description": "The referral with the note", "content": {
                            "application/json": {"schema": {
                                "$ref": "#/components/schemas/Referral"}}}},
                        "403": _error_response("Not a partner's token"),
                        "404": _error_response("Not this partner's referral"),
                        "409": _error_response("Not handed over, or the new partner has "
                                               "answered"),
                        "422": _error_response("The note is empty or too long"),
                    },
                }
            },
            "/services": {
                "get": {
                    "summary": "The token's partner's services (its running and coming "
                               "contracts) with their capacity",
                    "responses": {
                        "200": {"description": "The list", "content": {"application/json": {
                            "schema": {"type": "object", "properties": {"services": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Service"}}}}}}},
                        "403": _error_response("Not a partner's token"),
                    },
                }
            },
            "/services/{key}/capacity": {
                "put": {
                    "summary": "Say whether the service takes new referrals, from which day "
                               "again, and its waiting time. Held referrals go as soon as "
                               "there is room.",
                    "parameters": [{"name": "key", "in": "path", "required": True,
                                    "schema": {"type": "string"}}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": _CAPACITY}}},
                    "responses": {
                        "200": {"description": "The service with its new capacity",
                                "content": {"application/json": {"schema": {
                                    "$ref": "#/components/schemas/Service"}}}},
                        "403": _error_response("Not a partner's token"),
                        "404": _error_response("Not this partner's service"),
                        "422": _error_response("Invalid fields; nothing changed"),
                    },
                }
            },
            **open_data_schema.PATHS,
            "/openapi.json": {
                "get": {"summary": "This description", "security": [],
                        "responses": {"200": {"description": "OpenAPI 3.1"}}}
            },
        },
    }


_CAPACITY = {
    "type": "object",
    "required": ["accepting"],
    "properties": {
        "accepting": {"type": "boolean"},
        "accepts_again_on": {"type": ["string", "null"], "format": "date",
                             "description": "When full: the first day it takes new "
                                            "referrals again (after today); null: not known."},
        "waiting_weeks": {"type": ["integer", "null"], "minimum": 0,
                          "maximum": WAITING_WEEKS_MAX},
    },
}

_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_REASON = {"type": "object", "required": ["reason"],
           "properties": {"reason": {"type": "string", "maxLength": limits.REASON_MAX}}}
_ACTIONS = (
    ("accept", "Accept the referral (state sent)", None),
    ("start", "Start working on it (state accepted)", None),
    ("decline", "Decline, with a reason; the owning team gets a task", _REASON),
    ("return", "Give an accepted referral back, with a reason", _REASON),
    ("complete", "Complete with an outcome and an optional note",
     {"type": "object", "required": ["outcome"], "properties": {
         "outcome": {"enum": list(OUTCOMES)},
         "note": {"type": "string", "maxLength": limits.REASON_MAX}}}),
)


def _action(action: str, summary: str, body: dict[str, Any] | None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": [_ID],
        "responses": {
            "200": {"description": "The referral in its new state", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Referral"}}}},
            "403": _error_response("Not a partner's token"),
            "404": _error_response("Not this partner's referral"),
            "409": _error_response("Not possible in the referral's state"),
            "422": _error_response("A reason or outcome is missing or invalid"),
        },
    }
    if body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": body}}}
    return {"post": operation}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
