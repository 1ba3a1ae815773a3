"""The unit wall, written once: a unit admin reads and changes only their own unit's data.

Every admin query and lookup goes through these functions. Another unit's object answers
404 exactly like one that does not exist, so ids reveal nothing.
"""
from sqlalchemy import select

from server import messages
from server.auth.identity import current_identity
from server.errors import ApiError, field_error
from server.extensions import db
from server.models import Unit
from server.schemas import MAX_ID


def walled_unit_id():
    """The one unit the caller is confined to, or None for a bureau admin."""
    admin = current_identity().admin
    return admin.unit_id if admin.role == "unit_admin" else None


def unit_column(model):
    """The column holding an object's unit (a Unit's own id)."""
    return model.id if model is Unit else model.unit_id


def walled_select(model):
    """SELECT of ``model`` restricted to what the caller may see."""
    query = select(model)
    unit_id = walled_unit_id()
    if unit_id is not None:
        query = query.where(unit_column(model) == unit_id)
    return query


def get_walled(model, object_id):
    """Load one object the caller may see, or answer 404."""
    obj = db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None
    walled = walled_unit_id()
    if obj is None or (walled is not None and obj.unit_id != walled):
        raise ApiError(404, "not_found", messages.HTTP_ERRORS[404][1])
    return obj


def writable_unit(unit_id, field="unit_id"):
    """The Unit the caller may write into, defaulting to their own; 422 on any other."""
    walled = walled_unit_id()
    if unit_id is None:
        if walled is None:
            raise field_error(field, messages.VALIDATION["required"])
        unit_id = walled
    unit = db.session.get(Unit, unit_id)
    if unit is None or (walled is not None and unit.id != walled):
        raise field_error(field, messages.UNIT_NOT_FOUND)
    return unit
