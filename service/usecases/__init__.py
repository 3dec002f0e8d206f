"""The service's operations, one module each, free of HTTP: `api/` parses a request, calls
one of these, and maps its answer or its `OmsError` back to HTTP.

* `assess_bundle`: assess a posted Bundle (`POST /fhir/$oms-assess`);
* `assess_patient`: read a patient from the FHIR server, assess, and optionally write the
  results back (`Patient/{id}/$oms-assess`);
* `screen_hook`: a CDS Hooks `patient-view` call: request, prefetch, screen, cards;
* `app_write_back`: the transaction the SMART app sends to the EHR (`$oms-write-back`);
* `persist`: the keyed transaction both write-backs share.
"""
