"""The ``flask --app wsgi …`` commands, one module per command group.

``register`` adds them to the application; the modules are imported here and nowhere else.
"""

from __future__ import annotations

from flask import Flask

from app.cli import (
    cracks,
    demo,
    figures,
    geo,
    partners,
    rules,
    tenants,
    tokens,
    users,
    worker,
)


def register(app: Flask) -> None:
    """Add every command group (and the single commands) to ``app.cli``."""
    for command in (tenants.tenant_cli, tokens.token_cli, demo.demo_cli, worker.worker_command,
                    users.user_cli, geo.geo_cli, rules.rules_cli, cracks.cracks_command,
                    figures.figures_cli,
                    partners.partner_cli):
        app.cli.add_command(command)
