"""The OpenAPI description of the open data (the public statistics, no token), kept beside the
figures it describes and merged into the one document by app/api/openapi.py."""

from __future__ import annotations

from typing import Any

from app.services.public_statistics import FEEDBACK_COLUMNS, FIRST_PERIOD, REFERRAL_DOMAINS
from referral_rules.vocabulary import LIFE_AREAS

_CELL = {"$ref": "#/components/schemas/PublicCell"}


def _with_categories(codes: tuple[str, ...], description: str, *,
                     own_value: bool = True) -> dict[str, Any]:
    properties: dict[str, Any] = {"categories": {
        "type": "object", "required": list(codes), "additionalProperties": False,
        "properties": {code: _CELL for code in codes}}}
    if own_value:
        properties |= {"value": {"type": ["integer", "null"]},
                       "status": {"enum": ["shown", "small", "hidden"]}}
    return {"type": "object", "description": description, "required": ["categories"],
            "properties": properties}


_FIGURES = {
    "type": "object",
    "required": ["requests", "life_areas", "referrals", "closed", "feedback", "share_helped",
                 "median_days"],
    "properties": {
        "requests": {**_CELL, "description": "Requests received in the quarter (duplicates "
                     "merged into another request left out)."},
        "life_areas": _with_categories(
            LIFE_AREAS, "Per life area, the requests received in the quarter that mention it. "
            "A request counts once in every life area it mentions, so the categories do not "
            "add up to 'requests'; their sum is not published.", own_value=False),
        "referrals": _with_categories(
            REFERRAL_DOMAINS, "Referrals sent in the quarter (to a partner or another team), "
            "in the wijk of their request: the total and per domain."),
        "closed": {**_CELL, "description": "Requests closed in the quarter (duplicates "
                   "merged into another request left out)."},
        "feedback": _with_categories(
            FEEDBACK_COLUMNS, "Of the requests closed in the quarter, those whose resident "
            "answered the feedback question (the total): helped ('ja') and not_helped "
            "('deels' or 'nee')."),
        "share_helped": {"type": "object", "description": "helped / answers in whole "
                         "percents, from the published (rounded) counts; small when the "
                         "answers are under min_count, hidden when either count is not "
                         "published.",
                         "properties": {"value": {"type": ["integer", "null"],
                                                  "minimum": 0, "maximum": 100},
                                        "status": {"enum": ["shown", "small", "hidden"]}}},
        "median_days": {"type": "object", "description": "The median of the whole days "
                        "(24 hours, rounded down) from receipt to closure of the requests "
                        "closed in the quarter (x.5 between two middle values); small when "
                        "they are under min_count.",
                        "properties": {"value": {"type": ["number", "null"], "minimum": 0},
                                       "status": {"enum": ["shown", "small", "hidden"]}}},
    },
}

SCHEMAS: dict[str, Any] = {
    "PublicCell": {
        "type": "object",
        "description": "A published count: rounded to a multiple of 'rounding' when shown; "
                       "null with status 'small' (under min_count, shown as 'fewer than "
                       "10') or 'hidden' (hidden so that a small count cannot be worked out "
                       "from the others).",
        "required": ["value", "status"],
        "properties": {"value": {"type": ["integer", "null"], "minimum": 0},
                       "status": {"enum": ["shown", "small", "hidden"]}},
    },
    "PublicStatistics": {
        "type": "object",
        "required": ["tenant", "period", "small_numbers", "wijken", "municipality"],
        "properties": {
            "tenant": {"type": "object", "properties": {
                "slug": {"type": "string"}, "name": {"type": "string"},
                "code": {"type": "string", "examples": ["GM0917"]}}},
            "period": {"type": "object", "properties": {
                "code": {"type": "string", "pattern": "^[0-9]{4}-Q[1-4]$"},
                "first_day": {"type": "string", "format": "date"},
                "last_day": {"type": "string", "format": "date"}}},
            "small_numbers": {"type": "object", "properties": {
                "min_count": {"type": "integer"}, "rounding": {"type": "integer"}}},
            "wijken": {"type": "array", "description": "The municipality's wijken by name, "
                       "and last the requests with no known wijk (no fixed address, not "
                       "placed, or outside every wijk).",
                       "items": {"type": "object", "required": ["kind", "figures"],
                                 "properties": {
                                     "kind": {"enum": ["wijk", "no_known_wijk"]},
                                     "code": {"type": ["string", "null"]},
                                     "name": {"type": ["string", "null"]},
                                     "figures": _FIGURES}}},
            "municipality": {"type": "object", "required": ["kind", "figures"],
                             "properties": {"kind": {"const": "municipality"},
                                            "figures": _FIGURES}},
        },
    },
}

_PARAMETERS = [
    {"name": "tenant", "in": "query", "required": True, "schema": {"type": "string"},
     "description": "The municipality's slug, as in /<slug>/cijfers."},
    {"name": "period", "in": "query", "required": False,
     "schema": {"type": "string", "pattern": "^[0-9]{4}-[Qq][1-4]$", "examples": ["2026-Q3"]},
     "description": f"A quarter that is over, from {FIRST_PERIOD.code} on (Dutch time); "
                    "without it, the last quarter that is over."},
]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}


_ERRORS = {"400": _error("The period is ill-formed, too early or not over yet"),
           "404": _error("No municipality with this slug")}

PATHS: dict[str, Any] = {
    "/public/statistics": {"get": {
        "summary": "A municipality's public statistics for a quarter, per wijk (open data)",
        "security": [],
        "parameters": _PARAMETERS,
        "responses": {"200": {"description": "The protected figures", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/PublicStatistics"}}}},
            **_ERRORS},
    }},
    "/public/statistics.csv": {"get": {
        "summary": "The same figures as CSV, one line per number",
        "description": "Semicolon-separated with a byte-order mark, a decimal comma (Dutch "
                       "spreadsheets). Columns: period, wijk code (the gemeentecode for the "
                       "whole municipality), wijk, figure, category, value (empty when not "
                       "published), status (shown, small, hidden).",
        "security": [],
        "parameters": _PARAMETERS,
        "responses": {"200": {"description": "The figures", "content": {
            "text/csv": {"schema": {"type": "string"}}}}, **_ERRORS},
    }},
}
