Instance: oms-diagnostic-workup
InstanceOf: PlanDefinition
Usage: #definition
Title: "OMS diagnostic work-up"
Description: "What to do when OMS cannot be ruled out: one action for each criterion that is not met (a repeated search or examination when one was negative), then reassess."
* url = "http://oms-cds.org/fhir/PlanDefinition/oms-diagnostic-workup"
* version = "0.1.0"
* name = "OmsDiagnosticWorkup"
* title = "Opsoclonus myoclonus syndrome: diagnostic work-up"
* type = http://terminology.hl7.org/CodeSystem/plan-definition-type#clinical-protocol
* status = #active
* experimental = false
* date = "2026-12-07"
* publisher = "oms-cds"
* description = "Opsoclonus myoclonus syndrome cannot be ruled out. Proposed work-up: one step for each criterion not met, then a reassessment. A proposal from decision support, not an order."
* purpose = "How oms-cds applies it: when OMS cannot be ruled out (risk moderate), each applicable action becomes one activity of a proposed CarePlan. Applicability conditions and dynamicValue expressions are FHIRPath evaluated with %riskAssessment bound to the oms-risk-assessment, %track to the code of the tumour-search track the patient is on (the action of PlanDefinition oms-tumour-search that applies: neuroblastoma-search or paraneoplastic-search) and %trackSearch to that action's description. One tumour search applies, the one of the patient's track."
* action[0].title = "Search for a neuroblastoma"
* action[0].description = "No search for a neuroblastoma is recorded: measure urine homovanillic acid (HVA) and vanillylmandelic acid (VMA) (spot urine, ratio to creatinine), and image for a tumour with MIBG scintigraphy and/or CT or MRI of chest, abdomen and pelvis."
* action[0].code[0].coding[0] = $OMSWORKUP#neuroblastoma-search "Search for a neuroblastoma"
* action[0].condition[0].kind = #applicability
* action[0].condition[0].expression.language = #text/fhirpath
* action[0].condition[0].expression.expression = "%track = 'neuroblastoma-search' and %riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'neuroblastoma').extension.where(url = 'status').value != 'met'"
* action[0].dynamicValue[0].path = "description"
* action[0].dynamicValue[0].expression.language = #text/fhirpath
* action[0].dynamicValue[0].expression.expression = "iif(%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'neuroblastoma').extension.where(url = 'status').value = 'not-met', 'A search for a neuroblastoma was negative: repeat it (urine homovanillic acid (HVA) and vanillylmandelic acid (VMA), ratio to creatinine; MIBG scintigraphy and/or CT or MRI of chest, abdomen and pelvis), since tumours in OMS are often small and found only on a repeated search.', 'No search for a neuroblastoma is recorded: measure urine homovanillic acid (HVA) and vanillylmandelic acid (VMA) (spot urine, ratio to creatinine), and image for a tumour with MIBG scintigraphy and/or CT or MRI of chest, abdomen and pelvis.')"
* action[1].title = "Search for a paraneoplastic tumour or an infection"
* action[1].description = "Search for the trigger of adult-onset OMS (see PlanDefinition oms-tumour-search, adult track)."
* action[1].code[0].coding[0] = $OMSWORKUP#paraneoplastic-search "Search for a paraneoplastic tumour or an infection"
* action[1].condition[0].kind = #applicability
* action[1].condition[0].expression.language = #text/fhirpath
* action[1].condition[0].expression.expression = "%track = 'paraneoplastic-search' and %riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'neuroblastoma').extension.where(url = 'status').value != 'met'"
* action[1].dynamicValue[0].path = "description"
* action[1].dynamicValue[0].expression.language = #text/fhirpath
* action[1].dynamicValue[0].expression.expression = "iif(%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'neuroblastoma').extension.where(url = 'status').value = 'not-met', 'No neuroblastoma was found, and in an adult the trigger of OMS is usually another tumour or an infection. ' & %trackSearch, %trackSearch)"
* action[1].documentation[0].type = #derived-from
* action[1].documentation[0].resource = "http://oms-cds.org/fhir/PlanDefinition/oms-tumour-search"
* action[2].title = "Examine for opsoclonus"
* action[2].description = "No examination for opsoclonus is recorded: arrange a neuro-ophthalmological examination for opsoclonus or ocular flutter (a video of the eye movements helps)."
* action[2].code[0].coding[0] = $OMSWORKUP#opsoclonus-examination "Examine for opsoclonus"
* action[2].condition[0].kind = #applicability
* action[2].condition[0].expression.language = #text/fhirpath
* action[2].condition[0].expression.expression = "%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'opsoclonus').extension.where(url = 'status').value != 'met'"
* action[2].dynamicValue[0].path = "description"
* action[2].dynamicValue[0].expression.language = #text/fhirpath
* action[2].dynamicValue[0].expression.expression = "iif(%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'opsoclonus').extension.where(url = 'status').value = 'not-met', 'Opsoclonus was recorded as absent: re-examine the eye movements with neuro-ophthalmology (a video helps), since opsoclonus can be intermittent.', 'No examination for opsoclonus is recorded: arrange a neuro-ophthalmological examination for opsoclonus or ocular flutter (a video of the eye movements helps).')"
* action[3].title = "Examine for myoclonus and ataxia"
* action[3].description = "No examination for myoclonus or ataxia is recorded: arrange a neurological examination for myoclonus and for gait, truncal and limb ataxia."
* action[3].code[0].coding[0] = $OMSWORKUP#myoclonus-ataxia-examination "Examine for myoclonus and ataxia"
* action[3].condition[0].kind = #applicability
* action[3].condition[0].expression.language = #text/fhirpath
* action[3].condition[0].expression.expression = "%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'myoclonus-ataxia').extension.where(url = 'status').value != 'met'"
* action[3].dynamicValue[0].path = "description"
* action[3].dynamicValue[0].expression.language = #text/fhirpath
* action[3].dynamicValue[0].expression.expression = "iif(%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'myoclonus-ataxia').extension.where(url = 'status').value = 'not-met', 'Myoclonus and ataxia were recorded as absent: re-examine for myoclonus and for gait, truncal and limb ataxia, since the signs fluctuate.', 'No examination for myoclonus or ataxia is recorded: arrange a neurological examination for myoclonus and for gait, truncal and limb ataxia.')"
* action[4].title = "Assess behaviour and sleep"
* action[4].description = "No behavioural or sleep history is recorded: ask about irritability, rage and sleep disturbance."
* action[4].code[0].coding[0] = $OMSWORKUP#behavior-sleep-assessment "Assess behaviour and sleep"
* action[4].condition[0].kind = #applicability
* action[4].condition[0].expression.language = #text/fhirpath
* action[4].condition[0].expression.expression = "%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'behavior-sleep').extension.where(url = 'status').value != 'met'"
* action[4].dynamicValue[0].path = "description"
* action[4].dynamicValue[0].expression.language = #text/fhirpath
* action[4].dynamicValue[0].expression.expression = "iif(%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'behavior-sleep').extension.where(url = 'status').value = 'not-met', 'Behavioural and sleep problems were recorded as absent: ask again about irritability, rage and sleep, since they can appear later.', 'No behavioural or sleep history is recorded: ask about irritability, rage and sleep disturbance.')"
* action[5].title = "Reassess for high risk"
* action[5].description = "When the work-up is complete, reassess the four criteria: with three met, OMS is diagnosed and the therapy checklist should start without delay."
* action[5].code[0].coding[0] = $OMSCHECK#reassess-high-risk "Reassess for high risk"
* action[5].code[0].coding[1] = $SCT#225886003 "Medical assessment"
