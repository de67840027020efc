"""statistics: anonymous facts in cells, people-reached sketches, unanswered question groups

Revision ID: 0006_statistics
Revises: 0004_security
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006_statistics'
down_revision: str | None = '0008_held_media'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dims() -> list[sa.Column[object]]:
    """The dimensions a query fixes first, then the period (the primary keys' order)."""
    return [
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('city', sa.String(length=64), nullable=False),
        sa.Column('bucket', sa.Date(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('stat_turn',
    *_dims(),
    sa.Column('topic', sa.String(length=16), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('turns', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'language', 'city', 'bucket', 'topic', 'result', name=op.f('pk_stat_turn'))
    )
    op.create_table('stat_hour',
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('city', sa.String(length=64), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('hour', sa.SmallInteger(), nullable=False),
    sa.Column('turns', sa.Integer(), nullable=False),
    sa.Column('queued', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('language', 'city', 'month', 'weekday', 'hour', name=op.f('pk_stat_hour'))
    )
    op.create_table('stat_handoff',
    sa.Column('event', sa.String(length=16), nullable=False),
    *_dims(),
    sa.Column('topic', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.String(length=32), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('minutes', sa.SmallInteger(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('event', 'channel', 'language', 'city', 'bucket', 'topic', 'reason', 'detail', 'rating', 'minutes', name=op.f('pk_stat_handoff'))
    )
    op.create_table('stat_reach',
    sa.Column('grain', sa.String(length=1), nullable=False),
    *_dims(),
    sa.Column('register', sa.SmallInteger(), nullable=False),
    sa.Column('rank', sa.SmallInteger(), nullable=False),
    sa.PrimaryKeyConstraint('grain', 'channel', 'language', 'city', 'bucket', 'register', name=op.f('pk_stat_reach'))
    )
    op.create_table('stat_salt',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('salt', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_stat_salt'))
    )
    op.create_table('stat_mark',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_stat_mark'))
    )
    op.create_table('question_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('city_slug', sa.String(length=64), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('weekly', sa.JSON(), nullable=False),
    sa.Column('first_seen', sa.Date(), nullable=False),
    sa.Column('last_seen', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_group'))
    )
    with op.batch_alter_table('question_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_group_language'), ['language'], unique=False)
    op.create_table('question_member',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['question_group.id'], name=op.f('fk_question_member_group_id_question_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['unanswered_message.id'], name=op.f('fk_question_member_message_id_unanswered_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_question_member'))
    )
    with op.batch_alter_table('question_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_member_group_id'), ['group_id'], unique=False)


def downgrade() -> None:
    op.drop_table('question_member')
    op.drop_table('question_group')
    op.drop_table('stat_mark')
    op.drop_table('stat_salt')
    op.drop_table('stat_reach')
    op.drop_table('stat_handoff')
    op.drop_table('stat_hour')
    op.drop_table('stat_turn')
