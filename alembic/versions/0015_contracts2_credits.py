"""credit grants (prepaid credit, commitment carry-over) and the invoices' drawdowns of them

Revision ID: 0015_contracts2
Revises: 0014_levers
Create Date: 2026-12-03 12:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0015_contracts2'
down_revision = '0014_levers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'credit_grant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('amount', sa.String(length=80), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('granted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_on', sa.Date(), nullable=False),
        sa.Column('origin_period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_credit_grant_customer', 'credit_grant', ['customer', 'currency'])
    op.create_table(
        'credit_drawdown',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('grant_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column('amount', sa.String(length=80), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['document.id']),
        sa.ForeignKeyConstraint(['grant_id'], ['credit_grant.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('grant_id', 'document_id', name='uq_credit_drawdown'),
    )


def downgrade() -> None:
    op.drop_table('credit_drawdown')
    op.drop_index('ix_credit_grant_customer', table_name='credit_grant')
    op.drop_table('credit_grant')
