"""The team queue: filters, sorting, keyset pages, counts and saved filters.

Plain query building: the view hands in the query parameters as a mapping and gets back
values; nothing here reads Flask's request. Callers use the names below
(``queue.page(...)``); the modules hold them by concern:

- :mod:`.filters`: whose queue and what it asks for (Scope, QueueFilter), parsed from the
  parameters, and what each filter means;
- :mod:`.sql`: the filters, deadlines and sort keys as SQL expressions;
- :mod:`.cursors` and :mod:`.paging`: a page by keyset;
- :mod:`.counting`: the numbers on the tabs and the dashboard;
- :mod:`.saved`: a user's saved filters.
"""

from __future__ import annotations

from app.services.queue.counting import (
    COUNT_LIMIT,
    COUNT_LIMIT_COSTLY,
    Count,
    count_limit,
    counts,
    workload,
)
from app.services.queue.cursors import Cursor, decode_cursor, encode_cursor
from app.services.queue.filters import (
    DEADLINE_KINDS,
    FILTER_NAMES,
    PRIORITIES,
    SORTS,
    STATUSES,
    Choices,
    Parsed,
    QueueFilter,
    Scope,
    choices_for,
    parse,
)
from app.services.queue.paging import PAGE_SIZE, QueuePage, page
from app.services.queue.saved import (
    SAVED_FILTER_NAME_MAX,
    SAVED_FILTERS_MAX,
    delete_filter,
    save_filter,
    saved_filter,
    saved_filters,
    stored_filter,
)
from app.services.queue.sql import (
    NO_DEADLINE,
    PRIORITY_RANK,
    deadline_key,
    filter_conditions,
    legal_due_key,
    scope_conditions,
    waiting_due,
)

__all__ = ["COUNT_LIMIT", "COUNT_LIMIT_COSTLY", "DEADLINE_KINDS", "FILTER_NAMES", "NO_DEADLINE",
           "PAGE_SIZE", "PRIORITIES", "PRIORITY_RANK", "SAVED_FILTERS_MAX",
           "SAVED_FILTER_NAME_MAX", "SORTS", "STATUSES", "Choices", "Count", "Cursor", "Parsed",
           "QueueFilter", "QueuePage", "Scope", "choices_for", "count_limit", "counts",
           "deadline_key", "decode_cursor", "delete_filter", "encode_cursor",
           "filter_conditions", "legal_due_key", "page", "parse", "save_filter",
           "saved_filter", "saved_filters", "scope_conditions", "stored_filter", "waiting_due",
           "workload"]
