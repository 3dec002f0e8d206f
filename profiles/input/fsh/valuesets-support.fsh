ValueSet: OmsFindingPresent
Id: oms-finding-present
Title: "Finding present"
Description: "Observation values that say the finding named by Observation.code is present (pattern A of the oms-cds evidence rules)."
* ^status = #active
* ^experimental = false
* $SCT#52101004 "Present"
* $SCT#10828004 "Positive"

ValueSet: OmsFindingAbsent
Id: oms-finding-absent
Title: "Finding absent"
Description: "Observation values that say the finding named by Observation.code is absent (pattern A of the oms-cds evidence rules)."
* ^status = #active
* ^experimental = false
* $SCT#2667000 "Absent"
* $SCT#260385009 "Negative"

ValueSet: OmsRiskLevel
Id: oms-risk-level
Title: "OMS risk level"
Description: "Qualitative conclusion of an OMS assessment: high = meets the diagnostic criteria (3 or 4 met); moderate = exactly 2 met and at least one unknown (work-up needed); low = everything else."
* ^status = #active
* ^experimental = false
* $RISK#high "High likelihood"
* $RISK#moderate "Moderate likelihood"
* $RISK#low "Low likelihood"

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
Description: "Activities of an oms-cds CarePlan: the 15 therapy-checklist items, and the diagnostic work-up steps proposed when a criterion is unknown."
* ^status = #active
* ^experimental = false
* include codes from system OmsTherapyChecklist
* include codes from system OmsDiagnosticWorkup

Instance: hpo
InstanceOf: NamingSystem
Usage: #definition
Title: "Human Phenotype Ontology"
Description: "HPO identifiers: the HL7 Terminology URI is the one oms-cds emits; the OBO PURL is accepted on input as an alias."
* name = "HumanPhenotypeOntology"
* status = #active
* kind = #codesystem
* date = "2026-11-25"
* publisher = "oms-cds"
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
