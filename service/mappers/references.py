"""Reference JSON for an input resource, whatever identity ingest could give it."""

from __future__ import annotations

from typing import Any

from service.intake import is_input_path


def reference_to(identity: str) -> dict[str, Any]:
    """`{"reference": ...}` for `Type/id`, URLs and `urn:` fullUrls; a display otherwise.

    A resource with neither id nor fullUrl is known only by its place in the input
    (`Bundle.entry[3].resource`), which no server could resolve: it is named, not linked.
    """
    if is_input_path(identity):
        return {"display": f"input element {identity}"}
    return {"reference": identity}
