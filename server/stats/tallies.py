"""Daily rollups of the figures (rating_tally, shift_tally in server/models.py), kept in step with
the ratings and shifts by the session itself.

After every flush the session notes what the flushed ratings and shifts changed (what an
update or a delete counted before is noted just before the flush, read from the row when the
session does not hold it); just before the commit it adds the differences to the tallies, one
UPSERT (an executemany) per table, in the same transaction: a rating counts in the figures exactly when it is
committed, an exclusion or a review moves them in the same commit, and a rolled-back
transaction or savepoint leaves them as they were. The rows are written in key order (one
executemany), so two transactions never wait on each other's rows crosswise.

What a row contributes is computed in one place (rating_part, shift_part), for the session's
changes and for ``rebuild`` alike. Writes that bypass the ORM are not seen: none changes a
counted column (the Core close of a stale shift moves it from open to needs_review, neither
of which counts). After a bulk load or a change of TZ_NAME, `flask tallies rebuild`
recomputes them; `flask tallies check` compares them with the rows.
"""
import functools
from collections import defaultdict

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from server import messages
from server.models import (
    TALLY_HOURS,
    TALLY_TAGS,
    Rating,
    Shift,
    rating_tally,
    shift_tally,
)
from server.schemas import local_zone

RATING_FIELDS = ("unit_id", "window_id", "rated_on", "score", "tags", "created_at", "excluded_at", "follow_up_of_id")
SHIFT_FIELDS = ("unit_id", "status", "started_at", "minutes", "credited_minutes")
RATING_KEY = ("unit_id", "window_id", "rated_on")
SHIFT_KEY = ("unit_id", "started_on")
# Every count column, in a fixed order: each upsert names them all, so it is one statement to compile.
RATING_COUNTS = ("ratings", *(f"s{score}" for score in range(1, 6)), *TALLY_TAGS.values(), *TALLY_HOURS)
SHIFT_COUNTS = ("approved", "pending")
# Per tally table: its key columns and its count columns.
COLUMNS = {rating_tally: (RATING_KEY, RATING_COUNTS), shift_tally: (SHIFT_KEY, SHIFT_COUNTS)}
BATCH = 5000
# rating_tally's window_id for the ratings of members' badges, and for the unit's total row.
BADGES, UNIT_TOTAL = 0, -1


def rating_part(values, zone):
    """[(key, {count column: n})] that a rating with ``values`` (RATING_FIELDS) adds to rating_tally:
    to its window's (or the unit's badges') row and to its unit's total row of the day; nothing
    when it does not count (excluded by the bureau, or a follow-up rating)."""
    if values["excluded_at"] is not None or values["follow_up_of_id"] is not None:
        return []
    counts = {"ratings": 1, f"s{values['score']}": 1, TALLY_HOURS[values["created_at"].astimezone(zone).hour]: 1}
    tags = values["tags"] or ()
    for zero, tag in messages.ZERO_TAGS.items():
        if tag in tags:
            counts[TALLY_TAGS[zero]] = 1
    unit_id, day = values["unit_id"], values["rated_on"]
    return [((unit_id, values["window_id"] or BADGES, day), counts), ((unit_id, UNIT_TOTAL, day), counts)]


def shift_part(values, zone):
    """[(key, {column: minutes})] that a shift with ``values`` (SHIFT_FIELDS) adds to shift_tally;
    nothing unless it counts: approved (its credited minutes) or pending (its measured minutes),
    as server.shifts.hours.counted_minutes."""
    column, minutes = {"approved": ("approved", values["credited_minutes"]),
                       "pending": ("pending", values["minutes"])}.get(values["status"], (None, None))
    if not minutes:
        return []
    return [((values["unit_id"], values["started_at"].astimezone(zone).date()), {column: minutes})]


TRACKED = ((Rating, RATING_FIELDS, rating_part, rating_tally), (Shift, SHIFT_FIELDS, shift_part, shift_tally))


UNKNOWN = object()


def _changes_of(obj, fields, deleting):
    """(values before, values after) of ``fields`` of the persistent ``obj`` in this flush; None when
    none of them changes (and ``obj`` is not being deleted). A value the session never loaded
    is UNKNOWN."""
    state = sa.inspect(obj)
    before, after, changed = {}, {}, deleting
    for name in fields:
        added, unchanged, deleted = state.attrs[name].history
        changed = changed or bool(added or deleted)
        if deleted:
            before[name] = deleted[0]
        elif unchanged:
            before[name] = unchanged[0]
        else:  # set without its earlier value at hand, or never loaded
            before[name] = UNKNOWN if added else state.dict.get(name, UNKNOWN)
        after[name] = added[0] if added else before[name]
    return (before, after) if changed else None


@event.listens_for(Session, "before_flush")
def _tally_before_flush(session, flush_context, instances):
    """Note what the ratings and shifts about to be updated or deleted counted, and will count.

    Earlier values the session does not hold (a column never loaded, e.g. after an insert kept
    loaded) are read from the row first, in one statement per model: after the flush it is too late.
    """
    changes = []
    for model, fields, part, table in TRACKED:
        found = [(obj, _changes_of(obj, fields, obj in session.deleted)) for obj in (*session.dirty, *session.deleted)
                 if isinstance(obj, model) and obj not in session.new]
        found = [(obj, change) for obj, change in found if change is not None]
        unknown = [obj.id for obj, (before, _) in found if UNKNOWN in before.values()]
        if unknown:
            rows = {row.id: row._mapping for row in session.connection().execute(
                select(model.id, *(getattr(model, name) for name in fields)).where(model.id.in_(unknown)))}
            for obj, (before, after) in found:
                for name, value in before.items():
                    if value is UNKNOWN:
                        before[name] = rows[obj.id][name]
                        if after[name] is UNKNOWN:
                            after[name] = before[name]
        changes += [(table, part, before, None if obj in session.deleted else after) for obj, (before, after) in found]
    session.info["tally_changes"] = changes


@event.listens_for(Session, "after_flush")
def _tally_flush(session, flush_context):
    """Note what this flush changed in ratings and shifts, under the (nested) transaction it ran in."""
    changes = session.info.pop("tally_changes", [])
    for model, fields, part, table in TRACKED:
        # An inserted row's columns that were never set are NULL (none of these has a server default).
        changes += [(table, part, None, {name: sa.inspect(obj).dict.get(name) for name in fields})
                    for obj in session.new if isinstance(obj, model)]
    if not changes:
        return
    zone = local_zone()
    deltas = _no_counts()
    for table, part, before, after in changes:
        for values, sign in ((before, -1), (after, 1)):
            if values is not None:
                _add(deltas[table], part(values, zone), sign)
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault("tally_pending", []).append((transaction, deltas))


@event.listens_for(Session, "after_soft_rollback")
def _tally_rollback(session, previous_transaction):
    """A rolled-back transaction or savepoint takes what its flushes noted with it."""
    def inside(transaction):
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    pending = session.info.get("tally_pending")
    if pending:
        session.info["tally_pending"] = [(transaction, deltas) for transaction, deltas in pending
                                         if not inside(transaction)]


@event.listens_for(Session, "after_transaction_end")
def _tally_forget(session, transaction):
    if transaction.parent is None:
        session.info.pop("tally_pending", None)


@event.listens_for(Session, "before_commit")
def _tally_commit(session):
    """Add everything the transaction's flushes noted to the tallies, as its last statements.

    Last, so the tally rows (one per unit and day: every rating of a unit that day adds to the
    same total row) stay locked only for the commit itself, not for the rest of the request.
    """
    session.flush()
    pending = session.info.pop("tally_pending", None)
    if not pending:
        return
    merged = _no_counts()
    for _, deltas in pending:
        for table, by_key in deltas.items():
            _add(merged[table], by_key.items())
    connection = session.connection()
    for table, by_key in merged.items():
        rows = [_row(table, key, counts) for key, counts in sorted(by_key.items()) if any(counts.values())]
        if rows:
            connection.execute(_upsert(table), rows)


def _no_counts():
    """{table: {key: {column: count}}}, empty."""
    return {table: defaultdict(lambda: defaultdict(int)) for table in COLUMNS}


def _add(by_key, parts, sign=1):
    """Add each (key, {column: count}) of ``parts``, times ``sign``, into ``by_key``."""
    for key, counts in parts:
        for column, count in counts.items():
            by_key[key][column] += sign * count


def _row(table, key, counts):
    """A row of ``table``: its key's columns, and every count column (0 where ``counts`` has none)."""
    key_columns, count_columns = COLUMNS[table]
    return {**dict(zip(key_columns, key)), **{column: counts.get(column, 0) for column in count_columns}}


@functools.lru_cache(maxsize=len(COLUMNS))
def _upsert(table):
    """INSERT a row of key and counts, or add the counts to the row of the same key.

    Written as text, the same for SQLite (3.24+) and PostgreSQL: SQLAlchemy cannot cache the
    compiled form of its dialects' on_conflict_do_update, and would compile it for every commit.
    """
    key_columns, count_columns = COLUMNS[table]
    names = [column.name for column in table.c]
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(':' + name for name in names)}) "
           f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET "
           + ", ".join(f"{name} = {table.name}.{name} + excluded.{name}" for name in count_columns))
    return sa.text(sql).bindparams(*(sa.bindparam(column.name, type_=column.type) for column in table.c))


# --- From the rows ---

def computed(connection):
    """{table: {key: {column: count}}}: the tallies as the ratings and shifts now give them."""
    zone = local_zone()
    sums = _no_counts()
    for model, fields, part, table in TRACKED:
        rows = connection.execute(
            select(*(getattr(model, name).label(name) for name in fields)).execution_options(yield_per=BATCH))
        for row in rows.mappings():
            _add(sums[table], part(row, zone))
    return sums


def rebuild(connection):
    """Replace both tallies by what the ratings and shifts give (in the caller's transaction);
    the rows written per table."""
    written = {}
    for table, by_key in computed(connection).items():
        connection.execute(table.delete())
        rows = [_row(table, key, counts) for key, counts in sorted(by_key.items())]
        for start in range(0, len(rows), BATCH):
            connection.execute(table.insert(), rows[start:start + BATCH])
        written[table.name] = len(rows)
    return written


def differences(connection):
    """[(table, key, column, stored, computed)] where the tallies differ from the rows."""
    found = []
    for table, by_key in computed(connection).items():
        key_columns, count_columns = COLUMNS[table]
        stored = {tuple(row[name] for name in key_columns): row for row in connection.execute(select(table)).mappings()}
        for key in sorted(set(stored) | set(by_key)):
            expected = _row(table, key, by_key.get(key, {}))
            row = stored.get(key, {})
            for column in count_columns:
                if row.get(column, 0) != expected[column]:
                    found.append((table.name, key, column, row.get(column, 0), expected[column]))
    return found


# --- flask tallies rebuild | check ---

tallies_group = AppGroup("tallies", help="The figures' daily tallies (rating_tally, shift_tally).")


@tallies_group.command("rebuild")
def rebuild_command():
    """Recompute the figures' daily tallies from the ratings and shifts (after a bulk load or a TZ_NAME change)."""
    from server.extensions import db

    with db.engine.begin() as connection:
        written = rebuild(connection)
    click.echo(", ".join(f"{name}: {count:,} rows" for name, count in written.items()))


@tallies_group.command("check")
def check_command():
    """Compare the daily tallies with the ratings and shifts; exit status 1 when they differ."""
    from server.extensions import db

    with db.engine.connect() as connection:
        found = differences(connection)
    for table, key, column, stored, expected in found[:50]:
        click.echo(f"{table} {key} {column}: stored {stored}, rows give {expected}")
    click.echo(f"{len(found)} difference(s)" if found else "tallies match the rows")
    raise SystemExit(1 if found else 0)
