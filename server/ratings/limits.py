"""Flood limits on rating submissions: one budget shared by POST /api/v1/ratings and the H5 form.

The counters are shared (Flask-Limiter shared limits with fixed scopes), so a script cannot
double its allowance by alternating between the API and the form page.
"""
from flask import current_app

from server.extensions import limiter
from server.ratings.services import rater_limit_key


def _accepted(response):
    """Only a rating that landed (201, from the API or the form) spends the daily allowance."""
    return response.status_code == 201


def _setting(name):
    # Read per request, so a deployment (or a test) can change a limit without a restart.
    return lambda: current_app.config[name]


def rating_limits(view):
    """Cap every attempt per address, and accepted ratings per rater and per address."""
    view = limiter.shared_limit(_setting("RATING_RATE_LIMIT_IP"), scope="rating-accepted-ip",
                                deduct_when=_accepted)(view)
    view = limiter.shared_limit(_setting("RATING_RATE_LIMIT_RATER"), scope="rating-accepted-rater",
                                key_func=rater_limit_key, deduct_when=_accepted)(view)
    return limiter.shared_limit(_setting("RATING_ATTEMPT_LIMIT_IP"), scope="rating-attempts")(view)
