"""The shared vocabularies of Wijkloket: codes only, no labels.

One module defines them; forms, the API, the rules, geo coverage and reports import
from here. Human-readable (translated) labels live in ``app/vocabulary.py``.
"""

from __future__ import annotations

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
URGENCIES: Final = ("normaal", "spoed", "crisis")
HOUSING: Final = ("eigen_woning", "huur", "geen_vaste_woonplek", "instelling")
CHANNELS: Final = ("web", "telefoon", "balie", "huisbezoek", "partner")
#: Channels staff choose from when they log a request on a resident's behalf.
STAFF_CHANNELS: Final = ("telefoon", "balie", "huisbezoek", "partner")
CONTACT_PREFERENCES: Final = ("email", "telefoon")
#: How a completed referral ended.
OUTCOMES: Final = ("geholpen", "doorverwezen", "niet_bereikt", "afgezien")
