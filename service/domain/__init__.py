"""Pure-Python clinical rules: evidence in, assessment out. No FHIR models, no HTTP."""
