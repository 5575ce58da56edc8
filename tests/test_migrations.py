"""The SQLModel models and the Alembic migrations never drift apart."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import billing.models  # noqa: F401


def _partitioning(difference: tuple) -> bool:
    """What PostgreSQL's partitioned ledger adds to the models on purpose (migration 0020):
    the event-id table, the partitions, and event_id's unique constraint with the period."""
    kind, item = difference[0], difference[1]
    if kind == "remove_table":
        return item.name == "usage_event_id" or item.name.startswith("usage_event_p")
    if kind == "remove_index" and item.table.name.startswith("usage_event_p"):
        return True  # a partition's own copy of a partitioned index
    if kind in ("remove_constraint", "add_constraint") and item.table.name == "usage_event":
        return [column.name for column in item.columns] in (["event_id", "period"],
                                                            ["event_id"])
    return False


def test_models_match_the_migrated_schema(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    if engine.dialect.name == "postgresql":
        differences = [item for item in differences if not _partitioning(item)]
    assert differences == [], f"models and migrations differ; write a migration: {differences}"
