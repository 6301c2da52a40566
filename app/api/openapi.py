"""The OpenAPI 3.1 description of the JSON API, written out by hand and tested."""

from __future__ import annotations

from typing import Any

from referral_rules.vocabulary import (
    CHANNELS,
    CONTACT_PREFERENCES,
    DOMAINS,
    FOR_WHOM,
    HOUSING,
    LIFE_AREAS,
    URGENCIES,
)

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
                "NewRequest": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["for_whom", "life_areas", "description", "urgency",
                                 "consent_share", "contact"],
                    "properties": {
                        "for_whom": {"enum": list(FOR_WHOM)},
                        "postcode": {"type": "string", "examples": ["9999 AA"]},
                        "house_number": {"type": ["string", "integer"], "examples": ["12a"]},
                        "address": {"type": "string", "maxLength": 200,
                                    "description": "Street and place, when the postcode is "
                                                   "not known (geocoded when configured)",
                                    "examples": ["Akerstraat 1, Heerlen"]},
                        "no_fixed_address": {"type": "boolean"},
                        "birth_date": {"type": "string", "format": "date"},
                        "age": {"type": "integer", "minimum": 0, "maximum": 120},
                        "life_areas": {"type": "array", "minItems": 1,
                                       "items": {"enum": list(LIFE_AREAS)}},
                        "description": {"type": "string", "maxLength": 4000},
                        "urgency": {"enum": list(URGENCIES)},
                        "housing": {"enum": list(HOUSING)},
                        "contact": {
                            "type": "object",
                            "description": "At least an e-mail address or a phone number.",
                            "properties": {
                                "name": {"type": "string", "maxLength": 200},
                                "email": {"type": "string", "format": "email"},
                                "phone": {"type": "string"},
                                "preferred": {"enum": list(CONTACT_PREFERENCES)},
                            },
                        },
                        "consent_share": {"type": "boolean"},
                        "channel": {"enum": list(CHANNELS), "default": "web"},
                        "language": {"enum": ["nl", "en"], "default": "nl"},
                        "submission_token": {
                            "type": "string", "minLength": 8, "maxLength": 64,
                            "description": "Idempotency: the same token returns the first request.",
                        },
                    },
                },
                "Request": {
                    "type": "object",
                    "required": ["reference", "status", "owner_team", "buurt_code", "routes"],
                    "properties": {
                        "reference": {"type": "string", "examples": ["WL-2026-000123"]},
                        "status": {"enum": ["new", "in_progress", "closed"]},
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
                                    "target": {"type": "object"},
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
                                    "target": {"type": "string"},
                                    "state": {"type": "string"},
                                    "due_date": {"type": "string", "format": "date"},
                                },
                            },
                        },
                        "ruleset_version": {"type": "string"},
                        "created_at": {"type": "string", "format": "date-time"},
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
            "/openapi.json": {
                "get": {"summary": "This description", "security": [],
                        "responses": {"200": {"description": "OpenAPI 3.1"}}}
            },
        },
    }


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
