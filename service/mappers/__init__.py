"""Translation between FHIR JSON and the domain."""
