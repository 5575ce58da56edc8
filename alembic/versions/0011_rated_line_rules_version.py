"""the attribution rules version each rated line was attributed with, so a line says which
policy priced it and a re-rate after a new rules version can be seen to have happened

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 13:20:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rules_version', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.drop_column('rules_version')
