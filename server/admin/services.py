"""Create, read and change managed objects behind the unit wall, with an audit entry each."""
from flask import current_app
from sqlalchemy import select

from server import audit, messages
from server.auth.identity import current_identity
from server.auth.walls import get_walled, unit_column, walled_select, walled_unit_id, writable_unit
from server.errors import ApiError, field_error
from server.extensions import db
from server.models import Post, Unit
from server.shifts.geo import distance_m

BUREAU_ONLY_UNIT_FIELDS = ("name", "type", "is_red_station")
# Where a post may be: a box around China's territory (Hainan's southern islands to Heilongjiang,
# Xinjiang to Heilongjiang's east), so swapped or mistyped coordinates are caught before printing.
CHINA_LAT = (3.8, 53.6)
CHINA_LNG = (73.4, 135.1)


def audit_snapshot(schema):
    """What the audit trail keeps of an object of ``schema``: its own fields, not its nested unit."""
    return schema(exclude=("unit",) if "unit" in schema._declared_fields else ()).dump


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
    if isinstance(obj, Post):
        check_post_in_china(obj.lat, obj.lng)


def check_post_in_china(lat, lng):
    """422 on both coordinates when a post's location lies outside China (swapped or mistyped)."""
    if CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1]:
        return
    message = messages.POST_OUTSIDE_CHINA.format(lat_min=CHINA_LAT[0], lat_max=CHINA_LAT[1],
                                                 lng_min=CHINA_LNG[0], lng_max=CHINA_LNG[1])
    raise ApiError(422, "validation_error", messages.HTTP_ERRORS[422][1], fields={"lat": [message], "lng": [message]})


def post_far_from_unit(post):
    """The distance warning for a post further than POST_MAX_DISTANCE_KM from every other post of its
    unit (a digit typed wrong moves a post by tens of kilometres), or None.

    A unit's posts lie along one road or around one hall; one far from all the others is more
    likely a typing mistake than a new site, so the console asks the admin to confirm it.
    """
    limit_km = current_app.config["POST_MAX_DISTANCE_KM"]
    if not limit_km:
        return None
    others = db.session.execute(
        select(Post.name, Post.lat, Post.lng).where(Post.unit_id == post.unit_id, Post.id != post.id)
    ).all()
    if not others:
        return None
    nearest = min(others, key=lambda other: distance_m(post.lat, post.lng, other.lat, other.lng))
    km = distance_m(post.lat, post.lng, nearest.lat, nearest.lng) / 1000
    if km <= limit_km:
        return None
    return messages.POST_FAR_FROM_UNIT.format(post=nearest.name, km=f"{km:.0f}", limit=f"{limit_km:g}")


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
