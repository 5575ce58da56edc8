"""Why usage was not billed, in the invoice's language.

The billable policy states its reason in English (`billing.policies.billable`), and the JSON
twin keeps it as stated; the PDF a customer reads words it in their language. Only the
policy's three sentences are known; any other reason is printed as given.
"""

from __future__ import annotations

import re

_REASON = re.compile(r"^(?:(environment|use case|project) (.+) is (never|not) billable"
                     r"|usage without a (environment|use case|project) is not billable)$")
_WORDS = {
    "de": {"kinds": {"environment": "Umgebung", "use case": "Anwendungsfall",
                     "project": "Projekt"},
           "never": "{kind} {name} wird nie berechnet",
           "not": "{kind} {name} ist nicht abrechenbar",
           "without": "Nutzung ohne {kind} ist nicht abrechenbar"},
    "fr": {"kinds": {"environment": "l'environnement", "use case": "le cas d'usage",
                     "project": "le projet"},
           "never": "{kind} {name} n'est jamais facturé",
           "not": "{kind} {name} n'est pas facturable",
           "without": "usage sans {bare} : non facturable"},
}
_BARE_FR = {"environment": "environnement", "use case": "cas d'usage", "project": "projet"}


def reason_in(reason: str, locale: str) -> str:
    """`reason` as the policy stated it, worded for `locale` (English and unknown kept)."""
    words = _WORDS.get(locale.split("_")[0].lower())
    found = _REASON.match(reason)
    if words is None or found is None:
        return reason
    kind, name, how, without = found.groups()
    if without:
        text = words["without"].format(kind=words["kinds"][without], bare=_BARE_FR[without])
    else:
        text = words[how].format(kind=words["kinds"][kind], name=name)
    return text[0].upper() + text[1:]
