"""reduction levers: proposed candidates (and baselines) per use case with the gate's
decision, and their evaluation results on a held-out set; each close's forecast of the
months after it, kept to be scored

Revision ID: 0014_levers
Revises: 0013
Create Date: 2026-12-03 12:05:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0014_levers'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lever_candidate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('use_case', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('baseline', sa.Boolean(), nullable=False),
        sa.Column('config', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('proposed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('proposed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('use_case', 'name', name='uq_lever_candidate_name'),
    )
    op.create_table(
        'evaluation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('evaluation_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('use_case', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('candidate', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('calls', sa.BigInteger(), nullable=False),
        sa.Column('passes', sa.BigInteger(), nullable=False),
        sa.Column('cost', sa.String(length=80), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('evaluated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('ingested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('evaluation_id'),
    )


    op.create_table(
        'forecast_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('closed_period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('months_ahead', sa.Integer(), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('calls', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('tokens_per_call', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('rate_per_1k', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('growth', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('amount', sa.String(length=80), nullable=False),
        sa.Column('taken_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('closed_period', 'team', 'period', name='uq_forecast_snapshot'),
    )
    op.create_index('ix_forecast_snapshot_period', 'forecast_snapshot', ['period'])


def downgrade() -> None:
    op.drop_index('ix_forecast_snapshot_period', table_name='forecast_snapshot')
    op.drop_table('forecast_snapshot')
    op.drop_table('evaluation')
    op.drop_table('lever_candidate')
