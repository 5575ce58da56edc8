"""rated ledger: rating runs and priced lines (amounts as exact decimal text)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:53:48.816114
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rating_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
    sa.Column('from_event_id', sa.BigInteger(), nullable=False),
    sa.Column('to_event_id', sa.BigInteger(), nullable=False),
    sa.Column('events', sa.BigInteger(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('unpriced_lines', sa.Integer(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('rated_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('view', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('usage_date', sa.Date(), nullable=False),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('use_case', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('customer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('environment', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('attributed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('card', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('card_version', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('events', sa.BigInteger(), nullable=False),
    sa.Column('requests', sa.BigInteger(), nullable=False),
    sa.Column('input_tokens', sa.BigInteger(), nullable=False),
    sa.Column('output_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cached_input_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cache_write_input_tokens', sa.BigInteger(), nullable=False),
    sa.Column('input_price', sa.String(length=80), nullable=True),
    sa.Column('output_price', sa.String(length=80), nullable=True),
    sa.Column('cached_input_price', sa.String(length=80), nullable=True),
    sa.Column('cache_write_input_price', sa.String(length=80), nullable=True),
    sa.Column('markup', sa.String(length=80), nullable=True),
    sa.Column('per_request_fee', sa.String(length=80), nullable=True),
    sa.Column('provider_cost', sa.String(length=80), nullable=True),
    sa.Column('amount', sa.String(length=80), nullable=True),
    sa.Column('unpriced_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['rating_run.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.create_index('ix_rated_line_period_customer', ['period', 'view', 'customer'], unique=False)
        batch_op.create_index('ix_rated_line_period_team', ['period', 'view', 'team'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.drop_index('ix_rated_line_period_team')
        batch_op.drop_index('ix_rated_line_period_customer')

    op.drop_table('rated_line')
    op.drop_table('rating_run')
