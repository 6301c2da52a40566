"""Messages that leave the system, e-mail and webhooks, written to the outbox."""
