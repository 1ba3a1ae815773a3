"""GET /healthz for load balancers and monitoring: is the database reachable, and Redis?

Cheap on purpose (``SELECT 1`` and ``PING``, each with a short timeout), never rate-limited,
and outside the /api/v1 contract: 200 ``{"status": "ok", "database": "ok", "redis": "ok"}``
("redis": "not_configured" without REDIS_URL), or 503 in the error shape naming what is down.
"""
import logging

import redis
from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server import messages
from server.errors import error_response
from server.extensions import db, limiter
from server.redis_store import redis_client

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


def database_state():
    """"ok" when the database answers ``SELECT 1``, else "down"."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok"
    except (SQLAlchemyError, OSError) as exc:
        log.warning("healthz: database unreachable (%s)", type(exc).__name__)
        return "down"


def redis_state():
    """"ok" when Redis answers PING, "down" when it does not, "not_configured" without REDIS_URL."""
    client = redis_client()
    if client is None:
        return "not_configured"
    try:
        client.ping()
        return "ok"
    except redis.RedisError as exc:
        log.warning("healthz: Redis unreachable (%s)", type(exc).__name__)
        return "down"


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 when every backing service answers; 503 naming the ones that do not."""
    states = {"database": database_state(), "redis": redis_state()}
    down = [name for name, state in states.items() if state == "down"]
    if down:
        parts = [messages.HEALTH_PARTS[name] for name in down]
        response = error_response(
            503, "service_unavailable", messages.HEALTH_DOWN.format(parts="、".join(parts)),
            fields={name: [messages.HEALTH_PART_DOWN.format(part=part)] for name, part in zip(down, parts)},
        )
    else:
        response = jsonify(status="ok", **states)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    """Serve /healthz."""
    app.register_blueprint(bp)
