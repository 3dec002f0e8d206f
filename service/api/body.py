"""Request bodies: media type checked first, size limited while the body streams in."""

from __future__ import annotations

from fastapi import Request

from service.errors import PayloadTooLarge, UnsupportedMediaType

JSON_MEDIA_TYPES = frozenset({"application/fhir+json", "application/json"})


def require_json(request: Request) -> None:
    """415 unless the body is declared as FHIR JSON or JSON (FHIR XML is not supported)."""
    declared = request.headers.get("content-type", "")
    media_type = declared.split(";", 1)[0].strip().lower()
    if media_type in JSON_MEDIA_TYPES:
        return
    if media_type in {"application/fhir+xml", "application/xml", "text/xml"}:
        raise UnsupportedMediaType("FHIR XML is not supported; send application/fhir+json.")
    raise UnsupportedMediaType(
        "Unsupported media type; send application/fhir+json or application/json."
    )


async def read_limited(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed `limit` bytes.

    A declared Content-Length over the limit is refused before reading anything; a
    chunked or lying body is cut off when the running total passes the limit.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body exceeds the limit of {limit} bytes.")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"The body exceeds the limit of {limit} bytes.")
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
