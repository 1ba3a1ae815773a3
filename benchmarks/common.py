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
