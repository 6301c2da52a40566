"""The shared vocabularies of Wijkloket: codes only, no labels.

One module defines them; forms, the API, the rules, geo coverage and reports import
from here. Human-readable (translated) labels live in ``app/vocabulary.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

#: Life areas a resident can tick (after the Zelfredzaamheid-Matrix domains).
LIFE_AREAS: Final = (
    "geld",
    "werk",
    "wonen",
    "opvoeden",
    "gezondheid",
    "huishouden",
    "contact",
    "verslaving",
    "veiligheid",
    "mantelzorg",
    "anders",
)

#: Domains a request can be routed to. ``wijkteam``: the owning wijkteam handles it itself.
DOMAINS: Final = (
    "jeugd",
    "wmo",
    "dagbesteding",
    "participatie",
    "schulden",
    "wonen",
    "veiligheid",
    "ggz",
    "verslaving",
    "mantelzorg",
    "welzijn",
    "wijkteam",
)

#: The domain that stands for "the owning wijkteam handles it itself".
OWNER_DOMAIN: Final = "wijkteam"

FOR_WHOM: Final = ("zelf", "kind", "ander")
#: How pressing a request is, as the resident says and the rules decide (a decision's
#: ``priority`` is one of these too).
URGENCY_NORMAL: Final = "normaal"
URGENCY_URGENT: Final = "spoed"
URGENCY_CRISIS: Final = "crisis"
#: Every urgency, from the least to the most pressing: this order is the one truth about
#: which is more urgent. The rules keep the most pressing priority of the rules that fire,
#: the queue sorts the most pressing first (in SQL too, from :data:`URGENCY_RANK`).
URGENCIES: Final = (URGENCY_NORMAL, URGENCY_URGENT, URGENCY_CRISIS)
#: urgency → how pressing it is: 0 for the least pressing, higher is more pressing.
URGENCY_RANK: Final[Mapping[str, int]] = MappingProxyType(
    {code: rank for rank, code in enumerate(URGENCIES)})
#: The urgencies from the most pressing down: the queue's priority order and its choices.
MOST_PRESSING_FIRST: Final = tuple(reversed(URGENCIES))
#: The urgencies above the lowest: what a team lead's workload counts as pressing.
PRESSING_URGENCIES: Final = URGENCIES[1:]
HOUSING: Final = ("eigen_woning", "huur", "geen_vaste_woonplek", "instelling")
CHANNELS: Final = ("web", "telefoon", "balie", "huisbezoek", "partner")
#: Channels staff choose from when they log a request on a resident's behalf.
STAFF_CHANNELS: Final = ("telefoon", "balie", "huisbezoek", "partner")
CONTACT_PREFERENCES: Final = ("email", "telefoon")
#: How a completed referral ended.
OUTCOMES: Final = ("geholpen", "doorverwezen", "niet_bereikt", "afgezien")
