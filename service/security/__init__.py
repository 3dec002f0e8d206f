"""Who may call the service: CDS client JWTs and the FHIR servers each client may name."""
