"""oms-cds: FHIR R4 clinical decision support for opsoclonus myoclonus syndrome."""
