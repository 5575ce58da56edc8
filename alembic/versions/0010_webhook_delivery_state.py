"""webhook delivery state and Stripe event order: when an alert's delivery is next tried and
when it was given up (dead-lettered); the `created` time of the Stripe event that set a
document's Stripe status, so an older event never overwrites a newer one; document numbers long
enough for a statement of a team with a 200-character name

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('dead_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_status_at', sa.BigInteger(), nullable=True))
        batch_op.alter_column('number', existing_type=sqlmodel.sql.sqltypes.AutoString(length=60),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=220), existing_nullable=False)
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.drop_column('result')
        batch_op.drop_column('created')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sqlmodel.sql.sqltypes.AutoString(length=220),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=60), existing_nullable=False)
        batch_op.drop_column('stripe_status_at')
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.drop_column('dead_at')
        batch_op.drop_column('next_attempt_at')
