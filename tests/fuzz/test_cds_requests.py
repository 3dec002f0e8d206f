"""Generated CDS Hooks requests through `POST /cds-services/oms-screening` (insecure dev
mode, no fhirServer): prefetch absent, null, an OperationOutcome or a Bundle, in every
mix. Without a server to fall back on, the only answers are 200, 400, 412 and 422."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import given

from service.terminology import Terminology
from tests.fuzz import strategies
from tests.fuzz.conftest import fuzz_settings, record_case
from tests.fuzz.oracles import outcome_problem

#: A failing case's report must not itself fail on hypothesis' warning about its size.
pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore:Generating overly large repr")]

URL = "/cds-services/oms-screening"


@given(data=strategies.st.data())
@fuzz_settings(share=3)
def test_generated_hook_requests_get_cards_or_a_cds_error(
    data: strategies.st.DataObject,
    fuzz_client: TestClient,
    terminology: Terminology,
    after_all_healthy: None,
) -> None:
    request = data.draw(strategies.hook_requests(terminology), label="hook request")
    body = data.draw(strategies.encoded(request), label="bytes")
    response = fuzz_client.post(URL, content=body, headers={"Content-Type": "application/json"})
    status = response.status_code
    record_case("cds: generated hook requests", status)
    assert status in {200, 400, 412, 422}, status
    if status == 200:
        cards = orjson.loads(response.content)["cards"]
        assert isinstance(cards, list)
        assert all(isinstance(card, dict) and card.get("summary") for card in cards)
    else:
        assert outcome_problem(response.content) is None
