"""Liveness: answers as long as the event loop does (CPU work runs in threads)."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.responses import FhirJsonResponse

router = APIRouter()


@router.get("/healthz", response_class=FhirJsonResponse)
async def healthz() -> FhirJsonResponse:
    return FhirJsonResponse({"status": "ok"}, media_type="application/json")
