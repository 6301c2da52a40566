"""Each municipality's referral ruleset, loaded from its file and kept while it is unchanged.

Intake, referring by hand and re-running the rules all read the ruleset here.
"""

from __future__ import annotations

import logging

from app.models import Tenant
from referral_rules import Ruleset, RulesetError, load_ruleset_file, ruleset_path

log = logging.getLogger("wijkloket.intake")

_ruleset_cache: dict[str, tuple[float, Ruleset]] = {}


def ruleset_for(tenant: Tenant) -> Ruleset:
    """The tenant's ruleset, reloaded when its file changes.

    A changed file that does not validate is refused as a whole: the previous version stays
    active (and the error is logged) until the file is fixed.
    """
    path = ruleset_path(tenant.ruleset)
    mtime = path.stat().st_mtime
    cached = _ruleset_cache.get(tenant.ruleset)
    if cached is None or cached[0] != mtime:
        try:
            cached = (mtime, load_ruleset_file(path))
        except RulesetError:
            if cached is None:
                raise
            log.error("ruleset %s changed but is invalid; the previous version stays active",
                      tenant.ruleset, exc_info=True)
            cached = (mtime, cached[1])
        _ruleset_cache[tenant.ruleset] = cached
    return cached[1]
