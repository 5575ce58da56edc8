"""usage events carry latency_ms and an outcome status (service levels per tier); an SLO
breach of an external customer's tier is proposed as an SLA credit for finance to approve

Revision ID: 0019_slo
Revises: 0018_spark
Create Date: 2026-12-03 15:20:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0019_slo'
down_revision = '0018_spark'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('usage_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latency_ms', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=True))
    op.create_table(
        'sla_proposal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column('customer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('card', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('breached', sa.Text(), nullable=False),
        sa.Column('charge', sa.String(length=80), nullable=False),
        sa.Column('credit_pct', sa.String(length=80), nullable=False),
        sa.Column('amount', sa.String(length=80), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('proposed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('approved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('credit_note', sqlmodel.sql.sqltypes.AutoString(length=220), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('period', 'customer', 'tier', name='uq_sla_proposal'),
    )


def downgrade() -> None:
    op.drop_table('sla_proposal')
    with op.batch_alter_table('usage_event', schema=None) as batch_op:
        batch_op.drop_column('status')
        batch_op.drop_column('latency_ms')
