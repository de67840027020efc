"""Alembic environment: the URL comes from the caller (see `bot.kb.migrate`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from bot.analytics import models as analytics_models  # noqa: F401  (registers the tables)
from bot.handoff import models as handoff_models  # noqa: F401
from bot.kb.models import Base
from bot.privacy import models as privacy_models  # noqa: F401
from bot.staff import models as staff_models  # noqa: F401
from bot.workspace import models as workspace_models  # noqa: F401

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
