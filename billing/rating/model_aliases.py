"""Model aliases: one shared table of the names sources report a model by, for every card.

Providers name one model many ways: dated snapshots (`gpt-4o-mini-2024-07-18`), provider
prefixes (`openai/gpt-4o-mini`, OpenRouter's `anthropic/claude-sonnet-4`), Bedrock model and
inference-profile ids (`anthropic.claude-sonnet-4-20250514-v1:0`). A card can list aliases of
its own models; this table says it once for every card, as a published policy
(`kind: model_aliases`), so a new card prices them without copying the list.

```yaml
kind: model_aliases
version: "2026-10"
effective_from: 2026-10
aliases:
  claude-sonnet-4: [anthropic.claude-sonnet-4-20250514-v1:0, claude-sonnet-4-20250514]
  gpt-4o-mini: [gpt-4o-mini-2024-07-18]
```

Precedence, for each reported name: the card first (its own model names and its aliases,
with a provider prefix, an ARN's path or a Bedrock geography prefix taken off), then this table
(the name, then the same without those prefixes) to a card model or a card alias. A card
always wins for a name it knows; the table only fills in what the card does not say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import yaml

from ratecards.schema import CardVersion, candidates


class AliasError(ValueError):
    """An alias table that cannot be used; the message names the model and the alias."""


@dataclass(frozen=True)
class ModelAliases:
    """The aliases in force for a period and the published version they come from
    (`model_aliases@N`, or `none` when nothing is published)."""

    version: str
    names: Mapping[str, str] = field(default_factory=dict)
    """reported name -> the card model it prices as"""

    def priced_name(self, card: CardVersion, model: str) -> str:
        """The name to price `model` by on `card`: itself when the card knows it, else the
        table's model for it, else itself (unpriced, the card's error says so)."""
        if card.resolve(model) is not None:
            return model
        for name in candidates(model):
            if name in self.names:
                return self.names[name]
        return model


AliasesFor = Callable[[str], ModelAliases]
NO_ALIASES = ModelAliases("none")


def load_aliases(text: str, filename: str = "model_aliases") -> dict[str, str]:
    """reported name -> card model, from a policy document's `aliases` mapping."""
    document = yaml.safe_load(text) or {}
    table = document.get("aliases")
    if not isinstance(table, dict) or not table:
        raise AliasError(f"{filename}: aliases must map a card's model to the names sources "
                         "report it by, such as `gpt-4o-mini: [gpt-4o-mini-2024-07-18]`")
    names: dict[str, str] = {}
    for model, reported in table.items():
        if not isinstance(model, str) or not model.strip():
            raise AliasError(f"{filename}: aliases: {model!r} is not a model name")
        listed = [reported] if isinstance(reported, str) else reported
        if not isinstance(listed, list) or not listed:
            raise AliasError(f"{filename}: aliases.{model}: list the names sources report "
                             f"{model} by, such as [{model}-2024-07-18]")
        for name in listed:
            if not isinstance(name, str) or not name.strip():
                raise AliasError(f"{filename}: aliases.{model}: {name!r} is not a model name")
            if name in table:
                raise AliasError(f"{filename}: aliases.{model}: {name!r} is a model of this "
                                 "table itself; an alias names one model")
            if name in names and names[name] != model:
                raise AliasError(f"{filename}: aliases.{model}: {name!r} is already an alias "
                                 f"of {names[name]}; an alias prices one model")
            names[name] = model
    return names
