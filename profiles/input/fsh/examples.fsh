// Example instances: one high, one moderate and one low assessment, with their CarePlans.
// SUSHI checks each against its profile at build time; the HL7 validator checks them again in CI.

RuleSet: CriterionResult(i, criterion, status)
* extension[criterionResult][{i}].extension[criterion].valueCoding = $OMSCRIT#{criterion}
* extension[criterionResult][{i}].extension[status].valueCode = #{status}

RuleSet: Evidence(i, j, ref)
* extension[criterionResult][{i}].extension[evidence][{j}].valueReference = Reference({ref})

RuleSet: OmsOutcome
* method = $OMSMETHOD#genoa-2004 "Genoa 2004 consensus criteria for OMS (3 of 4)"
* prediction[0].outcome = $ORPHA#1183 "Opsoclonus-myoclonus syndrome"
* prediction[0].outcome.text = "Opsoclonus myoclonus syndrome"

RuleSet: Activity(i, system, code, display, description)
* activity[{i}].detail.code = {system}#{code} "{display}"
* activity[{i}].detail.status = #not-started
* activity[{i}].detail.description = "{description}"

Instance: example-child
InstanceOf: Patient
Title: "Example child with OMS"
Usage: #example
* name[0].family = "Example"
* name[0].given[0] = "Alex"
* gender = #female
* birthDate = "2024-03-02"

Instance: example-neuroblastoma
InstanceOf: Condition
Usage: #example
* clinicalStatus = http://terminology.hl7.org/CodeSystem/condition-clinical#active
* verificationStatus = http://terminology.hl7.org/CodeSystem/condition-ver-status#confirmed
* code = $SCT#281562007 "Adrenal neuroblastoma"
* subject = Reference(example-child)

Instance: example-opsoclonus
InstanceOf: Observation
Usage: #example
* status = #final
* code = $HPO#HP:0010543 "Opsoclonus"
* subject = Reference(example-child)
* effectiveDateTime = "2026-11-20"
* valueCodeableConcept = $SCT#52101004 "Present"

Instance: example-ataxia
InstanceOf: Condition
Usage: #example
* clinicalStatus = http://terminology.hl7.org/CodeSystem/condition-clinical#active
* code = $SCT#20262006 "Ataxia"
* subject = Reference(example-child)

Instance: example-no-neuroblastoma
InstanceOf: Condition
Usage: #example
* verificationStatus = http://terminology.hl7.org/CodeSystem/condition-ver-status#refuted
* code = $SCT#432328008 "Neuroblastoma"
* subject = Reference(example-child)

Instance: example-high
InstanceOf: OmsRiskAssessment
Title: "High: meets the OMS diagnostic criteria"
Usage: #example
* insert CriterionResult(0, neuroblastoma, met)
* insert Evidence(0, 0, example-neuroblastoma)
* insert CriterionResult(1, opsoclonus, met)
* insert Evidence(1, 0, example-opsoclonus)
* insert CriterionResult(2, myoclonus-ataxia, met)
* insert Evidence(2, 0, example-ataxia)
* insert CriterionResult(3, behavior-sleep, unknown)
* status = #final
* subject = Reference(example-child)
* occurrenceDateTime = "2026-11-25T10:00:00Z"
* insert OmsOutcome
* prediction[0].qualitativeRisk = $RISK#high "High likelihood"
* prediction[0].rationale = "3 of 4 criteria met: neuroblastoma, opsoclonus, myoclonus and/or ataxia; unknown: behavioural and/or sleep disturbance. Meets the OMS diagnostic criteria."
* basis[0] = Reference(example-neuroblastoma)
* basis[1] = Reference(example-opsoclonus)
* basis[2] = Reference(example-ataxia)

Instance: example-high-careplan
InstanceOf: OmsCarePlan
Title: "Therapy checklist proposed for a high assessment"
Usage: #example
* instantiatesCanonical = "http://oms-cds.org/fhir/PlanDefinition/oms-therapy-checklist"
* status = #draft
* intent = #proposal
* title = "OMS therapy checklist"
* subject = Reference(example-child)
* created = "2026-11-25T10:00:00Z"
* supportingInfo[0] = Reference(example-high)
* insert Activity(0, $OMSCHECK, mitigate-trigger, Mitigate trigger, Remove or treat the trigger: resect or treat the neuroblastoma with the oncology team.)
* insert Activity(1, $OMSCHECK, treat-neuroinflammation, Treat/retreat neuroinflammation, Start immunotherapy early and restart it at relapse.)
* activity[1].detail.code.coding[1] = $SCT#86553008 "Immunosuppressive therapy"
* insert Activity(2, $OMSCHECK, reassess-high-risk, Reassess for high risk, Reassess for features of high-risk or refractory disease.)
* insert Activity(3, $OMSCHECK, treat-infections, Treat infections with antimicrobials, Treat intercurrent infections promptly.)
* insert Activity(4, $OMSCHECK, escalate-steroids-acth, Escalate or restart steroids or ACTH, Escalate or restart corticosteroids or ACTH for a relapse.)
* insert Activity(5, $OMSCHECK, retest-neuroinflammation, Retest for neuroinflammation as needed, Repeat CSF studies when the response is unclear.)
* insert Activity(6, $OMSCHECK, review-drug-responses, Review previous drug responses, Review the response to each previous agent.)
* insert Activity(7, $OMSCHECK, change-disease-modifying-drugs, Add or change disease-modifying drugs, Add or change a disease-modifying immunotherapy.)
* insert Activity(8, $OMSCHECK, formal-iq-testing, Formal IQ testing, Arrange formal neuropsychological and IQ testing.)
* insert Activity(9, $OMSCHECK, treat-neuropsychiatric, Treat comorbid neuropsychiatric problems, Treat comorbid behavioural and sleep problems.)
* insert Activity(10, $OMSCHECK, avoid-pitfalls, Avoid potential pitfalls, Avoid too short treatment and too fast tapering.)
* insert Activity(11, $OMSCHECK, give-ivig, Give IVIG as needed, Give intravenous immunoglobulin as needed.)
* insert Activity(12, $OMSCHECK, select-tapering, Select tapering method, Choose a slow and monitored tapering method.)
* insert Activity(13, $OMSCHECK, multimodal-immunotherapy, Multimodal combination immunotherapy, Use combination immunotherapy for moderate or severe disease.)
* insert Activity(14, $OMSCHECK, intensify-rehabilitation, Intensify speech therapy\, PT\, OT, Intensify speech and language therapy and physiotherapy and occupational therapy.)

Instance: example-moderate
InstanceOf: OmsRiskAssessment
Title: "Moderate: OMS cannot be ruled out"
Usage: #example
* insert CriterionResult(0, neuroblastoma, unknown)
* insert CriterionResult(1, opsoclonus, met)
* insert Evidence(1, 0, example-opsoclonus)
* insert CriterionResult(2, myoclonus-ataxia, met)
* insert Evidence(2, 0, example-ataxia)
* insert CriterionResult(3, behavior-sleep, unknown)
* status = #final
* subject = Reference(example-child)
* occurrenceDateTime = "2026-11-25T10:00:00Z"
* insert OmsOutcome
* prediction[0].qualitativeRisk = $RISK#moderate "Moderate likelihood"
* prediction[0].rationale = "2 of 4 criteria met: opsoclonus, myoclonus and/or ataxia; unknown: neuroblastoma, behavioural and/or sleep disturbance. OMS cannot be ruled out: work-up needed."
* basis[0] = Reference(example-opsoclonus)
* basis[1] = Reference(example-ataxia)

Instance: example-moderate-careplan
InstanceOf: OmsCarePlan
Title: "Diagnostic work-up proposed for a moderate assessment"
Usage: #example
* instantiatesCanonical = "http://oms-cds.org/fhir/PlanDefinition/oms-diagnostic-workup"
* status = #draft
* intent = #proposal
* title = "OMS diagnostic work-up"
* subject = Reference(example-child)
* created = "2026-11-25T10:00:00Z"
* supportingInfo[0] = Reference(example-moderate)
* insert Activity(0, $OMSWORKUP, neuroblastoma-search, Search for a neuroblastoma, Measure urine HVA and VMA and image with MIBG or CT or MRI.)
* insert Activity(1, $OMSWORKUP, behavior-sleep-assessment, Assess behaviour and sleep, Take a behavioural and sleep history.)
* insert Activity(2, $OMSCHECK, reassess-high-risk, Reassess for high risk, Reassess the four criteria when the work-up is complete.)

Instance: example-low
InstanceOf: OmsRiskAssessment
Title: "Low: does not meet the OMS criteria"
Usage: #example
* insert CriterionResult(0, neuroblastoma, not-met)
* insert Evidence(0, 0, example-no-neuroblastoma)
* insert CriterionResult(1, opsoclonus, met)
* insert Evidence(1, 0, example-opsoclonus)
* insert CriterionResult(2, myoclonus-ataxia, unknown)
* insert CriterionResult(3, behavior-sleep, unknown)
* status = #final
* subject = Reference(example-child)
* occurrenceDateTime = "2026-11-25T10:00:00Z"
* insert OmsOutcome
* prediction[0].qualitativeRisk = $RISK#low "Low likelihood"
* prediction[0].rationale = "1 of 4 criteria met: opsoclonus; not met: neuroblastoma; unknown: myoclonus and/or ataxia, behavioural and/or sleep disturbance."
* basis[0] = Reference(example-no-neuroblastoma)
* basis[1] = Reference(example-opsoclonus)

Instance: example-oms-diagnosis
InstanceOf: Condition
Usage: #example
* clinicalStatus = http://terminology.hl7.org/CodeSystem/condition-clinical#active
* verificationStatus = http://terminology.hl7.org/CodeSystem/condition-ver-status#confirmed
* code = $ORPHA#1183 "Opsoclonus-myoclonus syndrome"
* subject = Reference(example-child)

Instance: example-certain
InstanceOf: OmsRiskAssessment
Title: "Certain: the OMS diagnosis is already recorded"
Usage: #example
* insert CriterionResult(0, neuroblastoma, unknown)
* insert CriterionResult(1, opsoclonus, met)
* insert Evidence(1, 0, example-opsoclonus)
* insert CriterionResult(2, myoclonus-ataxia, unknown)
* insert CriterionResult(3, behavior-sleep, unknown)
* status = #final
* subject = Reference(example-child)
* occurrenceDateTime = "2026-11-25T10:00:00Z"
* insert OmsOutcome
* prediction[0].qualitativeRisk = $RISK#certain "Certain"
* prediction[0].rationale = "Opsoclonus myoclonus syndrome is already diagnosed (recorded 2026-11-20). 1 of 4 criteria met: opsoclonus (2026-11-20); unknown: neuroblastoma, myoclonus and/or ataxia, behavioural and/or sleep disturbance."
* basis[0] = Reference(example-oms-diagnosis)
* basis[1] = Reference(example-opsoclonus)
