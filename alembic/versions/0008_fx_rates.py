"""fx rates: recorded rates per period that convert an overhead pool into the card's currency;
the close records the rates its documents used

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:12:08.514220
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fx_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('to_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    # exact on both: NUMERIC on PostgreSQL, the decimal's text on SQLite (its NUMERIC is a float)
    sa.Column('rate', sa.Numeric(precision=24, scale=12).with_variant(sa.String(length=40), 'sqlite'), nullable=False),
    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('set_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('from_currency', 'to_currency', 'period', name='uq_fx_rate')
    )
    with op.batch_alter_table('period_close', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fx_rates', sa.Text(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('period_close', schema=None) as batch_op:
        batch_op.drop_column('fx_rates')

    op.drop_table('fx_rate')
