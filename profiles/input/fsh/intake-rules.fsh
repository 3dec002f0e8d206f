// What intake reads as data: which elements refer to a patient, and which modifier
// extensions the service knows (DESIGN.md, "Evidence that counts": patient identity and
// modifier extensions). Both are read by service/terminology.py at start-up.

CodeSystem: OmsPatientReferenceElement
Id: oms-patient-reference-element
Title: "Elements that refer to a patient"
Description: "The elements through which a resource names the patient it is about. Every such reference in a request, on every resource (current or superseded, top-level or contained), must name the one patient, or it is a 422 naming the element. A code is an element name (every resource type) or ResourceType.element (that type only). Observation.focus is here because a finding whose focus is a sibling or a parent is about that person, not about the patient."
* ^status = #active
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #subject "subject" "Resource.subject, on every resource type that has it (the patient compartment's main link)."
* #patient "patient" "Resource.patient, on every resource type that has it."
* #Observation.focus "Observation.focus" "What the Observation is about when it is not the patient of record (a relative, a fetus, a donor): a reference to another patient is refused, and a finding focused on anyone or anything but the patient does not count."

CodeSystem: OmsKnownModifierExtension
Id: oms-known-modifier-extension
Title: "Modifier extensions oms-cds knows"
Description: "The modifierExtension URLs oms-cds understands. FHIR forbids ignoring a modifier extension (one may say 'negated' or 'ruled out'), so a resource that could be evidence or a treatment record, a contained one or its container, carrying a modifierExtension whose URL is not a code here is refused (422 naming it). Empty today: no modifier extension is understood yet."
* ^status = #active
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
