"""A member's shifts: check-in, check-out, claims (补录), and closing forgotten check-outs.

The rules (PRODUCT.md "Check-in must be honest", "A member cannot be in two places at once",
"A forgotten check-out", "Missed check-in", "Hours are evidence"):

- **Check-in** with a post's printed code needs the phone's location inside the post's fence
  (server/shifts/geo.py: distance − min(accuracy, 50 m) ≤ radius; accuracy worse than 500 m
  is refused). With the post's live code (server/qr/live.py, valid ≤ 60 s) no location is
  needed; one sent is recorded, and a point outside the fence flags ``out_of_range_in``.
- **One open shift per member**, held by the database (the partial unique index
  ``uq_shift_one_open_per_member``), so of two concurrent check-ins one wins and the other
  answers 409 ``shift_open`` naming the open shift.
- **Idempotent check-in**: the mini-program sends a ``client_id`` per check-in; sending it
  again (a retry after a lost answer) returns the shift it created, whatever else the retry
  says — checked first, and again when the unique key (member_id, client_id) refuses a
  racing insert.
- **Offline** (``occurred_at``): an action queued without network is accepted up to
  OFFLINE_MAX_DELAY (24 h) after it happened, and up to CLOCK_SKEW (2 min) in the future.
  Within CLOCK_SKEW of the server's clock it is an ordinary online action at the server's
  time; older, the shift is marked ``offline`` and flagged ``offline`` (never approved
  automatically), its time is ``occurred_at``, a live code is judged at that moment, and it
  must not overlap another shift of the member (409 ``shift_overlap``).
- **Check-out**: minutes are whole minutes from check-in to check-out (floor). A location
  outside the fence is recorded and flags ``out_of_range_out`` (no location at all flags
  ``no_location_out``); the check-out itself never fails for it. Open longer than the post's
  ``max_open_minutes`` → ``needs_review`` without minutes, flagged ``open_too_long``;
  otherwise ``pending``, then the unit's auto-approval may approve it (server/shifts/review.py).
- **Forgotten check-out**: a shift still open past its post's limit is closed as
  ``needs_review`` without minutes, ``ended_at`` = the moment the limit ran out, flagged
  ``open_too_long``, with an AuditEntry ``shift.close_stale`` — by ``flask close-stale-shifts``
  and whenever the member's shifts are read (check-in, claims, /me/shifts, /me/hours).
- **Claims** (补录): a past span at a post with a reason: it must end after it starts, last at
  most CLAIM_MAX_SPAN (12 h, the daily hard cap), not end in the future, start at most
  CLAIM_MAX_AGE (30 days) ago and overlap no other shift of the member (rejected ones aside);
  it is ``pending``, flagged ``claim``, and never approved automatically.
- **Posts of other units**: a member may serve (check in, claim) at any unit's post — the
  service-area desk takes volunteers from every unit. The shift belongs to the post's unit,
  whose admins review it.
"""
import datetime as dt

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from server import audit, messages, take_sqlite_write_lock
from server.errors import ApiError, field_error
from server.extensions import commit_keeping_loaded, db
from server.models import Member, Post, Shift, shift_status, utcnow
from server.scan.services import resolve
from server.schemas import MAX_ID, local_zone, paginate
from server.shifts import geo
from server.shifts.hours import member_totals
from server.shifts.review import maybe_auto_approve

OFFLINE_MAX_DELAY = dt.timedelta(hours=24)
CLOCK_SKEW = dt.timedelta(minutes=2)
CLAIM_MAX_SPAN = dt.timedelta(hours=12)
CLAIM_MAX_AGE = dt.timedelta(days=30)


# --- small pieces ---

def lock_member(member_id):
    """Serialise one member's shift writes (PostgreSQL: lock the member's row).

    The open-shift rule is held by the unique index anyway; the lock keeps the overlap checks
    of offline check-ins and claims honest too. SQLite serialises every writing request with
    its one write lock, and its SELECT … FOR UPDATE would lock nothing: not sent there. A check-in
    (locks_at_first_write) takes that lock here, after reading its caller and its code.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        take_sqlite_write_lock(connection)
        return
    connection.execute(LOCK_MEMBER, {"member_id": member_id})


# Built once (only the id is a parameter), and run as Core: the ORM has nothing to load here.
LOCK_MEMBER = select(Member.id).where(Member.id == bindparam("member_id")).with_for_update()


def local_label(moment):
    """A time as the member reads it in a message: 11月22日 09:30."""
    local = moment.astimezone(local_zone())
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def shift_ref(shift):
    """A shift named in an error body: {"id", "post": {"id", "name"}, "started_at", "ended_at"}."""
    zone = local_zone()
    return {
        "id": shift.id, "post": {"id": shift.post.id, "name": shift.post.name},
        "started_at": shift.started_at.astimezone(zone).isoformat(),
        "ended_at": shift.ended_at.astimezone(zone).isoformat() if shift.ended_at else None,
    }


def with_flag(flags, flag):
    """``flags`` (a JSON list) with ``flag`` added once, as a new list so the change is saved."""
    flags = list(flags or [])
    return flags if flag in flags else [*flags, flag]


def event_time(occurred_at, now):
    """(when the action happened, whether it was queued offline) — see the module's rules."""
    if occurred_at is None:
        return now, False
    if occurred_at > now + CLOCK_SKEW:
        raise ApiError(422, "occurred_in_future", messages.SHIFT_OCCURRED_IN_FUTURE,
                       fields={"occurred_at": [messages.SHIFT_OCCURRED_IN_FUTURE]})
    if now - occurred_at > OFFLINE_MAX_DELAY:
        raise ApiError(422, "too_late", messages.SHIFT_OFFLINE_TOO_LATE,
                       fields={"occurred_at": [messages.SHIFT_OFFLINE_TOO_LATE]})
    if now - occurred_at <= CLOCK_SKEW:
        return now, False
    return occurred_at, True


def open_shift_of(member_id):
    """The member's open shift, or None."""
    return db.session.scalar(select(Shift).where(Shift.member_id == member_id, Shift.status == shift_status("open")))


def refuse_if_open(member_id):
    """409 ``shift_open`` naming the member's open shift, if they have one."""
    shift = open_shift_of(member_id)
    if shift is not None:
        raise ApiError(409, "shift_open", messages.SHIFT_OPEN.format(post=shift.post.name,
                                                                    started=local_label(shift.started_at)),
                       extra={"open_shift": shift_ref(shift)})


def refuse_overlap(member_id, start, end=None):
    """409 ``shift_overlap`` when [start, end) (end None: still open) meets another shift of the member.

    Rejected shifts do not count; an open shift counts as lasting until now and beyond.
    """
    query = select(Shift).where(
        Shift.member_id == member_id, Shift.status != "rejected",
        or_(Shift.ended_at.is_(None), Shift.ended_at > start))
    if end is not None:
        query = query.where(Shift.started_at < end)
    other = db.session.scalars(query.order_by(Shift.started_at).limit(1)).first()
    if other is not None:
        when = local_label(other.started_at) + (f"—{local_label(other.ended_at)}" if other.ended_at else "")
        raise ApiError(409, "shift_overlap", messages.SHIFT_OVERLAP.format(post=other.post.name, when=when),
                       extra={"overlapping_shift": shift_ref(other)})


# What a check-in asks first, in one query: the member's shift with the request's client_id (a
# retry) and their open shifts, with the post's limit (a forgotten check-out is closed first).
CHECK_IN_STATE = (
    select(Shift.id, Shift.client_id, Shift.status, Shift.started_at, Post.max_open_minutes)
    .join(Post, Post.id == Shift.post_id)
    .where(Shift.member_id == bindparam("member_id"),
           or_(Shift.status == shift_status("open"), Shift.client_id == bindparam("client_id"))))


def check_in_state(member_id, client_id, now):
    """(id of the shift the member's ``client_id`` created or None, whether the member has an open
    shift, whether one is a forgotten check-out past its post's limit at ``now``)."""
    rows = db.session.connection().execute(CHECK_IN_STATE, {"member_id": member_id, "client_id": client_id}).all()
    earlier_id = next((row.id for row in rows if row.client_id == client_id), None)
    open_rows = [row for row in rows if row.status == "open"]
    stale = any(stale_limit(row.started_at, row.max_open_minutes, now) for row in open_rows)
    return earlier_id, bool(open_rows), stale


def shift_by_client_id(member_id, client_id):
    """The shift the member's check-in ``client_id`` created, or None."""
    return db.session.scalar(select(Shift).where(Shift.member_id == member_id, Shift.client_id == client_id))


def post_of_code(token, at):
    """(Post, source) of a scanned token judged at ``at``: "scan" (printed code) or "live"."""
    scan = resolve(token, now=at.timestamp(), kinds=("post",))
    if scan.kind != "post":
        raise ApiError(422, "not_a_post_code", messages.SHIFT_NOT_A_POST_CODE)
    return scan.target, "live" if scan.is_live else "scan"


def check_in_fix(post, source, lat, lng, accuracy_m):
    """The check-in location's Fix against the fence (None when none was sent to a live code).

    A printed code refuses a missing, vague or outside location; a live code takes any.
    """
    if source == "scan":
        missing = {name: [messages.SHIFT_LOCATION_FIELD_REQUIRED]
                   for name, value in (("lat", lat), ("lng", lng), ("accuracy_m", accuracy_m)) if value is None}
        if missing:
            raise ApiError(422, "location_required", messages.SHIFT_LOCATION_REQUIRED, fields=missing)
        if geo.is_vague(accuracy_m):
            message = messages.SHIFT_LOCATION_INACCURATE.format(max=geo.MAX_ACCURACY_M)
            raise ApiError(422, "location_inaccurate", message, fields={"accuracy_m": [message]})
    if lat is None or lng is None:
        return None
    fix = geo.locate(post, lat, lng, accuracy_m)
    if source == "scan" and not fix.inside:
        raise ApiError(422, "out_of_range",
                       messages.SHIFT_OUT_OF_RANGE.format(distance=fix.whole_metres, radius=post.radius_m),
                       extra={"distance_m": fix.whole_metres, "radius_m": post.radius_m})
    return fix


# --- check-in ---

def check_in(member, token, client_id, lat=None, lng=None, accuracy_m=None, occurred_at=None):
    """Open a shift for ``member`` at the post behind ``token``; returns (shift, created).

    ``created`` is False when ``client_id`` was seen before: the answer is that same shift.
    Under the member's lock, one query tells whether ``client_id`` was seen, whether a shift is
    open and whether it is a forgotten one to close first.

    The code is read before the lock: it does not depend on the member's shifts, and the lock is
    held the shorter for it (on SQLite it is the database's one write lock). What the code says
    against the check-in is raised where it was before, after the retry check, so a retry whose
    live code has expired since still gets its shift.
    """
    member_id = member.id
    at, offline = event_time(occurred_at, utcnow())
    try:
        located = post_of_code(token, at)
    except ApiError as refused:
        located = refused
    lock_member(member_id)
    now = utcnow()
    earlier_id, seen_open, stale = check_in_state(member_id, client_id, now)
    if stale:
        # A forgotten check-out (rare): closing it commits, which ends the lock; then take both again.
        close_stale_shifts(member_id=member_id, now=now)
        lock_member(member_id)
        earlier_id, seen_open, _ = check_in_state(member_id, client_id, now)
    if earlier_id is not None:
        return db.session.get(Shift, earlier_id), False
    try:
        return open_shift(member_id, located, client_id, lat, lng, accuracy_m, at, offline, seen_open), True
    except IntegrityError:
        # A concurrent request's insert came first; the unique keys made us second.
        db.session.rollback()
        return lost_race(member_id, client_id)
    except ApiError:
        # The same check-in sent twice at once: the first may have committed since we looked,
        # and the refusal (shift_open, shift_overlap) is then about our own shift.
        db.session.rollback()
        earlier = shift_by_client_id(member_id, client_id)
        if earlier is not None:
            return earlier, False
        raise


def open_shift(member_id, located, client_id, lat, lng, accuracy_m, at, offline, seen_open=True):
    """Check the rules of a new check-in and insert its shift (IntegrityError when a race is lost).

    ``located``: post_of_code's (post, source) for the check-in's time ``at``, or the ApiError it
    raised. ``seen_open``: whether the member's open shift was already seen under the member's lock
    (False: none, so not looked for again; the unique index still refuses one that got in meanwhile).
    """
    if isinstance(located, ApiError):
        raise located
    post, source = located
    if seen_open:
        refuse_if_open(member_id)
    fix = check_in_fix(post, source, lat, lng, accuracy_m)
    if offline:
        refuse_overlap(member_id, at)
    flags = (["offline"] if offline else []) + (["out_of_range_in"] if fix is not None and not fix.inside else [])
    shift = Shift(
        member_id=member_id, post_id=post.id, unit_id=post.unit_id, status="open", source=source,
        offline=offline, client_id=client_id, started_at=at, review_flags=flags,
        check_in_lat=lat, check_in_lng=lng, check_in_accuracy_m=accuracy_m,
        check_in_distance_m=fix.distance_m if fix is not None else None,
    )
    db.session.add(shift)
    db.session.flush()
    # The answer shows the post and its unit, loaded already (a printed code's post comes with its unit:
    # server/scan/services.py KIND_LOADS): attached as loaded values, so the session neither loads them
    # again nor takes them (unchanged) through the flush as assigning the relationships would.
    set_committed_value(shift, "post", post)
    set_committed_value(shift, "unit", post.unit)
    commit_keeping_loaded()
    return shift


def lost_race(member_id, client_id):
    """After the unique keys refused our insert: the retry's shift (200) or the open one (409)."""
    earlier = shift_by_client_id(member_id, client_id)
    if earlier is not None:
        return earlier, False
    refuse_if_open(member_id)
    raise ApiError(409, "conflict", messages.INTEGRITY_CONFLICT)


# --- check-out ---

def check_out(member, shift_id, lat=None, lng=None, accuracy_m=None, occurred_at=None):
    """Close the member's own open shift; returns it with its minutes (or needs_review)."""
    lock_member(member.id)
    shift = None
    if 0 < shift_id <= MAX_ID:
        shift = db.session.scalar(select(Shift).where(Shift.id == shift_id).with_for_update()
                                  .execution_options(populate_existing=True))
    if shift is None or shift.member_id != member.id:
        raise ApiError(404, "shift_not_found", messages.SHIFT_NOT_FOUND)
    if shift.status != "open":
        raise ApiError(409, "shift_not_open", messages.SHIFT_NOT_OPEN,
                       extra={"shift": {"id": shift.id, "status": shift.status}})
    at, offline = event_time(occurred_at, utcnow())
    if at < shift.started_at:
        raise ApiError(422, "check_out_before_check_in", messages.SHIFT_CHECK_OUT_BEFORE_CHECK_IN,
                       fields={"occurred_at": [messages.SHIFT_CHECK_OUT_BEFORE_CHECK_IN]})
    post = shift.post
    flags = shift.review_flags
    if offline:
        shift.offline = True
        flags = with_flag(flags, "offline")
    if lat is None or lng is None:
        flags = with_flag(flags, "no_location_out")
    else:
        fix = geo.locate(post, lat, lng, accuracy_m)
        shift.check_out_lat, shift.check_out_lng, shift.check_out_accuracy_m = lat, lng, accuracy_m
        shift.check_out_distance_m = fix.distance_m
        if not fix.inside:
            flags = with_flag(flags, "out_of_range_out")
    shift.ended_at = at
    if at - shift.started_at > dt.timedelta(minutes=post.max_open_minutes):
        shift.status, shift.minutes = "needs_review", None
        flags = with_flag(flags, "open_too_long")
    else:
        shift.status = "pending"
        shift.minutes = int((at - shift.started_at).total_seconds() // 60)
    shift.review_flags = flags
    db.session.flush()
    if shift.status == "pending":
        maybe_auto_approve(shift)
    db.session.commit()
    return shift


# --- forgotten check-outs ---

def stale_limit(started_at, max_open_minutes, now):
    """When a shift open since ``started_at`` ran past its post's limit, if that is before ``now``; else None."""
    limit_at = started_at + dt.timedelta(minutes=max_open_minutes)
    return limit_at if limit_at < now else None


def close_stale_shifts(member_id=None, now=None):
    """Close shifts open past their post's max_open_minutes (of one member, or all); returns how many.

    Each becomes ``needs_review`` with no minutes, ending when its limit ran out, flagged
    ``open_too_long``, with an AuditEntry. Commits.
    """
    now = now or utcnow()
    query = (select(Shift.id, Shift.unit_id, Shift.started_at, Shift.review_flags, Post.max_open_minutes)
             .join(Post, Post.id == Shift.post_id).where(Shift.status == shift_status("open")))
    if member_id is not None:
        query = query.where(Shift.member_id == member_id)
    stale = []
    for row in db.session.execute(query):
        limit_at = stale_limit(row.started_at, row.max_open_minutes, now)
        if limit_at is not None:
            stale.append((row, limit_at))
    if not stale:
        return 0
    # End the reading transaction before writing: on SQLite a transaction that has read cannot
    # start writing once another connection wrote (SQLITE_BUSY_SNAPSHOT, no waiting), while
    # one that starts with its write waits its turn. Nothing else is pending here.
    db.session.commit()
    closed = 0
    for row, limit_at in stale:
        # Only if still open: a check-out or another reader may have closed it meanwhile.
        result = db.session.execute(
            update(Shift).where(Shift.id == row.id, Shift.status == shift_status("open"))
            .values(status="needs_review", ended_at=limit_at, minutes=None,
                    review_flags=with_flag(row.review_flags, "open_too_long"))
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            closed += 1
            audit.record("shift.close_stale", "shift", row.id, unit_id=row.unit_id,
                         before={"status": "open"},
                         after={"status": "needs_review", "ended_at": limit_at.isoformat(), "minutes": None},
                         reason=messages.SHIFT_CLOSED_STALE_REASON.format(minutes=row.max_open_minutes),
                         actor=("system", None, "close_stale_shifts"))
    db.session.commit()
    return closed


# --- claims (补录) ---

def claim(member, post_id, started_at, ended_at, reason):
    """Claim a past shift the member forgot to check in to; always ``pending`` for review."""
    close_stale_shifts(member_id=member.id)
    lock_member(member.id)
    post = db.session.get(Post, post_id)
    if post is None:
        raise field_error("post_id", messages.SHIFT_POST_NOT_FOUND)
    now = utcnow()
    if ended_at <= started_at:
        raise ApiError(422, "claim_reversed", messages.SHIFT_CLAIM_REVERSED,
                       fields={"ended_at": [messages.SHIFT_CLAIM_REVERSED]})
    if ended_at > now + CLOCK_SKEW:
        raise ApiError(422, "claim_in_future", messages.SHIFT_CLAIM_IN_FUTURE,
                       fields={"ended_at": [messages.SHIFT_CLAIM_IN_FUTURE]})
    if ended_at - started_at > CLAIM_MAX_SPAN:
        message = messages.SHIFT_CLAIM_TOO_LONG.format(hours=int(CLAIM_MAX_SPAN.total_seconds() // 3600))
        raise ApiError(422, "claim_too_long", message, fields={"ended_at": [message]})
    if started_at < now - CLAIM_MAX_AGE:
        message = messages.SHIFT_CLAIM_TOO_OLD.format(days=CLAIM_MAX_AGE.days)
        raise ApiError(422, "claim_too_old", message, fields={"started_at": [message]})
    refuse_overlap(member.id, started_at, ended_at)
    shift = Shift(
        member_id=member.id, post_id=post.id, unit_id=post.unit_id, status="pending", source="claim",
        started_at=started_at, ended_at=ended_at, minutes=int((ended_at - started_at).total_seconds() // 60),
        review_flags=["claim"], claim_reason=reason,
    )
    db.session.add(shift)
    db.session.flush()
    audit.record("shift.claim", "shift", shift.id, unit_id=shift.unit_id,
                 after={"post_id": post.id, "started_at": started_at.isoformat(), "ended_at": ended_at.isoformat(),
                        "minutes": shift.minutes}, reason=reason, actor=("member", member.id, member.name))
    db.session.commit()
    return shift


# --- the member's own reading ---

def member_shifts(member, args):
    """The member's shifts, newest first, one page (forgotten check-outs closed first)."""
    close_stale_shifts(member_id=member.id)
    query = (select(Shift).where(Shift.member_id == member.id)
             .options(selectinload(Shift.post), selectinload(Shift.unit))
             .order_by(Shift.started_at.desc(), Shift.id.desc()))
    if args.get("status"):
        query = query.where(Shift.status == shift_status(args["status"]))
    return paginate(query, args)


def member_hours(member):
    """The member's totals and star level (forgotten check-outs closed first)."""
    close_stale_shifts(member_id=member.id)
    return member_totals(member)
