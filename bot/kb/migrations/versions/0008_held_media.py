"""held media (voice notes and photos sent outside a case, held while a mediator is offered);
whether a service needs an appointment and what it costs

Revision ID: 0008_held_media
Revises: 0004_security
Create Date: 2026-12-07 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008_held_media'
down_revision: str | None = '0004_security'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appointment', sa.String(length=16), server_default='', nullable=False))
        batch_op.add_column(sa.Column('cost', sa.String(length=16), server_default='', nullable=False))
    op.create_table('held_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_pseudonym', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('caption', sa.Text(), nullable=False),
    sa.Column('file_id', sa.String(length=256), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_media'))
    )
    with op.batch_alter_table('held_media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_media_user_pseudonym'), ['user_pseudonym'], unique=False)
        batch_op.create_index(batch_op.f('ix_held_media_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('held_media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_media_received_at'))
        batch_op.drop_index(batch_op.f('ix_held_media_user_pseudonym'))
    op.drop_table('held_media')
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_column('cost')
        batch_op.drop_column('appointment')
