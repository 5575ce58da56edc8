"""Plain lake rows: the rows of a typed source (Parquet) that Spark SQL's built-in functions can
prove valid without Python, checked in the JVM.

A plain row is one ingest's common path accepts as it is (billing/ledger/usage_event.py,
`_common`): known fields only and no billing fields, a project or tags; labels that are text
with no space at either end; integer counts in range; an RFC 3339 timestamp of the usual
shape inside the window. For such a row every rule of ingest holds, so its values are the
ones `validate` would give. Anything else, or anything in doubt, is not plain and takes the
Python rules (billing/ledger/lake_rows.py), so its reason reads word for word as ingest's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from billing.identifiers import MAX_LENGTH
from billing.ledger.lake_rows import COLUMNS, COUNTS, OK, OUTSIDE, OUTSIDE_KEY
from billing.ledger.usage_event import _COMMON_FIELDS, _LIMIT, EARLIEST, FUTURE_SLACK
from billing.models import TIERS
from billing.policies.environments import NAME as ENVIRONMENT_NAME

_IDENTIFIERS = ("team", "use_case", "customer")
_TEXTS = ("provider", "prompt_version")
_INTEGERS = ("tinyint", "smallint", "int", "bigint")
# a character no `str.isspace` is true of: a letter, a digit, a mark of punctuation, a symbol
_SOLID = r"[\p{L}\p{N}\p{P}\p{S}]"
# Java's `$` also matches before a final line break, which ingest would strip: \z it is
_TEXT = rf"(?s)^{_SOLID}(.*{_SOLID})?\z"
_PLAIN = r"^[A-Za-z0-9]([A-Za-z0-9_.:@+ -]*[A-Za-z0-9_.:@+-])?\z"
_STAMP = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
          r"(Z|[+-][0-9]{2}:[0-9]{2})\z")
_ENVIRONMENT = ENVIRONMENT_NAME.pattern.removesuffix("$") + r"\z"
ROW = "__row"  # the position of a record in the input, from 0
_DEFAULTS = {"cached_input_tokens": 0, "cache_write_input_tokens": 0, "requests": 1}


def _types(frame: Any) -> dict[str, str]:
    return {field.name: field.dataType.simpleString() for field in frame.schema.fields}


def _text(F: Any, name: str, pattern: str) -> Any:  # noqa: N803
    column = F.col(name)
    return column.isNull() | ((F.length(column) <= MAX_LENGTH) & column.rlike(pattern))


def plain(frame: Any, *, zone: str, period: str, backfill: bool, now: datetime
          ) -> tuple[Any, Any] | None:
    """Split a typed frame (numbered in `ROW`) into its plain rows, checked and shaped as
    `COLUMNS`, and the rest, as read; None when the schema leaves no row plain."""
    from pyspark.sql import functions as F

    types = _types(frame)
    if any(name not in _COMMON_FIELDS and name.lower() in _COMMON_FIELDS for name in types):
        return None  # Spark resolves names in any case; ingest does not
    labels = (*_IDENTIFIERS, *_TEXTS, "environment", "tier", "model", "event_id")
    if any(types.get(name, "string") != "string" for name in labels) \
            or types.get("occurred_at") not in ("string", "timestamp") \
            or any(types.get(name, "bigint") not in _INTEGERS for name in (
                "input_tokens", "output_tokens", *_DEFAULTS)):
        return None
    for name in (*labels, "occurred_at", "input_tokens", "output_tokens", *_DEFAULTS):
        if name not in types:
            frame = frame.withColumn(name, F.lit(None).cast(
                "string" if name in labels or name == "occurred_at" else "bigint"))
    if types["occurred_at"] == "string":
        stamp = F.when(F.col("occurred_at").rlike(_STAMP),
                       F.expr("try_cast(occurred_at AS timestamp)"))
    else:
        stamp = F.col("occurred_at")
    frame = frame.withColumn("_at", stamp)
    counts = [F.col(name).isNotNull() & (F.col(name) >= 0) & (F.col(name) < _LIMIT)
              for name in ("input_tokens", "output_tokens")]
    counts += [F.col(name).isNull() | ((F.col(name) >= (1 if name == "requests" else 0))
                                       & (F.col(name) < _LIMIT)) for name in _DEFAULTS]
    window = F.col("_at").isNotNull() & F.year("_at").between(2, 9998)
    if not backfill:
        window &= (F.col("_at") >= F.lit(EARLIEST)) & (F.col("_at") <= F.lit(now + FUTURE_SLACK))
    rules = [F.col(f"`{name}`").isNull() for name in types
             if name not in _COMMON_FIELDS and name != ROW]
    rules += [F.col("tags").isNull()] if "tags" in types else []
    rules += [_text(F, name, _PLAIN) for name in _IDENTIFIERS]
    rules += [_text(F, name, _TEXT) for name in _TEXTS]
    rules += [F.col("event_id").isNotNull() & _text(F, "event_id", _TEXT),
              F.col("model").isNotNull() & _text(F, "model", _TEXT),
              F.col("environment").isNull() | F.col("environment").rlike(_ENVIRONMENT),
              F.col("tier").isNull() | F.col("tier").isin(*TIERS), window, *counts]
    is_plain = F.coalesce(_all(rules), F.lit(False))
    frame = frame.withColumn("_plain", is_plain)
    return _shaped(frame.where("_plain"), zone, period), frame.where(~F.col("_plain")).drop(
        "_plain", "_at")


def _all(rules: list[Any]) -> Any:
    found = rules[0]
    for rule in rules[1:]:
        found = found & rule
    return found


def _shaped(frame: Any, zone: str, period: str) -> Any:
    """Plain rows as `COLUMNS`, valued as `validate` values them; outside the period, only
    the row and its status, as the Python rules give it."""
    from pyspark.sql import functions as F

    local = F.from_utc_timestamp("_at", zone)
    inside = F.date_format(local, "yyyy-MM") == F.lit(period)
    nothing = F.lit(None).cast("string")
    values = {
        "field": nothing, "message": nothing, "raw": nothing, "tags": nothing,
        "project": nothing, "occurred_at": F.unix_micros("_at"),
        "usage_date": F.date_format(local, "yyyy-MM-dd"),
        "environment": F.coalesce("environment", F.lit("production")),
        "service_tier": F.lit("standard"), "call_status": F.lit("ok"),
        **{name: F.lit(0).cast("bigint") for name in COUNTS},
        **{name: F.col(name).cast("bigint") for name in ("input_tokens", "output_tokens")},
        **{name: F.coalesce(F.col(name).cast("bigint"), F.lit(default).cast("bigint"))
           for name, default in _DEFAULTS.items()},
    }
    columns = [(F.col(ROW) + 1).alias("row"), F.when(inside, F.col("event_id")).otherwise(
        F.lit(OUTSIDE_KEY)).alias("key"),
        F.when(inside, F.lit(OK)).otherwise(F.lit(OUTSIDE)).alias("status")]
    for name in COLUMNS[3:]:
        columns.append(F.when(inside, values.get(name, F.col(name))).alias(name))
    return frame.select(*columns)
