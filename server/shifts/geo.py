"""The geofence of a volunteer post: is the phone's reported location within the post's radius?

Rule (PRODUCT.md "Check-in must be honest"): the great-circle (haversine) distance from the
post to the reported point, less the reported accuracy — but never less by more than
ACCURACY_ALLOWANCE_M — must be at most the post's radius:

    inside  ⇔  distance − min(accuracy, 50 m) ≤ radius

A phone's accuracy is the radius of its uncertainty, so a point just outside the fence may
be a member standing just inside it; the allowance is capped so that a vague fix (a
2-km cell-tower guess) cannot stretch the fence. A fix vaguer than MAX_ACCURACY_M tells
nothing about where the member is and is refused at check-in (422 ``location_inaccurate``).
"""
import math
from dataclasses import dataclass

# The mean Earth radius (IUGG); the haversine error against the ellipsoid is < 0.5 % — under
# 1.5 m at a 300-m fence.
EARTH_RADIUS_M = 6_371_008.8
ACCURACY_ALLOWANCE_M = 50
MAX_ACCURACY_M = 500


def distance_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres between two points given in degrees (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class Fix:
    """Where a reported location lies relative to a post's fence."""

    distance_m: float
    inside: bool

    @property
    def whole_metres(self):
        """The distance as shown to people: whole metres."""
        return int(round(self.distance_m))


def locate(post, lat, lng, accuracy_m):
    """The Fix of a reported location (degrees, accuracy in metres) against ``post``'s fence."""
    distance = distance_m(post.lat, post.lng, lat, lng)
    allowance = min(max(accuracy_m or 0.0, 0.0), ACCURACY_ALLOWANCE_M)
    return Fix(distance, distance - allowance <= post.radius_m)


def is_vague(accuracy_m):
    """True when a fix is too vague to place the member at all."""
    return accuracy_m is None or accuracy_m > MAX_ACCURACY_M
