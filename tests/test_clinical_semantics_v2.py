"""Contract v2, case by case, as a clinician or integrator would name them.

Each case is a realistic payload and the whole answer it must get: every criterion's status
and evidence, the risk, the RiskAssessment status, the kind of CarePlan and its activities;
or the 422 and the element it names. tests/profiles/test_profiles_validate.py runs the
answers of the accepted cases through the HL7 validator.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from service.engine import assess_payload
from service.errors import UnprocessablePayload
from service.intake import DEFAULT_MAX_ENTRIES
from service.intake.body import decode_skeleton
from service.terminology import Terminology
from tests.builders import (
    CLINICAL_STATUS,
    HPO,
    ICD10CM,
    LOINC,
    SCT,
    VER_STATUS,
    concept,
    skeleton_read,
    whole_parse,
)

Json = dict[str, Any]
NOW = "2026-11-25T10:00:00Z"
MRN = "urn:oid:2.16.840.1.113883.19.5"
STU3_VER_STATUS = "http://hl7.org/fhir/condition-ver-status"
V2_YES_NO = "http://terminology.hl7.org/CodeSystem/v2-0136"

NB = (SCT, "432328008")
OPSOCLONUS = (HPO, "HP:0010543")
MYOCLONUS = (SCT, "17450006")
IRRITABLE = (SCT, "55929007")
FINDING = (SCT, "404684003")
BODY_WEIGHT = (LOINC, "29463-7")

CHECKLIST = [
    "mitigate-trigger", "treat-neuroinflammation", "reassess-high-risk", "treat-infections",
    "escalate-steroids-acth", "retest-neuroinflammation", "review-drug-responses",
    "change-disease-modifying-drugs", "formal-iq-testing", "treat-neuropsychiatric",
    "avoid-pitfalls", "give-ivig", "select-tapering", "multimodal-immunotherapy",
    "intensify-rehabilitation",
]  # fmt: skip


# --- builders -------------------------------------------------------------------------------


def child(mrn: str = "MRN-1000", birth: str = "2023-06-01", id: str = "child") -> Json:
    return {
        "resourceType": "Patient",
        "id": id,
        "identifier": [{"system": MRN, "value": mrn}],
        "birthDate": birth,
    }


def cond(
    id: str,
    *codings: tuple[str, str],
    ver: str | None = "confirmed",
    ver_system: str | None = VER_STATUS,
    subject: Json | None = None,
    **extra: Any,
) -> Json:
    resource: Json = {
        "resourceType": "Condition",
        "id": id,
        "clinicalStatus": concept((CLINICAL_STATUS, "active")),
        "code": concept(*codings),
        "subject": subject or {"reference": "Patient/child"},
        "onsetDateTime": "2026-10-01",
    }
    if ver is not None:
        coding = {"code": ver} | ({"system": ver_system} if ver_system else {})
        resource["verificationStatus"] = {"coding": [coding]}
    return resource | extra


def obs(
    id: str, code: tuple[str, str], subject: str | None = "Patient/child", **extra: Any
) -> Json:
    resource: Json = {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "code": concept(code),
        "effectiveDateTime": "2026-11-02",
    }
    if subject is not None:
        resource["subject"] = {"reference": subject}
    return resource | extra


def bundle(*resources: Json, type: str = "collection") -> Json:
    return {"resourceType": "Bundle", "type": type, "entry": [{"resource": r} for r in resources]}


def versioned(resource: Json, version: str, **meta: str) -> Json:
    return resource | {"meta": {"versionId": version, **meta}}


EYES = obs("eyes", OPSOCLONUS)
JERKS = cond("jerks", MYOCLONUS)
SLEEP = obs("sleep", IRRITABLE)


# --- the cases ------------------------------------------------------------------------------


def answer(
    nb: tuple[str, list[str]] = ("unknown", []),
    opsoclonus: tuple[str, list[str]] = ("unknown", []),
    myoclonus: tuple[str, list[str]] = ("unknown", []),
    behaviour: tuple[str, list[str]] = ("unknown", []),
    *,
    risk: str,
    status: str = "final",
    plan: list[str] | None = None,
) -> Json:
    return {
        "criteria": {
            "neuroblastoma": nb,
            "opsoclonus": opsoclonus,
            "myoclonus-ataxia": myoclonus,
            "behavior-sleep": behaviour,
        },
        "risk": risk,
        "status": status,
        "plan": plan,
    }


MET_EYES = ("met", ["Observation/eyes"])
MET_JERKS = ("met", ["Condition/jerks"])
MET_SLEEP = ("met", ["Observation/sleep"])
WORKUP_NB_BS = ["neuroblastoma-search", "behavior-sleep-assessment", "reassess-high-risk"]


def _contained_report() -> Json:
    return {
        "resourceType": "DiagnosticReport",
        "id": "neuro-exam",
        "status": "final",
        "code": concept((LOINC, "11488-4")),
        "subject": {"reference": "Patient/child"},
        "contained": [
            {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "code": concept(FINDING),
                "valueCodeableConcept": concept(OPSOCLONUS),
            },
            {
                "resourceType": "Condition",
                "id": "c1",
                "code": concept(MYOCLONUS),
            },
        ],
        "result": [{"reference": "#o1"}],
    }


def _batch_response() -> Json:
    inner = bundle(cond("nb", NB), EYES, type="searchset")
    return {
        "resourceType": "Bundle",
        "type": "batch-response",
        "entry": [
            {"resource": child(), "response": {"status": "200 OK"}},
            {"resource": inner, "response": {"status": "200 OK"}},
        ],
    }


def _history(*entries: Json) -> Json:
    return {"resourceType": "Bundle", "type": "history", "entry": list(entries)}


ACCEPTED = [
    # Patient identity: tied to the one patient
    pytest.param(
        bundle(
            child(),
            cond("nb", NB, subject={"identifier": {"system": MRN, "value": "MRN-1000"}}),
            EYES,
            JERKS,
        ),
        answer(("met", ["Condition/nb"]), MET_EYES, MET_JERKS, risk="high", plan=CHECKLIST),
        id="identifier-subject-of-this-child",
    ),
    pytest.param(
        bundle(
            child(),
            cond(
                "nb",
                NB,
                subject={"reference": "#pt"},
                contained=[
                    {
                        "resourceType": "Patient",
                        "id": "pt",
                        "identifier": [{"system": MRN, "value": "MRN-1000"}],
                    }
                ],
            ),
            EYES,
            JERKS,
        ),
        answer(("met", ["Condition/nb"]), MET_EYES, MET_JERKS, risk="high", plan=CHECKLIST),
        id="contained-patient-of-this-child",
    ),
    pytest.param(
        bundle(
            child(),
            cond("nb", NB, subject={"reference": f"Patient?identifier={MRN}|MRN-1000"}),
            EYES,
            JERKS,
        ),
        answer(("met", ["Condition/nb"]), MET_EYES, MET_JERKS, risk="high", plan=CHECKLIST),
        id="conditional-reference-to-this-child",
    ),
    # verificationStatus
    pytest.param(
        bundle(child(), cond("nb", NB, ver="refuted", ver_system=STU3_VER_STATUS), EYES, JERKS),
        answer(
            ("not-met", ["Condition/nb"]), MET_EYES, MET_JERKS, risk="moderate", plan=WORKUP_NB_BS
        ),
        id="refuted-tumour-stu3-system",
    ),
    pytest.param(
        bundle(child(), cond("nb", NB, ver="refuted", ver_system=None), EYES, JERKS),
        answer(
            ("not-met", ["Condition/nb"]), MET_EYES, MET_JERKS, risk="moderate", plan=WORKUP_NB_BS
        ),
        id="refuted-tumour-coding-without-system",
    ),
    pytest.param(
        bundle(child(), cond("nb", NB, ver="provisional"), EYES, JERKS),
        answer(
            ("met", ["Condition/nb"]),
            MET_EYES,
            MET_JERKS,
            risk="high",
            status="preliminary",
            plan=CHECKLIST,
        ),
        id="provisional-tumour-preliminary-confirm-it-first",
    ),
    # versions
    pytest.param(
        _history(
            {
                "resource": versioned(cond("nb", NB, ver="refuted"), "2"),
                "request": {"method": "PUT", "url": "Condition/nb"},
            },
            {
                "resource": versioned(cond("nb", NB), "1"),
                "request": {"method": "POST", "url": "Condition"},
            },
            {"resource": child()},
            {"resource": EYES},
            {"resource": JERKS},
        ),
        answer(
            ("not-met", ["Condition/nb"]), MET_EYES, MET_JERKS, risk="moderate", plan=WORKUP_NB_BS
        ),
        id="history-bundle-current-version-refuted",
    ),
    pytest.param(
        bundle(
            child(),
            versioned(cond("nb", NB, ver="entered-in-error"), "3"),
            versioned(cond("nb", NB), "2"),
            EYES,
            JERKS,
        ),
        answer(("unknown", []), MET_EYES, MET_JERKS, risk="moderate", plan=WORKUP_NB_BS),
        id="merged-pull-old-version-last-current-entered-in-error",
    ),
    pytest.param(
        bundle(
            child(),
            cond("nb", NB, meta={"lastUpdated": "2026-11-20T10:00:00Z"}, ver="refuted"),
            cond("nb", NB, meta={"lastUpdated": "2026-10-01T10:00:00+02:00"}),
            EYES,
            JERKS,
        ),
        answer(
            ("not-met", ["Condition/nb"]), MET_EYES, MET_JERKS, risk="moderate", plan=WORKUP_NB_BS
        ),
        id="latest-last-updated-counts-without-version-ids",
    ),
    pytest.param(
        _history(
            {
                "request": {"method": "DELETE", "url": "Condition/nb"},
                "response": {"status": "204", "etag": 'W/"2"'},
            },
            {"resource": versioned(cond("nb", NB), "1")},
            {"resource": child()},
            {"resource": EYES},
            {"resource": JERKS},
        ),
        answer(("unknown", []), MET_EYES, MET_JERKS, risk="moderate", plan=WORKUP_NB_BS),
        id="history-delete-removes-the-tumour",
    ),
    # evidence no longer dropped
    pytest.param(
        bundle(
            child(),
            obs(
                "exam",
                (LOINC, "11488-4"),
                component=[
                    {
                        "code": concept(OPSOCLONUS),
                        "valueCodeableConcept": concept((SCT, "373066001")),
                    },
                    {"code": concept(MYOCLONUS), "valueBoolean": True},
                ],
            ),
        ),
        answer(
            ("unknown", []),
            ("met", ["Observation/exam"]),
            ("met", ["Observation/exam"]),
            risk="moderate",
            plan=WORKUP_NB_BS,
        ),
        id="findings-in-observation-components",
    ),
    pytest.param(
        bundle(child(), _contained_report()),
        answer(
            ("unknown", []),
            ("met", ["DiagnosticReport/neuro-exam"]),
            ("met", ["DiagnosticReport/neuro-exam"]),
            risk="moderate",
            plan=WORKUP_NB_BS,
        ),
        id="findings-contained-in-a-diagnostic-report",
    ),
    pytest.param(
        _batch_response(),
        answer(
            ("met", ["Condition/nb"]),
            MET_EYES,
            risk="moderate",
            plan=[
                "myoclonus-ataxia-examination",
                "behavior-sleep-assessment",
                "reassess-high-risk",
            ],
        ),
        id="bundle-nested-in-a-batch-response",
    ),
    pytest.param(
        bundle(
            child(),
            obs("eyes", OPSOCLONUS, valueCodeableConcept=concept((LOINC, "LA33-6"))),
            obs("jerks", MYOCLONUS, valueCodeableConcept=concept((V2_YES_NO, "Y"))),
            obs("sleep", IRRITABLE, valueCodeableConcept=concept((SCT, "373067005"))),
        ),
        answer(
            ("unknown", []),
            MET_EYES,
            ("met", ["Observation/jerks"]),
            ("not-met", ["Observation/sleep"]),
            risk="moderate",
            plan=["neuroblastoma-search", "behavior-sleep-assessment", "reassess-high-risk"],
        ),
        id="yes-no-answer-codes",
    ),
    pytest.param(
        bundle(
            child(),
            cond("jerks", (ICD10CM, "G253")),
            cond("eyes", ("urn:oid:2.16.840.1.113883.6.96", "194177006")),
        ),
        answer(
            ("unknown", []),
            ("met", ["Condition/eyes"]),
            MET_JERKS,
            risk="moderate",
            plan=WORKUP_NB_BS,
        ),
        id="icd10cm-without-dot-and-snomed-oid-problem-list",
    ),
    # misleading answers
    pytest.param(
        bundle(child(), cond("oms", ("http://www.orpha.net", "ORPHA:1183"))),
        answer(risk="certain", plan=CHECKLIST),
        id="recorded-oms-diagnosis-alone",
    ),
    pytest.param(
        bundle(child(), cond("oms", (SCT, "230350000"), ver="refuted"), EYES),
        answer(
            ("unknown", []),
            MET_EYES,
            risk="moderate",
            plan=[
                "neuroblastoma-search",
                "myoclonus-ataxia-examination",
                "behavior-sleep-assessment",
                "reassess-high-risk",
            ],
        ),
        id="refuted-oms-diagnosis-is-no-diagnosis",
    ),
    pytest.param(
        bundle(
            child(),
            obs("fh", (LOINC, "10157-6"), valueCodeableConcept=concept(NB)),
            obs("referral", (LOINC, "42349-1"), valueCodeableConcept=concept(OPSOCLONUS)),
            SLEEP,
        ),
        answer(behaviour=MET_SLEEP, risk="low"),
        id="brothers-tumour-and-referral-suspicion-are-no-findings",
    ),
    pytest.param(
        bundle(child(birth="1970-03-02"), cond("pheo", (ICD10CM, "C74.11")), EYES, SLEEP),
        answer(
            ("unknown", []),
            MET_EYES,
            ("unknown", []),
            MET_SLEEP,
            risk="moderate",
            # Contract v3: a 56-year-old is on the adult track (paraneoplastic search).
            plan=["paraneoplastic-search", "myoclonus-ataxia-examination", "reassess-high-risk"],
        ),
        id="adult-phaeochromocytoma-site-code-is-no-neuroblastoma",
    ),
    pytest.param(
        bundle(child(), cond("nb", (ICD10CM, "C74.11")), EYES, JERKS),
        answer(("met", ["Condition/nb"]), MET_EYES, MET_JERKS, risk="high", plan=CHECKLIST),
        id="site-code-in-a-toddler-is-a-neuroblastoma",
    ),
    pytest.param(
        bundle(child(), cond("nb", NB, ver="refuted"), EYES, JERKS),
        answer(
            ("not-met", ["Condition/nb"]), MET_EYES, MET_JERKS, risk="moderate", plan=WORKUP_NB_BS
        ),
        id="opsoclonus-myoclonus-one-negative-tumour-search",
    ),
    pytest.param(
        bundle(child(), EYES),
        answer(
            opsoclonus=MET_EYES,
            risk="moderate",
            plan=[
                "neuroblastoma-search",
                "myoclonus-ataxia-examination",
                "behavior-sleep-assessment",
                "reassess-high-risk",
            ],
        ),
        id="opsoclonus-alone-warrants-work-up",
    ),
    pytest.param(
        bundle(child(), cond("nb", NB), SLEEP),
        answer(("met", ["Condition/nb"]), behaviour=MET_SLEEP, risk="low"),
        id="oncology-patient-irritable-no-neurological-sign",
    ),
]

REFUSED = [
    pytest.param(
        bundle(
            child(),
            cond("nb", NB, subject={"identifier": {"system": MRN, "value": "MRN-2000"}}),
            EYES,
            JERKS,
        ),
        "Bundle.entry[1].resource.subject.identifier",
        id="identifier-subject-of-another-child",
    ),
    pytest.param(
        bundle(
            child(),
            cond(
                "nb",
                NB,
                subject={"reference": "#pt"},
                contained=[
                    {
                        "resourceType": "Patient",
                        "id": "pt",
                        "identifier": [{"system": MRN, "value": "MRN-2000"}],
                    }
                ],
            ),
            EYES,
            JERKS,
        ),
        "Bundle.entry[1].resource.subject.reference",
        id="contained-patient-of-another-person",
    ),
    pytest.param(
        bundle(
            child(),
            cond("nb", NB, subject={"reference": f"Patient?identifier={MRN}|MRN-2000"}),
            EYES,
        ),
        "Bundle.entry[1].resource.subject.reference",
        id="conditional-reference-to-another-child",
    ),
    pytest.param(
        bundle(child(), cond("nb", NB), EYES, obs("w", BODY_WEIGHT, subject="Patient/sibling")),
        "Bundle.entry[3].resource.subject",
        id="unrelated-observation-about-another-patient",
    ),
    pytest.param(
        bundle(
            child(),
            EYES,
            {
                "resourceType": "Encounter",
                "id": "e",
                "status": "finished",
                "class": {"code": "AMB"},
                "subject": {"reference": "Patient/x"},
            },
        ),
        "Bundle.entry[2].resource.subject",
        id="encounter-of-another-patient",
    ),
    pytest.param(
        bundle(cond("nb", NB, subject={"identifier": {"system": MRN, "value": "MRN-1000"}})),
        "Bundle.entry[0].resource.subject.identifier",
        id="identifier-subject-without-a-patient-resource",
    ),
    pytest.param(
        bundle(child(), cond("nb", NB, verificationStatus={"text": "refuted"}), EYES),
        "Bundle.entry[1].resource.verificationStatus",
        id="refuted-tumour-as-text-only",
    ),
    pytest.param(
        bundle(child(), cond("nb", NB, ver="ruled-out"), EYES),
        "Bundle.entry[1].resource.verificationStatus.coding[0].code",
        id="verification-code-outside-the-value-set",
    ),
    pytest.param(
        bundle(
            child(),
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": cond("nb", NB, subject={"reference": "Patient/other"})}],
            },
        ),
        "Bundle.entry[1].resource.entry[0].resource.subject",
        id="nested-bundle-about-another-patient",
    ),
    pytest.param(
        bundle(child(), {"id": "no-type"}),
        "Bundle.entry[1].resource.resourceType",
        id="entry-resource-without-resource-type",
    ),
]


def run(document: Json, terminology: Terminology) -> Json:
    result = assess_payload(orjson.dumps(document), terminology, now=lambda: NOW)
    return orjson.loads(orjson.dumps(result.bundle))


def summary(result: Json) -> Json:
    """The answer reduced to what a clinician reads off it."""
    resources = [e["resource"] for e in result["entry"]]
    risk_assessment = resources[0]
    criteria = {}
    for extension in risk_assessment["extension"]:
        parts = extension["extension"]
        code = next(p["valueCoding"]["code"] for p in parts if p["url"] == "criterion")
        status = next(p["valueCode"] for p in parts if p["url"] == "status")
        evidence = [p["valueReference"]["reference"] for p in parts if p["url"] == "evidence"]
        criteria[code] = (status, evidence)
    care_plans = [r for r in resources if r["resourceType"] == "CarePlan"]
    return {
        "criteria": criteria,
        "risk": risk_assessment["prediction"][0]["qualitativeRisk"]["coding"][0]["code"],
        "status": risk_assessment["status"],
        "plan": [a["detail"]["code"]["coding"][0]["code"] for a in care_plans[0]["activity"]]
        if care_plans
        else None,
    }


def accepted_bodies() -> list[tuple[str, bytes]]:
    """The accepted cases' inputs, for the HL7 validator gate."""
    return [(str(case.id), orjson.dumps(case.values[0])) for case in ACCEPTED]


@pytest.mark.parametrize(("document", "expected"), ACCEPTED)
def test_accepted_case_gets_its_whole_answer(
    document: Json, expected: Json, terminology: Terminology
) -> None:
    assert summary(run(copy.deepcopy(document), terminology)) == expected


@pytest.mark.parametrize(("document", "expression"), REFUSED)
def test_refused_case_names_the_element(
    document: Json, expression: str, terminology: Terminology
) -> None:
    with pytest.raises(UnprocessablePayload) as raised:
        run(document, terminology)
    assert (raised.value.status, raised.value.expression) == (422, [expression])
    assert "MRN" not in raised.value.message


def _texts(document: Json, terminology: Terminology) -> tuple[str, list[str], Json]:
    resources = [e["resource"] for e in run(document, terminology)["entry"]]
    care_plan = next(r for r in resources if r["resourceType"] == "CarePlan")
    return (
        resources[0]["prediction"][0]["rationale"],
        [a["detail"]["description"] for a in care_plan["activity"]],
        care_plan,
    )


def test_words_a_clinician_reads(terminology: Terminology) -> None:
    rationale, activities, care_plan = _texts(
        bundle(
            child(),
            cond("nb", NB, ver="provisional"),
            EYES,
            obs("eyes-2", OPSOCLONUS, effectiveDateTime="2026-11-20"),
            JERKS,
        ),
        terminology,
    )
    assert rationale == (
        "3 of 4 criteria met: Neuroblastoma (2026-10-01, unconfirmed), Opsoclonus (2026-11-02 "
        "to 2026-11-20), Myoclonus and/or ataxia (2026-10-01); unknown: Behavioural and/or "
        "sleep disturbance. Age at assessment: 3 years 5 months. Tumour-search track: "
        "paediatric (onset before 18 years, or age unknown). Meets the OMS diagnostic "
        "criteria."  # contract v3: the rationale names the track
    )
    assert activities[0].startswith("A neuroblastoma is recorded but not confirmed: confirm it")
    assert "FHIRPath" not in care_plan["title"] + care_plan["description"]
    assert "%riskAssessment" not in care_plan["description"]


def test_a_tumour_refuted_by_a_search_reads_not_found_so_far(terminology: Terminology) -> None:
    rationale, activities, _ = _texts(
        bundle(child(), cond("nb", NB, ver="refuted"), EYES, JERKS), terminology
    )
    assert "not met: Neuroblastoma (no neuroblastoma found so far)" in rationale
    assert "none recorded" not in rationale
    assert activities[0].startswith("A search for a neuroblastoma was negative: repeat it")


def test_a_recorded_diagnosis_says_so(terminology: Terminology) -> None:
    oms = cond("oms", ("https://www.orpha.net", "1183"), onsetDateTime="2026-03-04")
    rationale, activities, care_plan = _texts(bundle(child(), oms), terminology)
    assert rationale.startswith(
        "Opsoclonus myoclonus syndrome is already diagnosed (recorded 2026-03-04). 0 of 4 "
    )
    assert len(activities) == 15
    assert care_plan["instantiatesCanonical"] == [
        "http://oms-cds.org/fhir/PlanDefinition/oms-therapy-checklist"
    ]


def _outcome(ingest: Any, body: bytes, terminology: Terminology) -> object:
    try:
        return ingest(body, terminology)
    except UnprocessablePayload as exc:
        return (exc.status, exc.expression)


@pytest.mark.parametrize("document", [case.values[0] for case in ACCEPTED + REFUSED])
def test_the_skeleton_and_the_orjson_path_agree(document: Json, terminology: Terminology) -> None:
    body = orjson.dumps(document)
    skeleton = decode_skeleton(body)
    assert skeleton is not None

    def fast(data: bytes, t: Terminology) -> object:
        assert skeleton is not None
        return skeleton_read(skeleton, t, DEFAULT_MAX_ENTRIES)

    def slow(data: bytes, t: Terminology) -> object:
        return whole_parse(data, t, DEFAULT_MAX_ENTRIES)

    assert _outcome(fast, body, terminology) == _outcome(slow, body, terminology)
