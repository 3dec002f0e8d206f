"""The course of treatment, case by case, as the neurologist of a diagnosed child names them.

Each case is a record (a child with a recorded OMS diagnosis, and what was given) and the
whole CarePlan it must get: every checklist item's status, the records behind it
(`outcomeReference`) and what was given in words (`progress`); plus the rationale's relapse
sentence and the CarePlan's note on records that could not be classified.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from service.engine import assess_payload
from service.errors import UnprocessablePayload
from service.terminology import Terminology
from tests.builders import HPO, LOINC, SCT, concept
from tests.test_clinical_semantics_v2 import CHECKLIST, bundle, child, cond, obs

Json = dict[str, Any]
NOW = "2026-11-25T10:00:00Z"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"

PREDNISOLONE = (RXNORM, "8638")
PREDNISOLONE_PRODUCT = (RXNORM, "92892")  # prednisolone Injectable Solution [Hydeltrasol]
PREDNISOLONE_ATC = (ATC, "H02AB06")
IVIG = (RXNORM, "5666")
RITUXIMAB = (RXNORM, "121191")
PARACETAMOL = (RXNORM, "161")  # acetaminophen: no OMS agent
SPEECH_THERAPY = (SCT, "5154007")
RESECTION = (SCT, "128303001")
CSF_IGG_INDEX = (LOINC, "14117-6")
NB = (SCT, "432328008")
OPSOCLONUS = (HPO, "HP:0010543")


def oms(status: str = "active", **extra: Any) -> Json:
    """The child's recorded OMS (confirmed), with its clinicalStatus and dates."""
    return cond(
        "oms",
        (SCT, "230350000"),
        clinicalStatus=concept((CLINICAL, status)),
        **({"onsetDateTime": "2026-09-20"} | extra),
    )


def medication_request(
    id: str, medication: tuple[str, str] | None, status: str = "active",
    start: str | None = None, end: str | None = None, **extra: Any,
) -> Json:  # fmt: skip
    resource: Json = {
        "resourceType": "MedicationRequest",
        "id": id,
        "status": status,
        "intent": "order",
        "subject": {"reference": "Patient/child"},
        "authoredOn": start or "2026-10-01",
    }
    if medication is not None:
        resource["medicationCodeableConcept"] = concept(medication)
    if start or end:
        bounds = {k: v for k, v in (("start", start), ("end", end)) if v}
        resource["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": bounds}}}]
    return resource | extra


def administration(
    id: str, medication: tuple[str, str], day: str, status: str = "completed"
) -> Json:
    return {
        "resourceType": "MedicationAdministration",
        "id": id,
        "status": status,
        "medicationCodeableConcept": concept(medication),
        "subject": {"reference": "Patient/child"},
        "effectiveDateTime": day,
    }


def statement(id: str, medication: tuple[str, str], start: str, end: str, status: str) -> Json:
    return {
        "resourceType": "MedicationStatement",
        "id": id,
        "status": status,
        "medicationCodeableConcept": concept(medication),
        "subject": {"reference": "Patient/child"},
        "effectivePeriod": {"start": start, "end": end},
    }


def procedure(id: str, code: tuple[str, str], day: str, **extra: Any) -> Json:
    return {
        "resourceType": "Procedure",
        "id": id,
        "status": "completed",
        "code": concept(code),
        "subject": {"reference": "Patient/child"},
        "performedDateTime": day,
    } | extra


def order(id: str, code: tuple[str, str], day: str) -> Json:
    return {
        "resourceType": "ServiceRequest",
        "id": id,
        "status": "active",
        "intent": "order",
        "code": concept(code),
        "subject": {"reference": "Patient/child"},
        "occurrenceDateTime": day,
    }


def csf_test(id: str, day: str) -> Json:
    return {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "code": concept(CSF_IGG_INDEX),
        "subject": {"reference": "Patient/child"},
        "effectiveDateTime": day,
        "valueQuantity": {"value": 0.9},
    }


Item = tuple[str, list[str], str | None]
NOTHING: Item = ("not-started", [], None)


def plan(**items: Item) -> dict[str, Item]:
    """The whole checklist: every item not started, but for `items` (code with _ for -)."""
    expected = dict.fromkeys(CHECKLIST, NOTHING)
    for code, item in items.items():
        expected[code.replace("_", "-")] = item
    return expected


PRED_NOW: Item = ("in-progress", ["MedicationRequest/pred"], "prednisolone, since 2026-11-04")
PRED_DONE: Item = (
    "completed",
    ["MedicationRequest/pred"],
    "prednisolone, 2026-10-01 to 2026-11-02",
)

CASES = [
    pytest.param(bundle(child(), oms()), plan(), None, id="newly-diagnosed-nothing-given-yet"),
    pytest.param(
        bundle(child(), oms(), medication_request("pred", PREDNISOLONE, start="2026-11-04")),
        plan(treat_neuroinflammation=PRED_NOW, escalate_steroids_acth=PRED_NOW),
        None,
        id="on-prednisolone-for-three-weeks",
    ),
    pytest.param(
        bundle(
            child(),
            oms(),
            medication_request("pred", PREDNISOLONE, "completed", "2026-10-01", "2026-11-02"),
        ),
        plan(treat_neuroinflammation=PRED_DONE, escalate_steroids_acth=PRED_DONE),
        None,
        id="a-completed-steroid-course",
    ),
    pytest.param(
        bundle(child(), oms(), administration("ivig", IVIG, "2026-10-20")),
        plan(
            treat_neuroinflammation=(
                "completed",
                ["MedicationAdministration/ivig"],
                "immunoglobulin G, 2026-10-20",
            ),
            give_ivig=(
                "completed",
                ["MedicationAdministration/ivig"],
                "immunoglobulin G, 2026-10-20",
            ),
        ),
        None,
        id="ivig-given-last-month",
    ),
    pytest.param(
        bundle(
            child(),
            oms("relapse", onsetDateTime="2026-11-01"),
            statement("rtx", RITUXIMAB, "2025-03-01", "2025-03-15", "completed"),
        ),
        plan(
            review_drug_responses=(
                "not-started",
                ["MedicationStatement/rtx"],
                "rituximab, 2025-03-01 to 2025-03-15",
            )
        ),
        "In relapse since 2026-11-01.",
        id="rituximab-in-an-earlier-episode-only-listed-for-review",
    ),
    pytest.param(
        bundle(
            child(),
            oms(),
            medication_request("pred", PREDNISOLONE, start="2026-10-01"),
            administration("ivig", IVIG, "2026-10-20"),
        ),
        plan(
            treat_neuroinflammation=(
                "in-progress",
                ["MedicationRequest/pred", "MedicationAdministration/ivig"],
                "prednisolone, since 2026-10-01; immunoglobulin G, 2026-10-20",
            ),
            escalate_steroids_acth=(
                "in-progress",
                ["MedicationRequest/pred"],
                "prednisolone, since 2026-10-01",
            ),
            give_ivig=(
                "completed",
                ["MedicationAdministration/ivig"],
                "immunoglobulin G, 2026-10-20",
            ),
            multimodal_immunotherapy=(
                "completed",
                ["MedicationRequest/pred", "MedicationAdministration/ivig"],
                "prednisolone, since 2026-10-01 with immunoglobulin G, 2026-10-20",
            ),
        ),
        None,
        id="steroid-and-ivig-overlapping-combination",
    ),
    pytest.param(
        bundle(
            child(),
            oms(),
            medication_request("pred", PREDNISOLONE, "completed", "2026-09-22", "2026-10-05"),
            administration("ivig", IVIG, "2026-10-20"),
        ),
        plan(
            treat_neuroinflammation=(
                "completed",
                ["MedicationRequest/pred", "MedicationAdministration/ivig"],
                "prednisolone, 2026-09-22 to 2026-10-05; immunoglobulin G, 2026-10-20",
            ),
            escalate_steroids_acth=(
                "completed",
                ["MedicationRequest/pred"],
                "prednisolone, 2026-09-22 to 2026-10-05",
            ),
            give_ivig=(
                "completed",
                ["MedicationAdministration/ivig"],
                "immunoglobulin G, 2026-10-20",
            ),
        ),
        None,
        id="steroid-then-ivig-not-overlapping-no-combination",
    ),
    pytest.param(
        bundle(
            child(), oms(), medication_request("pred", PREDNISOLONE_PRODUCT, start="2026-11-04")
        ),
        plan(treat_neuroinflammation=PRED_NOW, escalate_steroids_acth=PRED_NOW),
        None,
        id="product-level-rxnorm-code-from-the-ehr",
    ),
    pytest.param(
        bundle(child(), oms(), medication_request("pred", PREDNISOLONE_ATC, start="2026-11-04")),
        plan(treat_neuroinflammation=PRED_NOW, escalate_steroids_acth=PRED_NOW),
        None,
        id="atc-only-coding",
    ),
    pytest.param(
        bundle(
            child(),
            oms(),
            medication_request(
                "rtx",
                None,
                start="2026-11-10",
                medicationReference={"reference": "#m"},
                contained=[
                    {
                        "resourceType": "Medication",
                        "id": "m",
                        "ingredient": [{"itemCodeableConcept": concept(RITUXIMAB)}],
                    }
                ],
            ),
        ),
        plan(
            treat_neuroinflammation=(
                "in-progress",
                ["MedicationRequest/rtx"],
                "rituximab, since 2026-11-10",
            ),
            change_disease_modifying_drugs=(
                "in-progress",
                ["MedicationRequest/rtx"],
                "rituximab, since 2026-11-10",
            ),
        ),
        None,
        id="medication-resource-with-ingredients",
    ),
    pytest.param(
        bundle(
            child(),
            oms(),
            {"resourceType": "Medication", "id": "rtx-product", "code": concept(RITUXIMAB)},
            medication_request(
                "rtx",
                None,
                start="2026-11-10",
                medicationReference={"reference": "Medication/rtx-product"},
            ),
        ),
        plan(
            treat_neuroinflammation=(
                "in-progress",
                ["MedicationRequest/rtx"],
                "rituximab, since 2026-11-10",
            ),
            change_disease_modifying_drugs=(
                "in-progress",
                ["MedicationRequest/rtx"],
                "rituximab, since 2026-11-10",
            ),
        ),
        None,
        id="medication-entry-named-by-reference",
    ),
    pytest.param(
        bundle(
            child(),
            oms(),
            medication_request("pred", PREDNISOLONE, "entered-in-error", "2026-11-04"),
            medication_request("pred2", PREDNISOLONE, "cancelled", "2026-11-04"),
            medication_request("pred3", PREDNISOLONE, "draft", "2026-11-04"),
            statement("rtx", RITUXIMAB, "2026-10-01", "2026-10-05", "not-taken"),
            administration("ivig", IVIG, "2026-10-20", status="entered-in-error"),
        ),
        plan(),
        None,
        id="entered-in-error-cancelled-draft-and-not-taken-ignored",
    ),
    pytest.param(
        bundle(
            child(),
            oms(),
            cond("nb", NB),
            procedure(
                "resection",
                RESECTION,
                "2026-10-15",
                reasonReference=[{"reference": "Condition/nb"}],
            ),
        ),
        plan(
            mitigate_trigger=("completed", ["Procedure/resection"], "Surgical removal, 2026-10-15")
        ),
        None,
        id="tumour-resection-with-the-neuroblastoma-as-reason",
    ),
    pytest.param(
        bundle(child(), oms(), procedure("resection", RESECTION, "2026-10-15")),
        plan(),
        None,
        id="resection-without-the-tumour-as-reason-is-not-counted",
    ),
    pytest.param(
        bundle(child(), oms(), procedure("slt", SPEECH_THERAPY, "2026-11-01")),
        plan(
            intensify_rehabilitation=("completed", ["Procedure/slt"], "Speech therapy, 2026-11-01")
        ),
        None,
        id="speech-therapy-done",
    ),
    pytest.param(
        bundle(child(), oms(), order("slt", SPEECH_THERAPY, "2026-12-01")),
        plan(
            intensify_rehabilitation=(
                "scheduled",
                ["ServiceRequest/slt"],
                "Speech therapy, ordered 2026-12-01",
            )
        ),
        None,
        id="speech-therapy-only-ordered",
    ),
    pytest.param(
        bundle(child(), oms(), csf_test("csf", "2026-11-10")),
        plan(
            retest_neuroinflammation=(
                "completed",
                ["Observation/csf"],
                "IgG clearance/Albumin clearance [Ratio] in Serum and CSF, 2026-11-10",
            )
        ),
        None,
        id="csf-igg-index-retested",
    ),
    pytest.param(
        bundle(child(), oms(), medication_request("pred", PREDNISOLONE, "on-hold", "2026-11-04")),
        plan(
            treat_neuroinflammation=(
                "on-hold",
                ["MedicationRequest/pred"],
                "prednisolone, 2026-11-04, on hold",
            ),
            escalate_steroids_acth=(
                "on-hold",
                ["MedicationRequest/pred"],
                "prednisolone, 2026-11-04, on hold",
            ),
        ),
        None,
        id="steroid-on-hold",
    ),
    pytest.param(
        bundle(
            child(),
            oms("remission", abatementDateTime="2026-06-01"),
            obs("eyes", OPSOCLONUS, effectiveDateTime="2026-11-02"),
            statement("rtx", RITUXIMAB, "2026-01-10", "2026-01-24", "completed"),
        ),
        plan(
            review_drug_responses=(
                "not-started",
                ["MedicationStatement/rtx"],
                "rituximab, 2026-01-10 to 2026-01-24",
            )
        ),
        "In relapse since 2026-11-02.",
        id="relapse-from-a-new-sign-after-a-recorded-remission",
    ),
]


def run(document: Json, terminology: Terminology) -> list[Json]:
    result = assess_payload(orjson.dumps(document), terminology, now=lambda: NOW)
    resources: list[Json] = orjson.loads(
        orjson.dumps([e["resource"] for e in result.bundle["entry"]])
    )
    return resources


def course(care_plan: Json) -> dict[str, Item]:
    return {
        a["detail"]["code"]["coding"][0]["code"]: (
            a["detail"]["status"],
            [r["reference"] for r in a.get("outcomeReference", [])],
            a["progress"][0]["text"] if a.get("progress") else None,
        )
        for a in care_plan["activity"]
    }


@pytest.mark.parametrize(("document", "expected", "relapse"), CASES)
def test_the_checklist_follows_the_course(
    document: Json, expected: dict[str, Item], relapse: str | None, terminology: Terminology
) -> None:
    risk_assessment, care_plan, provenance = run(copy.deepcopy(document), terminology)
    assert care_plan["resourceType"] == "CarePlan"
    assert list(course(care_plan)) == CHECKLIST
    assert course(care_plan) == expected
    rationale = risk_assessment["prediction"][0]["rationale"]
    if relapse is None:
        assert "In relapse since" not in rationale
    else:
        assert relapse in rationale
    entities = {e["what"]["reference"] for e in provenance.get("entity", [])}
    used = {r for status, refs, _ in expected.values() for r in refs}
    assert used <= entities
    assert "note" not in care_plan


def test_an_unknown_drug_is_not_counted_but_the_plan_says_so(terminology: Terminology) -> None:
    _, care_plan, _ = run(
        bundle(
            child(),
            oms(),
            medication_request("para", PARACETAMOL, start="2026-11-04"),
            medication_request("pred", PREDNISOLONE, start="2026-11-04"),
            medication_request(
                "x",
                None,
                start="2026-11-04",
                medicationReference={"reference": "Medication/missing"},
            ),
        ),
        terminology,
    )
    assert course(care_plan) == plan(
        treat_neuroinflammation=PRED_NOW, escalate_steroids_acth=PRED_NOW
    )
    assert care_plan["note"] == [
        {
            "text": "2 medication records could not be classified (no code in the agent "
            "ValueSets or the product map) and are not counted."
        }
    ]


def test_another_patients_medication_request_is_422(terminology: Terminology) -> None:
    record = medication_request("pred", PREDNISOLONE, start="2026-11-04")
    record["subject"] = {"reference": "Patient/sibling"}
    with pytest.raises(UnprocessablePayload) as raised:
        run(bundle(child(), oms(), record), terminology)
    assert raised.value.expression == ["Bundle.entry[2].resource.subject"]


def test_an_unknown_modifier_on_a_treatment_record_is_422(terminology: Terminology) -> None:
    record = medication_request("pred", PREDNISOLONE, start="2026-11-04")
    record["modifierExtension"] = [{"url": "http://example.org/not-given", "valueBoolean": True}]
    with pytest.raises(UnprocessablePayload) as raised:
        run(bundle(child(), oms(), record), terminology)
    assert raised.value.expression == ["Bundle.entry[2].resource.modifierExtension[0]"]


def test_a_child_meeting_the_criteria_gets_the_course_too(terminology: Terminology) -> None:
    _, care_plan, _ = run(
        bundle(
            child(),
            cond("nb", NB),
            obs("eyes", OPSOCLONUS),
            cond("jerks", (SCT, "17450006")),
            medication_request("pred", PREDNISOLONE, start="2026-11-04"),
        ),
        terminology,
    )
    assert course(care_plan) == plan(
        treat_neuroinflammation=PRED_NOW, escalate_steroids_acth=PRED_NOW
    )


def test_a_moderate_work_up_ignores_treatments(terminology: Terminology) -> None:
    _, care_plan, _ = run(
        bundle(child(), obs("eyes", OPSOCLONUS), medication_request("pred", PREDNISOLONE)),
        terminology,
    )
    assert all(a["detail"]["status"] == "not-started" for a in care_plan["activity"])
    assert all("outcomeReference" not in a for a in care_plan["activity"])


def accepted_bodies() -> list[tuple[str, bytes]]:
    """The cases' inputs, for the HL7 validator gate."""
    return [(str(case.id), orjson.dumps(case.values[0])) for case in CASES]
