"""Configuration classes: every setting is read from the environment here, nowhere else."""
import os
import tempfile
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
QR_ASSETS_DIR = Path(__file__).resolve().parent.parent / "qr_assets"
DEV_SECRET_KEY = "dev-only-not-secret"


def database_url(raw):
    """Return a SQLAlchemy URL for ``raw``, choosing the psycopg 3 driver for PostgreSQL."""
    if not raw:
        return f"sqlite:///{INSTANCE_DIR / 'red_station.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


class Config:
    """Settings shared by every environment; local, safe defaults for development.

    Values from the environment are read when the config is instantiated (in create_app),
    so each app sees the environment of its own start.
    """

    ENV_NAME = "development"
    WECHAT_TOKEN_TTL_SECONDS = 7 * 24 * 3600
    ADMIN_TOKEN_TTL_SECONDS = 12 * 3600
    BIND_CODE_TTL_HOURS = 72
    ADMIN_LOCKOUT_FAILURES = 5
    ADMIN_LOCKOUT_MINUTES = 15
    PASSWORD_HASH_METHOD = "scrypt"
    # No X-RateLimit-* headers (not in the contract; a Redis round trip or two per limited request):
    # a 429 still carries Retry-After (server/limiter_hooks.py).
    RATELIMIT_HEADERS_ENABLED = False
    MAX_CONTENT_LENGTH = 1024 * 1024
    DEVICE_COOKIE = "rs_device"
    # The console's session cookie: never readable by scripts, not sent on cross-site posts;
    # CSRF tokens are checked by the console's own views only (see server/console).
    SESSION_COOKIE_NAME = "rs_console"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None

    API_TITLE = "Red Station 红色驿站 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    def __init__(self):
        env = os.environ.get
        self.SECRET_KEY = env("SECRET_KEY") or DEV_SECRET_KEY
        self.SQLALCHEMY_DATABASE_URI = database_url(env("DATABASE_URL"))
        self.REDIS_TIMEOUT_SECONDS = float(env("REDIS_TIMEOUT_SECONDS", "2"))
        self.use_redis(env("REDIS_URL"), env("REDIS_KEY_PREFIX", "red-station:"))
        # How many proxies (nginx, a load balancer) sit in front and append X-Forwarded-For/-Proto:
        # the client address the rate limits key on is taken that many hops back. 0 = none.
        self.TRUSTED_PROXIES = int(env("TRUSTED_PROXIES", "0"))
        # Strict-Transport-Security max-age when PUBLIC_BASE_URL is https (0 = never send it).
        self.HSTS_SECONDS = int(env("HSTS_SECONDS", str(365 * 24 * 3600)))
        # Seconds PostgreSQL may take to accept a connection (so /healthz answers instead of hanging).
        self.DATABASE_CONNECT_TIMEOUT = int(env("DATABASE_CONNECT_TIMEOUT", "5"))
        # A pooled connection unused this many seconds is pinged before use (server/extensions.py
        # ping_when_idle); a busy one is not: a dropped one fails its request with a 503. 0 = never.
        self.DATABASE_PING_IDLE_SECONDS = float(env("DATABASE_PING_IDLE_SECONDS", "10"))
        self.PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://localhost:5000").rstrip("/")
        # The console's cookie is HTTPS-only whenever the site is served over HTTPS (1/0 forces it).
        secure = env("SESSION_COOKIE_SECURE", "")
        self.SESSION_COOKIE_SECURE = secure == "1" if secure in ("0", "1") else self.PUBLIC_BASE_URL.startswith("https://")
        self.WECHAT_APPID = env("WECHAT_APPID")
        self.WECHAT_SECRET = env("WECHAT_SECRET")
        self.WECHAT_API_BASE = env("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/")
        self.WECHAT_TIMEOUT_SECONDS = float(env("WECHAT_TIMEOUT_SECONDS", "5"))
        # Subscribe-message templates (订阅消息模板 id from the mini-program console); empty = not sent.
        self.WECHAT_TEMPLATE_BAD_RATING = env("WECHAT_TEMPLATE_BAD_RATING", "")
        self.WECHAT_TEMPLATE_CASE_ANSWERED = env("WECHAT_TEMPLATE_CASE_ANSWERED", "")
        self.WECHAT_TEMPLATE_SHIFT_REVIEWED = env("WECHAT_TEMPLATE_SHIFT_REVIEWED", "")
        # Which mini-program version a tapped subscribe message opens: formal, trial or developer.
        self.WECHAT_MINIPROGRAM_STATE = env("WECHAT_MINIPROGRAM_STATE", "formal")
        # The verification file of the "scan ordinary link opens mini-program" rule, served at
        # {PUBLIC_BASE_URL}/q/{file name}: its name (e.g. "Ab12Cd34Ef.txt") and its content.
        self.WECHAT_LINK_VERIFY_FILE = env("WECHAT_LINK_VERIFY_FILE", "")
        self.WECHAT_LINK_VERIFY_CONTENT = env("WECHAT_LINK_VERIFY_CONTENT", "")
        self.TZ_NAME = env("TZ_NAME", "Asia/Shanghai")
        self.QR_OUTPUT_DIR = env("QR_OUTPUT_DIR", str(QR_ASSETS_DIR / "generated"))
        # Files the console generates in the background (sign sheets, exports), kept a day.
        self.EXPORT_JOB_DIR = env("EXPORT_JOB_DIR", str(INSTANCE_DIR / "exports"))
        # A post further than this from every other post of its unit asks for confirmation (0 = never).
        self.POST_MAX_DISTANCE_KM = float(env("POST_MAX_DISTANCE_KM", "50"))
        # ★1–★5 at these approved hours; Beijing's rule would be "100,200,500,800,1000".
        self.STAR_THRESHOLDS_HOURS = tuple(int(h) for h in env("STAR_THRESHOLDS_HOURS", "100,300,600,1000,1500").split(","))
        # Redis down: each worker limits in its own memory meanwhile rather than not at all.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "10 per minute")
        self.BIND_RATE_LIMIT = env("BIND_RATE_LIMIT", "5 per minute;20 per hour")
        # Accepted ratings per rater (WeChat user or H5 device) and per client address; every
        # attempt, refused or not, is also capped per address to stop scripted floods.
        self.RATING_RATE_LIMIT_RATER = env("RATING_RATE_LIMIT_RATER", "30 per day")
        self.RATING_RATE_LIMIT_IP = env("RATING_RATE_LIMIT_IP", "60 per hour")
        self.RATING_ATTEMPT_LIMIT_IP = env("RATING_ATTEMPT_LIMIT_IP", "120 per minute")
        self.CASE_CONTACT_WORKDAYS = int(env("CASE_CONTACT_WORKDAYS", "1"))
        self.CASE_RESOLVE_WORKDAYS = int(env("CASE_RESOLVE_WORKDAYS", "15"))
        # A shift waits for review at most this many working days (the national volunteer-record rule).
        self.SHIFT_REVIEW_WORKDAYS = int(env("SHIFT_REVIEW_WORKDAYS", "10"))
        # The bureau's satisfaction goal (≥ 90 %), and the ratings a unit needs in a period to be ranked first.
        self.SATISFACTION_GOAL = float(env("SATISFACTION_GOAL", "0.9"))
        self.RANKING_MIN_RATINGS = int(env("RANKING_MIN_RATINGS", "10"))

    def use_redis(self, url, prefix="red-station:"):
        """Keep the state all workers share in Redis at ``url`` (None: in each process's memory).

        That is Flask-Limiter's counters and the WeChat access token; every key starts with
        ``prefix`` (REDIS_KEY_PREFIX), so several deployments can share one Redis.
        """
        self.REDIS_URL = url or None
        self.REDIS_KEY_PREFIX = prefix
        self.RATELIMIT_STORAGE_URI = url or "memory://"
        # A memory:// storage ignores these.
        self.RATELIMIT_STORAGE_OPTIONS = {"key_prefix": prefix + "limits",
                                          "socket_timeout": self.REDIS_TIMEOUT_SECONDS,
                                          "socket_connect_timeout": self.REDIS_TIMEOUT_SECONDS}

    @property
    def SQLALCHEMY_ENGINE_OPTIONS(self):
        """No ping of every pooled connection before use (a round trip per request): only idle ones
        are pinged (DATABASE_PING_IDLE_SECONDS); PostgreSQL gets a connect timeout.

        hide_parameters: a failed statement's values (a phone, a password hash) never reach an
        exception message, so never a log.
        """
        options = {"pool_pre_ping": False, "hide_parameters": True}
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            options["connect_args"] = {"connect_timeout": self.DATABASE_CONNECT_TIMEOUT}
        return options

    def check(self):
        """Refuse to run with settings that are unsafe for this environment."""


class DevelopmentConfig(Config):
    """Local development: SQLite under instance/, WeChat stand-in when no appid is set."""


class TestConfig(Config):
    """The test suite: a fresh database per test, PostgreSQL when TEST_DATABASE_URL names one."""

    ENV_NAME = "test"
    TESTING = True
    # Hashing stays real but cheap, so hundreds of test logins take seconds.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

    def __init__(self):
        super().__init__()
        self.SECRET_KEY = "test-secret-key"
        self.SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
        self.PUBLIC_BASE_URL = "https://rs.example.cn"
        # Tests never write rendered signs into the repository.
        self.QR_OUTPUT_DIR = os.path.join(tempfile.gettempdir(), f"red-station-test-qr-{os.getpid()}")
        self.EXPORT_JOB_DIR = os.path.join(tempfile.gettempdir(), f"red-station-test-exports-{os.getpid()}")
        self.WECHAT_APPID = None
        self.WECHAT_SECRET = None
        self.WECHAT_API_BASE = "http://127.0.0.1:9"
        self.WECHAT_TIMEOUT_SECONDS = 1.0
        self.WECHAT_TEMPLATE_BAD_RATING = self.WECHAT_TEMPLATE_CASE_ANSWERED = self.WECHAT_TEMPLATE_SHIFT_REVIEWED = ""
        # Tests opt into Redis themselves (use_redis with TEST_REDIS_URL); a developer's REDIS_URL is never touched.
        self.use_redis(None)
        self.TRUSTED_PROXIES = 0


class ProductionConfig(Config):
    """Production: refuses to start without its secrets."""

    ENV_NAME = "production"
    REQUIRED = ("SECRET_KEY", "WECHAT_APPID", "WECHAT_SECRET")

    def check(self):
        """Raise with the names of every missing secret."""
        missing = [name for name in self.REQUIRED if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "Production configuration refuses to start: set the environment variable(s) "
                + ", ".join(missing)
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_environment():
    """Pick the config class named by RED_STATION_CONFIG or FLASK_ENV (development by default)."""
    name = os.environ.get("RED_STATION_CONFIG") or os.environ.get("FLASK_ENV") or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown configuration {name!r}; use one of {', '.join(CONFIGS)}")
