"""usage events say what the provider charged for (call status, service tier, a reported cost);
provider usage buckets are snapshots that can be restated, with an audit record of each

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 08:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('usage_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_status', sa.String(length=20), server_default='ok', nullable=False))
        batch_op.add_column(sa.Column('service_tier', sa.String(length=20), server_default='standard', nullable=False))
        batch_op.add_column(sa.Column('reported_cost_nanos', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_tier', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('reported_cost_nanos', sa.BigInteger(), server_default='0', nullable=False))
    op.create_table('usage_bucket',
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('series', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('bucket_start', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('bucket_end', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('restatements', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    with op.batch_alter_table('usage_bucket', schema=None) as batch_op:
        batch_op.create_index('ix_usage_bucket_series_start', ['series', 'bucket_start'], unique=False)
    op.create_table('usage_restatement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('delta_event_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('old', sa.Text(), nullable=False),
    sa.Column('new', sa.Text(), nullable=False),
    sa.Column('restated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['ingest_batch.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('usage_restatement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_restatement_event_id'), ['event_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('usage_restatement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_restatement_event_id'))
    op.drop_table('usage_restatement')
    with op.batch_alter_table('usage_bucket', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_bucket_series_start')
    op.drop_table('usage_bucket')
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.drop_column('reported_cost_nanos')
        batch_op.drop_column('service_tier')
    with op.batch_alter_table('usage_event', schema=None) as batch_op:
        batch_op.drop_column('reported_cost_nanos')
        batch_op.drop_column('service_tier')
        batch_op.drop_column('call_status')
