"""period close and documents: closed periods, gapless numbering, finalised documents, the
scheduler's job store; late usage of a closed period is marked on its rated lines

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:03:44.956434
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('total', sa.String(length=80), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('references_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('pdf_path', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('pdf_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('stripe_invoice_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('stripe_number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('stripe_hosted_url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('stripe_status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('stripe_error', sa.Text(), nullable=True),
    sa.Column('stripe_pushed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['references_id'], ['document.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'number', name='uq_document_number')
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index('ix_document_period_kind', ['period', 'kind'], unique=False)
        batch_op.create_index('ix_document_subject', ['kind', 'subject'], unique=False)

    op.create_table('document_sequence',
    sa.Column('series', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('next_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series')
    )
    op.create_table('period_close',
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('rating_run_id', sa.Integer(), nullable=True),
    sa.Column('statements', sa.Integer(), nullable=False),
    sa.Column('invoices', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period')
    )
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adjusts_period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True))
    # APScheduler 3's SQLAlchemyJobStore table, so the scheduler never creates schema itself
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_apscheduler_jobs_next_run_time', 'apscheduler_jobs', ['next_run_time'])



def downgrade() -> None:
    op.drop_index('ix_apscheduler_jobs_next_run_time', table_name='apscheduler_jobs')
    op.drop_table('apscheduler_jobs')
    with op.batch_alter_table('rated_line', schema=None) as batch_op:
        batch_op.drop_column('adjusts_period')

    op.drop_table('period_close')
    op.drop_table('document_sequence')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ix_document_subject')
        batch_op.drop_index('ix_document_period_kind')

    op.drop_table('document')
