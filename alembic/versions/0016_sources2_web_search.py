"""usage events count their web-search tool requests; rated lines price them per 1,000
(a card's `web_search_per_1k`) on a line of their own

Revision ID: 0016_sources2
Revises: 0015_contracts2
Create Date: 2026-12-03 12:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0016_sources2'
down_revision = '0015_contracts2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('usage_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('web_search_requests', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('web_search_requests', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('web_search_price', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.drop_column('web_search_price')
        batch_op.drop_column('web_search_requests')
    with op.batch_alter_table('usage_event', schema=None) as batch_op:
        batch_op.drop_column('web_search_requests')
