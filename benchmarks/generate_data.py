"""Fill an empty database with a bureau's year: 1 M ratings and 1 M shifts by default.

Run: .venv/bin/python -m benchmarks.generate_data --database-url URL [--ratings N] [--shifts N] [--seed 1]

The schema is made by the project's migrations (as ``flask init-db`` does), then rows go in
the fastest way each database offers: PostgreSQL by COPY (psycopg 3 ``cursor.copy``), SQLite
by ``executemany`` in large transactions. The same seed gives the same rows. The data:

- UNITS units, each with WINDOWS windows, MEMBERS members (every one bound to a WeChat user)
  and POSTS volunteer posts; a code for every window, member and post; a bureau admin and an
  admin per unit; CITIZENS WeChat users who rate;
- ratings over the last DAYS local days, in time order (ids follow created_at, as in
  production), 4 % of them bad with a case each (answered on time, late or not yet), 1 %
  excluded by the bureau, tags as citizens pick them;
- shifts spread over the same days, one member at a time without overlaps: approved (with
  the review that approved them, 10 % credited less than measured), rejected, pending and
  needs_review; most at the member's own unit's posts.

Also used by benchmarks.run_http for its smaller data (``base`` only).
"""
import argparse
import datetime as dt
import json
import random
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_migrate import upgrade

from server.extensions import db
from server.stats import tallies

ZONE = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
DAYS = 365
CHUNK = 50_000
# Tags as citizens pick them: most none, some praise, a few of the tags that break a zero.
TAG_CHOICES = [[]] * 10 + [["热情"], ["高效", "专业"], ["一次办结"], ["耐心细致", "主动服务"], ["热情", "高效"],
                           ["推诿"], ["出错", "态度差"], ["投诉"], ["办事拖拉"]]
SCORE_WEIGHTS = [2, 2, 6, 30, 60]
# A fixed hash, never checked: the benchmarks log in with tokens they issue themselves.
PASSWORD_HASH = "pbkdf2:sha256:1000$bench$0000000000000000000000000000000000000000000000000000000000000000"


@dataclass
class Sizes:
    units: int = 40
    windows: int = 5          # per unit
    members: int = 100        # per unit
    posts: int = 3            # per unit
    citizens: int = 50_000    # WeChat users who only rate


@dataclass
class Base:
    """Ids of what base() made, for the benchmarks to aim at."""

    units: list
    windows: list             # (id, unit_id)
    members: list             # (id, unit_id, wechat_user_id)
    posts: list               # (id, unit_id, lat, lng)
    codes: list               # (id, kind, token, unit_id, member_id, window_id, post_id)
    citizens: list            # wechat_user ids
    bureau_admin: int
    unit_admins: dict         # unit_id → admin id


def create_schema():
    """The schema of the project's migrations, as ``flask init-db`` makes it."""
    from flask import current_app

    upgrade(directory=current_app.config["MIGRATIONS_DIR"])


class Writer:
    """Bulk inserts of plain tuples: COPY on PostgreSQL, executemany on SQLite.

    Values are Python dates, naive UTC datetimes, bools, ints, strings and None; JSON columns
    come as JSON text.
    """

    def __init__(self):
        self.raw = db.engine.raw_connection()
        self.dialect = db.engine.dialect.name
        self.rows = 0
        self.seconds = 0.0
        connection = self.raw.driver_connection
        if self.dialect == "sqlite":
            connection.execute("PRAGMA synchronous=OFF")
        else:
            # The rows are consistent by construction: no foreign-key trigger per row (superuser only).
            connection.execute("SET session_replication_role = replica")
            connection.execute("SET maintenance_work_mem = '512MB'")
            connection.commit()

    def write(self, table, columns, rows, bulk=False):
        """Insert ``rows``; ``bulk``: drop the table's secondary indexes first and build them afterwards."""
        started = time.perf_counter()
        recreate = self._drop_indexes(table) if bulk else []
        count = self._write(table, columns, rows)
        connection = self.raw.driver_connection
        for statement in recreate:
            connection.execute(statement)
        connection.commit()
        self.rows += count
        self.seconds += time.perf_counter() - started
        return count

    def _drop_indexes(self, table):
        """Drop ``table``'s indexes other than its key and unique constraints; the statements that rebuild them."""
        connection = self.raw.driver_connection
        if self.dialect == "postgresql":
            rows = connection.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " WHERE x.indrelid = %s::regclass AND NOT x.indisprimary"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                (f'"{table}"',)).fetchall()
        else:
            rows = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
                                      " AND sql IS NOT NULL", (table,)).fetchall()
        for name, _ in rows:
            connection.execute(f'DROP INDEX "{name}"')
        connection.commit()
        return [definition for _, definition in rows]

    def _write(self, table, columns, rows):
        count = 0
        connection = self.raw.driver_connection
        if self.dialect == "postgresql":
            with connection.cursor() as cursor:
                with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            connection.commit()
        else:
            sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
            batch = []
            for row in rows:
                batch.append(tuple(map(_sqlite_value, row)))
                if len(batch) == CHUNK:
                    self._sqlite_batch(connection, sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                self._sqlite_batch(connection, sql, batch)
                count += len(batch)
        return count

    @staticmethod
    def _sqlite_batch(connection, sql, batch):
        connection.execute("BEGIN")
        connection.executemany(sql, batch)
        connection.execute("COMMIT")

    def finish(self, tables):
        """Sequences past the ids we chose (PostgreSQL), fresh statistics, visibility maps for index-only scans."""
        connection = self.raw.driver_connection
        if self.dialect == "postgresql":
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                   f"COALESCE((SELECT max(id) FROM \"{table}\"), 0) + 1, false)")
            connection.commit()
            connection.autocommit = True
            connection.execute("VACUUM ANALYZE")
            connection.autocommit = False
        else:
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("ANALYZE")
        self.raw.close()


def _sqlite_value(value):
    # SQLAlchemy's own text formats for SQLite (microseconds always written).
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def naive_utc(moment):
    return moment.astimezone(UTC).replace(tzinfo=None)


def base(writer, rng, sizes, now):
    """Units, windows, members bound to WeChat users, posts, codes, admins and citizens."""
    created = naive_utc(now - dt.timedelta(days=DAYS + 30))
    unit_ids = list(range(1, sizes.units + 1))
    types = ["window_hall", "enforcement_station", "service_area", "other"]
    writer.write("unit", ["id", "name", "type", "is_red_station", "address", "auto_approve_shifts", "created_at"],
                 ((u, f"单位{u:03d}", types[u % 4], u % 3 == 0, f"嘉兴市某路{u}号", False, created) for u in unit_ids))
    writer.write("admin", ["id", "username", "password_hash", "role", "unit_id", "display_name", "token_version",
                           "failed_logins", "created_at"],
                 [(1, "bench-bureau", PASSWORD_HASH, "bureau_admin", None, "局管理员", 1, 0, created)]
                 + [(1 + u, f"bench-unit-{u}", PASSWORD_HASH, "unit_admin", u, f"单位{u}管理员", 1, 0, created)
                    for u in unit_ids])
    windows = [(i + 1, u) for i, u in enumerate(u for u in unit_ids for _ in range(sizes.windows))]
    writer.write("window", ["id", "unit_id", "name", "duties", "time_limits", "created_at"],
                 ((w, u, f"综合窗口{w}", json.dumps(["受理", "办结"]), json.dumps(["即办"]), created) for w, u in windows))
    member_count = sizes.units * sizes.members
    citizens = list(range(member_count + 1, member_count + sizes.citizens + 1))
    writer.write("wechat_user", ["id", "openid", "token_version", "created_at"],
                 ((n, f"bench-openid-{n}", 1, created) for n in range(1, member_count + sizes.citizens + 1)))
    members = [(m, unit_ids[(m - 1) // sizes.members], m) for m in range(1, member_count + 1)]
    writer.write("member", ["id", "unit_id", "name", "post_title", "is_party_member", "phone", "photo_url", "badge_no",
                            "wechat_user_id", "bound_at", "created_at"],
                 ((m, u, f"党员{m}", "科员", m % 4 != 0, f"138{m:08d}", "", f"B{m:05d}", wx, created, created)
                  for m, u, wx in members))
    writer.write("commitment", ["id", "member_id", "window_id", "text", "position"],
                 [(m, m, None, "用心服务每一位群众", 0) for m, _, _ in members]
                 + [(member_count + w, None, w, "一次告知，限时办结", 0) for w, _ in windows])
    posts, post_id = [], 0
    for u in unit_ids:
        for _ in range(sizes.posts):
            post_id += 1
            posts.append((post_id, u, round(30.75 + rng.uniform(-0.2, 0.2), 6), round(120.75 + rng.uniform(-0.2, 0.2), 6)))
    writer.write("post", ["id", "unit_id", "name", "service", "lat", "lng", "radius_m", "default_shift_minutes",
                          "max_open_minutes", "created_at"],
                 ((p, u, f"志愿服务岗{p}", "咨询引导", lat, lng, 200, 240, 720, created) for p, u, lat, lng in posts))
    codes = []
    for m, u, _ in members:
        codes.append((len(codes) + 1, "badge", f"bench-badge-{m}-{rng.getrandbits(64):016x}", u, m, None, None))
    for w, u in windows:
        codes.append((len(codes) + 1, "window", f"bench-window-{w}-{rng.getrandbits(64):016x}", u, None, w, None))
    for p, u, _, _ in posts:
        codes.append((len(codes) + 1, "post", f"bench-post-{p}-{rng.getrandbits(64):016x}", u, None, None, p))
    writer.write("qr_code", ["id", "kind", "token", "unit_id", "member_id", "window_id", "post_id", "created_at"],
                 (code + (created,) for code in codes))
    return Base(unit_ids, windows, members, posts, codes, citizens, 1, {u: 1 + u for u in unit_ids})


def local_days(now, days):
    """The last ``days`` local dates up to today, and local midnight of the first."""
    today = now.astimezone(ZONE).date()
    first = today - dt.timedelta(days=days - 1)
    return first, dt.datetime.combine(first, dt.time(), ZONE)


def ratings(writer, rng, b, count, now):
    """``count`` ratings over the last DAYS days, in time order, with a case for each bad one."""
    _, start = local_days(now, DAYS)
    rated = [c for c in b.codes if c[1] in ("badge", "window")]
    # Busy hours: office hours weigh most, nights a little (the by-hour figures see it).
    hour_weights = [1, 1, 1, 1, 1, 2, 4, 8, 20, 30, 30, 25, 15, 20, 30, 30, 25, 15, 8, 5, 3, 2, 1, 1]
    instants = []
    while len(instants) < count:
        moment = start + dt.timedelta(days=rng.randrange(DAYS), hours=rng.choices(range(24), hour_weights)[0],
                                      seconds=rng.randrange(3600))
        if moment <= now:
            instants.append(moment)
    instants.sort()
    seen = set()
    rows, cases = [], []
    for n, local in enumerate(instants, start=1):
        created = naive_utc(local)
        day = local.date()
        code = rated[rng.randrange(len(rated))]
        code_id, kind, _, unit_id, member_id, window_id, _ = code
        target_key = f"member:{member_id}" if kind == "badge" else f"window:{window_id}"
        citizen = b.citizens[rng.randrange(len(b.citizens))] if rng.random() < 0.7 else None
        if citizen is not None and (citizen, code_id, day) in seen:
            citizen = None
        if citizen is not None:
            seen.add((citizen, code_id, day))
            rater_key = f"wx:{citizen}"
        else:
            rater_key = f"dev:bench{n}"
        score = rng.choices((1, 2, 3, 4, 5), SCORE_WEIGHTS)[0]
        tags = rng.choice(TAG_CHOICES)
        excluded = created if rng.random() < 0.01 else None
        rows.append((n, code_id, unit_id, member_id, window_id, target_key, rater_key, citizen, day, score,
                     json.dumps(tags), "服务很好" if score >= 4 and n % 7 == 0 else "", "shown",
                     "13800000000" if score <= 2 and n % 2 == 0 else "", None, excluded,
                     "重复评价" if excluded else "", created))
        if score <= 2:
            aware = created.replace(tzinfo=UTC)
            due_contact, due = aware + dt.timedelta(days=1), aware + dt.timedelta(days=21)
            answered = due < now
            late = rng.random() < 0.1
            resolved = (due + dt.timedelta(days=1 if late else -2)) if answered else None
            status = "resolved" if answered else rng.choice(["open", "contacted"])
            cases.append((len(cases) + 1, n, unit_id, status, naive_utc(due_contact), naive_utc(due),
                          naive_utc(aware + dt.timedelta(hours=5)) if status != "open" else None,
                          naive_utc(resolved) if resolved else None, "已联系群众并整改" if resolved else "", "", created))
    writer.write("rating", ["id", "qr_code_id", "unit_id", "member_id", "window_id", "target_key", "rater_key",
                            "wechat_user_id", "rated_on", "score", "tags", "comment", "comment_status", "contact",
                            "follow_up_of_id", "excluded_at", "excluded_reason", "created_at"], rows, bulk=True)
    writer.write("case", ["id", "rating_id", "unit_id", "status", "due_contact_at", "due_resolve_at", "contacted_at",
                          "resolved_at", "answer", "appeal_reason", "created_at"], cases, bulk=True)
    return len(rows), len(cases)


def shifts(writer, rng, b, count, now):
    """``count`` shifts over the last DAYS days, each member's one after another, and their reviews."""
    first, start = local_days(now, DAYS)
    per_member = max(count // len(b.members), 1)
    gap = dt.timedelta(days=DAYS) / per_member
    posts_by_unit = {}
    for post in b.posts:
        posts_by_unit.setdefault(post[1], []).append(post)
    sources = ["scan"] * 17 + ["live"] * 2 + ["claim"]
    rows, reviews = [], []
    shift_id = 0
    for member_id, unit_id, _ in b.members:
        for k in range(per_member):
            if shift_id == count:
                break
            shift_id += 1
            post = rng.choice(posts_by_unit[unit_id]) if rng.random() < 0.8 else rng.choice(b.posts)
            began = start + gap * k + dt.timedelta(hours=rng.randrange(7, 15), minutes=rng.randrange(60))
            minutes = rng.choice([60, 90, 120, 180, 240, 240, 240, 300, 360, 480])
            ended = began + dt.timedelta(minutes=minutes)
            if ended > now:
                began, ended = now - dt.timedelta(days=1, minutes=minutes), now - dt.timedelta(days=1)
            age = (now - ended).days
            roll = rng.random()
            status = ("pending" if age < 14 and roll < 0.7 else "needs_review" if roll < 0.01
                      else "rejected" if roll < 0.05 else "approved")
            credited = None
            if status == "approved":
                credited = minutes if rng.random() < 0.9 else minutes - 30
            reviewed = ended + dt.timedelta(days=1) if status in ("approved", "rejected") else None
            reviewer = b.unit_admins[post[1]] if reviewed else None
            source = rng.choice(sources)
            rows.append((shift_id, member_id, post[0], post[1], status, source, False,
                         f"bench-{shift_id}" if source != "claim" else None, naive_utc(began), naive_utc(ended),
                         minutes, credited, json.dumps(["claim"] if source == "claim" else []),
                         post[2], post[3], 10.0, 12.5, post[2], post[3], 10.0, 12.5,
                         "忘记签到" if source == "claim" else "", reviewer,
                         naive_utc(reviewed) if reviewed else None, "" if status != "rejected" else "不在岗",
                         naive_utc(began)))
            if reviewed:
                decision = "approve" if status == "approved" else "reject"
                reviews.append((len(reviews) + 1, shift_id, decision, credited, "pending", status,
                                "" if credited in (None, minutes) else "超出服务时段", False, reviewer,
                                f"单位{post[1]}管理员", naive_utc(reviewed)))
    writer.write("shift", ["id", "member_id", "post_id", "unit_id", "status", "source", "offline", "client_id",
                           "started_at", "ended_at", "minutes", "credited_minutes", "review_flags",
                           "check_in_lat", "check_in_lng", "check_in_accuracy_m", "check_in_distance_m",
                           "check_out_lat", "check_out_lng", "check_out_accuracy_m", "check_out_distance_m",
                           "claim_reason", "reviewed_by_id", "reviewed_at", "review_reason", "created_at"], rows,
                 bulk=True)
    writer.write("shift_review", ["id", "shift_id", "decision", "credited_minutes", "status_before", "status_after",
                                  "reason", "daily_cap_override", "reviewer_id", "reviewer_name", "created_at"], reviews,
                 bulk=True)
    return len(rows), len(reviews)


TABLES = ("unit", "admin", "window", "wechat_user", "member", "commitment", "post", "qr_code", "rating", "case",
          "shift", "shift_review")


def generate(rating_count, shift_count, seed=1, sizes=None, now=None, log=print):
    """Fill the app's (empty, migrated) database; returns the Base. Call inside an app context."""
    rng = random.Random(seed)
    now = now or dt.datetime.now(UTC)
    writer = Writer()
    started = time.perf_counter()
    b = base(writer, rng, sizes or Sizes(), now)
    log(f"  base: {writer.rows:,} rows ({len(b.units)} units, {len(b.members):,} members, "
        f"{len(b.citizens):,} citizens, {len(b.codes):,} codes)")
    for label, fill, count in (("ratings", ratings, rating_count), ("shifts", shifts, shift_count)):
        if not count:
            continue
        rows_before, seconds_before, begun = writer.rows, writer.seconds, time.perf_counter()
        main, extra = fill(writer, rng, b, count, now)
        elapsed = time.perf_counter() - begun
        written = writer.rows - rows_before
        log(f"  {label}: {main:,} (+{extra:,} {'cases' if label == 'ratings' else 'reviews'}) in {elapsed:.1f} s, "
            f"{written / elapsed:,.0f} rows/s (of which writing {writer.seconds - seconds_before:.1f} s)")
    begun = time.perf_counter()
    # Rows written by COPY or executemany bypass the session that keeps the figures' tallies.
    with db.engine.begin() as connection:
        written = tallies.rebuild(connection)
    log(f"  tallies rebuilt in {time.perf_counter() - begun:.1f} s: "
        + ", ".join(f"{name} {count:,} rows" for name, count in written.items()))
    begun = time.perf_counter()
    writer.finish(TABLES)
    log(f"  statistics ({'VACUUM ANALYZE' if writer.dialect == 'postgresql' else 'ANALYZE'}) "
        f"in {time.perf_counter() - begun:.1f} s; total {time.perf_counter() - started:.1f} s, "
        f"{writer.rows:,} rows")
    return b


def bench_app(url, **settings):
    """The app on ``url`` with the test configuration (cheap password hashing, no WeChat)."""
    from server import create_app
    from server.config import TestConfig

    class BenchConfig(TestConfig):
        def __init__(self):
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = url
            self.__dict__.update(settings)

    return create_app(BenchConfig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an EMPTY database, e.g. sqlite:////work/logs/bench/big.sqlite3")
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--shifts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    from server.config import database_url

    app = bench_app(database_url(options.database_url))
    with app.app_context():
        create_schema()
        print(f"Generating on {db.engine.dialect.name}: {options.ratings:,} ratings, {options.shifts:,} shifts")
        generate(options.ratings, options.shifts, options.seed)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
