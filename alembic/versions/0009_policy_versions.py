"""policy versions: attribution rules, overhead pools, parties and use cases published with an
effective period, made immutable by the database itself

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:20:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('policy_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('effective_from', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('effective_to', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('change_note', sa.Text(), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'version', name='uq_policy_version')
    )
    with op.batch_alter_table('period_close', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_versions', sa.Text(), server_default='{}',
                                      nullable=False))
    message = "published policy versions are immutable; publish a new version instead"
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER policy_version_no_{action.lower()} BEFORE {action} "
                f"ON policy_version BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION policy_version_immutable() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{message}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER policy_version_immutable BEFORE UPDATE OR DELETE "
            "ON policy_version FOR EACH ROW EXECUTE FUNCTION policy_version_immutable()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER policy_version_immutable ON policy_version")
        op.execute("DROP FUNCTION policy_version_immutable()")
    with op.batch_alter_table('period_close', schema=None) as batch_op:
        batch_op.drop_column('policy_versions')
    op.drop_table('policy_version')
