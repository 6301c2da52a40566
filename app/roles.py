"""The roles an account can have, and the groups of roles the code asks about: named once.

Codes only (plain constants, no Flask or SQLAlchemy), so the models, the services, the views'
``roles_required``, the templates and the ``flask user`` command all read them from here.
The labels people see live in ``app/vocabulary.py`` (``ROLE_LABELS``); where each role lands
after logging in is ``app/auth.py``'s ``HOME_BY_ROLE``. A test checks that both cover
:data:`ROLES`.
"""

from __future__ import annotations

from typing import Final

#: Works in a wijkteam: the team's queue, requests, referrals and tasks.
STAFF: Final = "staff"
#: A staff member who also leads the team: dashboard, cracks report, reply templates.
TEAM_LEAD: Final = "team_lead"
#: Works for a partner organisation: sees only the referrals to that organisation.
PARTNER: Final = "partner"
#: Manages the tenant's accounts and settings; sees no casework.
ADMIN: Final = "admin"
#: The municipality's policy advisor or contract manager: reads figures (aggregates) in the
#: workspace at /beleid, never a name, a story or a request page.
BELEID: Final = "beleid"

#: Every role, in the order the administrator's pages list them.
ROLES: Final = (STAFF, TEAM_LEAD, PARTNER, ADMIN, BELEID)
#: The roles of a wijkteam's members: an account with one of them belongs to a team, works
#: from the team's queue and hears about the team's requests.
TEAM_ROLES: Final = (STAFF, TEAM_LEAD)
#: The roles that may open the municipality's workspace of figures (/beleid).
FIGURES_ROLES: Final = (BELEID, TEAM_LEAD, ADMIN)
#: The roles that may make and change the municipality's contracts with partners (the others
#: of :data:`FIGURES_ROLES` read them).
CONTRACT_ROLES: Final = (BELEID, ADMIN)
#: The roles that may transfer a partner's open referrals to a successor when its contract
#: ends (issue 14): they see counts only, never a resident.
TRANSFER_ROLES: Final = (BELEID, TEAM_LEAD, ADMIN)
#: Roles that see aggregates only: a page with casework they try to open is refused and the
#: attempt is logged in the audit (someone looking for a person where the role has none).
AGGREGATES_ONLY: Final = (BELEID,)

__all__ = ["ADMIN", "AGGREGATES_ONLY", "BELEID", "CONTRACT_ROLES", "FIGURES_ROLES", "PARTNER",
           "ROLES", "STAFF", "TEAM_LEAD", "TEAM_ROLES", "TRANSFER_ROLES"]
