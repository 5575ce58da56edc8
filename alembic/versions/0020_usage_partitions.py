"""PostgreSQL: usage_event LIST-partitioned by period, one partition per month, made on first
use; event ids stay unique across periods through usage_event_id. SQLite is unchanged.

Revision ID: 0020_pgpart
Revises: 0019_slo
Create Date: 2026-12-03 18:40:00.000000
"""
from alembic import op


revision = '0020_pgpart'
down_revision = '0019_slo'
branch_labels = None
depends_on = None

OLD = 'usage_event_unpartitioned'

# A period's partition, made when missing: a fresh table attached (SHARE UPDATE EXCLUSIVE on
# usage_event, so readers and writers go on), under an advisory lock; a concurrent creator
# that got there first is no error.
PARTITION_FUNCTION = r"""
CREATE FUNCTION usage_event_partition(p varchar) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    part text := 'usage_event_p' || replace(p, '-', '_');
BEGIN
    IF p IS NULL OR p !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
        RAISE EXCEPTION 'usage period % is not a month written YYYY-MM', p
            USING ERRCODE = 'check_violation';
    END IF;
    IF to_regclass(part) IS NOT NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(7201020);
    IF to_regclass(part) IS NOT NULL THEN
        RETURN;
    END IF;
    BEGIN
        EXECUTE format('CREATE TABLE %I (LIKE usage_event INCLUDING DEFAULTS)', part);
        EXECUTE format('ALTER TABLE usage_event ATTACH PARTITION %I FOR VALUES IN (%L)',
                       part, p);
    EXCEPTION WHEN duplicate_table OR unique_violation THEN
        RETURN;
    END;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for statement in (
        f'ALTER TABLE usage_event RENAME TO {OLD}',
        f'ALTER TABLE {OLD} RENAME CONSTRAINT usage_event_pkey TO {OLD}_pkey',
        f'ALTER TABLE {OLD} RENAME CONSTRAINT usage_event_event_id_key TO {OLD}_event_id_key',
        f'ALTER TABLE {OLD} RENAME CONSTRAINT usage_event_batch_id_fkey TO {OLD}_batch_id_fkey',
        f'ALTER INDEX ix_usage_event_period RENAME TO ix_{OLD}_period',
        f'CREATE TABLE usage_event (LIKE {OLD} INCLUDING DEFAULTS) PARTITION BY LIST (period)',
        'ALTER SEQUENCE usage_event_id_seq OWNED BY usage_event.id',
        'ALTER TABLE usage_event ADD CONSTRAINT usage_event_pkey PRIMARY KEY (id, period)',
        'ALTER TABLE usage_event ADD CONSTRAINT usage_event_event_id_key '
        'UNIQUE (event_id, period)',
        'CREATE INDEX ix_usage_event_period ON usage_event (period)',
        'ALTER TABLE usage_event ADD CONSTRAINT usage_event_batch_id_fkey '
        'FOREIGN KEY (batch_id) REFERENCES ingest_batch (id)',
        'CREATE TABLE usage_event_id (event_id varchar(200) PRIMARY KEY, '
        'period varchar(7) NOT NULL, content_hash varchar(64) NOT NULL)',
        PARTITION_FUNCTION,
        f'SELECT usage_event_partition(period) FROM (SELECT DISTINCT period FROM {OLD}) AS p',
        f'INSERT INTO usage_event SELECT * FROM {OLD}',
        f'INSERT INTO usage_event_id SELECT event_id, period, content_hash FROM {OLD}',
        f'DROP TABLE {OLD}',
    ):
        op.execute(statement)


def downgrade() -> None:
    """Back to one plain table; the ids kept for archived periods' events go with
    usage_event_id (as on SQLite, a resend of one is then new usage)."""
    if op.get_bind().dialect.name != 'postgresql':
        return
    for statement in (
        f'CREATE TABLE {OLD} (LIKE usage_event INCLUDING DEFAULTS)',
        f'INSERT INTO {OLD} SELECT * FROM usage_event',
        f'ALTER SEQUENCE usage_event_id_seq OWNED BY {OLD}.id',
        'DROP TABLE usage_event',
        'DROP TABLE usage_event_id',
        'DROP FUNCTION usage_event_partition(varchar)',
        f'ALTER TABLE {OLD} RENAME TO usage_event',
        'ALTER TABLE usage_event ADD CONSTRAINT usage_event_pkey PRIMARY KEY (id)',
        'ALTER TABLE usage_event ADD CONSTRAINT usage_event_event_id_key UNIQUE (event_id)',
        'CREATE INDEX ix_usage_event_period ON usage_event (period)',
        'ALTER TABLE usage_event ADD CONSTRAINT usage_event_batch_id_fkey '
        'FOREIGN KEY (batch_id) REFERENCES ingest_batch (id)',
    ):
        op.execute(statement)
