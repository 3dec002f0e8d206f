Instance: oms-assess
InstanceOf: OperationDefinition
Usage: #definition
Title: "Assess for opsoclonus myoclonus syndrome"
Description: "Assess one patient against the four OMS diagnostic criteria. System level (POST [base]/$oms-assess): the Bundle (any type) is the body, or the bundle parameter of a Parameters body. Instance level ([base]/Patient/[id]/$oms-assess): the data is read from the configured FHIR server; persist=true writes the results back in one idempotent transaction. Returns a collection Bundle: the oms-risk-assessment first, then the oms-care-plan (when the risk is high or moderate), then a Provenance."
* url = "http://oms-cds.org/fhir/OperationDefinition/oms-assess"
* version = "0.1.0"
* name = "OmsAssess"
* title = "Assess for opsoclonus myoclonus syndrome"
* status = #active
* kind = #operation
* experimental = false
* date = "2026-11-25"
* publisher = "oms-cds"
* description = "Assess one patient against the four OMS diagnostic criteria and return a RiskAssessment, a proposed CarePlan when useful, and a Provenance."
* affectsState = true
* code = #oms-assess
* comment = "affectsState is true because persist=true writes to the FHIR server; without persist the operation reads only."
* resource[0] = #Patient
* system = true
* type = false
* instance = true
* parameter[0].name = #bundle
* parameter[0].use = #in
* parameter[0].min = 0
* parameter[0].max = "1"
* parameter[0].documentation = "System level only: the patient's Conditions and Observations (and Patient), as a Bundle of any type."
* parameter[0].type = #Bundle
* parameter[1].name = #persist
* parameter[1].use = #in
* parameter[1].min = 0
* parameter[1].max = "1"
* parameter[1].documentation = "Instance level only: write the RiskAssessment, CarePlan and Provenance back to the FHIR server in one transaction, idempotently."
* parameter[1].type = #boolean
* parameter[2].name = #return
* parameter[2].use = #out
* parameter[2].min = 1
* parameter[2].max = "1"
* parameter[2].documentation = "A collection Bundle: RiskAssessment first, then CarePlan (when risk is high or moderate), then Provenance."
* parameter[2].type = #Bundle
