"""Run Alembic migrations programmatically against the configured database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from bot.settings import to_sync_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", to_sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    _ensure_sqlite_directory(database_url)
    command.upgrade(alembic_config(database_url), revision)


def new_revision(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


def _ensure_sqlite_directory(database_url: str) -> None:
    if database_url.startswith("sqlite") and ":///" in database_url:
        path = database_url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
