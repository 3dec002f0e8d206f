// Agent, procedure and test ValueSets for the course of treatment. Codes and displays come
// from ../shared/reference/terminology.md, section "Update 2026-12-07"; displays of RxNorm and ATC
// concepts are the agent names that table gives (RxNorm writes ingredient names in lower case),
// not checked against the WHO ATC index wording. Product-level RxNorm codes (what EHRs send) are
// mapped to these ingredients by the ConceptMap oms-rxnorm-product-ingredient.

Alias: $RXNORM = http://www.nlm.nih.gov/research/umls/rxnorm
Alias: $ATC = http://www.whocc.no/atc

ValueSet: OmsAgentCorticosteroid
Id: oms-agent-corticosteroid
Title: "OMS course: corticosteroids"
Description: "Systemic corticosteroids given for the neuroinflammation of OMS (oral or intravenous pulses): RxNorm ingredients and WHO ATC codes."
* ^status = #active
* ^experimental = false
* $RXNORM#8640 "prednisone"
* $RXNORM#8638 "prednisolone"
* $RXNORM#6902 "methylprednisolone"
* $RXNORM#3264 "dexamethasone"
* $RXNORM#3264 ^extension[0].url = $VSCOMMENT
* $RXNORM#3264 ^extension[0].valueString = "RxNorm ingredient code from a secondary list only (terminology.md: 'check'); the ATC code H02AB02 for dexamethasone is verified."
* $ATC#H02AB07 "prednisone"
* $ATC#H02AB06 "prednisolone"
* $ATC#H02AB04 "methylprednisolone"
* $ATC#H02AB02 "dexamethasone"

ValueSet: OmsAgentActh
Id: oms-agent-acth
Title: "OMS course: ACTH"
Description: "Adrenocorticotropic hormone (corticotropin, including repository corticotropin) and the synthetic tetracosactide, by WHO ATC code. No RxNorm ingredient code is listed: none was found or checked (terminology.md), so a record coded only in RxNorm for ACTH is not classified."
* ^status = #active
* ^experimental = false
* $ATC#H01AA01 "corticotropin"
* $ATC#H01AA02 "tetracosactide"

ValueSet: OmsAgentIvig
Id: oms-agent-ivig
Title: "OMS course: intravenous immunoglobulin"
Description: "Normal human immunoglobulin G. The RxNorm ingredient does not say the route: products of the same ingredient given subcutaneously or intramuscularly are classified here too; RxNorm's separately named immune globulin ingredients (for example 'immune globulin intravenous (human) - ifas') are not listed, as their codes are not verified."
* ^status = #active
* ^experimental = false
* $RXNORM#5666 "immunoglobulin G"
* $ATC#J06BA02 "immunoglobulin G (normal human, intravascular)"

ValueSet: OmsAgentDiseaseModifying
Id: oms-agent-disease-modifying
Title: "OMS course: disease-modifying drugs"
Description: "Disease-modifying immunotherapy used in OMS: rituximab, ofatumumab, cyclophosphamide, mycophenolate, azathioprine, methotrexate (RxNorm ingredients and WHO ATC codes; methotrexate and ofatumumab have two ATC codes each)."
* ^status = #active
* ^experimental = false
* $RXNORM#121191 "rituximab"
* $RXNORM#712566 "ofatumumab"
* $RXNORM#712566 ^extension[0].url = $VSCOMMENT
* $RXNORM#712566 ^extension[0].valueString = "RxNorm code 'commonly cited' for ofatumumab but UNVERIFIED (terminology.md); the ATC codes L01FA02 and L04AG12 are verified."
* $RXNORM#3002 "cyclophosphamide"
* $RXNORM#68149 "mycophenolate mofetil"
* $RXNORM#7145 "mycophenolic acid"
* $RXNORM#1256 "azathioprine"
* $RXNORM#6851 "methotrexate"
* $ATC#L01FA01 "rituximab"
* $ATC#L01FA02 "ofatumumab"
* $ATC#L04AG12 "ofatumumab"
* $ATC#L01AA01 "cyclophosphamide"
* $ATC#L04AA06 "mycophenolate mofetil / mycophenolic acid"
* $ATC#L04AX01 "azathioprine"
* $ATC#L04AX03 "methotrexate"
* $ATC#L01BA01 "methotrexate"

ValueSet: OmsRehabilitationTherapy
Id: oms-rehabilitation-therapy
Title: "OMS course: rehabilitation therapies"
Description: "Speech and language therapy, physical therapy and occupational therapy, as SNOMED CT procedures."
* ^status = #active
* ^experimental = false
* $SCT#5154007 "Speech therapy"
* $SCT#91251008 "Physical therapy procedure"
* $SCT#84478008 "Occupational therapy"

ValueSet: OmsTumourResection
Id: oms-tumour-resection
Title: "OMS course: tumour resection"
Description: "Procedures that remove the tumour. They count for 'Mitigate trigger' only when the procedure's reason (reasonCode or reasonReference) is the neuroblastoma, that is a code of the neuroblastoma criterion: a surgical removal done for anything else is not the trigger treated."
* ^status = #active
* ^experimental = false
* $SCT#128303001 "Surgical removal"
* $SCT#370612006 "Excision of neoplasm"

ValueSet: OmsCsfInflammationTest
Id: oms-csf-inflammation-test
Title: "OMS course: CSF inflammation tests"
Description: "Cerebrospinal fluid studies of neuroinflammation (IgG index, oligoclonal bands). No LOINC code names CSF B cells (LOINC codes name the specimen, so blood CD19 counts must not be used)."
* ^status = #active
* ^experimental = false
* $LOINC#14117-6 "IgG clearance/Albumin clearance [Ratio] in Serum and CSF"
* $LOINC#35568-5
* $LOINC#35568-5 ^extension[0].url = $VSCOMMENT
* $LOINC#35568-5 ^extension[0].valueString = "Oligoclonal bands in CSF (count), from secondary sources only: code and display UNVERIFIED (terminology.md: 'check')."
* $LOINC#49293-4
* $LOINC#49293-4 ^extension[0].url = $VSCOMMENT
* $LOINC#49293-4 ^extension[0].valueString = "Oligoclonal bands in CSF (interpretation), from secondary sources only: code and display UNVERIFIED (terminology.md: 'check')."
* $LOINC#56765-1
* $LOINC#56765-1 ^extension[0].url = $VSCOMMENT
* $LOINC#56765-1 ^extension[0].valueString = "Oligoclonal bands in CSF (IgM presence), from secondary sources only: code and display UNVERIFIED (terminology.md: 'check')."
* $LOINC#100757-4
* $LOINC#100757-4 ^extension[0].url = $VSCOMMENT
* $LOINC#100757-4 ^extension[0].valueString = "Oligoclonal bands, serum and CSF panel, from secondary sources only: code and display UNVERIFIED (terminology.md: 'check')."

Extension: OmsCourseTracking
Id: oms-course-tracking
Title: "OMS course tracking rule"
Description: "How a checklist action follows the treatment record. The ValueSets it reads are the action's documentation entries (RelatedArtifact) of type depends-on; for 'combination', each documentation.label names the group its ValueSet belongs to (two ValueSets with the same label are one group)."
Context: PlanDefinition.action
* value[x] only code
* valueCode from OmsCourseTrackingRule (required)

CodeSystem: OmsCourseTrackingRuleCS
Id: oms-course-tracking-rule
Title: "OMS course tracking rules"
Description: "How a checklist action's status follows the treatment record."
* ^status = #active
* ^experimental = false
* ^caseSensitive = true
* #any "Any record" "The activity follows any record of its ValueSets in the current episode."
* #combination "Combination" "The activity needs records of two or more groups overlapping in time in the current episode."
* #earlier-episodes "Earlier episodes" "The activity lists the records of earlier episodes (material for a review) and stays not-started."

ValueSet: OmsCourseTrackingRule
Id: oms-course-tracking-rule
Title: "OMS course tracking rules"
Description: "All OMS course tracking rules."
* ^status = #active
* ^experimental = false
* include codes from system OmsCourseTrackingRuleCS
