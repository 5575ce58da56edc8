"""usage events and rated lines carry the project the usage served (what is billable is a
policy by environment, use case and project); a period's close records the usage it kept
off invoices as not billable

Revision ID: 0017_capacity
Revises: 0016_sources2
Create Date: 2026-12-03 12:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0017_capacity'
down_revision = '0016_sources2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('usage_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    with op.batch_alter_table('period_close', schema=None) as batch_op:
        batch_op.add_column(sa.Column('not_billed', sa.Text(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('period_close', schema=None) as batch_op:
        batch_op.drop_column('not_billed')
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.drop_column('project')
    with op.batch_alter_table('usage_event', schema=None) as batch_op:
        batch_op.drop_column('project')
