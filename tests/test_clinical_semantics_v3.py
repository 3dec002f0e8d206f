"""Contract v3, case by case, as a clinical informaticist would name them.

Payloads from health-information exchanges (two hospitals' records merged), phenotype feeds
(interpretation NEG), adult neurology (the adult tumour search), and the rule gaps v2 left.
Each accepted case asserts the whole answer: every criterion's status and evidence, the
risk, the RiskAssessment status, the CarePlan's kind and activities, and what the
rationale and the activity texts say; each refused case its 422 and the element it names.
tests/profiles/test_profiles_validate.py runs the accepted cases' answers through the HL7
validator.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from service.engine import assess_payload
from service.errors import UnprocessablePayload
from service.terminology import Terminology
from tests.builders import HPO, ICD10CM, LOINC, SCT, concept
from tests.test_clinical_semantics_v2 import CHECKLIST, bundle, child, cond, obs

Json = dict[str, Any]
NOW = "2026-11-25T10:00:00Z"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
HOSPITAL_A = "https://hospital-a.example/fhir/"
HOSPITAL_B = "https://hospital-b.example/fhir/"

NB = (SCT, "432328008")
ADRENAL_SITE = (ICD10CM, "C74.11")
OPSOCLONUS = (HPO, "HP:0010543")
ATAXIA = (HPO, "HP:0001251")
MYOCLONUS = (SCT, "17450006")
IRRITABLE = (SCT, "55929007")
OMS = (SCT, "230350000")
MIBG_SCAN = (LOINC, "11488-4")  # any order code: the reason is what is read

ADULT_WORKUP = [
    "paraneoplastic-search",
    "myoclonus-ataxia-examination",
    "behavior-sleep-assessment",
    "reassess-high-risk",
]
CHILD_WORKUP = [
    "neuroblastoma-search",
    "myoclonus-ataxia-examination",
    "behavior-sleep-assessment",
    "reassess-high-risk",
]
PAEDIATRIC = "Tumour-search track: paediatric (onset before 18 years, or age unknown)"
ADULT = "Tumour-search track: adult (onset at 18 years or later)"
INCOMPLETE = "The record sent was incomplete (a page of search results)"
SUSPECTED = "Opsoclonus myoclonus syndrome is suspected in the record"
NEUROBLASTOMA_TESTS = ("HVA", "VMA", "MIBG", "homovanillic", "vanillylmandelic")


# --- builders -------------------------------------------------------------------------------


def entry(resource: Json, full_url: str | None = None) -> Json:
    return {"resource": resource} | ({"fullUrl": full_url} if full_url else {})


def entries(*items: Json, type: str = "collection", **extra: Any) -> Json:
    return {"resourceType": "Bundle", "type": type, "entry": list(items), **extra}


def adult(birth: str = "1981-02-10") -> Json:
    return child(birth=birth)


def interpreted(id: str, code: tuple[str, str], interpretation: str, **extra: Any) -> Json:
    return obs(id, code, interpretation=[concept((V3_INTERPRETATION, interpretation))], **extra)


def finding_about(id: str, code: tuple[str, str], focus: str) -> Json:
    return obs(id, code, focus=[{"reference": focus}])


def modifier(url: str = "http://example.org/fhir/StructureDefinition/negated") -> Json:
    return {"modifierExtension": [{"url": url, "valueBoolean": True}]}


def mibg_order(reason: tuple[str, str], id: str = "mibg") -> Json:
    return {
        "resourceType": "ServiceRequest",
        "id": id,
        "status": "active",
        "intent": "order",
        "code": concept(MIBG_SCAN),
        "subject": {"reference": "Patient/child"},
        "authoredOn": "2026-11-03",
        "reasonCode": [{**concept(reason), "text": "rule out neuroblastoma"}],
    }


def report(id: str, conclusion: tuple[str, str], status: str = "final") -> Json:
    return {
        "resourceType": "DiagnosticReport",
        "id": id,
        "status": status,
        "code": concept((LOINC, "22634-0")),
        "subject": {"reference": "Patient/child"},
        "effectiveDateTime": "2026-11-10",
        "conclusionCode": [concept(conclusion)],
    }


def family_history_of(condition: Json) -> Json:
    return {
        "resourceType": "FamilyMemberHistory",
        "id": "brother",
        "status": "completed",
        "patient": {"reference": "Patient/child"},
        "relationship": concept(("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "BRO")),
        "contained": [condition],
        "condition": [{"code": concept(NB)}],
    }


EYES = obs("eyes", OPSOCLONUS)
JERKS = cond("jerks", MYOCLONUS)
SLEEP = obs("sleep", IRRITABLE)
MET_EYES = ("met", ["Observation/eyes"])
MET_JERKS = ("met", ["Condition/jerks"])
MET_SLEEP = ("met", ["Observation/sleep"])
UNKNOWN: tuple[str, list[str]] = ("unknown", [])


@dataclass(frozen=True)
class Answer:
    """The whole answer a clinician reads off one case."""

    nb: tuple[str, list[str]] = UNKNOWN
    opsoclonus: tuple[str, list[str]] = UNKNOWN
    myoclonus: tuple[str, list[str]] = UNKNOWN
    behaviour: tuple[str, list[str]] = UNKNOWN
    risk: str = "low"
    status: str = "final"
    plan: list[str] | None = None
    #: Sentences the rationale must hold, and phrases it must not.
    says: tuple[str, ...] = ()
    never: tuple[str, ...] = ()
    #: Phrases the activity texts must hold (in order of activities), and must not.
    activities_say: dict[str, str] = field(default_factory=dict)
    activities_never: tuple[str, ...] = ()


# --- the accepted cases ---------------------------------------------------------------------

ACCEPTED = [
    # References resolved as FHIR's Bundle rules say
    pytest.param(
        entries(
            entry(child(id="123"), HOSPITAL_A + "Patient/123"),
            entry(
                cond("nb", NB, subject={"reference": "Patient/123"}), HOSPITAL_A + "Condition/nb"
            ),
            entry(obs("eyes", OPSOCLONUS, "Patient/123"), HOSPITAL_A + "Observation/eyes"),
            entry(cond("jerks", MYOCLONUS, subject={"reference": "Patient/123"})),
        ),
        Answer(
            ("met", ["Condition/nb"]),
            MET_EYES,
            MET_JERKS,
            risk="high",
            plan=CHECKLIST,
            says=(PAEDIATRIC,),
        ),
        id="relative-patient-123-in-entries-of-the-patients-own-server",
    ),
    pytest.param(
        entries(
            entry(child(id="123")),
            entry(
                cond("nb", NB, subject={"reference": "Patient/123"}), HOSPITAL_B + "Condition/nb"
            ),
            entry(obs("eyes", OPSOCLONUS, HOSPITAL_B + "Patient/123")),
        ),
        Answer(("met", ["Condition/nb"]), MET_EYES, risk="moderate", plan=CHILD_WORKUP[1:]),
        id="patient-without-full-url-its-server-unknown-matches-by-id",
    ),
    # Who a finding is about
    pytest.param(
        bundle(child(), finding_about("eyes", OPSOCLONUS, "RelatedPerson/sister"), JERKS, SLEEP),
        Answer(
            myoclonus=MET_JERKS,
            behaviour=MET_SLEEP,
            risk="moderate",
            plan=[
                "neuroblastoma-search",
                "opsoclonus-examination",
                "reassess-high-risk",
            ],
        ),
        id="sisters-opsoclonus-recorded-with-focus-does-not-count",
    ),
    pytest.param(
        bundle(child(), finding_about("eyes", OPSOCLONUS, "Patient/child"), JERKS),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=MET_JERKS,
            risk="moderate",
            plan=[
                "neuroblastoma-search",
                "behavior-sleep-assessment",
                "reassess-high-risk",
            ],
        ),
        id="focus-on-the-child-itself-counts",
    ),
    pytest.param(
        bundle(child(), family_history_of(cond("nb", NB, subject=None)), EYES, JERKS),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=MET_JERKS,
            risk="moderate",
            plan=[
                "neuroblastoma-search",
                "behavior-sleep-assessment",
                "reassess-high-risk",
            ],
        ),
        id="brothers-neuroblastoma-contained-in-family-history-does-not-count",
    ),
    pytest.param(
        bundle(child(), mibg_order(NB), EYES, JERKS),
        Answer(
            ("met", ["ServiceRequest/mibg"]),
            MET_EYES,
            MET_JERKS,
            risk="high",
            status="preliminary",
            plan=CHECKLIST,
            says=("Neuroblastoma (2026-11-03, unconfirmed)",),
            activities_say={"mitigate-trigger": "A neuroblastoma is recorded but not confirmed"},
        ),
        id="rule-out-neuroblastoma-reason-on-an-mibg-order-is-a-suspicion",
    ),
    pytest.param(
        bundle(
            child(),
            cond("sleep", IRRITABLE, ver=None, asserter={"reference": "RelatedPerson/mother"}),
            EYES,
        ),
        Answer(
            opsoclonus=MET_EYES,
            behaviour=("met", ["Condition/sleep"]),
            risk="moderate",
            status="preliminary",
            plan=["neuroblastoma-search", "myoclonus-ataxia-examination", "reassess-high-risk"],
            says=("Behavioural and/or sleep disturbance (2026-10-01, unconfirmed)",),
        ),
        id="parent-reported-irritability-without-status-is-unconfirmed",
    ),
    pytest.param(
        bundle(
            child(),
            cond(
                "sleep",
                IRRITABLE,
                ver=None,
                category=[
                    concept(
                        (
                            "http://hl7.org/fhir/us/core/CodeSystem/condition-category",
                            "health-concern",
                        )
                    )
                ],
            ),
            EYES,
        ),
        Answer(
            opsoclonus=MET_EYES,
            behaviour=("met", ["Condition/sleep"]),
            risk="moderate",
            status="preliminary",
            plan=["neuroblastoma-search", "myoclonus-ataxia-examination", "reassess-high-risk"],
        ),
        id="health-concern-without-status-is-unconfirmed",
    ),
    # Negation
    pytest.param(
        bundle(child(), interpreted("gait", ATAXIA, "NEG"), EYES),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=("not-met", ["Observation/gait"]),
            risk="moderate",
            plan=CHILD_WORKUP,
        ),
        id="phenotype-feed-excluded-ataxia-interpretation-neg",
    ),
    pytest.param(
        bundle(child(), interpreted("gait", ATAXIA, "ND"), interpreted("eyes", OPSOCLONUS, "POS")),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=("not-met", ["Observation/gait"]),
            risk="moderate",
            plan=CHILD_WORKUP,
        ),
        id="interpretation-pos-present-nd-absent",
    ),
    pytest.param(
        bundle(
            child(),
            interpreted("gait", ATAXIA, "NEG", valueBoolean=True),
            interpreted(
                "eyes", OPSOCLONUS, "DET", valueCodeableConcept=concept((SCT, "373067005"))
            ),
            SLEEP,
        ),
        Answer(behaviour=MET_SLEEP),
        id="interpretation-contradicting-the-value-decides-nothing",
    ),
    pytest.param(
        bundle(
            child(),
            obs("eyes", OPSOCLONUS, valueCodeableConcept=concept((SCT, "373573001"))),
            obs("gait", ATAXIA, valueCodeableConcept=concept((LOINC, "LA9634-2"))),
            obs("sleep", IRRITABLE, valueCodeableConcept=concept((LOINC, "LA9633-4"))),
        ),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=("not-met", ["Observation/gait"]),
            behaviour=MET_SLEEP,
            risk="moderate",
            plan=["neuroblastoma-search", "myoclonus-ataxia-examination", "reassess-high-risk"],
        ),
        id="clinical-finding-present-absent-answer-codes",
    ),
    # DiagnosticReport.conclusionCode
    pytest.param(
        bundle(child(), report("biopsy", NB), EYES, JERKS),
        Answer(
            ("met", ["DiagnosticReport/biopsy"]),
            MET_EYES,
            MET_JERKS,
            risk="high",
            plan=CHECKLIST,
            says=("Neuroblastoma (2026-11-10)",),
            activities_say={"mitigate-trigger": "resect or treat the neuroblastoma"},
        ),
        id="biopsy-report-concluding-neuroblastoma",
    ),
    pytest.param(
        bundle(child(), report("mibg-report", NB, status="preliminary"), EYES, JERKS),
        Answer(
            ("met", ["DiagnosticReport/mibg-report"]),
            MET_EYES,
            MET_JERKS,
            risk="high",
            status="preliminary",
            plan=CHECKLIST,
        ),
        id="preliminary-mibg-report-is-unconfirmed",
    ),
    pytest.param(
        bundle(child(), report("old", NB, status="cancelled"), EYES),
        Answer(opsoclonus=MET_EYES, risk="moderate", plan=CHILD_WORKUP),
        id="cancelled-report-says-nothing",
    ),
    # Incomplete records
    pytest.param(
        entries(
            entry(child()),
            entry(EYES),
            entry(JERKS),
            type="searchset",
            link=[{"relation": "next", "url": "https://ehr.example/fhir?page=2"}],
        ),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=MET_JERKS,
            risk="moderate",
            status="preliminary",
            plan=["neuroblastoma-search", "behavior-sleep-assessment", "reassess-high-risk"],
            says=(INCOMPLETE,),
        ),
        id="first-page-of-search-results-next-link",
    ),
    pytest.param(
        entries(entry(child()), entry(EYES), entry(JERKS), type="searchset", total=40),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=MET_JERKS,
            risk="moderate",
            status="preliminary",
            plan=["neuroblastoma-search", "behavior-sleep-assessment", "reassess-high-risk"],
            says=(INCOMPLETE,),
        ),
        id="searchset-total-larger-than-its-entries",
    ),
    pytest.param(
        entries(entry(child()), entry(EYES), entry(JERKS), type="searchset", total=3),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=MET_JERKS,
            risk="moderate",
            plan=["neuroblastoma-search", "behavior-sleep-assessment", "reassess-high-risk"],
            never=(INCOMPLETE,),
        ),
        id="whole-searchset-is-complete",
    ),
    # Ages as intervals
    pytest.param(
        bundle(
            child(birth="1976-05-01"),
            cond(
                "site",
                ADRENAL_SITE,
                onsetDateTime=None,
                onsetRange={
                    "low": {
                        "value": 40,
                        "unit": "years",
                        "system": "http://unitsofmeasure.org",
                        "code": "a",
                    },
                    "high": {
                        "value": 50,
                        "unit": "years",
                        "system": "http://unitsofmeasure.org",
                        "code": "a",
                    },
                },
            ),
            EYES,
            JERKS,
        ),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=MET_JERKS,
            risk="moderate",
            plan=["paraneoplastic-search", "behavior-sleep-assessment", "reassess-high-risk"],
            says=(ADULT, "Age at assessment: 50 years."),
            activities_never=NEUROBLASTOMA_TESTS,
        ),
        id="adult-onset-range-40-50-site-code-is-no-neuroblastoma",
    ),
    pytest.param(
        bundle(child(), cond("site", ADRENAL_SITE, onsetDateTime="2023-03-01"), EYES, JERKS),
        Answer(("met", ["Condition/site"]), MET_EYES, MET_JERKS, risk="high", plan=CHECKLIST),
        id="neuroblastoma-on-antenatal-ultrasound-onset-before-birth",
    ),
    pytest.param(
        bundle(
            child(birth="2008"), cond("site", ADRENAL_SITE, onsetDateTime="2026-02"), EYES, JERKS
        ),
        Answer(
            ("met", ["Condition/site"]),
            MET_EYES,
            MET_JERKS,
            risk="high",
            plan=CHECKLIST,
            says=("Age at assessment: 17 or 18 years.",),
        ),
        id="birth-year-only-may-have-been-17",
    ),
    pytest.param(
        bundle(
            adult(birth="1990-04-02"),
            cond("site", ADRENAL_SITE, onsetDateTime=None, abatementDateTime="2000-06-01"),
            obs("eyes", OPSOCLONUS, effectiveDateTime="1999-01-05"),
            cond("jerks", MYOCLONUS, onsetDateTime="1999-01-05"),
        ),
        Answer(
            ("met", ["Condition/site"]),
            ("met", ["Observation/eyes"]),
            MET_JERKS,
            risk="high",
            plan=CHECKLIST,
            says=(PAEDIATRIC, "Age at assessment: 36 years."),
        ),
        id="tumour-dated-only-by-its-resection-in-childhood",
    ),
    pytest.param(
        bundle(
            adult(birth="1990-04-02"),
            cond("site", ADRENAL_SITE, onsetDateTime="2062"),
            obs("eyes", OPSOCLONUS, effectiveDateTime="2096-01-01", issued="2002-03-04T10:00:00Z"),
            cond("jerks", MYOCLONUS, onsetDateTime="2001-01-01"),
        ),
        Answer(
            ("met", ["Condition/site"]),
            ("met", ["Observation/eyes"]),
            MET_JERKS,
            risk="high",
            plan=CHECKLIST,
            says=(
                "Dates later than the assessment were skipped as errors: onsetDateTime of "
                "Condition/site, effectiveDateTime of Observation/eyes.",
                "Opsoclonus (2002-03-04)",
                PAEDIATRIC,
            ),
        ),
        id="onset-year-typed-in-the-future-is-skipped-and-named",
    ),
    pytest.param(
        bundle(
            child(birth="2000-01-01") | {"deceasedDateTime": "2006-06-01"},
            cond("site", ADRENAL_SITE, onsetDateTime=None),
            obs("eyes", OPSOCLONUS, effectiveDateTime=None),
        ),
        Answer(
            ("met", ["Condition/site"]),
            ("met", ["Observation/eyes"]),
            risk="moderate",
            plan=CHILD_WORKUP[1:],
            says=("Age at death: 6 years.", PAEDIATRIC),
            never=("26 years",),
        ),
        id="child-who-died-at-6",
    ),
    pytest.param(
        bundle(child(birth="2020-01-01") | {"deceasedDateTime": "2026"}, EYES),
        Answer(
            opsoclonus=MET_EYES,
            risk="moderate",
            plan=CHILD_WORKUP,
            says=("Age at death: 6 years.",),
            never=("date of death not recorded",),
        ),
        id="died-this-year-only-the-year-recorded",
    ),
    pytest.param(
        bundle(child() | {"deceasedBoolean": True}, EYES),
        Answer(
            opsoclonus=MET_EYES,
            risk="moderate",
            plan=CHILD_WORKUP,
            says=("Deceased (date of death not recorded).",),
        ),
        id="deceased-without-a-date",
    ),
    # Age-aware tumour search
    pytest.param(
        bundle(adult(), obs("eyes", OPSOCLONUS), cond("jerks", MYOCLONUS)),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=MET_JERKS,
            risk="moderate",
            plan=["paraneoplastic-search", "behavior-sleep-assessment", "reassess-high-risk"],
            says=(ADULT, "Age at assessment: 45 years."),
            activities_say={"paraneoplastic-search": "FDG-PET"},
            activities_never=NEUROBLASTOMA_TESTS,
        ),
        id="45-year-old-with-opsoclonus-and-myoclonus-gets-the-adult-search",
    ),
    pytest.param(
        bundle(
            adult(),
            obs("eyes", OPSOCLONUS),
            cond(
                "jerks",
                MYOCLONUS,
                onsetDateTime=None,
                onsetAge={"value": 4, "system": "http://unitsofmeasure.org", "code": "a"},
            ),
        ),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=MET_JERKS,
            risk="moderate",
            plan=["neuroblastoma-search", "behavior-sleep-assessment", "reassess-high-risk"],
            says=(PAEDIATRIC,),
        ),
        id="adult-whose-oms-began-in-childhood-stays-paediatric",
    ),
    pytest.param(
        bundle(adult(), EYES, JERKS, SLEEP),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=MET_JERKS,
            behaviour=MET_SLEEP,
            risk="high",
            plan=CHECKLIST,
            says=(ADULT,),
            activities_say={
                "mitigate-trigger": "No search for the trigger is recorded. Search for a "
                "paraneoplastic tumour",
                "reassess-high-risk": "repeat the paraneoplastic search at 3-6 months",
            },
            activities_never=NEUROBLASTOMA_TESTS,
        ),
        id="adult-meeting-three-criteria-checklist-in-adult-words",
    ),
    pytest.param(
        bundle(child(), EYES, JERKS, SLEEP),
        Answer(
            opsoclonus=MET_EYES,
            myoclonus=MET_JERKS,
            behaviour=MET_SLEEP,
            risk="high",
            plan=CHECKLIST,
            says=(PAEDIATRIC,),
            activities_say={"mitigate-trigger": "search for an occult neuroblastoma (urine HVA"},
        ),
        id="toddler-meeting-three-criteria-checklist-with-neuroblastoma-search",
    ),
    # The risk rule
    pytest.param(
        bundle(
            child(),
            EYES,
            cond("nb", NB, ver="refuted"),
            obs("gait", ATAXIA, valueBoolean=False),
            obs("sleep", IRRITABLE, valueBoolean=False),
        ),
        Answer(
            ("not-met", ["Condition/nb"]),
            MET_EYES,
            ("not-met", ["Observation/gait"]),
            ("not-met", ["Observation/sleep"]),
            risk="moderate",
            plan=[
                "neuroblastoma-search",
                "myoclonus-ataxia-examination",
                "behavior-sleep-assessment",
                "reassess-high-risk",
            ],
            activities_say={"neuroblastoma-search": "A search for a neuroblastoma was negative"},
        ),
        id="opsoclonus-with-the-three-others-not-met-is-moderate",
    ),
    pytest.param(
        bundle(child(), cond("oms", OMS, ver="differential"), EYES),
        Answer(
            opsoclonus=MET_EYES,
            risk="moderate",
            status="preliminary",
            plan=CHILD_WORKUP,
            says=(SUSPECTED,),
            never=("already diagnosed",),
        ),
        id="differential-oms-diagnosis-is-a-suspicion-not-certain",
    ),
    pytest.param(
        bundle(child(), cond("oms", OMS, ver="provisional")),
        Answer(
            risk="moderate",
            status="preliminary",
            plan=[
                "neuroblastoma-search",
                "opsoclonus-examination",
                "myoclonus-ataxia-examination",
                "behavior-sleep-assessment",
                "reassess-high-risk",
            ],
            says=(SUSPECTED,),
        ),
        id="provisional-oms-alone-is-at-least-moderate",
    ),
    pytest.param(
        bundle(child(), cond("oms", OMS, ver="confirmed"), EYES),
        Answer(
            opsoclonus=MET_EYES,
            risk="certain",
            plan=CHECKLIST,
            says=("already diagnosed (recorded 2026-10-01)",),
            never=(SUSPECTED,),
        ),
        id="confirmed-oms-diagnosis-is-certain",
    ),
    pytest.param(
        bundle(child(), obs("dx", (LOINC, "75325-1"), valueCodeableConcept=concept(OMS)), SLEEP),
        Answer(
            behaviour=MET_SLEEP,
            says=("An observation or report carries the opsoclonus myoclonus syndrome code",),
            never=("already diagnosed",),
        ),
        id="oms-code-in-an-observation-is-named-not-a-diagnosis",
    ),
]

REFUSED = [
    pytest.param(
        entries(
            entry(child(id="123"), HOSPITAL_A + "Patient/123"),
            entry(cond("nb", NB, subject={"reference": HOSPITAL_B + "Patient/123"})),
            entry(EYES | {"subject": {"reference": "Patient/123"}}),
        ),
        "Bundle.entry[1].resource.subject",
        id="another-hospitals-patient-123",
    ),
    pytest.param(
        entries(
            entry(child(id="123"), HOSPITAL_A + "Patient/123"),
            entry(
                cond("nb", NB, subject={"reference": "Patient/123"}), HOSPITAL_B + "Condition/nb"
            ),
        ),
        "Bundle.entry[1].resource.subject",
        id="relative-patient-123-in-an-entry-from-hospital-b",
    ),
    pytest.param(
        entries(
            entry(
                cond("nb", NB, subject={"reference": "Patient/123"}), HOSPITAL_A + "Condition/nb"
            ),
            entry(obs("eyes", OPSOCLONUS, "Patient/123"), HOSPITAL_B + "Observation/eyes"),
        ),
        "Bundle.entry[1].resource.subject",
        id="two-hospitals-records-without-a-patient-resource",
    ),
    pytest.param(
        bundle(child(), finding_about("eyes", OPSOCLONUS, "Patient/sister"), JERKS),
        "Bundle.entry[1].resource.focus[0]",
        id="sisters-opsoclonus-focus-names-another-patient",
    ),
    pytest.param(
        bundle(
            child() | {"link": [{"other": {"reference": "Patient/merged"}, "type": "replaced-by"}]},
            EYES,
        ),
        "Bundle.entry[0].resource.link[0]",
        id="obsolete-patient-record-replaced-by-the-surviving-one",
    ),
    pytest.param(
        bundle(child(), EYES | modifier(), JERKS),
        "Bundle.entry[1].resource.modifierExtension[0]",
        id="finding-flagged-negated-by-an-unknown-modifier",
    ),
    pytest.param(
        bundle(child(), cond("nb", NB) | modifier("http://example.org/ruled-out"), EYES),
        "Bundle.entry[1].resource.modifierExtension[0]",
        id="tumour-flagged-ruled-out-by-an-unknown-modifier",
    ),
    pytest.param(
        bundle(
            child(),
            {
                "resourceType": "DiagnosticReport",
                "id": "exam",
                "status": "final",
                "code": concept((LOINC, "11488-4")),
                "subject": {"reference": "Patient/child"},
                "contained": [obs("o1", OPSOCLONUS, subject=None)],
                "result": [{"reference": "#o1"}],
            }
            | modifier(),
        ),
        "Bundle.entry[1].resource.modifierExtension[0]",
        id="unknown-modifier-on-the-container-of-a-finding",
    ),
    pytest.param(
        bundle(
            child(),
            obs(
                "exam",
                (LOINC, "11488-4"),
                component=[{"code": concept(OPSOCLONUS), "valueBoolean": True} | modifier()],
            ),
        ),
        "Bundle.entry[1].resource.component[0].modifierExtension[0]",
        id="unknown-modifier-on-a-component",
    ),
    pytest.param(
        bundle({"resourceType": "Patient", "birthDate": "2023-06-01"}, EYES),
        "Bundle.entry[0].resource",
        id="patient-that-nothing-can-reference",
    ),
]


def run(document: Json, terminology: Terminology) -> Json:
    result = assess_payload(orjson.dumps(document), terminology, now=lambda: NOW)
    return orjson.loads(orjson.dumps(result.bundle))


def whole_answer(result: Json) -> dict[str, Any]:
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
    activities = care_plans[0]["activity"] if care_plans else []
    return {
        "criteria": criteria,
        "risk": risk_assessment["prediction"][0]["qualitativeRisk"]["coding"][0]["code"],
        "status": risk_assessment["status"],
        "plan": [a["detail"]["code"]["coding"][0]["code"] for a in activities]
        if care_plans
        else None,
        "rationale": risk_assessment["prediction"][0]["rationale"],
        "texts": {
            a["detail"]["code"]["coding"][0]["code"]: a["detail"]["description"] for a in activities
        },
    }


def accepted_bodies() -> list[tuple[str, bytes]]:
    """The accepted cases' inputs, for the HL7 validator gate."""
    return [(str(case.id), orjson.dumps(case.values[0])) for case in ACCEPTED]


@pytest.mark.parametrize(("document", "expected"), ACCEPTED)
def test_accepted_case_gets_its_whole_answer(
    document: Json, expected: Answer, terminology: Terminology
) -> None:
    got = whole_answer(run(copy.deepcopy(document), terminology))
    assert got["criteria"] == {
        "neuroblastoma": expected.nb,
        "opsoclonus": expected.opsoclonus,
        "myoclonus-ataxia": expected.myoclonus,
        "behavior-sleep": expected.behaviour,
    }
    assert (got["risk"], got["status"], got["plan"]) == (
        expected.risk,
        expected.status,
        expected.plan,
    )
    for sentence in expected.says:
        assert sentence in got["rationale"]
    for phrase in expected.never:
        assert phrase not in got["rationale"]
    for code, phrase in expected.activities_say.items():
        assert phrase in got["texts"][code]
    every_text = " ".join(got["texts"].values())
    for phrase in expected.activities_never:
        assert phrase not in every_text


@pytest.mark.parametrize(("document", "expression"), REFUSED)
def test_refused_case_names_the_element(
    document: Json, expression: str, terminology: Terminology
) -> None:
    with pytest.raises(UnprocessablePayload) as raised:
        run(document, terminology)
    assert (raised.value.status, raised.value.expression) == (422, [expression])


@pytest.mark.parametrize("document", [case.values[0] for case in ACCEPTED + REFUSED])
def test_every_path_gives_the_same_answer(document: Json, terminology: Terminology) -> None:
    """The skeleton and the whole-body parse walk the same rules."""
    from service.intake import DEFAULT_MAX_ENTRIES
    from service.intake.body import decode_skeleton
    from tests.builders import skeleton_read, whole_parse

    body = orjson.dumps(document)
    skeleton = decode_skeleton(body)
    assert skeleton is not None

    def outcome(read: Any) -> object:
        try:
            return read()
        except UnprocessablePayload as exc:
            return (exc.status, exc.expression)

    assert outcome(lambda: skeleton_read(skeleton, terminology, DEFAULT_MAX_ENTRIES)) == outcome(
        lambda: whole_parse(body, terminology, DEFAULT_MAX_ENTRIES)
    )


def test_the_adult_work_up_names_no_neuroblastoma_test(terminology: Terminology) -> None:
    """What a clinician reads for a 45-year-old: the adult search, in full, and its source."""
    got = whole_answer(
        run(bundle(adult(), obs("eyes", OPSOCLONUS), cond("jerks", MYOCLONUS)), terminology)
    )
    search = got["texts"]["paraneoplastic-search"]
    for test in (
        "CT of chest, abdomen and pelvis",
        "FDG-PET",
        "mammography",
        "pelvic ultrasound",
        "anti-Ri",
        "anti-Hu",
        "anti-NMDAR",
        "CSF",
        "3-6 months",
        "every 6 months for up to 4 years",
    ):
        assert test in search
    plan = terminology.definition("http://oms-cds.org/fhir/PlanDefinition/oms-tumour-search")
    citations = [d["citation"] for d in plan["action"][1]["documentation"]]
    assert any("EFNS" in c for c in citations)
