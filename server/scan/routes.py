"""GET /api/v1/scan/{token} for the mini-program; /q/{token} (with the rating form) and the post display page as H5."""
import base64
import datetime as dt
import time

from flask import Blueprint as FlaskBlueprint
from flask import current_app, g, make_response, redirect, render_template, request, url_for

from server import messages
from server.api import Blueprint, locks_at_first_write
from server.errors import ApiError
from server.extensions import db
from server.models import Post
from server.qr import live
from server.qr.services import code_url
from server.qr.signs import bare_png
from server.ratings import h5_form
from server.ratings import services as rating_services
from server.ratings.limits import rating_limits
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
ERROR_TITLES = {"already_rated": "already_rated_title"}

pages.after_request(rating_services.set_device_cookie)


def message_page(status, title, body=None, message=None, back=None):
    """A page of plain words (titles and bodies are keys of messages.H5) with ``status``."""
    page = render_template("h5/message.html", t=messages.H5, title=title, body=body, message=message, back=back)
    return make_response(page, status)


def error_page(error, back=None):
    """An ApiError as a page: the scanned code's own words, else the error's Chinese message."""
    if error.code == "code_expired":
        return message_page(error.status, "expired_title", "expired_body")
    if error.status in ERROR_PAGES:
        return message_page(error.status, *ERROR_PAGES[error.status])
    return message_page(error.status, ERROR_TITLES.get(error.code, "rate_failed_title"), message=error.message, back=back)


@pages.errorhandler(429)
def rate_limited_page(error):
    """The rating flood limits, answered as a page rather than the API's JSON."""
    return message_page(429, "rate_limited_title", "rate_limited_body")


@pages.route("/q/<token>")
def scan_page(token):
    """The H5 page a phone camera opens: readable without JavaScript, large type."""
    verify_file = current_app.config["WECHAT_LINK_VERIFY_FILE"]
    if verify_file and token == verify_file:
        return link_verify_file()
    try:
        scan_result = services.resolve(token, profile=True)
    except ApiError as error:
        return error_page(error)
    return profile_page(token, scan_result)


def link_verify_file():
    """WeChat's check of the 「扫普通链接二维码打开小程序」 rule: the file it issued, at /q/{name}."""
    response = make_response(current_app.config["WECHAT_LINK_VERIFY_CONTENT"])
    response.mimetype = "text/plain"
    return response


def profile_page(token, scan_result, rater=None, status=200, **form_state):
    """The public profile; for badges and windows with the rating form (``form_state``: input, errors)."""
    profile = services.public_profile(scan_result)
    form = None
    if "rate" in services.ACTIONS[scan_result.kind]:
        rater = rater or rating_services.device_rater()
        g.new_device_id = rater.new_device_id
        form = h5_form.rating_form(token, rater, **form_state)
    page = render_template(f"h5/{scan_result.kind}.html", t=messages.H5, p=profile, live=scan_result.is_live, form=form)
    response = make_response(page, status)
    if form is not None:
        # The form token is this device's own: no shared cache may keep or replay it.
        response.headers["Cache-Control"] = "no-store"
    return response


@pages.route("/q/<token>/rate", methods=["POST"])
@locks_at_first_write  # as POST /api/v1/ratings
@rating_limits
def rate_page(token):
    """The rating form's post: the API's schema and service (and flood limits), answered as pages."""
    try:
        scan_result = services.resolve(token)
        rater = rating_services.current_rater()
    except ApiError as error:
        return error_page(error)
    if not h5_form.form_token_valid(request.form.get("csrf"), token, rater):
        return profile_page(token, scan_result, rater, 400, notice=messages.H5["form_expired"])
    try:
        rating, case = h5_form.submit(rater, token, request.form)
    except ApiError as error:
        db.session.rollback()
        if error.fields:
            return profile_page(token, scan_result, rater, 422, values=h5_form.posted_values(request.form),
                                errors=h5_form.field_messages(error.fields), notice=messages.H5["form_has_errors"])
        return error_page(error, back=url_for(".scan_page", token=token))
    profile = services.public_profile(scan_result)
    page = render_template("h5/rating_thanks.html", t=messages.H5, p=profile, back=url_for(".scan_page", token=token),
                           thanks=h5_form.thanks(rating, case, profile["unit"]["name"]))
    # 201 like the API: the shared flood limits count accepted ratings by it.
    return make_response(page, 201, {"Cache-Control": "no-store"})


@pages.route("/q/<token>/rate")
def rate_page_reloaded(token):
    """A reload or bookmark of the answer page goes back to the code's page."""
    return redirect(url_for(".scan_page", token=token))


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
