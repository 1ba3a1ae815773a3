"""A throwaway PostgreSQL cluster for the benchmarks, like scripts/test's start_postgres.

Debian's binaries (package ``postgresql``), a temporary directory under /tmp, a free port on
127.0.0.1; owned by the postgres OS user when we are root (initdb refuses to run as root).
The cluster is stopped and its directory removed on exit, whatever happens.

Unlike the test cluster this one keeps PostgreSQL's durability defaults (fsync,
synchronous_commit): a benchmark of inserts must pay for the commits a deployment pays for.
"""
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile

# A small deployment's settings on this 24 GiB machine; everything else is PostgreSQL's default.
SETTINGS = {"shared_buffers": "512MB", "effective_cache_size": "4GB", "max_connections": "200"}


def _bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: [int(p) for p in path.split("/")[4].split(".") if p.isdigit()])
    if not found:
        raise SystemExit("PostgreSQL's server is not installed: apt-get install postgresql (scripts/bench does it).")
    return os.path.dirname(found[-1])


def libpq_url(url):
    """A SQLAlchemy URL of the app (postgresql+psycopg://…) as libpq and psycopg.connect take it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(command, cwd, check=True, **kwargs):
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, cwd=cwd, check=check, **kwargs)


@contextlib.contextmanager
def throwaway_cluster(settings=None):
    """Yield the URL (postgresql://…) of an empty database in a fresh cluster; remove it all afterwards."""
    pg_bin = _bin()
    workdir = tempfile.mkdtemp(prefix="red-station-bench.pg.")
    if os.getuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    data, log = os.path.join(workdir, "data"), os.path.join(workdir, "server.log")
    port = free_port()
    options = [f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir}"]
    options += [f"-c {name}={value}" for name, value in {**SETTINGS, **(settings or {})}.items()]
    started = False
    try:
        _as_postgres([f"{pg_bin}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"],
                     workdir, stdout=subprocess.DEVNULL)
        _as_postgres([f"{pg_bin}/pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "-o", " ".join(options), "start"],
                     workdir, stdout=subprocess.DEVNULL)
        started = True
        subprocess.run([f"{pg_bin}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "red_station"],
                       check=True)
        yield f"postgresql://postgres@127.0.0.1:{port}/red_station"
    finally:
        if started:
            _as_postgres([f"{pg_bin}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], workdir, check=False,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(workdir, ignore_errors=True)
