Instance: oms-diagnostic-workup
InstanceOf: PlanDefinition
Usage: #definition
Title: "OMS diagnostic work-up"
Description: "What to do when OMS cannot be ruled out (two criteria met, at least one unknown): one action for each criterion whose status is unknown, then reassess. Applicability conditions are FHIRPath evaluated with %riskAssessment bound to the oms-risk-assessment."
* url = "http://oms-cds.org/fhir/PlanDefinition/oms-diagnostic-workup"
* version = "0.1.0"
* name = "OmsDiagnosticWorkup"
* title = "OMS diagnostic work-up"
* type = http://terminology.hl7.org/CodeSystem/plan-definition-type#clinical-protocol
* status = #active
* experimental = false
* date = "2026-11-25"
* publisher = "oms-cds"
* description = "Work-up for a patient who meets two OMS criteria while another is unknown: one action per unknown criterion, then reassess for high risk. Applicability conditions are FHIRPath evaluated with %riskAssessment bound to the oms-risk-assessment."
* action[0].title = "Search for a neuroblastoma"
* action[0].description = "Neuroblastoma status is unknown: measure urine homovanillic acid (HVA) and vanillylmandelic acid (VMA) (spot urine, ratio to creatinine), and image for a tumour with MIBG scintigraphy and/or CT or MRI of chest, abdomen and pelvis."
* action[0].code[0].coding[0] = $OMSWORKUP#neuroblastoma-search "Search for a neuroblastoma"
* action[0].condition[0].kind = #applicability
* action[0].condition[0].expression.language = #text/fhirpath
* action[0].condition[0].expression.expression = "%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'neuroblastoma').extension.where(url = 'status').value = 'unknown'"
* action[1].title = "Examine for opsoclonus"
* action[1].description = "Opsoclonus status is unknown: arrange a neuro-ophthalmological examination for opsoclonus or ocular flutter (a video of the eye movements helps)."
* action[1].code[0].coding[0] = $OMSWORKUP#opsoclonus-examination "Examine for opsoclonus"
* action[1].condition[0].kind = #applicability
* action[1].condition[0].expression.language = #text/fhirpath
* action[1].condition[0].expression.expression = "%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'opsoclonus').extension.where(url = 'status').value = 'unknown'"
* action[2].title = "Examine for myoclonus and ataxia"
* action[2].description = "Myoclonus/ataxia status is unknown: arrange a neurological examination for myoclonus and for gait, truncal and limb ataxia."
* action[2].code[0].coding[0] = $OMSWORKUP#myoclonus-ataxia-examination "Examine for myoclonus and ataxia"
* action[2].condition[0].kind = #applicability
* action[2].condition[0].expression.language = #text/fhirpath
* action[2].condition[0].expression.expression = "%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'myoclonus-ataxia').extension.where(url = 'status').value = 'unknown'"
* action[3].title = "Assess behaviour and sleep"
* action[3].description = "Behaviour/sleep status is unknown: take a neurological and behavioural history for irritability, rage and sleep disturbance."
* action[3].code[0].coding[0] = $OMSWORKUP#behavior-sleep-assessment "Assess behaviour and sleep"
* action[3].condition[0].kind = #applicability
* action[3].condition[0].expression.language = #text/fhirpath
* action[3].condition[0].expression.expression = "%riskAssessment.extension.where(url = 'http://oms-cds.org/fhir/StructureDefinition/oms-criterion-result' and extension.where(url = 'criterion').value.code = 'behavior-sleep').extension.where(url = 'status').value = 'unknown'"
* action[4].title = "Reassess for high risk"
* action[4].description = "When the work-up is complete, reassess the four criteria: three met means OMS; then start the therapy checklist without delay."
* action[4].code[0].coding[0] = $OMSCHECK#reassess-high-risk "Reassess for high risk"
* action[4].code[0].coding[1] = $SCT#225886003 "Medical assessment"
