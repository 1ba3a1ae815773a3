"""GET /api/v1/scan/{token} for the mini-program; /q/{token} and the post display page as H5."""
import base64
import datetime as dt
import time

from flask import Blueprint as FlaskBlueprint
from flask import current_app, render_template, request

from server import messages
from server.api import Blueprint
from server.errors import ApiError
from server.extensions import db
from server.models import Post
from server.qr import live
from server.qr.services import code_url
from server.qr.signs import bare_png
from server.scan import schemas, services
from server.schemas import local_zone

bp = Blueprint("scan", __name__, url_prefix="/api/v1", description="扫码 The scan")
pages = FlaskBlueprint("h5", __name__)


@bp.route("/scan/<token>")
@bp.errors(404, 410)
@bp.response(200, schemas.ScanSchema)
def scan(token):
    """The public profile behind a scanned code, and what the scanner can do with it."""
    return services.scan_view(token)


ERROR_PAGES = {404: ("not_found_title", "not_found_body"), 410: ("revoked_title", "revoked_body")}


@pages.route("/q/<token>")
def scan_page(token):
    """The H5 page a phone camera opens: readable without JavaScript, large type."""
    try:
        scan_result = services.resolve(token)
    except ApiError as error:
        title, body = ERROR_PAGES[error.status]
        if error.code == "code_expired":
            title, body = "expired_title", "expired_body"
        return render_template("h5/message.html", t=messages.H5, title=title, body=body), error.status
    profile = services.public_profile(scan_result)
    return render_template(f"h5/{scan_result.kind}.html", t=messages.H5, p=profile, live=scan_result.is_live)


@pages.route("/posts/<int:post_id>/display")
def post_display(post_id):
    """The rotating check-in code for a screen at the post; reloads itself before the code expires."""
    post = db.session.get(Post, post_id)
    if post is None or not live.check_display_key(post, request.args.get("key")):
        return render_template("h5/message.html", t=messages.H5, title="not_found_title", body="not_found_body"), 404
    code, expires = live.live_code(post)
    image = base64.b64encode(bare_png(code_url(code), size_px=720)).decode()
    expires_at = dt.datetime.fromtimestamp(expires, dt.timezone.utc).astimezone(local_zone())
    # Reload when the next code starts, well before this one stops being accepted.
    refresh = max(1, min(live.STEP_SECONDS, int(expires - live.STEP_SECONDS - time.time()) + 1))
    return render_template("h5/display.html", t=messages.H5, post=post, image=image,
                           expires_at=expires_at.strftime("%H:%M:%S"), refresh=refresh,
                           unit=post.unit.name, base=current_app.config["PUBLIC_BASE_URL"])
