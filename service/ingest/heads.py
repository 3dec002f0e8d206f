"""What ingest reads of every resource, whichever parser read the body.

`Head` holds the few elements that selection, versions and the patient-identity check
need; the rest of a resource stays unparsed (skeleton path) or untouched (dict path).
Both paths build the same `Head` (msgspec decodes it from a resource's bytes, or
converts it from the resource's dict), so the rules after that are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec

from service.fhir_json import Json


class Head(msgspec.Struct, gc=False):
    """A resource's type, identity, version, codes, patient references and contained heads."""

    resourceType: Any = None
    id: Any = None
    meta: Any = None
    code: Any = None
    valueCodeableConcept: Any = None
    component: Any = None
    conclusionCode: Any = None
    reasonCode: Any = None
    status: Any = None
    intent: Any = None
    medicationCodeableConcept: Any = None
    medicationReference: Any = None
    ingredient: Any = None
    subject: Any = None
    patient: Any = None
    focus: Any = None
    identifier: Any = None
    birthDate: Any = None
    contained: list[Head] | None = None

    @property
    def type(self) -> str | None:
        return self.resourceType if isinstance(self.resourceType, str) else None

    @property
    def ident(self) -> str | None:
        return self.id if isinstance(self.id, str) and self.id else None


@dataclass(frozen=True, slots=True)
class BundleHead:
    """What a Bundle says of itself that the rules read: its type, `total` and links
    (a searchset with a `next` link, or a total above its matches, is incomplete)."""

    type: object = None
    total: object = None
    link: object = None


class Entry(Protocol):
    """One Bundle entry as the walk reads it, whichever parser produced it.

    `handle` is an opaque handle (bytes view, dict, or a gathered entry) handed back to
    the source's `head`, `load` and `entries`; `kind` says what the entry's resource is:
    `absent` (missing or null), `object`, or `other` (any other JSON value). A protocol,
    so that gathered resources (`ingest.gathered`) are their own entries: no object per
    entry is made to walk them."""

    @property
    def full_url(self) -> str | None: ...
    @property
    def search_mode(self) -> object: ...
    @property
    def request(self) -> object: ...
    @property
    def response(self) -> object: ...
    @property
    def kind(self) -> str: ...
    @property
    def handle(self) -> object: ...


class EntryView(msgspec.Struct, frozen=True, gc=False):
    """An `Entry` of a parsed Bundle (skeleton or dict): a Struct, made in C (one per
    entry of every request; a frozen dataclass cost ~10% of a small request's ingest)."""

    full_url: str | None
    search_mode: object
    request: object
    response: object
    kind: str
    handle: object


@dataclass(frozen=True, slots=True)
class Source:
    """The three things a parser must do for the shared walk: a Bundle's entries (and
    what it says of itself), a resource's head, the whole resource."""

    entries: Callable[[object, str], tuple[Sequence[Entry], BundleHead]]
    head: Callable[[object, str], Head]
    load: Callable[[object], Json]


class LiteralReference(str):
    """A Reference that held only `reference` (and a display): kept as its text, which
    costs a third of the dict, for every resource of a large bundle."""

    __slots__ = ()

    def as_reference(self) -> Json:
        return {"reference": str(self)}
