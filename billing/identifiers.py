"""One rule for the names that key money: team, use case, customer, environment and tag names.

A name is refused, never rewritten, when it breaks the rule, so the ledger holds exactly what
the caller sent or nothing:

- NFC-normalised (`e` + combining accent is refused; send the composed `é`);
- 1 to 200 characters, no leading or trailing space;
- only letters and combining marks of any script, decimal digits, space and `- _ . : @ +`.

That excludes control characters (NUL, newline, ESC), bidi controls, zero-width and other
format characters (category Cf), `/` and `\\`, and markup such as `<` `>` `[` `]`. Display
names elsewhere may be richer; identifiers are what URLs, files and reports are keyed by.
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 200
PUNCTUATION = frozenset("-_.:@+ ")
CHARSET = "letters and marks of any script, digits, space and - _ . : @ +"


class BadIdentifier(ValueError):
    """Why a name is not an identifier, in words that say what to send instead."""


def problem(value: str, name: str = "name") -> str | None:
    """What is wrong with `value` as an identifier, or None when it is one."""
    if not value:
        return f"{name} is empty"
    if len(value) > MAX_LENGTH:
        return f"{name} is {len(value)} characters; at most {MAX_LENGTH} allowed"
    if value != value.strip():
        return f"{name} {value!r} starts or ends with a space"
    for position, char in enumerate(value, start=1):
        if char in PUNCTUATION:
            continue
        category = unicodedata.category(char)
        if category[0] in "LM" or category == "Nd":
            continue
        return (f"{name} {value!r} holds {unicodedata.name(char, f'U+{ord(char):04X}')} "
                f"(U+{ord(char):04X}) at character {position}; a name may hold only {CHARSET}")
    if not unicodedata.is_normalized("NFC", value):
        return (f"{name} {value!r} is not in Unicode NFC form; send it composed "
                f"({unicodedata.normalize('NFC', value)!r})")
    return None


def checked(value: str, name: str = "name") -> str:
    """`value` if it is an identifier; else BadIdentifier saying why."""
    found = problem(value, name)
    if found:
        raise BadIdentifier(found)
    return value
