"""Messages, by where they go.

- ``transport``: how a message travels. ``outbox`` adds it in the transaction of its cause;
  ``delivery`` sends it (SMTP or the local mailbox, signed webhooks) when the worker claims it.
- ``outgoing``: messages that leave the system as e-mail or webhook, written to the outbox.
  ``notices`` announce a change; ``digest`` is the daily staff e-mail of overdue items.
- ``in_app``: what staff read inside Wijkloket. ``notifications`` decides who hears what.

Asking the resident for more information is a casework use case, not a channel: it lives in
``app.services.resident_questions`` and sends its e-mail through ``outgoing.notices``.
"""
