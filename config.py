"""Configuration classes; every setting can come from a TRACKER_* environment variable."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("TRACKER_INSTANCE_PATH", BASE_DIR / "instance"))


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"TRACKER_{name}")
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _instance_secret_key() -> str:
    """Read the development secret key from instance/, creating it once."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def normalize_database_url(url: str) -> str:
    """Use the psycopg (3) driver for plain postgresql:// URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run the application safely."""


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "development"
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tracker.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = _env_int("SQLITE_BUSY_TIMEOUT_MS", 10_000)
    BABEL_DEFAULT_LOCALE = _env("DEFAULT_LOCALE", "zh_Hans_CN")
    BABEL_DEFAULT_TIMEZONE = _env("TIMEZONE", "Asia/Shanghai")
    LANGUAGES = ("zh_Hans_CN", "en")
    PAGE_SIZE = _env_int("PAGE_SIZE", 25)
    WTF_CSRF_TIME_LIMIT = None  # a clerk may keep a form open all day
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env("SECURE_COOKIES", "0") == "1"
    IDLE_TIMEOUT_MINUTES = _env_int("IDLE_TIMEOUT_MINUTES", 60)  # sign out after this long idle
    MAX_CONTENT_LENGTH = _env_int("MAX_UPLOAD_MB", 20) * 1024 * 1024
    ADMIN_PASSWORD = _env("ADMIN_PASSWORD")
    # Signed letters' PDFs; shared storage when several machines serve the app.
    ARCHIVE_DIR = _env("ARCHIVE_DIR", str(INSTANCE_DIR / "archive"))
    # Email for reminders (optional): TRACKER_SMTP_HOST and friends.
    SMTP_HOST = _env("SMTP_HOST")
    SMTP_PORT = _env_int("SMTP_PORT", 25)
    SMTP_USER = _env("SMTP_USER")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    SMTP_FROM = _env("SMTP_FROM", "tracker@localhost")
    SMTP_STARTTLS = _env("SMTP_STARTTLS", "0") == "1"
    PUBLIC_URL = _env("PUBLIC_URL", "")  # links in emails, e.g. https://tracker.example.gov.cn
    # Background jobs: results are written here; with a Redis URL jobs go to RQ workers.
    JOBS_DIR = _env("JOBS_DIR", str(INSTANCE_DIR / "jobs"))
    REDIS_URL = _env("REDIS_URL")
    JOBS_QUEUE = _env("JOBS_QUEUE", "tracker")
    # Demo data: how many signed letters get their archival PDF rendered (0.3 s each).
    DEMO_PDF_LIMIT = _env_int("DEMO_PDF_LIMIT", 30)
    # A bureau's licensed fonts (fangsong.ttf, xiaobiaosong.ttf, kaiti.ttf, heiti.ttf).
    FONTS_DIR = _env("FONTS_DIR", str(INSTANCE_DIR / "fonts"))

    @classmethod
    def check(cls) -> None:
        """Fill in development defaults; production overrides this to refuse them."""
        if not cls.SECRET_KEY:
            cls.SECRET_KEY = _instance_secret_key()


class DevelopmentConfig(Config):
    """The embedded default: SQLite under instance/."""


class TestingConfig(Config):
    """Used by the test suite; the database URL comes from the tests."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-secret"
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = "sqlite://"

    @classmethod
    def check(cls) -> None:
        """Nothing to check: tests set everything explicitly."""


class ProductionConfig(Config):
    """Refuses to start without an explicit secret key and database."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env("SECURE_COOKIES", "1") == "1"

    @classmethod
    def check(cls) -> None:
        """Refuse to run on development defaults."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not _env(name)]
        if missing:
            names = ", ".join(f"TRACKER_{name}" for name in missing)
            raise ConfigError(f"Production configuration needs {names} in the environment.")
        cls.SECRET_KEY = _env("SECRET_KEY")
        cls.SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """Pick the configuration class named by TRACKER_ENV (development by default)."""
    name = _env("ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"TRACKER_ENV must be one of {', '.join(CONFIGS)}, not {name!r}.")
    return CONFIGS[name]
