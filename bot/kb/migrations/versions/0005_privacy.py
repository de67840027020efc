"""privacy: the privacy log, and the sender of an unanswered question (for erasure)

Revision ID: 0005_privacy
Revises: 0004_security
Create Date: 2026-12-07 14:00:00

Texts become encrypted at rest without a schema change (same Text columns, sealed values
start with "enc1:"); `python -m bot.privacy rotate-text-key` seals rows written before.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005_privacy'
down_revision: str | None = '0004_security'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite: case numbers are never given again after a case is erased (AUTOINCREMENT),
    # so that "request 12 was withdrawn" can never be mistaken for a later request 12
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table(
            'handoff_case', recreate='always', table_kwargs={'sqlite_autoincrement': True}
        ):
            pass

    op.create_table('privacy_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_account.id'], name=op.f('fk_privacy_log_actor_id_staff_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_log'))
    )
    with op.batch_alter_table('privacy_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_log_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('unanswered_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_pseudonym', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_unanswered_message_user_pseudonym'), ['user_pseudonym'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('unanswered_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unanswered_message_user_pseudonym'))
        batch_op.drop_column('user_pseudonym')

    with op.batch_alter_table('privacy_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_log_case_id'))
        batch_op.drop_index(batch_op.f('ix_privacy_log_at'))

    op.drop_table('privacy_log')
