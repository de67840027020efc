"""A fresh database per backend for the statistics tests (migrated, with the sample data),
seeded with conversations counted by hand (`seed.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.kb.db import Database
from tests.analytics.seed import Seeded, seed
from tests.support.databases import migrated_database

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="module", params=BACKENDS)
def fresh_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with migrated_database(request.param, tmp_path_factory.mktemp("stats")) as url:
        yield url


@pytest.fixture(scope="module")
async def seeded(fresh_database_url: str) -> AsyncIterator[tuple[Database, Seeded]]:
    database = Database(fresh_database_url)
    seeded = await seed(database)
    yield database, seeded
    await database.dispose()
