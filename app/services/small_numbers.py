"""How small a published count may be, per municipality: ``small_numbers`` in its tenant file.

The public statistics and the municipality's figures publish every table through the pure
library ``disclosure`` with these rules. A tenant may make them stricter, never looser than
the defaults (every count rounded to 5, every cell under 10 suppressed):

    small_numbers: {min_count: 15, rounding: 5}
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal, format_percent

from app.i18n import _
from app.models import Tenant
from disclosure import Rules, Status

#: The defaults, and the loosest rules a tenant may set.
DEFAULT = Rules()


def parse_small_numbers(value: object) -> dict[str, int] | None:
    """The tenant file's ``small_numbers`` as stored (None: the defaults); raises ValueError."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"min_count", "rounding"}:
        raise ValueError("small_numbers takes min_count and rounding, whole numbers")
    parsed: dict[str, int] = {}
    for key, floor in (("min_count", DEFAULT.min_count), ("rounding", DEFAULT.rounding)):
        if key not in value:
            continue
        number = value[key]
        if not isinstance(number, int) or isinstance(number, bool):
            raise ValueError(f"small_numbers: {key} must be a whole number")
        if number < floor:
            raise ValueError(f"small_numbers: {key} cannot be under {floor}")
        parsed[key] = number
    return parsed or None


def rules_for(tenant: Tenant) -> Rules:
    """The rules ``tenant`` publishes its tables with."""
    stored: dict[str, Any] = tenant.small_numbers or {}
    return Rules(min_count=int(stored.get("min_count", DEFAULT.min_count)),
                 rounding=int(stored.get("rounding", DEFAULT.rounding)))


def suppressed_text(cell: Any, rules: Rules) -> str | None:
    """The words for a published cell that shows no number ("fewer than 10", "hidden"), the
    same on every page and in every download; None when it shows its number. ``cell``: a
    cell of :func:`disclosure.protect` or anything with its ``status`` and ``value``."""
    if cell.status is Status.SMALL:
        return _("fewer than %(number)s", number=rules.min_count)
    if cell.status is not Status.SHOWN or cell.value is None:
        return _("hidden")
    return None


def cell_text(cell: Any, rules: Rules, *, percent: bool = False) -> str:
    """A published cell as a reader sees it: its number in the current language (a share in
    per cent with ``percent``, a fraction with one decimal), or :func:`suppressed_text`."""
    words = suppressed_text(cell, rules)
    if words is not None:
        return words
    if percent:
        return format_percent(cell.value / 100)
    if isinstance(cell.value, float):
        return format_decimal(cell.value, format="#,##0.0")
    return format_decimal(cell.value)
