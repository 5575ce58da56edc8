"""AWS Bedrock model invocation logs as usage events.

Bedrock writes one `ModelInvocationLog` record per call to CloudWatch Logs and to S3 (JSON
lines, gzipped by S3 delivery: unzip first): `schemaType`, `timestamp`, `accountId`,
`identity.arn`, `region`, `inferenceRegion`, `requestId`, `operation`, `modelId`,
`input.inputTokenCount`, `input.cacheReadInputTokenCount`, `input.cacheWriteInputTokenCount`,
`output.outputTokenCount`, `errorCode`, `requestMetadata`.
Reference: https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html

`requestId` is the event id. `modelId` is kept as Bedrock names it (a foundation model id
`anthropic.claude-sonnet-4-20250514-v1:0`, a cross-region inference profile
`us.anthropic...`); an ARN (`arn:aws:bedrock:...:inference-profile/us.anthropic...`) keeps
its resource id as the model and the whole ARN as tag `model_arn`. A card's model aliases
price them. Counts are disjoint, as ours are. The caller's ARN, account and region and the
API operation are tags (`aws_identity`, `aws_account`, `aws_region`, `inference_region`,
`bedrock_operation`), and each
`requestMetadata` key is a tag of its own, where attribution rules find them. A record with
an `errorCode` is a failed call: kept and counted, never billed. An export of
`aws logs filter-log-events` (`{"events": [{"message": "<record>"}]}`) is read too, and so
is a record pretty-printed over many lines as AWS prints it in its examples. The request and
response bodies (`inputBodyJson`, `outputBodyJson`) hold prompts and answers: never read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from billing.ledger.formats.base import SourceRow, guarded
from billing.ledger.formats.jsonsource import records

SCHEMA = "ModelInvocationLog"


def read(lines: Iterable[str]) -> Iterator[SourceRow]:
    number = 0
    for _line, record, raw, error in records(lines):
        if error is not None:
            number += 1
            yield SourceRow(number, None, raw, error)
            continue
        for item, text in _unwrapped(record, raw):
            number += 1
            if isinstance(item, dict):
                yield guarded(_row, number, item, text)
            else:
                yield SourceRow(number, None, text, "expected a ModelInvocationLog object")


def _unwrapped(record: Any, raw: str) -> Iterator[tuple[Any, str]]:
    """CloudWatch Logs exports wrap each record as the text of an event's `message`."""
    if isinstance(record, dict) and isinstance(record.get("events"), list):
        for event in record["events"]:
            yield from _unwrapped(event, orjson.dumps(event).decode())
        return
    if isinstance(record, dict) and isinstance(record.get("message"), str) \
            and "schemaType" not in record:
        try:
            yield orjson.loads(record["message"]), record["message"]
        except orjson.JSONDecodeError:
            yield None, record["message"]
        return
    yield record, raw


def model_of(model_id: Any) -> Any:
    """The model an id or ARN names: an ARN's resource id after the last `/`."""
    if isinstance(model_id, str) and model_id.startswith("arn:") and "/" in model_id:
        return model_id.rsplit("/", 1)[1]
    return model_id


def _row(number: int, record: dict[str, Any], raw: str) -> SourceRow:
    if record.get("schemaType", SCHEMA) != SCHEMA:
        return SourceRow(number, None, raw, f"schemaType {record.get('schemaType')!r} is not "
                         f"{SCHEMA}; only model invocation logs are read", "schemaType")
    given_input, given_output = record.get("input"), record.get("output")
    source_in = given_input if isinstance(given_input, dict) else {}
    source_out = given_output if isinstance(given_output, dict) else {}
    failed = bool(record.get("errorCode"))
    model_id = record.get("modelId")
    event: dict[str, Any] = {
        "event_id": record.get("requestId"),
        "occurred_at": record.get("timestamp"),
        "provider": "aws-bedrock",
        "model": model_of(model_id),
        "input_tokens": source_in.get("inputTokenCount", 0 if failed else None),
        "output_tokens": source_out.get("outputTokenCount", 0 if failed else None),
        "cached_input_tokens": source_in.get("cacheReadInputTokenCount") or 0,
        "cache_write_input_tokens": source_in.get("cacheWriteInputTokenCount") or 0,
        "requests": 1,
        "call_status": "failed" if failed else "ok",
    }
    identity = record.get("identity")
    tags: dict[str, Any] = {
        "aws_identity": identity.get("arn") if isinstance(identity, dict) else None,
        "aws_account": record.get("accountId"), "aws_region": record.get("region"),
        "inference_region": record.get("inferenceRegion"),
        "bedrock_operation": record.get("operation"),
        "model_arn": model_id if model_id != event["model"] else None,
        "error_code": record.get("errorCode"),
    }
    metadata = record.get("requestMetadata")
    if isinstance(metadata, dict):
        for key, value in metadata.items():
            tags.setdefault(str(key), value)
    event["tags"] = {k: str(v) for k, v in tags.items() if v is not None}
    if not event["tags"]:
        del event["tags"]
    return SourceRow(number, {k: v for k, v in event.items() if v is not None}, raw)
