"""What every benchmark needs: an app on a throwaway SQLite file, signs cached beside it."""
import tempfile

from server import create_app
from server.config import TestConfig


def bench_app(prefix):
    """(app, workdir): the test configuration on a fresh SQLite file under a temporary folder."""
    workdir = tempfile.mkdtemp(prefix=prefix)

    class BenchConfig(TestConfig):
        def __init__(self):
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{workdir}/bench.sqlite3"
            self.QR_OUTPUT_DIR = f"{workdir}/generated"

    return create_app(BenchConfig), workdir


def databases_arg(text):
    """The --db option ("sqlite", "postgres" or "sqlite,postgres") as a list; exits on anything else."""
    databases = [name.strip() for name in text.split(",") if name.strip()]
    if not databases or set(databases) - {"sqlite", "postgres"}:
        raise SystemExit("--db takes sqlite, postgres or sqlite,postgres")
    return databases


def new_workdir(parent=None):
    """A new /tmp/red-station-bench.* folder (or one under ``parent``, created if needed)."""
    from pathlib import Path

    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="red-station-bench.", dir=parent))
