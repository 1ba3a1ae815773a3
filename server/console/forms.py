"""Console forms: the API's marshmallow schemas read from form fields, errors kept per field.

A console form posts the same fields an API client sends as JSON, so each page validates
with the API's own schema (no rule written twice) and shows each problem next to its field.
"""
import re

from marshmallow import ValidationError
from sqlalchemy import select

from server.errors import ApiError
from server.extensions import db
from server.models import Unit
from server.schemas import local_zone

INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def form_values(form, fields=None, lists=()):
    """The posted fields as the API's JSON would carry them: blank inputs are left out, and
    fields named in ``lists`` keep every value (checkbox groups, multi-selects)."""
    values = {}
    for name in fields or form.keys():
        if name in lists:
            items = [item.strip() for item in form.getlist(name) if item.strip()]
            if items or name in form:
                values[name] = items
            continue
        value = form.get(name)
        if value is None:
            continue
        value = value.strip()
        if value != "":
            values[name] = value
    return values


def flatten_errors(messages, prefix=""):
    """marshmallow's nested error dict as {field: [message, ...]} for the templates."""
    flat = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                flat.update(flatten_errors(value, name))
            else:
                flat.setdefault(name, []).extend(value if isinstance(value, list) else [value])
    else:
        flat[prefix or "_form"] = list(messages) if isinstance(messages, list) else [messages]
    return flat


def load_form(schema, values, **kwargs):
    """Validate ``values`` with ``schema``: (data, None) or (None, {field: [messages]})."""
    try:
        return schema.load(values, **kwargs), None
    except ValidationError as error:
        return None, flatten_errors(error.messages)


def service_errors(error: ApiError):
    """A service's refusal as form errors: its field problems, or the message for the whole form."""
    if error.fields:
        return flatten_errors(error.fields)
    return {"_form": [error.message]}


def as_integer(text):
    """Form text of an integer field as a number for the API's strict schemas; anything else is
    left as typed so the schema refuses it with its own message."""
    return int(text) if isinstance(text, str) and INTEGER.fullmatch(text) else text


def as_integers(values, names):
    """``values`` with the integer fields ``names`` (single values or lists) as numbers (see as_integer)."""
    for name in names:
        if isinstance(values.get(name), list):
            values[name] = [as_integer(item) for item in values[name]]
        elif name in values:
            values[name] = as_integer(values[name])
    return values


def local_time(value, fmt="%Y-%m-%d %H:%M"):
    """An aware datetime in the bureau's time zone, as text for a page ("" for none)."""
    return value.astimezone(local_zone()).strftime(fmt) if value is not None else ""


def unit_options():
    """(id, name) of every unit, for a bureau admin's unit choice."""
    return db.session.execute(select(Unit.id, Unit.name).order_by(Unit.name, Unit.id)).all()
