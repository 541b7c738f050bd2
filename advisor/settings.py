"""One settings model for the CLI and the site, read from ADVISOR_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from advisor.model.errors import AdvisorError
from advisor.model.plan import MAX_ROLLOUT_MONTHS

REPOSITORY = Path(__file__).resolve().parent.parent


def default_rules_dir() -> Path:
    """`ADVISOR_RULES_DIR` if set, else the rules shipped beside the package."""
    return Settings().rules_dir


class Settings(BaseSettings):
    """Everything configurable; each field is `ADVISOR_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="ADVISOR_", extra="ignore")

    rules_dir: Path = Field(
        default=REPOSITORY / "rules",
        description="the rule folder: seeds the database's rulebook when it holds none (the site's "
        "rulebook is the database's from then on); the CLI's folder commands default to it",
    )
    instance_dir: Path = REPOSITORY / "instance"
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; the default is a SQLite file in instance_dir"
    )
    secret_key: str | None = Field(
        default=None, description="signs session cookies; generated into instance_dir if unset"
    )
    secure_cookies: bool = Field(
        default=True,
        description="send the session cookie over HTTPS only (browsers treat "
        "http://127.0.0.1 as secure, so this works for local use too)",
    )
    max_request_bytes: int = 2_000_000
    import_max_bytes: int = Field(
        default=200_000_000,
        ge=1,
        description="the largest upload an import of directory and device exports takes (the users "
        "CSV and the devices CSV together); only the import endpoints take more than "
        "max_request_bytes, and a larger upload is refused by its Content-Length before it is read",
    )
    import_pending_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description="how many days a proposal from an import waits for its preview before it is "
        "deleted (its counts and the job titles taken for executives go with it)",
    )
    trusted_proxies: int = Field(
        default=0,
        ge=0,
        description="how many reverse proxies in front of the site set X-Forwarded-For; 0 trusts "
        "none (the client address is the connection's). Set it only behind your own proxies.",
    )
    login_address_attempts: int = Field(
        default=100,
        ge=1,
        description="failed logins allowed per client address per window, whatever the accounts; "
        "larger than login_attempts, as many people may share an address",
    )
    login_attempts: int = Field(default=5, ge=1, description="failed logins allowed per account per window")
    login_window_seconds: int = 900
    max_rollout_months: int = Field(
        default=MAX_ROLLOUT_MONTHS,
        ge=1,
        le=1200,
        description="the most months one plan may span; a longer rollout is refused with the reason "
        "(bounds the work and the size of every plan)",
    )
    page_size: int = Field(
        default=25,
        ge=1,
        le=500,
        description="assessments on one page of the list (the site's and the API's): each page "
        "costs the same however long the list",
    )
    reload_interval_seconds: float = Field(
        default=0.5,
        ge=0,
        description="how often each process looks at the database for a new rulebook version "
        "(one cheap query; on PostgreSQL a NOTIFY also wakes it at once)",
    )
    embedded_worker: bool = Field(
        default=True,
        description="run a job worker (the impact of rule changes) in a thread of each site process; "
        "set it false when `advisor worker` processes do the jobs instead",
    )
    job_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="how long a job stays with a worker that stopped renewing its lease before "
        "another worker takes it over (and resumes it from its last checkpoint)",
    )
    job_poll_seconds: float = Field(
        default=1.0, gt=0, description="how often an idle job worker looks for work"
    )
    impact_processes: int = Field(
        default=0,
        ge=0,
        le=256,
        description="processes that plan the saved assessments for an impact job; 0: one per core this "
        "process may use (its CPU set, not the host's count), at most 4",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="the least severe log lines written (JSON, one per line, on stderr)"
    )
    # In the container the site must listen on all interfaces; anywhere else, set ADVISOR_BIND.
    bind: str = Field(
        default="0.0.0.0:8000", description="HOST:PORT, or unix:PATH for a socket, gunicorn listens on"
    )
    workers: int = Field(default=2, ge=1, le=256, description="gunicorn's worker processes")

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("bind")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        if value.startswith("unix:"):
            if not value.removeprefix("unix:").startswith("/"):
                raise ValueError("a socket must be unix: and an absolute path, e.g. unix:/run/advisor.sock")
            return value
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(
                "must be HOST:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:8000) or unix:PATH"
            )
        return value

    @property
    def socket_path(self) -> str | None:
        """The socket gunicorn listens on, when `bind` is unix:PATH."""
        return self.bind.removeprefix("unix:") if self.bind.startswith("unix:") else None

    @property
    def port(self) -> int | None:
        """The port of `bind` (None for a socket)."""
        return None if self.socket_path else int(self.bind.rpartition(":")[2])

    @property
    def resolved_database_url(self) -> str:
        """The database URL; for the default SQLite file its folder is created first."""
        if self.database_url:
            return self.database_url
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{self.instance_dir / 'advisor.db'}"
        private_sqlite_file(url)
        return url


class SettingsError(AdvisorError):
    """An ADVISOR_* variable with a value the settings cannot take; every one is listed."""

    exit_code = 2


def load_settings() -> Settings:
    """The settings from the environment, or a SettingsError naming each bad variable and why."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = "_".join(str(part) for part in error["loc"])
            # Never echoed: the key, and a database URL (it may carry the database's password).
            given = "" if field in ("secret_key", "database_url") else f"={error.get('input')!r}"
            name = f"ADVISOR_{field.upper()}"
            lines.append(f"{name}{given}: {error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("bad settings:\n" + "\n".join(lines)) from None


def private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (0600, like the secret key)
    before SQLite creates it with the umask's mode (0644: every local user could read the
    password hashes and token hashes). SQLite gives its -wal and -shm files the mode of the
    database file, so they follow. An existing file keeps the mode it has; other URLs are left
    alone."""
    from sqlalchemy.engine import make_url  # here: the settings module stays light to import

    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:") or parsed.query.get("mode") == "memory":
        return  # SQLite URI filenames: the caller chose how the file is opened
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite reports the missing folder itself
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(handle)  # an empty file is an empty SQLite database
