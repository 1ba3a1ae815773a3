"""Files made in the background with their progress: a unit's sign sheet, the hours and ratings exports.

A request checks its input and the unit wall, then starts a job: a thread of the same process
writes the file while the admin's page polls its progress. The job's state is a small JSON file
beside its output under EXPORT_JOB_DIR, so whichever worker process answers a poll or the
download reads the same state. A job belongs to the admin who started it (anyone else gets
404, like another unit's object) and is deleted a day later.

On a private in-memory SQLite database (the test suite's) a second thread cannot share the
connection, so jobs run inside the request instead; EXPORT_JOBS_INLINE forces either way.
"""
import dataclasses
import datetime as dt
import json
import os
import re
import secrets
import threading
import time
from pathlib import Path

from flask import current_app

from server import messages
from server.auth.identity import current_identity
from server.errors import ApiError
from server.extensions import db

JOB_ID = re.compile(r"[A-Za-z0-9_-]{22}")
KEEP_SECONDS = 24 * 3600
# A running job that has said nothing for this long died with its process.
STALE_SECONDS = 600
MAX_RUNNING_PER_ADMIN = 3
# Progress is written to disk at most this often (each sign or row would be too often).
SAVE_INTERVAL_SECONDS = 0.2


@dataclasses.dataclass
class Job:
    """One file being made: whose, what, how far, and the file when done."""

    id: str
    kind: str
    admin_id: int
    unit_id: int | None
    filename: str
    mimetype: str
    status: str = "running"  # running, done, failed
    done: int = 0
    total: int | None = None
    error: str = ""  # why it failed, in Chinese
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def percent(self):
        """0–100, or None while the total is not known yet."""
        if self.status == "done":
            return 100
        if not self.total:
            return None
        return min(99, int(self.done * 100 / self.total))

    @property
    def started(self):
        """When the job started, as an aware datetime."""
        return dt.datetime.fromtimestamp(self.created_at, dt.timezone.utc)

    @property
    def finished(self):
        return self.status in ("done", "failed")

    def view(self):
        """The state a polling page reads."""
        return {"id": self.id, "kind": self.kind, "status": self.status, "done": self.done, "total": self.total,
                "percent": self.percent, "error": self.error, "filename": self.filename}


def _folder():
    folder = Path(current_app.config["EXPORT_JOB_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _state_path(job_id):
    return _folder() / f"{job_id}.json"


def result_path(job):
    """Where the finished file is."""
    return _folder() / f"{job.id}.out"


def _save(job):
    """Write the state atomically: a poll never reads half a file."""
    job.updated_at = time.time()
    path = _state_path(job.id)
    temporary = path.with_suffix(f".{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(dataclasses.asdict(job), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def _read(path):
    try:
        job = Job(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if job.status == "running" and time.time() - job.updated_at > STALE_SECONDS:
        job.status, job.error = "failed", messages.EXPORT_INTERRUPTED
    return job


def load(job_id):
    """The job ``job_id`` (any admin's), or None."""
    if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
        return None
    return _read(_state_path(job_id))


def own_job(job_id):
    """The caller's job ``job_id``; 404 for anyone else's, as for one that does not exist."""
    job = load(job_id)
    if job is None or job.admin_id != current_identity().admin.id:
        raise ApiError(404, "not_found", messages.EXPORT_NOT_FOUND)
    return job


def own_jobs(limit=10):
    """The caller's jobs, newest first."""
    admin_id = current_identity().admin.id
    jobs = [job for job in map(_read, _folder().glob("*.json")) if job is not None and job.admin_id == admin_id]
    return sorted(jobs, key=lambda job: job.created_at, reverse=True)[:limit]


def sweep():
    """Delete jobs (state and file) older than KEEP_SECONDS."""
    cutoff = time.time() - KEEP_SECONDS
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def start(kind, filename, mimetype, work, unit_id=None):
    """Start making a file for the caller: ``work(out, progress)`` writes it to the binary file
    ``out`` and may call ``progress(done, total)``; an ApiError it raises fails the job with its
    message. Returns the Job (already finished when run inline).

    ``work`` runs in another thread with its own database session, as the caller (the unit wall
    applies there too): give it ids and values, not database objects.
    """
    admin_id = current_identity().admin.id
    sweep()
    running = [job for job in own_jobs(limit=None) if job.status == "running"]
    if len(running) >= MAX_RUNNING_PER_ADMIN:
        raise ApiError(429, "exports_busy", messages.EXPORT_BUSY.format(count=len(running)))
    now = time.time()
    job = Job(id=secrets.token_urlsafe(16), kind=kind, admin_id=admin_id, unit_id=unit_id, filename=filename,
              mimetype=mimetype, created_at=now)
    _save(job)
    if _inline():
        _run(job, work)
    else:
        app = current_app._get_current_object()
        threading.Thread(target=_run_in_app, args=(app, job, work), name=f"export-{job.id}", daemon=True).start()
    return job


def _inline():
    configured = current_app.config.get("EXPORT_JOBS_INLINE")
    if configured is not None:
        return bool(configured)
    url = db.engine.url
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _run_in_app(app, job, work):
    """Run the job in a context of its own, as the admin who started it (so the unit wall applies)."""
    from flask import g

    from server.auth.identity import Identity
    from server.models import Admin

    with app.app_context():
        try:
            g.identity = Identity(admin=db.session.get(Admin, job.admin_id))
            _run(job, work)
        finally:
            db.session.rollback()  # the thread only read; end its transaction before the context goes


def _run(job, work):
    """Run ``work`` into the job's file, keeping its state on disk."""
    last_save = [0.0]

    def progress(done, total):
        job.done, job.total = done, total
        now = time.monotonic()
        if now - last_save[0] >= SAVE_INTERVAL_SECONDS or done == total:
            last_save[0] = now
            _save(job)

    final = result_path(job)
    partial = final.with_suffix(".part")
    try:
        with open(partial, "wb") as out:
            work(out, progress)
        os.replace(partial, final)
        job.status = "done"
        if job.total is not None:
            job.done = job.total
    except ApiError as error:
        job.status, job.error = "failed", error.message
    except Exception:  # noqa: BLE001 - the admin sees a failed job; the log keeps the cause
        current_app.logger.exception("export job %s (%s) failed", job.id, job.kind)
        job.status, job.error = "failed", messages.EXPORT_FAILED
    finally:
        partial.unlink(missing_ok=True)
        _save(job)
