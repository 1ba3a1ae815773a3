"""Issuing and revoking codes. A code holds only an opaque token inside an ordinary URL."""
import secrets

from flask import current_app
from sqlalchemy import select

from server import audit
from server.extensions import db
from server.models import QrCode, Unit, utcnow

TARGET_COLUMN = {"badge": "member_id", "window": "window_id", "post": "post_id"}


def new_token():
    """128 random bits, URL-safe: unguessable and short enough for a clean code."""
    return secrets.token_urlsafe(16)


def code_url(token):
    """The link printed in a code: {PUBLIC_BASE_URL}/q/{token}."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/q/{token}"


def current_code(kind, target):
    """The target's code in force (not revoked), if any."""
    column = getattr(QrCode, TARGET_COLUMN[kind])
    return db.session.scalar(
        select(QrCode).where(QrCode.kind == kind, column == target.id, QrCode.revoked_at.is_(None))
    )


def issue_code(kind, target, admin_id=None):
    """Issue a code for a member (badge), window or post; the current one is kept if any."""
    existing = current_code(kind, target)
    if existing is not None:
        return existing
    code = QrCode(kind=kind, token=new_token(), unit_id=target.unit_id, created_by_id=admin_id,
                  **{TARGET_COLUMN[kind]: target.id})
    db.session.add(code)
    db.session.flush()
    audit.record("qr.issue", "qr_code", code.id, unit_id=code.unit_id, after={"kind": kind, "target_id": target.id})
    return code


def revoke_code(code, reason=""):
    """Revoke a code: its token answers 410 from now on."""
    if code.revoked_at is None:
        code.revoked_at = utcnow()
        audit.record("qr.revoke", "qr_code", code.id, unit_id=code.unit_id, reason=reason)
    return code


def sign_content(code):
    """What the sign of ``code`` says, from its target's public profile (nothing private)."""
    from server.messages import SIGN
    from server.qr.signs import SignContent

    url = code_url(code.token)
    target = code.target
    unit_name = db.session.get(Unit, code.unit_id).name
    if code.kind == "badge":
        return SignContent(
            kind="badge", url=url,
            header=SIGN["badge_header_party"] if target.is_party_member else SIGN["badge_header_volunteer"],
            title=target.name, subtitles=[s for s in (target.post_title, unit_name) if s],
            body_label=SIGN["commitment_label"], body=target.commitment, cta=SIGN["cta_badge"],
            initial=target.name[:1],
        )
    if code.kind == "window":
        body = "；".join(target.commitments)
        limits = [f"· {t['item']}：{t['limit']}" for t in target.time_limits or []]
        if limits:
            body = "\n".join([body, SIGN["time_limits_label"], *limits]).lstrip("\n")
        return SignContent(kind="window", url=url, header=unit_name, title=target.name,
                           subtitles=[SIGN["window_header"]], body_label=SIGN["commitments_label"], body=body,
                           cta=SIGN["cta_window"])
    return SignContent(kind="post", url=url, header=unit_name, title=target.name, subtitles=[SIGN["post_header"]],
                       body_label=SIGN["service_label"], body=target.service, cta=SIGN["cta_post"])


def sign_png(code, layout):
    """The sign's PNG bytes, rendered once per content and layout and then read from qr_assets/."""
    from server.qr.signs import cached_sign_png

    return cached_sign_png(sign_content(code), layout, current_app.config["QR_OUTPUT_DIR"])
