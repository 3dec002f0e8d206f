CodeSystem: OmsCriteria
Id: oms-criteria
Title: "OMS diagnostic criteria"
Description: "The four diagnostic criteria for opsoclonus myoclonus syndrome (Genoa 2004 consensus, Matthay et al. 2005). The diagnosis needs at least three of the four. The order of the concepts is the order of the criterion results in an oms-risk-assessment."
* ^status = #active
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* ^property[0].code = #neurological-sign
* ^property[0].uri = "http://oms-cds.org/fhir/CodeSystem/oms-criteria#neurological-sign"
* ^property[0].description = "A neurological sign of OMS: two criteria met, one of them a neurological sign, mean OMS cannot be ruled out (risk moderate)."
* ^property[0].type = #boolean
* ^property[1].code = #warrants-work-up-alone
* ^property[1].uri = "http://oms-cds.org/fhir/CodeSystem/oms-criteria#warrants-work-up-alone"
* ^property[1].description = "Met, this criterion warrants the work-up whatever the others are (risk at least moderate): opsoclonus always warrants the tumour search of the patient's age, and one negative search rules nothing out."
* ^property[1].type = #boolean
* ^property[2].code = #not-met-wording
* ^property[2].uri = "http://oms-cds.org/fhir/CodeSystem/oms-criteria#not-met-wording"
* ^property[2].description = "What not met means for this criterion, in the words a clinician reads (the default is: recorded absent)."
* ^property[2].type = #string
* ^property[3].code = #tumour
* ^property[3].uri = "http://oms-cds.org/fhir/CodeSystem/oms-criteria#tumour"
* ^property[3].description = "The criterion is the tumour that triggers OMS: a procedure done for it (its reason) is a tumour resection that mitigates the trigger, and its evidence is what such a procedure's reasonReference may name."
* ^property[3].type = #boolean
* #neuroblastoma "Neuroblastoma" "Neuroblastoma, including ganglioneuroblastoma, at any time (a resected tumour still counts)."
* #opsoclonus "Opsoclonus" "Opsoclonus: uncontrolled, multidirectional, conjugate saccadic eye movements without an intersaccadic interval."
* #myoclonus-ataxia "Myoclonus and/or ataxia" "Myoclonus and/or ataxia."
* #behavior-sleep "Behavioural and/or sleep disturbance" "Behavioural and/or sleep disturbance: irritability, rage, aggression, insomnia or another sleep disorder."
* #neuroblastoma ^property[0].code = #not-met-wording
* #neuroblastoma ^property[0].valueString = "no neuroblastoma found so far"
* #neuroblastoma ^property[1].code = #tumour
* #neuroblastoma ^property[1].valueBoolean = true
* #opsoclonus ^property[0].code = #neurological-sign
* #opsoclonus ^property[0].valueBoolean = true
* #opsoclonus ^property[1].code = #warrants-work-up-alone
* #opsoclonus ^property[1].valueBoolean = true
* #myoclonus-ataxia ^property[0].code = #neurological-sign
* #myoclonus-ataxia ^property[0].valueBoolean = true

CodeSystem: OmsCriterionStatus
Id: oms-criterion-status
Title: "OMS criterion status"
Description: "Three-valued outcome of one OMS diagnostic criterion for one patient."
* ^status = #active
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #met "Met" "At least one usable piece of evidence says the finding is present."
* #not-met "Not met" "No evidence says the finding is present and at least one piece says it is absent (a refuted Condition, an Observation recorded as absent, negative or false)."
* #unknown "Unknown" "Nothing usable says either way."

CodeSystem: OmsAssessmentMethod
Id: oms-assessment-method
Title: "OMS assessment method"
Description: "The rule set an oms-cds RiskAssessment applies."
* ^status = #active
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #genoa-2004 "Genoa 2004 consensus criteria for OMS (3 of 4)" "Opsoclonus myoclonus syndrome is diagnosed when at least three of four criteria are met: neuroblastoma; opsoclonus; myoclonus and/or ataxia; behavioural and/or sleep disturbance (Matthay KK et al., Cancer Lett 2005;228:275-282)."

CodeSystem: OmsTherapyChecklist
Id: oms-therapy-checklist
Title: "OMS therapy checklist"
Description: "The 15-item treatment checklist for opsoclonus myoclonus syndrome (Pranzatelli MR, Tate ED. Trends and tenets in relapsing and progressive opsoclonus-myoclonus syndrome. Brain Dev 2016;38:439-448), in the order of the checklist."
* ^status = #active
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #mitigate-trigger "Mitigate trigger" "Remove or treat the trigger of the autoimmune process: resect or treat a neuroblastoma, or treat the triggering infection."
* #treat-neuroinflammation "Treat/retreat neuroinflammation" "Start, or restart at relapse, immunotherapy aimed at the neuroinflammation rather than at the symptoms alone."
* #reassess-high-risk "Reassess for high risk" "Reassess for features of high-risk or refractory disease (severity, relapses, incomplete response, an occult tumour) and adjust the plan."
* #treat-infections "Treat infections with antimicrobials" "Treat intercurrent infections promptly with antimicrobials, because infections trigger relapses."
* #escalate-steroids-acth "Escalate or restart steroids or ACTH" "Escalate or restart corticosteroids or ACTH for a relapse or an incomplete response."
* #retest-neuroinflammation "Retest for neuroinflammation as needed" "Repeat CSF studies (B-cell markers, oligoclonal bands) when the response is unclear or before changing therapy."
* #review-drug-responses "Review previous drug responses" "Review the response to each previous agent, its dose and duration, before choosing the next step."
* #change-disease-modifying-drugs "Add or change disease-modifying drugs" "Add or change a disease-modifying immunotherapy (for example rituximab or cyclophosphamide) when the disease is not controlled."
* #formal-iq-testing "Formal IQ testing" "Arrange formal neuropsychological and IQ testing to document cognitive outcome and to plan education."
* #treat-neuropsychiatric "Treat comorbid neuropsychiatric problems" "Treat comorbid behavioural, sleep and psychiatric problems (rage, attention deficit, obsessive-compulsive symptoms, insomnia)."
* #avoid-pitfalls "Avoid potential pitfalls" "Avoid known pitfalls: too short or too low-dose treatment, too fast tapering, and treating symptoms only."
* #give-ivig "Give IVIG as needed" "Give intravenous immunoglobulin as needed, as part of induction or maintenance immunotherapy."
* #select-tapering "Select tapering method" "Choose a slow, monitored tapering method for immunotherapy, to prevent relapse."
* #multimodal-immunotherapy "Multimodal combination immunotherapy" "Use combination immunotherapy (for example ACTH or steroids with IVIG and rituximab) for moderate or severe disease."
* #intensify-rehabilitation "Intensify speech therapy, PT, OT" "Intensify speech and language therapy, physiotherapy and occupational therapy."

CodeSystem: OmsDiagnosticWorkup
Id: oms-diagnostic-workup
Title: "OMS diagnostic work-up"
Description: "Work-up steps proposed when an OMS criterion is not met and the diagnosis cannot be ruled out."
* ^status = #active
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #neuroblastoma-search "Search for a neuroblastoma" "The paediatric tumour search: CT or MRI of chest, abdomen and pelvis (the most sensitive), urine homovanillic acid (HVA) and vanillylmandelic acid (VMA), and MIBG scintigraphy; repeated when negative."
* #paraneoplastic-search "Search for a paraneoplastic tumour or an infection" "The adult search for the trigger of OMS: CT of chest, abdomen and pelvis, FDG-PET when negative, mammography and pelvic ultrasound in women, onconeural and neuronal-surface antibodies in serum and CSF, CSF studies; repeated at 3-6 months, then every 6 months for up to 4 years, when negative (EFNS 2011)."
* #opsoclonus-examination "Examine for opsoclonus" "Neuro-ophthalmological examination for opsoclonus or ocular flutter (video recording helps)."
* #myoclonus-ataxia-examination "Examine for myoclonus and ataxia" "Neurological examination for myoclonus and ataxia (gait, trunk, limbs)."
* #behavior-sleep-assessment "Assess behaviour and sleep" "Neurological and behavioural assessment for irritability, rage and sleep disturbance (parent-reported sleep and behaviour history)."

CodeSystem: OmsCdsOverrideReason
Id: oms-cds-override-reason
Title: "OMS card override reasons"
Description: "Why a clinician may dismiss an oms-cds CDS Hooks card; sent back in feedback as overrideReason.reason."
* ^status = #active
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #already-managed "OMS already diagnosed or being managed" "The patient's OMS is already diagnosed or being managed."
* #record-inaccurate "Data in the record are inaccurate or out of date" "The data the card rests on are inaccurate or out of date."
* #not-relevant-now "Not relevant for this patient now" "The card is not relevant for this patient at this time."
