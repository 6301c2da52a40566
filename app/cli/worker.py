"""``flask --app wsgi worker``: deliver the outbox (e-mail, webhooks)."""

from __future__ import annotations

import click


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due, then stop.")
def worker_command(once: bool) -> None:
    """Deliver outbox messages (e-mail, webhooks) until stopped."""
    from app.worker import run

    run(once=once)
