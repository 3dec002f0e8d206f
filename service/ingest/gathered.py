"""Ingest of resources gathered one by one (CDS prefetch values, FHIR-server reads).

The CDS Hooks path gathers its resources from several prefetch Bundles and the client's
FHIR server. Building one collection Bundle of them and parsing it again would cost a
second pass over every resource; instead the gathered entries are walked directly, as
the entries of that collection Bundle (`Bundle.entry[i].resource` in errors). Each
resource is either still bytes of the request (`msgspec.Raw`, read like the skeleton
path reads a `$oms-assess` body: a small head, the whole resource only for Patients and
candidates) or a dict (a FHIR server's answer, or the whole-body fall-back parse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol, cast

import msgspec

from service.fhir_json import Json
from service.ingest import parsed, skeleton
from service.ingest.heads import BundleHead, Entry, Head, Source
from service.ingest.result import IngestResult
from service.ingest.select import select
from service.ingest.walk import walk
from service.json_reader import read_json
from service.terminology import Terminology

_ROOT: Final = "Bundle"


class Gathered(Entry, Protocol):
    """One gathered resource, which is its own `Entry` of the collection Bundle: its
    fullUrl (trimmed), the resource (bytes or dict, an object) and, when already read (to
    sort the prefetch), its head, used once (the walk trims it). Its `handle` is itself,
    `kind` is `object`, and it has no search mode, request or response."""

    @property
    def resource(self) -> msgspec.Raw | Json: ...
    @property
    def head(self) -> Head | None: ...


@dataclass(frozen=True, slots=True)
class GatheredEntry:
    """A `Gathered` resource made here (for the fall-back of `ingest_gathered`, and tests)."""

    full_url: str | None
    resource: msgspec.Raw | Json
    head: Head | None = None
    search_mode: None = None
    request: None = None
    response: None = None
    kind: str = "object"

    @property
    def handle(self) -> GatheredEntry:
        return self


def read_head(raw: msgspec.Raw) -> Head | None:
    """The head of a resource still in bytes, or None where msgspec cannot type it."""
    try:
        return skeleton.HEAD_DECODER.decode(raw)
    except msgspec.DecodeError:
        return None


def ingest_gathered(
    entries: Sequence[Gathered], terminology: Terminology, max_entries: int
) -> IngestResult:
    """The entries ingested as one collection Bundle, with the rules of every other path.

    Where a resource in bytes cannot be typed by its head, all of them are parsed and
    walked as dicts instead, so the dict path's checks give the answer and the errors."""
    try:
        return _ingest(entries, _SOURCE, terminology, max_entries)
    except skeleton.SkeletonUnsure:
        loaded = [GatheredEntry(e.full_url, _parsed(e.resource)) for e in entries]
        return _ingest(loaded, _SOURCE, terminology, max_entries)


def _ingest(
    entries: Sequence[Gathered], source: Source, terminology: Terminology, max_entries: int
) -> IngestResult:
    walked = walk(entries, _ROOT, source, max_entries, terminology)
    return select(walked, _ROOT, source, terminology)


def _entries(bundle: object, root: str) -> tuple[Sequence[Entry], BundleHead]:
    """The gathered entries at the top (each its own entry, a collection: its pages were
    followed); a nested Bundle as the path of its form reads it."""
    if isinstance(bundle, list | tuple):
        return bundle, _COLLECTION
    if isinstance(bundle, msgspec.Raw):
        return skeleton.SKELETON_SOURCE.entries(bundle, root)
    if isinstance(bundle, dict):
        return parsed.DICT_SOURCE.entries(bundle, root)
    return _entries(_gathered(bundle).resource, root)


def _head(handle: object, path: str) -> Head:
    head = getattr(handle, "head", None)  # a gathered entry's, read already
    if head is not None:
        return cast("Head", head)
    if isinstance(handle, msgspec.Raw):
        return skeleton.SKELETON_SOURCE.head(handle, path)
    if isinstance(handle, dict):
        return parsed.DICT_SOURCE.head(handle, path)
    return _head(_gathered(handle).resource, path)


def _load(handle: object) -> Json:
    if isinstance(handle, msgspec.Raw):
        return skeleton.SKELETON_SOURCE.load(handle)
    if isinstance(handle, dict):
        return handle
    return _load(_gathered(handle).resource)


def _gathered(handle: object) -> Gathered:
    """A top-level handle: one of the gathered entries (neither bytes nor a dict)."""
    return cast("Gathered", handle)


def _parsed(resource: msgspec.Raw | Json) -> Json:
    """The fall-back parse, with the JSON reader's errors (400/413) for what orjson refuses."""
    if isinstance(resource, msgspec.Raw):
        document = read_json(bytes(resource))
        assert isinstance(document, dict)  # an entry is gathered only as an object
        return document
    return resource


_COLLECTION: Final = BundleHead("collection")
_SOURCE: Final = Source(_entries, _head, _load)
