"""The data model of PRODUCT.md: units and their people, windows, posts, codes, ratings,
cases, shifts, the audit trail, and the accounts that log in.

Rules that must hold under concurrency live in the schema itself (unique keys, a partial
unique index for open shifts), not in check-then-insert code.
"""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server import messages
from server.extensions import db

UNIT_TYPES = ("window_hall", "enforcement_station", "service_area", "other")
ADMIN_ROLES = ("bureau_admin", "unit_admin")
QR_KINDS = ("badge", "window", "post")
SHIFT_STATUSES = ("open", "pending", "needs_review", "approved", "rejected")
CASE_STATUSES = ("open", "contacted", "resolved")


def shift_status(status):
    """``status`` written into the SQL as text, not a bound parameter: for a WHERE on shift.status.

    A bound value compared with the column of a partial index's condition (here
    uq_shift_one_open_per_member's ``status = 'open'``) makes SQLite prepare the statement anew
    on every execution, since that value decides whether the index may be used: the scan's one
    statement took 55 µs of SQLite's time instead of 9, the check-in's state 14 instead of 2.
    PostgreSQL's generic plan of a prepared statement cannot use the index for a bound value
    either. tests/test_query_counts.py checks the busiest requests' statements.
    """
    if status not in SHIFT_STATUSES:
        raise ValueError(f"not a shift status: {status!r}")
    return sa.literal_column(f"'{status}'", sa.String)


def utcnow():
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """Aware datetimes stored as naive UTC, read back aware, on SQLite and PostgreSQL alike."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


def created_at_column():
    """The creation time every table carries."""
    return mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Unit(db.Model):
    """A service point (单位 / 站所); is_red_station marks the pilot red stations."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    type: Mapped[str] = mapped_column(sa.String(32), default="other")
    is_red_station: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    auto_approve_shifts: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = created_at_column()

    members = relationship("Member", back_populates="unit")
    windows = relationship("Window", back_populates="unit")
    posts = relationship("Post", back_populates="unit")

    __table_args__ = (sa.CheckConstraint(sa.column("type").in_(UNIT_TYPES), name="type"),)

    @property
    def unit_id(self):
        """A unit is its own unit, so the unit wall treats it like everything else."""
        return self.id


class Admin(db.Model):
    """A console/API login: a bureau admin sees every unit, a unit admin only their own."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(64), default="")
    # The admin's own WeChat identity, for alerts by subscribe message (set from the mini-program).
    wechat_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wechat_user.id"), unique=True)
    # Raised on password change: every token issued before stops working.
    token_version: Mapped[int] = mapped_column(default=1)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = created_at_column()

    unit = relationship("Unit")

    __table_args__ = (
        sa.CheckConstraint(sa.column("role").in_(ADMIN_ROLES), name="role"),
        sa.CheckConstraint("role = 'bureau_admin' OR unit_id IS NOT NULL", name="unit_admin_has_unit"),
    )


class WechatUser(db.Model):
    """A WeChat identity (citizen or member) known by its openid under our appid."""

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(sa.String(64))
    # Needed for WeChat's signature checks; never sent to any client.
    session_key: Mapped[str | None] = mapped_column(sa.String(64))
    token_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = created_at_column()

    member = relationship("Member", back_populates="wechat_user", uselist=False)
    # The admin account this WeChat identity is linked to, if any (staff cannot rate their units).
    admin = relationship("Admin", primaryjoin="Admin.wechat_user_id == WechatUser.id", uselist=False, viewonly=True)


class Member(db.Model):
    """A party member or volunteer on duty (党员 / 志愿者)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    post_title: Mapped[str] = mapped_column(sa.String(100), default="")
    is_party_member: Mapped[bool] = mapped_column(default=True)
    # Stored whole for the unit's admins; every public output masks it.
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    photo_url: Mapped[str] = mapped_column(sa.String(500), default="")
    badge_no: Mapped[str] = mapped_column(sa.String(32), default="")
    wechat_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wechat_user.id"), unique=True)
    bound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = created_at_column()

    unit = relationship("Unit", back_populates="members")
    wechat_user = relationship("WechatUser", back_populates="member")
    commitment_rows = relationship(
        "Commitment", order_by="Commitment.position", cascade="all, delete-orphan",
        primaryjoin="Commitment.member_id == Member.id",
    )

    @property
    def commitment(self):
        """The member's one-sentence public commitment (亮承诺)."""
        return self.commitment_rows[0].text if self.commitment_rows else ""

    @commitment.setter
    def commitment(self, text):
        self.commitment_rows = [Commitment(text=text)] if text else []

    @property
    def masked_phone(self):
        """The phone as shown anywhere public: 138****1234."""
        return mask_phone(self.phone)


def mask_phone(phone):
    """Mask all but the first three and last four digits of a phone number."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


class BindCode(db.Model):
    """A one-time, expiring code an admin hands a member to link their WeChat identity."""

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wechat_user.id"))
    created_at: Mapped[dt.datetime] = created_at_column()

    member = relationship("Member")


class Window(db.Model):
    """A service counter (服务窗口) with its duties, time limits and commitments."""

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    duties: Mapped[list] = mapped_column(sa.JSON, default=list)
    time_limits: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[dt.datetime] = created_at_column()

    unit = relationship("Unit", back_populates="windows")
    commitment_rows = relationship(
        "Commitment", order_by="Commitment.position", cascade="all, delete-orphan",
        primaryjoin="Commitment.window_id == Window.id",
    )

    @property
    def commitments(self):
        """The window's public commitments (亮承诺), in order."""
        return [row.text for row in self.commitment_rows]

    @commitments.setter
    def commitments(self, texts):
        self.commitment_rows = [Commitment(text=t, position=i) for i, t in enumerate(texts)]


class Commitment(db.Model):
    """A public one-sentence commitment (承诺) of a window or a member."""

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member.id"), index=True)
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"), index=True)
    text: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint("(member_id IS NULL) <> (window_id IS NULL)", name="one_owner"),
    )


class Post(db.Model):
    """A volunteer post (志愿服务岗) with a location and a geofence."""

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    service: Mapped[str] = mapped_column(sa.String(500), default="")
    lat: Mapped[float] = mapped_column(sa.Float)
    lng: Mapped[float] = mapped_column(sa.Float)
    radius_m: Mapped[int] = mapped_column(default=200)
    default_shift_minutes: Mapped[int] = mapped_column(default=240)
    max_open_minutes: Mapped[int] = mapped_column(default=720)
    created_at: Mapped[dt.datetime] = created_at_column()

    unit = relationship("Unit", back_populates="posts")


class QrCode(db.Model):
    """A printable code (二维码): an opaque token in a URL, pointing at one target."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member.id"), index=True)
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("post.id"), index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin.id"))
    created_at: Mapped[dt.datetime] = created_at_column()

    member = relationship("Member")
    window = relationship("Window")
    post = relationship("Post")

    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(QR_KINDS), name="kind"),
        sa.CheckConstraint(
            "(kind = 'badge' AND member_id IS NOT NULL AND window_id IS NULL AND post_id IS NULL)"
            " OR (kind = 'window' AND window_id IS NOT NULL AND member_id IS NULL AND post_id IS NULL)"
            " OR (kind = 'post' AND post_id IS NOT NULL AND member_id IS NULL AND window_id IS NULL)",
            name="one_target",
        ),
    )

    @property
    def target(self):
        """The member, window or post this code points at."""
        return {"badge": self.member, "window": self.window, "post": self.post}[self.kind]

    @property
    def target_id(self):
        return {"badge": self.member_id, "window": self.window_id, "post": self.post_id}[self.kind]


# Ratings that count in the figures: not excluded by a bureau admin, not a follow-up (追评).
class Rating(db.Model):
    """A citizen's 1–5 rating (评价) of a member or a window, scanned from its code."""

    id: Mapped[int] = mapped_column(primary_key=True)
    qr_code_id: Mapped[int] = mapped_column(sa.ForeignKey("qr_code.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member.id"), index=True)
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"), index=True)
    # "member:12" or "window:3": one column so the one-a-day key has no NULLs in it.
    target_key: Mapped[str] = mapped_column(sa.String(32))
    # "wx:<wechat_user.id>" or "dev:<signed device id>".
    rater_key: Mapped[str] = mapped_column(sa.String(80))
    wechat_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wechat_user.id"), index=True)
    rated_on: Mapped[dt.date] = mapped_column(sa.Date)
    score: Mapped[int] = mapped_column(sa.SmallInteger)
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    comment: Mapped[str] = mapped_column(sa.String(500), default="")
    comment_status: Mapped[str] = mapped_column(sa.String(16), default="shown")
    contact: Mapped[str] = mapped_column(sa.String(50), default="")
    follow_up_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rating.id"), unique=True)
    excluded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    excluded_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    # The submitting client's id for this rating (optional): a retry with it gets this rating back.
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        sa.UniqueConstraint("rater_key", "target_key", "rated_on", name="uq_rating_once_a_day"),
        sa.UniqueConstraint("rater_key", "client_id", name="uq_rating_rater_client"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="score"),
        sa.Index("ix_rating_unit_created", "unit_id", "created_at"),
        # The bureau's list of every unit's ratings, newest first.
        sa.Index("ix_rating_created", "created_at"),
        # The few ratings a bureau admin excluded, which the case figures leave out.
        sa.Index("ix_rating_excluded", "excluded_at", sqlite_where=sa.text("excluded_at IS NOT NULL"),
                 postgresql_where=sa.text("excluded_at IS NOT NULL")),
    )


class Case(db.Model):
    """The follow-up of a bad rating (差评工单), with its contact and answer deadlines."""

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(sa.ForeignKey("rating.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    due_contact_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_resolve_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    contacted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(sa.String(1000), default="")
    appeal_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    appealed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = created_at_column()

    rating = relationship("Rating")

    __table_args__ = (sa.CheckConstraint(sa.column("status").in_(CASE_STATUSES), name="status"),)


class Shift(db.Model):
    """One check-in/check-out at a post (签到记录); approved minutes are volunteer hours."""

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    # scan (printed code + location), live (rotating code), claim (补录)
    source: Mapped[str] = mapped_column(sa.String(8), default="scan")
    offline: Mapped[bool] = mapped_column(default=False)
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Measured minutes (check-in to check-out, or the claimed span); never changed afterwards.
    minutes: Mapped[int | None] = mapped_column()
    # Minutes that count as hours: set by the latest review (ShiftReview keeps every decision).
    credited_minutes: Mapped[int | None] = mapped_column()
    # Why an admin must look: out_of_range_out, open_too_long, offline, claim … (JSON list)
    review_flags: Mapped[list] = mapped_column(sa.JSON, default=list, server_default=sa.text("'[]'"))
    check_in_lat: Mapped[float | None] = mapped_column(sa.Float)
    check_in_lng: Mapped[float | None] = mapped_column(sa.Float)
    check_in_accuracy_m: Mapped[float | None] = mapped_column(sa.Float)
    check_in_distance_m: Mapped[float | None] = mapped_column(sa.Float)
    check_out_lat: Mapped[float | None] = mapped_column(sa.Float)
    check_out_lng: Mapped[float | None] = mapped_column(sa.Float)
    check_out_accuracy_m: Mapped[float | None] = mapped_column(sa.Float)
    check_out_distance_m: Mapped[float | None] = mapped_column(sa.Float)
    claim_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[dt.datetime] = created_at_column()

    member = relationship("Member")
    post = relationship("Post")
    # The unit that reviews the shift: the post's unit when the shift was made.
    unit = relationship("Unit")

    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(SHIFT_STATUSES), name="status"),
        sa.UniqueConstraint("member_id", "client_id", name="uq_shift_member_client"),
        # A member cannot be in two places at once, even when two check-ins race.
        sa.Index(
            "uq_shift_one_open_per_member", "member_id", unique=True,
            sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"),
        ),
        sa.Index("ix_shift_unit_status_started", "unit_id", "status", "started_at"),
        # Every unit's shifts of a period (the bureau's figures and hours exports): the columns the
        # minutes need ride along, so PostgreSQL answers from the index alone.
        sa.Index("ix_shift_started", "started_at", "status", "unit_id", "minutes", "credited_minutes"),
    )


class Notification(db.Model):
    """An alert for one admin (e.g. a bad rating arrived); unread until they open it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(sa.ForeignKey("admin.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case.id"))
    shift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shift.id"))
    title: Mapped[str] = mapped_column(sa.String(100))
    body: Mapped[str] = mapped_column(sa.String(500), default="")
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (sa.Index("ix_notification_admin_unread", "admin_id", "read_at"),)


class Subscription(db.Model):
    """One-time subscribe-message quota a WeChat user granted (wx.requestSubscribeMessage 'accept').

    Each acceptance allows one message of that template; sending spends it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    wechat_user_id: Mapped[int] = mapped_column(sa.ForeignKey("wechat_user.id"))
    template_id: Mapped[str] = mapped_column(sa.String(64))
    remaining: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        sa.UniqueConstraint("wechat_user_id", "template_id", name="uq_subscription_user_template"),
        sa.CheckConstraint("remaining >= 0", name="remaining"),
    )


# --- Daily rollups of the figures, kept by server/stats/tallies.py in the same transaction as
# every rating and shift write, so a year of the bureau's figures reads thousands of rows, not millions.

# The zero tags (三零) a rating tally counts: column "tag_complaints" counts ratings tagged 投诉, …
TALLY_TAGS = {zero: "tag_" + zero.removeprefix("zero_") for zero in messages.ZERO_TAGS}
TALLY_HOURS = tuple(f"h{hour:02d}" for hour in range(24))


def _count_column(name):
    return sa.Column(name, sa.Integer, nullable=False, default=0, server_default="0")


# Ratings that count (not excluded, not a follow-up), per unit, window and local day: how many,
# at each score, carrying each zero tag, in each local hour. window_id 0 holds the ratings of the
# unit's members' badges, -1 the unit's total of the day (what the unit's and the bureau's figures read).
rating_tally = sa.Table(
    "rating_tally", db.metadata,
    sa.Column("unit_id", sa.ForeignKey("unit.id"), primary_key=True),
    sa.Column("window_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("rated_on", sa.Date, primary_key=True),
    _count_column("ratings"),
    *(_count_column(f"s{score}") for score in range(1, 6)),
    *(_count_column(column) for column in TALLY_TAGS.values()),
    *(_count_column(column) for column in TALLY_HOURS),
)

# Minutes of approved and pending shifts (what they count, see server/shifts/hours.py) per unit
# and local day of their start.
shift_tally = sa.Table(
    "shift_tally", db.metadata,
    sa.Column("unit_id", sa.ForeignKey("unit.id"), primary_key=True),
    sa.Column("started_on", sa.Date, primary_key=True),
    _count_column("approved"),
    _count_column("pending"),
)


class ShiftReview(db.Model):
    """One review decision on a shift: append-only, so every correction keeps the original."""

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shift.id"), index=True)
    decision: Mapped[str] = mapped_column(sa.String(16))
    # approve, reject, adjust, auto_approve
    credited_minutes: Mapped[int | None] = mapped_column()
    status_before: Mapped[str] = mapped_column(sa.String(16))
    status_after: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    daily_cap_override: Mapped[bool] = mapped_column(default=False)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin.id"))
    reviewer_name: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[dt.datetime] = created_at_column()

    reviewer = relationship("Admin")


class HoursRecord(db.Model):
    """An issued volunteer-hours record (志愿服务时长记录, PDF), verifiable at /verify/{token}."""

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    approved_minutes: Mapped[int] = mapped_column()
    shift_count: Mapped[int] = mapped_column()
    star_level: Mapped[int] = mapped_column()
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = created_at_column()

    member = relationship("Member")


class AuditEntry(db.Model):
    """An append-only record (操作日志) of a change to hours, cases, codes or accounts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = created_at_column()
    actor_type: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(sa.String(64), default="")
    action: Mapped[str] = mapped_column(sa.String(32))
    entity_type: Mapped[str] = mapped_column(sa.String(32))
    entity_id: Mapped[int | None] = mapped_column()
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")

    __table_args__ = (sa.Index("ix_audit_entity", "entity_type", "entity_id"),)
