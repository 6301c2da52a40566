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
#: Age bands of the municipality's figures: (code, lowest age, highest age or None), in
#: order. 18 to 22 is the transition from youth to adult support (Jeugdwet to Wmo).
AGE_BANDS: Final = (("0-17", 0, 17), ("18-22", 18, 22), ("23-64", 23, 64), ("65+", 65, None))
#: The path from day activities on to work (Heerlen's tender, task 3), in the order of the
#: path: a later step is a step further. People also move back a step; that is recorded too.
PROGRESSION_STEPS: Final = ("dagbesteding", "vrijwilligerswerk", "beschut_werk", "betaald_werk")
#: progression step → how far along the path it is: 0 for the first, higher is further.
PROGRESSION_RANK: Final[Mapping[str, int]] = MappingProxyType(
    {code: rank for rank, code in enumerate(PROGRESSION_STEPS)})
#: The domains whose receivers (a partner, a team) record steps on the path on their referral.
PROGRESSION_DOMAINS: Final = ("dagbesteding", "participatie")
#: What a municipality buys or funds from a partner (the lots and products of its contracts),
#: each with the domains a contract for it covers unless the contract names its own.
PRODUCT_DOMAINS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType({
    "basisondersteuning": ("welzijn", "mantelzorg"),
    "individuele_begeleiding": ("wmo",),
    "dagbegeleiding": ("dagbesteding",),
    "arbeidsmatige_activering": ("dagbesteding", "participatie"),
    "huishoudelijke_ondersteuning": ("wmo",),
    "re_integratie": ("participatie",),
    "schuldhulpverlening": ("schulden",),
    "jeugdhulp": ("jeugd",),
    "ggz": ("ggz",),
    "verslavingszorg": ("verslaving",),
    "daklozenopvang": ("wonen",),
    "beschermd_wonen": ("wonen", "ggz"),
    "opvang_geweld": ("veiligheid",),
    "veilig_thuis": ("veiligheid",),
    "mantelzorgondersteuning": ("mantelzorg",),
})
PRODUCTS: Final = tuple(PRODUCT_DOMAINS)
#: How a contract is paid: bought (inkoop), a grant (subsidie), or the municipality's own
#: service (eigen beheer, a mandate instead of a contract).
FUNDING: Final = ("inkoop", "subsidie", "eigen_beheer")
