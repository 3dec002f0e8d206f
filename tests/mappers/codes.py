"""Codes a clinician would name, per criterion and code system, and the look-alikes that
must not count. Membership is the ValueSets' business (profiles/); these tests check that
the ValueSets and the mappers agree with DESIGN.md and the terminology table."""

from __future__ import annotations

import pytest

from tests.builders import HPO, HPO_ALIAS, ICD10, ICD10CM, ICDO3, LOINC, ORPHA, SCT

COUNTING = [
    pytest.param("neuroblastoma", (SCT, "432328008"), id="snomed-neuroblastoma"),
    pytest.param("neuroblastoma", (SCT, "281562007"), id="snomed-adrenal-neuroblastoma"),
    pytest.param("neuroblastoma", (SCT, "704152002"), id="snomed-metastatic-neuroblastoma"),
    pytest.param("neuroblastoma", (ICD10CM, "C74.10"), id="icd10cm-adrenal-medulla-malignancy"),
    pytest.param("neuroblastoma", (ICD10, "C74.9"), id="icd10-adrenal-malignancy"),
    pytest.param("neuroblastoma", (ICDO3, "9500/3"), id="icdo3-neuroblastoma-nos"),
    pytest.param("neuroblastoma", (ICDO3, "9490/3"), id="icdo3-ganglioneuroblastoma"),
    pytest.param("neuroblastoma", (HPO, "HP:0003006"), id="hpo-neuroblastoma"),
    pytest.param("neuroblastoma", (HPO_ALIAS, "HP:0006747"), id="hpo-alias-ganglioneuroblastoma"),
    pytest.param("neuroblastoma", (ORPHA, "ORPHA:635"), id="orphanet-neuroblastoma"),
    pytest.param("opsoclonus", (HPO, "HP:0010543"), id="hpo-opsoclonus"),
    pytest.param("opsoclonus", (HPO_ALIAS, "HP:0010543"), id="hpo-alias-opsoclonus"),
    pytest.param("opsoclonus", (HPO, "HP:0031931"), id="hpo-ocular-flutter"),
    pytest.param("opsoclonus", (ICD10CM, "H55.89"), id="icd10cm-irregular-eye-movements"),
    pytest.param("opsoclonus", (SCT, "194177006"), id="snomed-opsoclonus"),
    pytest.param("opsoclonus", ("urn:oid:2.16.840.1.113883.6.96", "194177006"), id="snomed-oid"),
    pytest.param("neuroblastoma", (SCT, "116381000119105"), id="snomed-ganglioneuroblastoma"),
    pytest.param("neuroblastoma", (ORPHA, "251877"), id="orphanet-ganglioneuroblastoma-bare"),
    pytest.param("myoclonus-ataxia", (ICD10CM, "G253"), id="icd10cm-myoclonus-without-dot"),
    pytest.param("myoclonus-ataxia", ("urn:oid:2.16.840.1.113883.6.90", "G25.3"), id="icd10cm-oid"),
    pytest.param("behavior-sleep", (SCT, "24199005"), id="snomed-feeling-agitated"),
    pytest.param("behavior-sleep", (SCT, "18963009"), id="snomed-mood-swings"),
    pytest.param("myoclonus-ataxia", (SCT, "17450006"), id="snomed-myoclonus"),
    pytest.param("myoclonus-ataxia", (SCT, "85102008"), id="snomed-cerebellar-ataxia"),
    pytest.param("myoclonus-ataxia", (ICD10CM, "G25.3"), id="icd10cm-myoclonus"),
    pytest.param("myoclonus-ataxia", (ICD10, "R27.0"), id="icd10-ataxia"),
    pytest.param("myoclonus-ataxia", (HPO, "HP:0002078"), id="hpo-truncal-ataxia"),
    pytest.param("behavior-sleep", (SCT, "193462001"), id="snomed-insomnia"),
    pytest.param("behavior-sleep", (SCT, "55929007"), id="snomed-feeling-irritable"),
    pytest.param("behavior-sleep", (ICD10CM, "R45.4"), id="icd10cm-irritability-and-anger"),
    pytest.param("behavior-sleep", (ICD10, "G47.9"), id="icd10-sleep-disorder"),
    pytest.param("behavior-sleep", (HPO, "HP:0025160"), id="hpo-abnormal-temper-tantrums"),
    pytest.param("behavior-sleep", (HPO_ALIAS, "HP:0002360"), id="hpo-alias-sleep-abnormality"),
]

NOT_COUNTING = [
    pytest.param((SCT, "422886007"), id="snomed-olfactory-neuroblastoma"),
    pytest.param((SCT, "281560004"), id="snomed-neuroblastoma-of-brain"),
    pytest.param((ICDO3, "9490/0"), id="icdo3-ganglioneuroma"),
    pytest.param((ICDO3, "9522/3"), id="icdo3-olfactory-neuroblastoma"),
    pytest.param((ICDO3, "C74.9"), id="icdo3-topography-adrenal-only"),
    pytest.param((HPO, "HP:0030068"), id="hpo-olfactory-esthesioneuroblastoma"),
    pytest.param((HPO, "HP:0011977"), id="hpo-elevated-urinary-hva"),
    pytest.param((LOINC, "2436-4"), id="loinc-urine-hva-test"),
    pytest.param((SCT, "37356005"), id="snomed-myoclonic-seizure"),
    pytest.param((HPO, "HP:0032794"), id="hpo-myoclonic-seizure"),
    pytest.param((HPO, "HP:0012323"), id="hpo-sleep-myoclonus"),
    pytest.param((SCT, "445458007"), id="snomed-sensory-ataxia"),
    pytest.param((HPO, "HP:0012547"), id="hpo-abnormal-involuntary-eye-movements"),
    pytest.param((HPO, "HP:0032104"), id="hpo-saccadic-oscillation-too-broad"),
    pytest.param((ORPHA, "1957"), id="orphanet-esthesioneuroblastoma"),
    pytest.param((SCT, "250067008"), id="snomed-unverified-truncal-ataxia"),
    pytest.param((SCT, "248004009"), id="snomed-unverified-violent-behaviour"),
    pytest.param((ORPHA, "ORPHA:1183"), id="orphanet-oms-itself"),
    pytest.param((SCT, "52101004"), id="snomed-present-is-a-value-not-a-finding"),
    pytest.param((HPO, "HP:0010543 extra"), id="opsoclonus-code-with-suffix"),
    pytest.param((SCT, "HP:0010543"), id="hpo-code-under-snomed-system"),
    pytest.param((HPO, "hp:0010543"), id="hpo-code-lower-case"),
]
