"""What the client relies on, or guards against, in each server's defaults.

Where sekmet and HAPI legitimately differ, the test says which does what.
"""

from __future__ import annotations

import httpx
import pytest

from service.fhir_json import next_link
from tests.contract.conftest import Seeded

pytestmark = pytest.mark.contract

UNKNOWN = "Observation?oms-no-such-parameter=1"


def test_an_unknown_search_parameter_fails_under_strict_handling(
    fhir: httpx.Client, fhir_server_kind: str
) -> None:
    """Why the client sends `Prefer: handling=strict`: a dropped parameter widens a search."""
    assert fhir.get(UNKNOWN).status_code == 400

    lenient = fhir.get(UNKNOWN, headers={"Prefer": "handling=lenient"})
    if fhir_server_kind == "sekmet":
        # Drops the parameter, says so in an OperationOutcome entry, answers the rest.
        assert lenient.status_code == 200
        modes = [(e.get("search") or {}).get("mode") for e in lenient.json().get("entry") or []]
        assert "outcome" in modes
    elif fhir_server_kind == "hapi":
        # HAPI refuses unknown parameters whatever the Prefer header says (HAPI-0524).
        assert lenient.status_code == 400


def test_without_count_a_page_holds_20_and_count_is_honoured_above_it(
    fhir: httpx.Client, seeded: Seeded
) -> None:
    """Both servers page by 20 by default and honour `_count=100` (no cap at 50 or below)."""
    default = fhir.get(f"Observation?patient=Patient/{seeded.lawrence}").json()
    asked = fhir.get(f"Observation?patient=Patient/{seeded.lawrence}&_count=100").json()

    assert len(default["entry"]) == 20
    assert next_link(default) is not None
    assert len(asked["entry"]) == 100
