"""closed periods' raw usage archived to Parquet: where, and the counts it was verified against

Revision ID: 0018_spark
Revises: 0017_capacity
Create Date: 2026-12-03 12:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0018_spark'
down_revision = '0017_capacity'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'usage_archive',
        sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('events', sa.BigInteger(), nullable=False),
        sa.Column('requests', sa.BigInteger(), nullable=False),
        sa.Column('tokens', sa.BigInteger(), nullable=False),
        sa.Column('customer_events', sa.BigInteger(), nullable=False),
        sa.Column('customer_requests', sa.BigInteger(), nullable=False),
        sa.Column('customer_tokens', sa.BigInteger(), nullable=False),
        sa.Column('archived_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('period'),
    )


def downgrade() -> None:
    op.drop_table('usage_archive')
