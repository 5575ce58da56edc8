"""Path and query parameters that name a team, use case, customer or environment.

Typed `Name`, each is held to the identifier rule (`billing.identifiers`) before its route
runs: a name that can never exist is a 422 naming the parameter, never a 500, an empty list
or a 404 that reads like missing data. A well-formed name with no data stays a 404, so an
unknown team and another team's look the same to a team key.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from billing import identifiers

NOT_AN_IDENTIFIER = "identifier"
"""The validation error type; problems.py words it with the parameter's name."""


def _identifier(value: str) -> str:
    found = identifiers.problem(value)
    if found:
        raise PydanticCustomError(NOT_AN_IDENTIFIER, "{problem}", {"problem": found})
    return value


SCHEMA = {"type": "string", "minLength": 1, "maxLength": identifiers.MAX_LENGTH,
          "description": f"a name: {identifiers.CHARSET}; Unicode NFC, no leading or "
                         "trailing space"}
Name = Annotated[str, AfterValidator(_identifier), WithJsonSchema(SCHEMA)]
