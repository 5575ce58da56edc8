"""rated lines record the card's model whose prices were used, beside the model as reported
(a rate card's model aliases: dated snapshots, provider prefixes, Bedrock ids); usage
events say which part of their cache writes was kept for 1 hour (priced apart)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:20:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priced_model', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    with op.batch_alter_table('usage_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cache_write_1h_input_tokens', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('usage_event', schema=None) as batch_op:
        batch_op.drop_column('cache_write_1h_input_tokens')
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.drop_column('priced_model')
