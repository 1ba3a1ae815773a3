"""Flask-Limiter's per-request hooks only on the routes that have a limit.

Flask-Limiter runs three hooks on every request (a check before it, rate-limit headers and the
``deduct_when`` deductions after it, a context reset on teardown) even on a route without any
limit, where they find nothing to do: about a third of a bare request's time (issue 8's
benchmark: the scan, the check-in, /healthz). This app has no default, application, meta,
blueprint or fallback limits, only limits decorated on a few views (logins, bind, the rating
follow-up; a new rating has its own budget, server/ratings/limits.py): so the hooks are
wrapped to run for those views' endpoints only.

The moment any limit that applies beyond a decorated view exists (someone sets
RATELIMIT_DEFAULT, a blueprint limit…), every endpoint counts as limited and the hooks run
everywhere, as Flask-Limiter intends. If the hooks are not found where Flask-Limiter 4 puts
them (another version), nothing is changed.

The X-RateLimit-* headers are off (RATELIMIT_HEADERS_ENABLED, server/config.py): they are not in
the contract, and reading a limit's window for them was one or two Redis round trips on every
limited request. A 429 still says when to retry: ``Retry-After`` (seconds) from the breached
limit's window, read only then.
"""
import logging
import time

from flask import request
from flask_limiter.util import get_qualified_name

log = logging.getLogger(__name__)


def add_retry_after(limiter, response):
    """A 429 from a limit without its Retry-After gets one: the seconds until the breached
    limit's window resets (at least 1). Other responses are returned as they are."""
    if response.status_code != 429 or "Retry-After" in response.headers:
        return response
    breached = limiter.current_limit
    if breached is None:
        return response
    try:
        reset_at = breached.reset_at
    except Exception:  # the counters' storage went away between the check and now
        log.warning("rate limit storage unreachable: a 429 goes without Retry-After", exc_info=True)
        return response
    response.headers["Retry-After"] = str(max(1, int(reset_at - time.time())))
    return response


def _limits_beyond_views(limiter):
    manager = limiter.limit_manager
    return bool(manager._default_limits or manager._application_limits or manager._blueprint_limits
                or limiter._meta_limits or limiter._in_memory_fallback)


def only_where_limited(app, limiter):
    """Wrap ``limiter``'s before/after/teardown hooks on ``app`` so they run only for limited endpoints."""
    before = app.before_request_funcs.get(None, [])
    after = app.after_request_funcs.get(None, [])
    teardown = app.teardown_request_funcs.get(None, [])
    check = limiter._check_request_limit
    release = limiter._Limiter__release_context
    inject = next((f for f in after if getattr(f, "func", None) is type(limiter)._Limiter__inject_headers
                   and getattr(f, "args", ()) == (limiter,)), None)
    if check not in before or release not in teardown or inject is None:
        app.after_request(lambda response: add_retry_after(limiter, response))
        return False
    known = {}

    def limited():
        endpoint = request.endpoint
        answer = known.get(endpoint)
        if answer is None:
            view = app.view_functions.get(endpoint) if endpoint else None
            name = get_qualified_name(view) if view is not None else ""
            answer = (_limits_beyond_views(limiter) or name in limiter._marked_for_limiting
                      or limiter.limit_manager.has_hints(endpoint or ""))
            if endpoint is not None:
                known[endpoint] = answer
        return answer

    def check_if_limited():
        if limited():
            return check()
        return None

    def inject_if_limited(response):
        return add_retry_after(limiter, inject(response)) if limited() else response

    def release_if_limited(error=None):
        if limited():
            release(error)

    before[before.index(check)] = check_if_limited
    after[after.index(inject)] = inject_if_limited
    teardown[teardown.index(release)] = release_if_limited
    return True
