"""One rooted exception hierarchy: every error the service raises on purpose is an OmsError,
and an upstream timeout is an upstream error (as httpx's TimeoutException is a TransportError)."""

from __future__ import annotations

import pytest

import service.errors as errors_module
from service.cds.errors import BadHookRequest, FeedbackNotStored, PreconditionFailed
from service.clients.fhir import FhirServerError
from service.errors import (
    FhirServerNotConfigured,
    Issue,
    OmsError,
    Unauthorized,
    UnprocessablePayload,
    UpstreamError,
    UpstreamTimeout,
)
from service.security.clients import CdsConfigError
from service.storage import StorageUnavailable


@pytest.mark.parametrize(
    "error",
    [
        Unauthorized,
        FhirServerNotConfigured,
        CdsConfigError,
        StorageUnavailable,
        BadHookRequest,
        PreconditionFailed,
        FeedbackNotStored,
        FhirServerError,
        UpstreamTimeout,
    ],
)
def test_every_deliberate_error_is_an_oms_error(error: type[Exception]) -> None:
    assert issubclass(error, OmsError)


def test_a_timeout_is_an_upstream_error_with_its_own_status() -> None:
    assert issubclass(UpstreamTimeout, UpstreamError)
    assert (UpstreamTimeout("late").status, UpstreamError("bad").status) == (504, 502)
    assert (Unauthorized().status, FhirServerNotConfigured("none").status) == (401, 501)


def test_an_error_lists_its_own_issue_first_then_the_others() -> None:
    error = UnprocessablePayload("first", expression=["Bundle.entry[0]"])
    error.more = [Issue("second", "structure", ["Bundle.entry[1]"])]
    assert [(i.message, i.expression) for i in error.issues()] == [
        ("first", ["Bundle.entry[0]"]),
        ("second", ["Bundle.entry[1]"]),
    ]


def _subclasses(cls: type[Exception]) -> set[type[Exception]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_error_class_lives_in_service_errors_and_is_drawn_in_its_docstring() -> None:
    import service.app
    import service.cli  # noqa: F401

    classes = {c for c in _subclasses(OmsError) if c.__module__.startswith("service.")}
    assert {c.__module__ for c in classes} == {"service.errors"}
    doc = errors_module.__doc__ or ""
    assert [c.__name__ for c in classes if f" {c.__name__} " not in doc] == []


def test_the_modules_that_raise_them_re_export_the_same_classes() -> None:
    assert (BadHookRequest, PreconditionFailed, FeedbackNotStored) == (
        errors_module.BadHookRequest, errors_module.PreconditionFailed,
        errors_module.FeedbackNotStored,
    )  # fmt: skip
    assert FhirServerError is errors_module.FhirServerError
    assert StorageUnavailable is errors_module.StorageUnavailable
    assert CdsConfigError is errors_module.CdsConfigError
