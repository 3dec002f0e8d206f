ValueSet: OmsFindingPresent
Id: oms-finding-present
Title: "Finding present"
Description: "Observation values that say the finding named by Observation.code is present (pattern A of the oms-cds evidence rules)."
* ^status = #active
* ^experimental = false
* $SCT#52101004 "Present"
* $SCT#10828004 "Positive"
* $SCT#373066001 "Yes"
* $LOINC#LA33-6 "Yes"
* $V2YN#Y "Yes"
* $SCT#373573001 "Clinical finding present (situation)"
* $SCT#373573001 ^extension[0].url = $VSCOMMENT
* $SCT#373573001 ^extension[0].valueString = "Display as published in FHIR implementation guides and phenotype feeds (NCPI, MII forms): Clinical finding present (situation)."
* $LOINC#LA9633-4 "Present"
* $LOINC#LA9633-4 ^extension[0].url = $VSCOMMENT
* $LOINC#LA9633-4 ^extension[0].valueString = "Display as published in HL7 genomics and phenomics implementation guides (Present)."

ValueSet: OmsFindingAbsent
Id: oms-finding-absent
Title: "Finding absent"
Description: "Observation values that say the finding named by Observation.code is absent (pattern A of the oms-cds evidence rules)."
* ^status = #active
* ^experimental = false
* $SCT#2667000 "Absent"
* $SCT#260385009 "Negative"
* $SCT#373067005 "No"
* $LOINC#LA32-8 "No"
* $V2YN#N "No"
* $SCT#373572006 "Clinical finding absent (situation)"
* $SCT#373572006 ^extension[0].url = $VSCOMMENT
* $SCT#373572006 ^extension[0].valueString = "Display as published in FHIR implementation guides and phenotype feeds (NCPI, MII forms): Clinical finding absent (situation)."
* $LOINC#LA9634-2 "Absent"
* $LOINC#LA9634-2 ^extension[0].url = $VSCOMMENT
* $LOINC#LA9634-2 ^extension[0].valueString = "Display as published in HL7 genomics and phenomics implementation guides (Absent)."

ValueSet: OmsInterpretationPresent
Id: oms-interpretation-present
Title: "Interpretation: finding present"
Description: "Observation.interpretation codes that say the finding is present. They decide only when the Observation has no value; one that contradicts the value makes the Observation decide nothing."
* ^status = #active
* ^experimental = false
* $V3INTERP#POS "Positive"
* $V3INTERP#DET "Detected"

ValueSet: OmsInterpretationAbsent
Id: oms-interpretation-absent
Title: "Interpretation: finding absent"
Description: "Observation.interpretation codes that say the finding is absent: how phenotype feeds (Phenopackets on FHIR, research registries) record an excluded sign. They decide only when the Observation has no value; one that contradicts the value makes the Observation decide nothing."
* ^status = #active
* ^experimental = false
* $V3INTERP#NEG "Negative"
* $V3INTERP#ND "Not detected"

ValueSet: OmsRiskLevel
Id: oms-risk-level
Title: "OMS risk level"
Description: "Qualitative conclusion of an OMS assessment: certain = an OMS diagnosis is already recorded; high = meets the diagnostic criteria (3 or 4 met); moderate = cannot be ruled out, work-up needed (exactly 2 met, one of them a neurological sign; or opsoclonus alone while another criterion is unknown); low = everything else."
* ^status = #active
* ^experimental = false
* $RISK#high "High likelihood"
* $RISK#moderate "Moderate likelihood"
* $RISK#low "Low likelihood"
* $RISK#certain "Certain"

ValueSet: OmsRiskAssessmentStatus
Id: oms-risk-assessment-status
Title: "OMS RiskAssessment status"
Description: "final, or preliminary when any counted evidence is preliminary or unconfirmed."
* ^status = #active
* ^experimental = false
* http://hl7.org/fhir/observation-status#final "Final"
* http://hl7.org/fhir/observation-status#preliminary "Preliminary"

ValueSet: OmsCriteriaVS
Id: oms-criteria
Title: "OMS diagnostic criteria"
Description: "All four OMS diagnostic criteria."
* ^name = "OmsCriteria"
* ^status = #active
* ^experimental = false
* include codes from system OmsCriteria

ValueSet: OmsCriterionStatusVS
Id: oms-criterion-status
Title: "OMS criterion status"
Description: "met, not-met or unknown."
* ^name = "OmsCriterionStatus"
* ^status = #active
* ^experimental = false
* include codes from system OmsCriterionStatus

ValueSet: OmsCarePlanActivity
Id: oms-care-plan-activity
Title: "OMS CarePlan activity"
Description: "Activities of an oms-cds CarePlan: the 15 therapy-checklist items, and the diagnostic work-up steps proposed when a criterion is not met."
* ^status = #active
* ^experimental = false
* include codes from system OmsTherapyChecklist
* include codes from system OmsDiagnosticWorkup

ValueSet: OmsFindingQuestion
Id: oms-finding-question
Title: "Generic finding questions"
Description: "Observation codes that ask a generic question whose answer, in valueCodeableConcept, is the finding itself (pattern B of the oms-cds evidence rules): such an Observation says the finding in its value is present. Other questions never count this way: a family history (LOINC 10157-6) is about a relative, a reason for referral (LOINC 42349-1) or a 'rule out' is a suspicion."
* ^status = #active
* ^experimental = false
* $SCT#404684003 "Clinical finding"
* $LOINC#75325-1 "Symptom"
* $LOINC#75325-1 ^extension[0].url = $VSCOMMENT
* $LOINC#75325-1 ^extension[0].valueString = "Usage verified (German MII symptom profile; HL7 US public-health and MCC symptom observations use it with the finding as a SNOMED CT value). Display as published in those HL7 implementation guides; not checked against the LOINC table itself, which cannot be reached from here."
* $LOINC#75321-0 "Clinical finding"
* $LOINC#75321-0 ^extension[0].url = $VSCOMMENT
* $LOINC#75321-0 ^extension[0].valueString = "Usage verified (C-CDA problem observations). Display as used in C-CDA implementations (LOINC long name 'Clinical finding HL7.CCDAR2'); not checked against the LOINC table itself, which cannot be reached from here."

Extension: OmsCodeFormat
Id: oms-code-format
Title: "OMS code format"
Description: "How codes of this code system are written in the wild, so that oms-cds matches them whatever the form: characters to ignore (the dot of ICD-10 codes) and a prefix that senders may or may not write (ORPHA: before Orphanet codes)."
Context: NamingSystem
* extension contains
    ignoredCharacter 0..* and
    optionalPrefix 0..*
* extension[ignoredCharacter].value[x] only string
* extension[ignoredCharacter] ^short = "A character to ignore when comparing codes"
* extension[optionalPrefix].value[x] only string
* extension[optionalPrefix] ^short = "A prefix that may or may not precede a code"

RuleSet: CodeSystemNaming(name, date)
* name = "{name}"
* status = #active
* kind = #codesystem
* date = "{date}"
* publisher = "oms-cds"

Instance: hpo
InstanceOf: NamingSystem
Usage: #definition
Title: "Human Phenotype Ontology"
Description: "HPO identifiers: the HL7 Terminology URI is the one oms-cds emits; the OBO PURL and the OID are accepted on input as aliases."
* insert CodeSystemNaming(HumanPhenotypeOntology, 2026-12-01)
* uniqueId[0].type = #uri
* uniqueId[0].value = "http://human-phenotype-ontology.org"
* uniqueId[0].preferred = true
* uniqueId[1].type = #uri
* uniqueId[1].value = "http://purl.obolibrary.org/obo/hp.owl"
* uniqueId[1].preferred = false
* uniqueId[1].comment = "Input alias only; never emitted."
* uniqueId[2].type = #oid
* uniqueId[2].value = "2.16.840.1.113883.6.339"
* uniqueId[2].preferred = false

Instance: snomed-ct
InstanceOf: NamingSystem
Usage: #definition
Title: "SNOMED CT"
Description: "SNOMED CT: the FHIR URI is emitted; the OID is accepted on input (as urn:oid: or bare)."
* insert CodeSystemNaming(SnomedCT, 2026-12-01)
* uniqueId[0].type = #uri
* uniqueId[0].value = "http://snomed.info/sct"
* uniqueId[0].preferred = true
* uniqueId[1].type = #oid
* uniqueId[1].value = "2.16.840.1.113883.6.96"
* uniqueId[1].preferred = false

Instance: icd-10-cm
InstanceOf: NamingSystem
Usage: #definition
Title: "ICD-10-CM"
Description: "ICD-10-CM: the FHIR URI is emitted; the OID is accepted on input; codes match with or without their dot."
* insert CodeSystemNaming(Icd10Cm, 2026-12-01)
* extension[0].url = "http://oms-cds.org/fhir/StructureDefinition/oms-code-format"
* extension[0].extension[0].url = "ignoredCharacter"
* extension[0].extension[0].valueString = "."
* uniqueId[0].type = #uri
* uniqueId[0].value = "http://hl7.org/fhir/sid/icd-10-cm"
* uniqueId[0].preferred = true
* uniqueId[1].type = #oid
* uniqueId[1].value = "2.16.840.1.113883.6.90"
* uniqueId[1].preferred = false

Instance: icd-10
InstanceOf: NamingSystem
Usage: #definition
Title: "ICD-10 (WHO)"
Description: "WHO ICD-10: the FHIR URI is emitted; the OID is accepted on input; codes match with or without their dot."
* insert CodeSystemNaming(Icd10, 2026-12-01)
* extension[0].url = "http://oms-cds.org/fhir/StructureDefinition/oms-code-format"
* extension[0].extension[0].url = "ignoredCharacter"
* extension[0].extension[0].valueString = "."
* uniqueId[0].type = #uri
* uniqueId[0].value = "http://hl7.org/fhir/sid/icd-10"
* uniqueId[0].preferred = true
* uniqueId[1].type = #oid
* uniqueId[1].value = "2.16.840.1.113883.6.3"
* uniqueId[1].preferred = false

Instance: loinc
InstanceOf: NamingSystem
Usage: #definition
Title: "LOINC"
Description: "LOINC: the FHIR URI is emitted; the OID is accepted on input."
* insert CodeSystemNaming(Loinc, 2026-12-01)
* uniqueId[0].type = #uri
* uniqueId[0].value = "http://loinc.org"
* uniqueId[0].preferred = true
* uniqueId[1].type = #oid
* uniqueId[1].value = "2.16.840.1.113883.6.1"
* uniqueId[1].preferred = false

Instance: orphanet
InstanceOf: NamingSystem
Usage: #definition
Title: "Orphanet nomenclature of rare diseases"
Description: "Orphanet: oms-cds emits what HL7 Terminology's Orphanet NamingSystem (terminology.hl7.org/NamingSystem/orphanet) prefers, the URI https://www.orpha.net, with the bare ORPHAcode (1183) as implementation guides write it; http://www.orpha.net, the OID, and codes written ORPHA:1183 are accepted on input."
* insert CodeSystemNaming(Orphanet, 2026-12-01)
* extension[0].url = "http://oms-cds.org/fhir/StructureDefinition/oms-code-format"
* extension[0].extension[0].url = "optionalPrefix"
* extension[0].extension[0].valueString = "ORPHA:"
* uniqueId[0].type = #uri
* uniqueId[0].value = "https://www.orpha.net"
* uniqueId[0].preferred = true
* uniqueId[0].comment = "The URI HL7 Terminology endorses for Orphanet."
* uniqueId[1].type = #uri
* uniqueId[1].value = "http://www.orpha.net"
* uniqueId[1].preferred = false
* uniqueId[1].comment = "Input alias only; never emitted."
* uniqueId[2].type = #oid
* uniqueId[2].value = "1.3.6.1.4.1.12559.11.10.1.3.1.44.5"
* uniqueId[2].preferred = false

ValueSet: OmsReportedConditionCategory
Id: oms-reported-condition-category
Title: "Condition categories that are reports, not findings"
Description: "Condition.category codes that mark a condition as a concern raised by the patient, a relative or a care team rather than a clinician's diagnosis. Such a Condition without a verificationStatus counts only as unconfirmed evidence (DESIGN.md, 'Who a finding is about')."
* ^status = #active
* ^experimental = false
* http://hl7.org/fhir/us/core/CodeSystem/condition-category#health-concern "Health Concern"
* http://hl7.org/fhir/us/core/CodeSystem/condition-category#health-concern ^extension[0].url = $VSCOMMENT
* http://hl7.org/fhir/us/core/CodeSystem/condition-category#health-concern ^extension[0].valueString = "US Core's Condition category for health concerns (US Core 3.1 and later); the display is US Core's."
