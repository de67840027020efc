"""Throwaway databases: a SQLite file, or a fresh PostgreSQL database on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2

POSTGRES_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


@contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    yield f"sqlite+aiosqlite:///{directory / 'assistant.db'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"assistant_test_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.format(name=name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(statement: str) -> None:
    connection = psycopg2.connect(POSTGRES_ADMIN_DSN)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


@contextmanager
def migrated_database(backend: str, directory: Path) -> Iterator[str]:
    """A throwaway database of `backend` ("sqlite" or "postgresql"), migrated, with the
    sample data: its URL."""
    from tests.support.processes import prepare_database

    context = sqlite_database(directory) if backend == "sqlite" else postgres_database()
    with context as url:
        prepare_database(url)
        yield url
