"""Sending queued WeChat subscribe messages after the response, never inside the request's work.

Why after the response (``response.call_on_close``) and not in the service:
- the rating (or case, or shift review) is committed before anything is sent, so a WeChat
  outage can delay or drop an alert but never lose or roll back the work that caused it;
- no database transaction is open while WeChat is called: each quota is spent with one
  atomic UPDATE and committed before its HTTP call;
- the citizen is not kept waiting for WeChat: the WSGI server calls ``close`` once the
  response is sent (the test client does so with ``buffered=True``).
Messages are queued on ``flask.g`` and dropped when the request fails (status ≥ 400), since
its transaction was rolled back. The unread notification row is the durable alert; the
WeChat message is a best-effort nudge on top (a lost one is logged, never retried).
"""
import logging

from flask import current_app, g, has_app_context

from server.alerts import subscriptions
from server.extensions import db
from server.wechat.client import wechat

log = logging.getLogger(__name__)


def queue(wechat_user_id, message):
    """Send ``message`` (a SubscribeMessage) to that WeChat user once this request has succeeded."""
    if subscriptions.template_id(message.kind):
        g.setdefault("wechat_outbox", []).append((wechat_user_id, message))


def _hand_over(response):
    """after_request: give the queued messages to the response, to be sent when it closes."""
    queued = g.pop("wechat_outbox", None)
    if queued and response.status_code < 400:
        app = current_app._get_current_object()
        response.call_on_close(lambda: send_all(app, queued))
    return response


def send_all(app, queued):
    """Send each queued message whose recipient has quota left; failures are logged, never raised."""
    if has_app_context() and current_app._get_current_object() is app:
        _send(queued)
    else:
        with app.app_context():
            _send(queued)


def _send(queued):
    for wechat_user_id, message in queued:
        try:
            template = subscriptions.template_id(message.kind)
            openid = subscriptions.spend(wechat_user_id, template)
            if openid is None:
                log.info("subscribe message %s skipped: no quota left", message.kind)
                continue
            sent = wechat().send_subscribe_message(openid, template, message.data, message.page)
            log.info("subscribe message %s %s", message.kind, "sent" if sent else "not sent")
        except Exception:  # noqa: BLE001 — an alert must never break anything else
            db.session.rollback()
            log.exception("subscribe message %s failed", message.kind)


def init_app(app):
    """Hand queued messages to every successful response."""
    app.after_request(_hand_over)
