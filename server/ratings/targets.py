"""What ratings are of: the member or window rated and its unit, loaded for a whole page at once.

Both the admins' case list and the rater's own list show each rating's target; one query per
kind of object serves a page instead of three per rating.
"""
from sqlalchemy import select

from server.extensions import db
from server.models import Member, Unit, Window


def _by_id(model, ids):
    ids = {i for i in ids if i is not None}
    return {obj.id: obj for obj in db.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}


def describe_targets(ratings):
    """{rating id: {"kind": "member"|"window", "id", "name", "unit": {"id", "name"}}} for ``ratings``."""
    members = _by_id(Member, (r.member_id for r in ratings))
    windows = _by_id(Window, (r.window_id for r in ratings))
    units = _by_id(Unit, (r.unit_id for r in ratings))
    described = {}
    for rating in ratings:
        if rating.member_id is not None:
            kind, target = "member", members[rating.member_id]
        else:
            kind, target = "window", windows[rating.window_id]
        unit = units[rating.unit_id]
        described[rating.id] = {"kind": kind, "id": target.id, "name": target.name,
                                "unit": {"id": unit.id, "name": unit.name}}
    return described
