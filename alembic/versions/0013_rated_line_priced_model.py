"""rated lines record the card's model whose prices were used, beside the model as reported
(a rate card's model aliases: dated snapshots, provider prefixes, Bedrock ids)

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


def downgrade() -> None:
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.drop_column('priced_model')
