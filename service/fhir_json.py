"""FHIR JSON as this service handles it: one alias for a resource dict, one id pattern,
one pattern for literal references."""

from __future__ import annotations

import re
from typing import Any, Final

#: A FHIR resource (or element) as parsed JSON.
Json = dict[str, Any]

#: FHIR `id`: 1-64 of letters, digits, `-` and `.`.
FHIR_ID: Final = r"[A-Za-z0-9\-.]{1,64}"

#: `Type/id`, optionally with `/_history/vid`, at the end of a relative or absolute
#: reference: group 1 the type, 2 the id, 3 the version.
LITERAL_REFERENCE: Final = re.compile(
    rf"(?:^|/)([A-Z][A-Za-z]+)/({FHIR_ID})(?:/_history/({FHIR_ID}))?$"
)


def next_link(bundle: Json) -> str | None:
    """A Bundle's `link[relation=next].url`, or None (also for a malformed `link`)."""
    links = bundle.get("link")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            if isinstance(url, str) and url.strip():
                return url.strip()
    return None
