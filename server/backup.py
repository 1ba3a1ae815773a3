"""Database backups and restores, for scripts/backup and scripts/restore (docs/deploy.md).

PostgreSQL: ``pg_dump --format=custom`` (compressed, restorable table by table) and
``pg_restore``; the password travels in PGPASSWORD, never on the command line where ``ps``
would show it. SQLite: the online backup API (what the sqlite3 shell's ``.backup`` uses), a
consistent copy even while the app is writing.

Usage (DATABASE_URL as the app reads it; unset = the development SQLite file):
    python -m server.backup backup [FILE]         writes FILE (default: backups/red-station-<time>.<ext>)
    python -m server.backup restore FILE [--clean] restores FILE into DATABASE_URL
"""
import argparse
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from server.config import database_url


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


def _url(raw):
    return make_url(database_url(raw))


def _sqlite_path(url):
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


def _libpq(url):
    """(libpq URI without the password, environment carrying it) for pg_dump / pg_restore."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command, env):
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).")
    finished = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        raise BackupError(f"{command[0]} failed: {finished.stderr.strip()[-2000:]}")


def default_file(raw_url, directory="backups"):
    """backups/red-station-YYYYmmdd-HHMMSS.dump (PostgreSQL) or .sqlite3 (SQLite)."""
    extension = "sqlite3" if _url(raw_url).get_backend_name() == "sqlite" else "dump"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(directory) / f"red-station-{stamp}.{extension}"


def backup(raw_url, destination):
    """Write a backup of the database at ``raw_url`` to ``destination``; returns its path."""
    url = _url(raw_url)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    backend = url.get_backend_name()
    if backend == "sqlite":
        source_path = _sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"No SQLite database at {source_path}.")
        partial = destination.with_name(destination.name + ".partial")
        partial.unlink(missing_ok=True)
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        target = sqlite3.connect(partial)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        partial.replace(destination)  # a backup file is either whole or absent
    elif backend == "postgresql":
        uri, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(destination),
              "--dbname", uri], env)
    else:
        raise BackupError(f"Cannot back up a {backend} database.")
    return destination


def restore(source, raw_url, clean=False):
    """Restore the backup file ``source`` into the database at ``raw_url``.

    The target must be empty (a fresh database) unless ``clean``, which first drops what the
    backup contains (PostgreSQL) or replaces the whole file (SQLite).
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    url = _url(raw_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        target_path = _sqlite_path(url)
        if target_path.exists() and target_path.stat().st_size and not clean:
            raise BackupError(f"{target_path} already exists; restore into a new file or pass --clean.")
        target_path.parent.mkdir(parents=True, exist_ok=True)
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(target_path)
        try:
            backup_db.execute("PRAGMA schema_version")  # fails early when the file is not SQLite
            with target:
                backup_db.backup(target)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite backup: {exc}") from exc
        finally:
            target.close()
            backup_db.close()
    elif backend == "postgresql":
        uri, env = _libpq(url)
        command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                   "--dbname", uri]
        if clean:
            command += ["--clean", "--if-exists"]
        _run([*command, str(source)], env)
    else:
        raise BackupError(f"Cannot restore into a {backend} database.")


def main(argv=None):
    """The command line of scripts/backup and scripts/restore."""
    parser = argparse.ArgumentParser(prog="server.backup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="the database (default: DATABASE_URL, else the development SQLite file)")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="write a backup file")
    make.add_argument("file", nargs="?", help="where to write it (default: backups/red-station-<time>.<ext>)")
    back = commands.add_parser("restore", help="restore a backup file into the database")
    back.add_argument("file")
    back.add_argument("--clean", action="store_true", help="replace what the target database already holds")
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            written = backup(args.database_url, args.file or default_file(args.database_url))
            print(written)
        else:
            restore(args.file, args.database_url, clean=args.clean)
            print(f"restored {args.file}")
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
