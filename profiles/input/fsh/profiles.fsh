Invariant: oms-ra-1
Description: "Each OMS criterion has exactly one result."
Severity: #error
Expression: "extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result').extension.where(url = 'criterion').value.code.isDistinct()"

Invariant: oms-ra-2
Description: "The risk is high only when three or more criteria are met, and three or more met criteria make it high, or certain when the diagnosis is already recorded (Genoa 2004)."
Severity: #error
Expression: "(prediction.qualitativeRisk.coding.where(system = 'http://terminology.hl7.org/CodeSystem/risk-probability' and code = 'high').exists() implies (extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result').where(extension.where(url = 'status').value = 'met').count() >= 3)) and ((extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result').where(extension.where(url = 'status').value = 'met').count() >= 3) implies prediction.qualitativeRisk.coding.where(system = 'http://terminology.hl7.org/CodeSystem/risk-probability' and (code = 'high' or code = 'certain')).exists())"

Invariant: oms-cp-1
Description: "An OMS CarePlan instantiates the therapy checklist or the diagnostic work-up."
Severity: #error
Expression: "instantiatesCanonical.all($this = 'http://oms-cds.org/fhir/PlanDefinition/oms-therapy-checklist' or $this = 'http://oms-cds.org/fhir/PlanDefinition/oms-diagnostic-workup')"

Extension: OmsCriterionResult
Id: oms-criterion-result
Title: "OMS criterion result"
Description: "The result of one OMS diagnostic criterion: which criterion, met / not-met / unknown, and the resources that decided it."
Context: RiskAssessment
* extension contains
    criterion 1..1 and
    status 1..1 and
    evidence 0..* and
    unconfirmed 0..1
* extension[criterion] ^short = "Which criterion"
* extension[criterion].value[x] only Coding
* extension[criterion].valueCoding 1..1
* extension[criterion].valueCoding from OmsCriteriaVS (required)
* extension[status] ^short = "met | not-met | unknown"
* extension[status].value[x] only code
* extension[status].valueCode 1..1
* extension[status].valueCode from OmsCriterionStatusVS (required)
* extension[evidence] ^short = "A resource that decided this criterion"
* extension[evidence] ^short = "A resource that decided this criterion (for a contained resource, its container)"
* extension[evidence].value[x] only Reference
* extension[evidence].valueReference 1..1
* extension[unconfirmed] ^short = "true when the criterion is met only on unconfirmed, provisional, differential or preliminary evidence"
* extension[unconfirmed].value[x] only boolean
* extension[unconfirmed].valueBoolean 1..1

Profile: OmsRiskAssessment
Parent: RiskAssessment
Id: oms-risk-assessment
Title: "OMS RiskAssessment"
Description: "The oms-cds conclusion for one patient: the four OMS criteria, each met / not-met / unknown with its evidence, and the likelihood of opsoclonus myoclonus syndrome (certain = the diagnosis is already recorded; high = meets the diagnostic criteria)."
* obeys oms-ra-1 and oms-ra-2
* extension contains OmsCriterionResult named criterionResult 4..4
* extension[criterionResult] ^short = "One per criterion, in the order of CodeSystem oms-criteria"
* status from OmsRiskAssessmentStatus (required)
* status ^short = "final | preliminary (when a met criterion, or a recorded diagnosis, rests only on preliminary or unconfirmed evidence)"
* method 1..1
* method = $OMSMETHOD#genoa-2004
* subject only Reference(Patient)
* occurrence[x] 1..1
* occurrence[x] only dateTime
* basis MS
* prediction 1..1
* prediction.outcome 1..1
* prediction.outcome = $ORPHA#1183 "Opsoclonus-myoclonus syndrome"
* prediction.qualitativeRisk 1..1
* prediction.qualitativeRisk from OmsRiskLevel (required)
* prediction.rationale 1..1

Profile: OmsCarePlan
Parent: CarePlan
Id: oms-care-plan
Title: "OMS CarePlan"
Description: "A proposed plan generated from an oms-cds PlanDefinition: the 15-item therapy checklist when the criteria are met or the diagnosis is recorded, the diagnostic work-up when OMS cannot be ruled out."
* obeys oms-cp-1
* instantiatesCanonical 1..1
* status MS
* intent = #proposal
* subject only Reference(Patient)
* created 1..1
* supportingInfo 1..*
* supportingInfo only Reference(RiskAssessment)
* supportingInfo ^short = "The oms-risk-assessment this plan follows from"
* activity 1..*
* activity.reference 0..0
* activity.detail 1..1
* activity.detail.code 1..1
* activity.detail.code from OmsCarePlanActivity (required)
* activity.detail.description 1..1
