"""The SMART clinician app in headless Chromium against a real SMART EHR (see conftest).

Every state the clinician can reach is screenshotted into var/screenshots/smart/ and
checked with axe-core (no serious or critical violation), and no test page logs a
console error.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.smart.conftest import HERE, SCREENSHOTS, Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
READY = "body[data-state=ready]"
ERROR = "body[data-state=error]"
#: The launch-to-render figure of the 846-Observation patient, for docs/SMART_APP.md.
TIMING_FILE = SCREENSHOTS.parent / "smart-timing.txt"


def axe_violations(page: Any) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def finish(page: Any, name: str) -> None:
    """Screenshot the state, then check accessibility and the console."""
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    assert axe_violations(page) == []
    assert page.console_errors == []


def allow(page: Any, patient: str | None = None) -> None:
    """The EHR's consent page: pick the patient (standalone launch), then Allow."""
    page.wait_for_url("**/interaction/**")
    if patient is not None:
        page.get_by_label("Patient").select_option(patient)
    page.get_by_role("button", name="Allow").click()


def criteria_statuses(page: Any) -> dict[str, str]:
    rows = page.locator("#criteria tbody tr")
    return {
        rows.nth(n).get_attribute("data-criterion"): rows.nth(n).locator("td").first.inner_text()
        for n in range(rows.count())
    }


def card_for(stack: Stack, patient: str) -> list[dict[str, Any]]:
    """The CDS Hooks cards oms-cds answers for the patient (insecure dev mode, no JWT)."""
    response = httpx.post(
        f"{stack.service_url}/cds-services/oms-screening",
        json={
            "hook": "patient-view",
            "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "fhirServer": stack.sandbox.base_url,
            "context": {"userId": "Practitioner/x", "patientId": patient},
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def launch_from_card(stack: Stack, card: dict[str, Any], patient: str, **context: Any) -> str:
    """What an EHR does with a `smart` link: add `iss` and a `launch` of its own."""
    (link,) = card["links"]
    assert link["type"] == "smart"
    assert link["url"] == stack.launch_url
    launch = stack.ehr_launch(patient, **context)
    return link["url"] + launch[len(stack.launch_url) :]


def test_ehr_launch_from_the_high_card(stack: Stack, page: Any) -> None:
    (card,) = card_for(stack, stack.seeded.high)
    page.goto(launch_from_card(stack, card, stack.seeded.high))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    assert page.locator("#banner").is_visible()
    assert "Mia Rivera" in page.locator("#banner").inner_text()
    assert "Sex female" in page.locator("#banner").inner_text()
    assert page.locator("#risk-level").inner_text() == "High (4 of 4 criteria met)"
    assert set(criteria_statuses(page).values()) == {"✔ Met"}
    neuroblastoma = page.locator("#criteria tr[data-criterion=neuroblastoma]").inner_text()
    assert (
        "Right adrenal neuroblastoma (SNOMED CT 281562007) · Condition, 2026-10-30, "
        "active, confirmed" in neuroblastoma
    )
    # The timeline is a Vega-Lite chart: one mark per dated piece of evidence, two opsoclonus.
    assert page.locator("#timeline svg").count() == 1
    assert page.locator("#timeline svg path[role=graphics-symbol]").count() == 4
    assert page.locator("#plan li").count() == 15
    assert "Mitigate trigger" in page.locator("#plan li").first.inner_text()
    assert "Computed by oms-cds 0.1.0" in page.locator("#computed").inner_text()
    finish(page, "ehr-launch-high")
    # A tablet in portrait, and the printed page: the same content, nothing cut off.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.wait_for_timeout(300)  # vega-embed re-lays the chart out on resize
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    finish(page, "ehr-launch-high-tablet")
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Save to chart").is_visible()
    page.screenshot(path=SCREENSHOTS / "ehr-launch-high-print.png", full_page=True)


def test_ehr_launch_from_the_moderate_card(stack: Stack, page: Any) -> None:
    (card,) = card_for(stack, stack.seeded.moderate)
    page.goto(launch_from_card(stack, card, stack.seeded.moderate))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    assert page.locator("#risk-level").inner_text() == "Moderate (2 of 4 criteria met)"
    assert criteria_statuses(page) == {
        "neuroblastoma": "? Unknown",
        "opsoclonus": "✔ Met",
        "myoclonus-ataxia": "✔ Met",
        "behavior-sleep": "? Unknown",
    }
    missing = page.locator("#criteria tr[data-criterion=neuroblastoma] td").last.inner_text()
    assert "Work-up: Search for a neuroblastoma." in missing
    assert page.locator("#plan li").count() == 3
    assert "diagnostic work-up (3 items)" in page.locator("#plan-intro").inner_text()
    finish(page, "ehr-launch-moderate")


def test_low_risk_has_no_card_and_the_app_says_low(stack: Stack, page: Any) -> None:
    assert card_for(stack, stack.seeded.low) == []
    page.goto(stack.ehr_launch(stack.seeded.low))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    assert page.locator("#risk-level").inner_text().startswith("Low (")
    assert "OMS is unlikely" in page.locator("#risk-summary").inner_text()
    assert "✖ Not met" in criteria_statuses(page).values()
    assert page.locator("#plan li").count() == 0
    assert "No plan is proposed" in page.locator("#plan-intro").inner_text()
    finish(page, "ehr-launch-low")


def test_ehr_launch_from_the_certain_card(stack: Stack, page: Any) -> None:
    """A recorded OMS diagnosis: the informational card links to the app, which says so."""
    (card,) = card_for(stack, stack.seeded.certain)
    page.goto(launch_from_card(stack, card, stack.seeded.certain))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    assert page.locator("#risk-level").inner_text().startswith("OMS diagnosed (")
    assert "recorded as diagnosed" in page.locator("#risk-summary").inner_text()
    assert page.locator("#plan li").count() == 15
    missing = page.locator("#criteria tr[data-criterion=neuroblastoma] td").last.inner_text()
    assert missing.startswith("No neuroblastoma found so far")
    finish(page, "ehr-launch-certain")


def test_standalone_launch_with_the_patient_picker(stack: Stack, page: Any) -> None:
    page.goto(f"{stack.launch_url}?iss={stack.ehr_fhir}")
    page.wait_for_url("**/interaction/**")
    page.get_by_label("Patient").select_option(stack.seeded.moderate)
    page.screenshot(path=SCREENSHOTS / "standalone-patient-picker.png", full_page=True)
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    assert "Leo Moreau" in page.locator("#banner").inner_text()
    assert page.locator("#risk-level").inner_text() == "Moderate (2 of 4 criteria met)"
    assert criteria_statuses(page)["opsoclonus"] == "✔ Met"
    assert page.locator("#timeline svg path[role=graphics-symbol]").count() == 2
    assert page.locator("#plan li").count() == 3
    finish(page, "standalone-moderate")


def test_no_banner_when_the_ehr_shows_its_own(stack: Stack, page: Any) -> None:
    page.goto(stack.ehr_launch(stack.seeded.high, need_patient_banner=False))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    assert not page.locator("#banner").is_visible()
    finish(page, "no-banner")


def _stored(stack: Stack, resource_type: str, patient: str) -> list[dict[str, Any]]:
    field = "target" if resource_type == "Provenance" else "subject"
    if resource_type == "Provenance":
        bundle = stack.fhir.get("Provenance", params={"_count": "100"}).json()
    else:
        bundle = stack.fhir.get(resource_type, params={field: f"Patient/{patient}"}).json()
    resources = [e["resource"] for e in bundle.get("entry") or []]
    return [r for r in resources if r["resourceType"] == resource_type]


def test_save_to_chart_writes_once_even_when_pressed_twice(stack: Stack, page: Any) -> None:
    patient = stack.seeded.high
    before = stack.writes()
    page.goto(stack.ehr_launch(patient))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    save = page.get_by_role("button", name="Save to chart")
    save.dblclick()  # two presses, as fast as a hand can
    save.click(force=True, no_wait_after=True, timeout=2_000)
    page.wait_for_selector("body[data-saved]", timeout=30_000)
    assert page.locator("body").get_attribute("data-saved") == "created"
    assert "Saved to the chart" in page.locator("#save-status").inner_text()
    after = stack.writes()
    assert {k: after.get(k, 0) - before.get(k, 0) for k in after} == {
        "RiskAssessment": 1,
        "CarePlan": 1,
        "Provenance": 1,
    }
    (assessment,) = _stored(stack, "RiskAssessment", patient)
    (plan,) = _stored(stack, "CarePlan", patient)
    assert plan["status"] == "draft"
    (provenance,) = [
        p for p in _stored(stack, "Provenance", patient)
        if {t["reference"] for t in p["target"]} & {f"RiskAssessment/{assessment['id']}"}
    ]  # fmt: skip
    agents = {a["who"]["reference"] for a in provenance["agent"]}
    assert agents == {"#oms-cds", f"Practitioner/{stack.seeded.practitioner}"}
    finish(page, "saved")

    # Another session saves the same data again: the key matches, nothing new is written;
    # and so does the service's own `?persist=true` on the same data (the same key).
    page.goto(stack.ehr_launch(patient))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    page.get_by_role("button", name="Save to chart").click()
    page.wait_for_selector("body[data-saved]", timeout=30_000)
    assert page.locator("body").get_attribute("data-saved") == "existing"
    assert "Already in the chart" in page.locator("#save-status").inner_text()
    finish(page, "saved-again")
    persisted = httpx.get(
        f"{stack.service_url}/fhir/Patient/{patient}/$oms-assess",
        params={"persist": "true"},
        timeout=60,
    )
    assert persisted.status_code == 200, persisted.text
    stored_ids = {e["resource"]["id"] for e in persisted.json()["entry"]}
    assert {assessment["id"], plan["id"]} <= stored_ids
    assert len(_stored(stack, "RiskAssessment", patient)) == 1


def test_denied_authorization(stack: Stack, page: Any) -> None:
    page.goto(stack.ehr_launch(stack.seeded.high))
    page.wait_for_url("**/interaction/**")
    page.get_by_role("button", name="Deny").click()
    page.wait_for_selector(ERROR, timeout=30_000)
    assert "Access to the patient's record was not granted" in page.locator("#error").inner_text()
    finish(page, "denied")


def test_expired_token(stack: Stack, page: Any) -> None:
    page.goto(stack.ehr_launch(stack.seeded.moderate))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    stack.revoke_tokens()
    page.get_by_role("button", name="Save to chart").click()
    page.wait_for_selector("body[data-saved=error]", timeout=30_000)
    assert "session with the EHR has expired" in page.locator("#save-status").inner_text()
    assert page.get_by_role("button", name="Save to chart").is_enabled()
    page.screenshot(path=SCREENSHOTS / "expired-on-save.png", full_page=True)
    page.reload()
    page.wait_for_selector(ERROR, timeout=30_000)
    assert "no open session with the EHR" in page.locator("#error").inner_text()
    page.console_errors[:] = [e for e in page.console_errors if " 401 " not in e]
    finish(page, "expired")


def test_patient_with_no_data(stack: Stack, page: Any) -> None:
    page.goto(stack.ehr_launch(stack.seeded.empty))
    allow(page)
    page.wait_for_selector(ERROR, timeout=60_000)
    assert "Nora Nodata" in page.locator("#banner").inner_text()
    assert "no Conditions or Observations" in page.locator("#error").inner_text()
    finish(page, "no-data")


def test_launch_without_iss(stack: Stack, page: Any) -> None:
    page.goto(stack.launch_url)
    page.wait_for_selector(ERROR, timeout=30_000)
    assert "must be opened by the EHR" in page.locator("#error").inner_text()
    finish(page, "no-iss")


def test_the_test_ehr_checks_aud_and_the_patient_compartment(stack: Stack, page: Any) -> None:
    """The EHR's checks can fail: a foreign `aud` is refused, another patient is out of reach."""
    refused = httpx.get(
        f"{stack.ehr_url}/auth",
        params={
            "client_id": "oms-cds-test",
            "response_type": "code",
            "redirect_uri": f"{stack.service_url}/app/index.html",
            "scope": "openid launch/patient patient/Patient.rs",
            "aud": "http://127.0.0.1:1/fhir",
            "state": "s",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
    )
    assert refused.status_code == 303
    assert "error=invalid_request" in refused.headers["location"]

    page.goto(stack.ehr_launch(stack.seeded.high))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    state = page.evaluate(
        "() => Object.values(sessionStorage).map(JSON.parse).find(v => v && v.tokenResponse)"
    )
    token = {"Authorization": f"Bearer {state['tokenResponse']['access_token']}"}
    own, other = stack.seeded.high, stack.seeded.moderate
    assert httpx.get(f"{stack.ehr_fhir}/Patient/{own}", headers=token).status_code == 200
    assert httpx.get(f"{stack.ehr_fhir}/Patient/{other}", headers=token).status_code == 403
    search = f"{stack.ehr_fhir}/Observation?patient=Patient/{other}"
    assert httpx.get(search, headers=token).status_code == 403
    assert httpx.get(f"{stack.ehr_fhir}/Patient/{own}").status_code == 401


def test_launch_to_render_time_for_846_observations(stack: Stack, page: Any) -> None:
    """Launch URL opened -> assessment rendered, the consent click included (~no wait)."""
    start = time.perf_counter()
    page.goto(stack.ehr_launch(stack.seeded.big))
    allow(page)
    allowed = time.perf_counter()
    page.wait_for_selector(READY, timeout=120_000)
    end = time.perf_counter()
    assert "846 Observations" in page.locator("#computed").inner_text()
    TIMING_FILE.write_text(
        f"846-Observation Synthea patient: launch -> rendered {end - start:.2f} s "
        f"(after Allow: {end - allowed:.2f} s)\n"
    )
    print(TIMING_FILE.read_text())
    assert end - start < 60
    finish(page, "synthea-846-observations")


def test_fhir_server_down(stack: Stack, page: Any) -> None:
    """Last: it stops the sandbox (and starts it again, same data, same port)."""
    page.goto(stack.ehr_launch(stack.seeded.high))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    stack.sandbox.stop()
    try:
        page.reload()
        page.wait_for_selector(ERROR, timeout=30_000)
        assert "FHIR server is not answering" in page.locator("#error").inner_text()
        # The record's searches run together and the first failure shows the error: let
        # the others' 503s arrive before they are taken out (they came after, at times).
        page.wait_for_load_state("networkidle")
        page.console_errors[:] = [e for e in page.console_errors if " 503 " not in e]
        finish(page, "fhir-server-down")
    finally:
        stack.sandbox.start()


def test_screenshots_are_not_committed() -> None:
    ignored = (HERE.parents[1] / ".gitignore").read_text()
    assert "/var/" in ignored
    assert Path(SCREENSHOTS).is_relative_to(HERE.parents[1] / "var")
