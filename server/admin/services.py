"""Create, read and change managed objects behind the unit wall, with an audit entry each."""
from sqlalchemy import select

from server import audit, messages
from server.auth.identity import current_identity
from server.auth.walls import get_walled, unit_column, walled_select, walled_unit_id, writable_unit
from server.errors import ApiError, field_error
from server.extensions import db
from server.models import Post, Unit

BUREAU_ONLY_UNIT_FIELDS = ("name", "type", "is_red_station")


def list_objects(model, args):
    """SELECT of the caller's visible objects, filtered by unit_id and a name fragment."""
    query = walled_select(model)
    if args.get("unit_id"):
        query = query.where(unit_column(model) == args["unit_id"])
    if args.get("q"):
        query = query.where(model.name.contains(args["q"], autoescape=True))
    return query.order_by(model.id)


def create_object(model, data, snapshot):
    """Create ``model`` from validated ``data`` in a unit the caller may write into."""
    check_unique(model, data)
    if model is Unit:
        obj = Unit()
    else:
        obj = model(unit_id=writable_unit(data.pop("unit_id", None)).id)
    _apply(obj, data)
    db.session.add(obj)
    db.session.flush()
    check_rules(obj)
    audit.record(f"{model.__tablename__}.create", model.__tablename__, obj.id, unit_id=obj.unit_id, after=snapshot(obj))
    return obj


def update_object(model, object_id, data, snapshot):
    """Apply a PATCH to an object the caller may see; moving it needs write access to both units."""
    obj = get_walled(model, object_id)
    before = snapshot(obj)
    check_unique(model, data, exclude_id=obj.id)
    if model is Unit:
        _check_unit_fields(data)
    elif "unit_id" in data:
        obj.unit_id = writable_unit(data.pop("unit_id")).id
    _apply(obj, data)
    db.session.flush()
    check_rules(obj)
    after = snapshot(obj)
    if after != before:
        audit.record(f"{model.__tablename__}.update", model.__tablename__, obj.id, unit_id=obj.unit_id,
                     before=before, after=after)
    return obj


def _apply(obj, data):
    for name, value in data.items():
        setattr(obj, name, value)


def _check_unit_fields(data):
    """A unit admin may keep their unit's address and settings; naming and designation are the bureau's."""
    if walled_unit_id() is None:
        return
    refused = {name: [messages.BUREAU_ONLY] for name in BUREAU_ONLY_UNIT_FIELDS if name in data}
    if refused:
        raise ApiError(403, "forbidden", messages.BUREAU_ONLY, fields=refused)


def check_rules(obj):
    """Rules that span fields and stored values (a PATCH may send only one side)."""
    if isinstance(obj, Post) and obj.default_shift_minutes > obj.max_open_minutes:
        raise field_error("default_shift_minutes", messages.VALIDATION["range_max"].format(max=obj.max_open_minutes))


def require_bureau():
    """403 unless the caller is a bureau admin."""
    if current_identity().admin.role != "bureau_admin":
        raise ApiError(403, "forbidden", messages.BUREAU_ONLY)


def check_unique(model, data, exclude_id=None):
    """409 naming the field when a unit's name is already taken (the unique key stays the guard)."""
    if model is not Unit or "name" not in data:
        return
    query = select(Unit.id).where(Unit.name == data["name"])
    if exclude_id is not None:
        query = query.where(Unit.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise ApiError(409, "name_taken", messages.NAME_TAKEN, fields={"name": [messages.NAME_TAKEN]})
