"""One record per resource, whatever the source: a posted body, a prefetch, a server page.

A `Record` is a Bundle entry as the walk reads it: its fullUrl (trimmed), what the entry
holds (`kind`: `absent`, an `object`, or `other`), the resource as bytes or a dict, and,
for entries of a posted Bundle, the search mode, request and response that versions
and paging read. Records gathered from several places (a hook's prefetch, a server's
pages) are walked as the entries of one collection Bundle; `origin` and `index` say
where each came from, for error paths. A Struct: one is made per entry, in C.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import msgspec

from service.intake.heads import Head, Resource


class Record(msgspec.Struct, frozen=True, gc=False):
    """One entry (or one resource read by itself)."""

    full_url: str | None
    resource: Resource | None
    kind: str = "object"
    search_mode: object = None
    request: object = None
    response: object = None
    #: The head, when a source read it ahead of the walk (a prefetch's entries).
    head: Head | None = None
    #: Where a gathered record came from: its Bundle's path (`prefetch.conditions`,
    #: `fhirServer.conditions.page[1]`) and its index there (None: read by itself).
    origin: str = "Bundle"
    index: int | None = None
    #: A gathered record's type and id, read when it was gathered (to sort a prefetch).
    resource_type: str | None = None
    ident: str | None = None

    @property
    def source(self) -> str:
        """The resource's path where it came from (the request, or a server's answers)."""
        if self.index is None:
            return self.origin
        return f"{self.origin}.entry[{self.index}].resource"


@dataclass(frozen=True, slots=True)
class BundleHead:
    """What a Bundle says of itself that the rules read: its type, `total` and links
    (a searchset with a `next` link, or a total above its matches, is incomplete)."""

    type: object = None
    total: object = None
    link: object = None


#: Gathered records are walked as a collection (their pages were followed).
COLLECTION: Final = BundleHead("collection")
