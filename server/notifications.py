"""Alerting admins: an unread notification in the console/API for each admin of the unit."""
from sqlalchemy import select

from server.extensions import db
from server.models import Admin, Notification


def unit_admins(unit_id):
    """The unit admins of ``unit_id``."""
    return db.session.scalars(select(Admin).where(Admin.role == "unit_admin", Admin.unit_id == unit_id)).all()


def notify_unit_admins(unit_id, kind, title, body="", case_id=None, shift_id=None):
    """Add an unread Notification for every admin of the unit; returns them."""
    notes = [
        Notification(admin_id=admin.id, unit_id=unit_id, kind=kind, title=title, body=body, case_id=case_id,
                     shift_id=shift_id)
        for admin in unit_admins(unit_id)
    ]
    db.session.add_all(notes)
    return notes
