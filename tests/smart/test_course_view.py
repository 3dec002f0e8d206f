"""The course of treatment in the clinician view, for a child back in relapse (relapse.py).

The neurologist's questions, each asserted on the page's DOM and the timeline's SVG text:
what is being given now and since when, what was given in this episode and before it,
when the relapse began and the remission before it, what the checklist says of each item
(in words), which codes the record sent bare, and how many medication records could not
be classified. Screenshots: var/screenshots/smart/course-relapse*.png.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from tests.smart.conftest import SCREENSHOTS, Stack
from tests.smart.relapse import Dates
from tests.smart.test_smart_app import READY, allow, finish

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def svg_texts(page: Any) -> list[str]:
    texts: list[str] = page.evaluate(
        "() => [...document.querySelectorAll('#timeline svg text')].map(t => t.textContent)"
    )
    return texts


def plan_item(page: Any, code: str) -> tuple[str, str]:
    """(status in words, the item's whole text) of one checklist item."""
    item = page.locator(f"#plan li[data-code={code}]")
    return item.locator(".plan-status").inner_text().strip(), item.inner_text()


@pytest.fixture
def relapse_page(stack: Stack, page: Any) -> Any:
    page.goto(stack.ehr_launch(stack.seeded.relapse))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    return page


def test_the_timeline_shows_treatments_relapse_and_remission(relapse_page: Any) -> None:
    page, d = relapse_page, Dates(date.today())
    assert "Theo Marsh" in page.locator("#banner").inner_text()
    assert page.locator("#risk-level").inner_text().startswith("OMS diagnosed (4 of 4")
    assert f"In relapse since {d.relapse}." in page.locator("#risk-rationale").inner_text()
    assert page.locator("#risk-course").inner_text() == (
        f"In relapse since {d.relapse} (45 days ago). Previous remission from {d.remission}."
    )
    texts = svg_texts(page)
    # Relapse, remission and today: lines labelled with their dates (not colour alone).
    for label in (f"Relapse {d.relapse}", f"Remission {d.remission}", f"Today {d.today}"):
        assert label in texts
    # One row per agent; the ongoing prednisolone runs to today, the rest have their dates.
    for row in ("Prednisolone", "Immunoglobulin G", "Rituximab", "Speech therapy"):
        assert row in texts
    first, last = d.first_steroid
    for label in (
        f"since {d.prednisolone}, ongoing",
        d.ivig,
        f"{d.rituximab[0]} to {d.rituximab[1]}",
        f"{first} to {last}",
        f"ordered for {d.speech_therapy}",
    ):
        assert label in texts
    bars = page.locator("#timeline svg [aria-roledescription=bar]")
    assert bars.count() == 3  # prednisolone twice, rituximab; IVIG is one day (a diamond)
    assert page.locator("#timeline svg .mark-rule line").count() >= 3
    # Findings per criterion stay on the same timeline: 5 dated findings.
    assert page.locator("#timeline svg [aria-roledescription=point]").count() >= 5
    rows = page.locator("#treatments tbody tr")
    assert [rows.nth(n).locator("th").inner_text() for n in range(rows.count())] == [
        "Prednisolone", "Rituximab", "Immunoglobulin G", "Prednisolone", "Speech therapy",
    ]  # fmt: skip
    assert "Earlier episode" in rows.nth(1).inner_text()
    assert "This episode" in rows.nth(3).inner_text()


def test_the_checklist_says_what_was_given(relapse_page: Any) -> None:
    page, d = relapse_page, Dates(date.today())
    status, text = plan_item(page, "treat-neuroinflammation")
    assert status == "▶ In progress"
    assert f"Given: immunoglobulin G, {d.ivig}; prednisolone, since {d.prednisolone}" in text
    assert f"Administration: immunoglobulin G, {d.ivig} (record status completed)" in text
    assert (
        f"Medication order: prednisolone, since {d.prednisolone}, ongoing (record status active)"
        in text
    )
    assert plan_item(page, "escalate-steroids-acth")[0] == "▶ In progress"
    assert plan_item(page, "give-ivig")[0] == "✔ Completed"
    assert plan_item(page, "intensify-rehabilitation")[0] == "◷ Scheduled"
    status, text = plan_item(page, "review-drug-responses")
    assert status == "○ Not started"
    first, last = d.first_steroid
    assert (
        f"Given in earlier episodes: prednisolone, {first} to {last}; "
        f"rituximab, {d.rituximab[0]} to {d.rituximab[1]}" in text
    )
    assert plan_item(page, "multimodal-immunotherapy")[0] == "○ Not started"
    statuses = page.locator("#plan .plan-status").all_inner_texts()
    assert len(statuses) == 15
    assert (
        "2 in progress, 1 completed, 1 scheduled, 11 not started"
        in page.locator("#plan-intro").inner_text()
    )


def test_bare_codes_are_named_and_unclassified_records_counted(relapse_page: Any) -> None:
    page = relapse_page
    neuroblastoma = page.locator("#criteria tr[data-criterion=neuroblastoma]").inner_text()
    assert "Neuroblastoma (SNOMED CT 432328008)" in neuroblastoma
    assert "432328008 ·" not in neuroblastoma  # never the bare number
    # This episode's prednisolone came as RxNorm 8638 without a display.
    assert page.locator("#treatments tr[data-reference='MedicationRequest/relapse-pred-now'] th")\
        .inner_text() == "Prednisolone"  # fmt: skip
    notes = page.locator("#course-notes").inner_text()
    assert notes.startswith("1 medication record could not be classified")
    assert "Medication" not in page.locator("#course-notes").inner_text().split("classified")[0][2:]


def test_screenshots_of_the_course(relapse_page: Any) -> None:
    """The views a neurologist reads: desktop, tablet and print, with axe on each."""
    page = relapse_page
    finish(page, "course-relapse")
    page.locator("#timeline").screenshot(path=SCREENSHOTS / "course-relapse-timeline.png")
    page.set_viewport_size({"width": 768, "height": 1024})
    page.wait_for_timeout(400)  # the chart is redrawn at the new width
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    assert "Today" in " ".join(svg_texts(page))
    page.locator("#timeline").screenshot(path=SCREENSHOTS / "course-relapse-timeline-tablet.png")
    finish(page, "course-relapse-tablet")
    page.emulate_media(media="print")
    page.screenshot(path=SCREENSHOTS / "course-relapse-print.png", full_page=True)
    print(f"screenshots: {SCREENSHOTS}/course-relapse*.png")


def test_the_test_ehr_serves_the_treatment_record(stack: Stack, relapse_page: Any) -> None:
    """The app's token reads the patient's treatment record and its Medication, and no other's."""
    state = relapse_page.evaluate(
        "() => Object.values(sessionStorage).map(JSON.parse).find(v => v && v.tokenResponse)"
    )
    token = {"Authorization": f"Bearer {state['tokenResponse']['access_token']}"}
    own = f"{stack.ehr_fhir}/MedicationRequest?patient={stack.seeded.relapse}"
    assert httpx.get(own, headers=token).status_code == 200
    medication = f"{stack.ehr_fhir}/Medication/relapse-ivig-product"
    assert httpx.get(medication, headers=token).status_code == 200
    other = f"{stack.ehr_fhir}/MedicationRequest?patient={stack.seeded.high}"
    assert httpx.get(other, headers=token).status_code == 403
    assert httpx.get(own).status_code == 401


def test_an_ehr_that_withholds_the_medication_orders(stack: Stack, page: Any) -> None:
    """The assessment still shows; the page says what it could not read, so the clinician
    does not take an unstarted item for a fact."""
    page.goto(stack.ehr_launch(stack.seeded.relapse, withhold=("MedicationRequest",)))
    allow(page)
    page.wait_for_selector(READY, timeout=60_000)
    assert page.locator("#risk-level").inner_text().startswith("OMS diagnosed (")
    notes = page.locator("#course-notes").inner_text()
    assert (
        "The EHR did not let the app read the patient's medication orders: the plan and the "
        "timeline may miss what was given." in notes
    )
    assert plan_item(page, "escalate-steroids-acth")[0] == "○ Not started"
    assert plan_item(page, "give-ivig")[0] == "✔ Completed"
    page.console_errors[:] = [e for e in page.console_errors if " 403 " not in e]
    finish(page, "course-relapse-medication-orders-withheld")
