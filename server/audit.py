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


def visible_entries(actor=None, action=None, entity_type=None, unit_id=None, start=None, end=None):
    """SELECT of the entries the caller may read, newest first: a unit admin only their unit's.

    ``actor`` matches part of the actor's name; ``start``/``end`` are UTC instants [start, end).
    """
    from server.auth.walls import walled_select

    query = walled_select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor_name.contains(actor, autoescape=True))
    if action:
        query = query.where(AuditEntry.action == action)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if unit_id is not None:
        query = query.where(AuditEntry.unit_id == unit_id)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def visible_values(column):
    """The distinct values of ``column`` (e.g. AuditEntry.action) among the entries the caller may read."""
    from server.auth.walls import walled_select

    query = walled_select(AuditEntry).with_only_columns(column).distinct().order_by(column)
    return list(db.session.scalars(query))
