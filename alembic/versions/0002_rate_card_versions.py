"""rate card versions: published editions, made immutable by the database itself

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 18:50:02.544174
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_card_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('change_note', sa.Text(), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('card', 'version', name='uq_rate_card_version')
    )
    message = "published rate card versions are immutable; publish a new version instead"
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER rate_card_version_no_{action.lower()} BEFORE {action} "
                f"ON rate_card_version BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION rate_card_version_immutable() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{message}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER rate_card_version_immutable BEFORE UPDATE OR DELETE "
            "ON rate_card_version FOR EACH ROW EXECUTE FUNCTION rate_card_version_immutable()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER rate_card_version_immutable ON rate_card_version")
        op.execute("DROP FUNCTION rate_card_version_immutable()")
    op.drop_table('rate_card_version')
