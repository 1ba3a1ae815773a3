"""The append-only audit trail (操作日志): one function every change goes through."""
from server.auth.identity import current_identity
from server.extensions import db
from server.models import AuditEntry


def record(action, entity_type, entity_id, *, unit_id=None, before=None, after=None, reason="", actor=None):
    """Add an AuditEntry for the current caller (or ``actor``, e.g. the CLI) to the session."""
    if actor is None:
        identity = current_identity() if _in_request() else None
        actor = identity.actor if identity is not None else ("system", None, "system")
    actor_type, actor_id, actor_name = actor
    entry = AuditEntry(
        actor_type=actor_type, actor_id=actor_id, actor_name=actor_name, action=action,
        entity_type=entity_type, entity_id=entity_id, unit_id=unit_id,
        before=before, after=after, reason=reason,
    )
    db.session.add(entry)
    return entry


def _in_request():
    from flask import has_request_context

    return has_request_context()
