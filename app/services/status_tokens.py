"""The secret in a resident's status link: derived from the request, never stored.

Intake puts it in the confirmation, notices put it in every e-mail to the resident, and the
status page checks it. Its own module, so none of those has to import another for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import SupportRequest, Tenant


def status_token(request: SupportRequest) -> str:
    """The secret that opens a request's status page (with its reference).

    Derived, not stored: HMAC of the request's salt and reference under SECRET_KEY, so every
    e-mail can carry the link and a new salt revokes it.
    """
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"status:{request.status_salt}:{request.reference}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:16]


def request_by_status_token(tenant: Tenant, reference: str, token: str) -> SupportRequest | None:
    """The request when reference and token match; None otherwise (no hint which was wrong)."""
    request = db.session.scalar(select(SupportRequest).where(
        SupportRequest.tenant_id == tenant.id, SupportRequest.reference == reference.upper()))
    if request is None or not hmac.compare_digest(status_token(request), token or ""):
        return None
    return request
