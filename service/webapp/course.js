// The course of treatment as the page draws it: the treatment records the CarePlan names
// (outcomeReference), each with its agent, dates and state; and the relapses and remissions
// of the recorded OMS. The dates follow the service's rules (DESIGN.md, "The course of
// treatment"), so the bars agree with the checklist.

const MEDICATION_TYPES = new Set(["MedicationRequest", "MedicationAdministration", "MedicationStatement"]);
const ACTIVE_STATUS = {
  MedicationRequest: "active",
  MedicationAdministration: "in-progress",
  MedicationStatement: "active",
  Procedure: "in-progress",
};
const RELAPSE = new Set(["relapse", "recurrence"]);
const REMISSION = new Set(["remission", "resolved", "inactive"]);

export const day = (value) => (typeof value === "string" && value.length >= 4 ? value.slice(0, 10) : null);

/** "Prednisolone": a row or table heading (the plan's sentences keep the service's words). */
export function capitalised(words) {
  return words ? words[0].toUpperCase() + words.slice(1) : words;
}

export function isoToday() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function fromPeriod(period) {
  return period && (period.start || period.end) ? { start: day(period.start), end: day(period.end) } : null;
}

function fromInstant(value) {
  return value ? { start: day(value), end: day(value) } : null;
}

/** When a record was given: {start, end} (either may be null). */
export function period(resource) {
  switch (resource.resourceType) {
    case "MedicationRequest": {
      for (const dosage of resource.dosageInstruction || []) {
        const bounds = fromPeriod((((dosage || {}).timing || {}).repeat || {}).boundsPeriod);
        if (bounds) return bounds;
      }
      return fromPeriod((resource.dispenseRequest || {}).validityPeriod) ||
        { start: day(resource.authoredOn), end: null };
    }
    case "Procedure":
      return fromInstant(resource.performedDateTime) || fromPeriod(resource.performedPeriod) || { start: null, end: null };
    case "ServiceRequest":
      return fromInstant(resource.occurrenceDateTime) || fromPeriod(resource.occurrencePeriod) ||
        { start: day(resource.authoredOn), end: null };
    default:
      return fromInstant(resource.effectiveDateTime) || fromPeriod(resource.effectivePeriod) || { start: null, end: null };
  }
}

/** The medication's CodeableConcepts: its own, or the referenced (or contained) Medication's code and ingredients. */
function medicationConcepts(resource, byReference) {
  if (resource.medicationCodeableConcept) return [resource.medicationCodeableConcept];
  const reference = String(((resource.medicationReference || {}).reference) || "");
  const medication = reference.startsWith("#")
    ? (resource.contained || []).find((r) => `#${r.id}` === reference)
    : byReference.get(reference.replace(/^.*\/(Medication\/[^/]+)$/, "$1"));
  if (!medication) return [];
  return [medication.code, ...(medication.ingredient || []).map((i) => i.itemCodeableConcept)].filter(Boolean);
}

const RECORD_WORDS = {
  MedicationRequest: "Medication order",
  MedicationAdministration: "Administration",
  MedicationStatement: "Medication statement",
  Procedure: "Procedure",
  ServiceRequest: "Order",
  Observation: "Test result",
};

function when(item) {
  if (item.ordered) return item.start ? `ordered for ${item.start}` : "ordered";
  if (item.ongoing) return item.start ? `since ${item.start}, ongoing` : "ongoing, start not recorded";
  if (item.start && item.end && item.start !== item.end) return `${item.start} to ${item.end}`;
  return item.start || (item.end ? `until ${item.end}` : "date not recorded");
}

/**
 * Every record the CarePlan names, in the order first named: {reference, record (words for
 * its type), status, name, start, end, ongoing, ordered, onHold, earlier, words}.
 */
export function treatments(carePlan, byReference, names, today) {
  const earlier = new Set();
  const references = [];
  for (const activity of (carePlan && carePlan.activity) || []) {
    const code = ((((activity.detail || {}).code || {}).coding || [])[0] || {}).code;
    for (const ref of activity.outcomeReference || []) {
      if (!references.includes(ref.reference)) references.push(ref.reference);
      if (code === "review-drug-responses") earlier.add(ref.reference);
    }
  }
  const found = [];
  for (const reference of references) {
    const resource = byReference.get(reference);
    if (!resource) continue;
    const concepts = MEDICATION_TYPES.has(resource.resourceType)
      ? medicationConcepts(resource, byReference) : [resource.code].filter(Boolean);
    const { start, end } = period(resource);
    const ongoing = resource.status === ACTIVE_STATUS[resource.resourceType] && (!end || end >= today);
    const item = {
      reference,
      record: RECORD_WORDS[resource.resourceType] || resource.resourceType,
      status: resource.status || "status not recorded",
      name: capitalised(names.agent(concepts)),
      start,
      end: ongoing ? null : end,
      ongoing,
      ordered: resource.resourceType === "ServiceRequest",
      onHold: resource.status === "on-hold",
      earlier: earlier.has(reference),
    };
    item.when = `${when(item)}${item.onHold ? ", on hold" : ""}`;
    item.words = `${names.agent(concepts)}, ${item.when}`;
    found.push(item);
  }
  return found;
}

function isOms(condition, diagnosis, names) {
  return ((condition.code || {}).coding || []).some(
    (c) => typeof c.system === "string" && typeof c.code === "string" && diagnosis.has(names.key(c.system, c.code)));
}

/** Relapses and remissions: [{kind: "Relapse" | "Remission", date}], by date, each once. */
export function courseEvents(conditions, rationale, names, diagnosisCodes) {
  const diagnosis = new Set(diagnosisCodes || []);
  const events = new Map();
  const add = (kind, date) => { if (date) events.set(`${kind}|${date}`, { kind, date }); };
  for (const condition of conditions) {
    if (!isOms(condition, diagnosis, names)) continue;
    const status = (((condition.clinicalStatus || {}).coding || [])[0] || {}).code;
    if (RELAPSE.has(status)) {
      add("Relapse", day(condition.onsetDateTime) || day((condition.onsetPeriod || {}).start) || day(condition.recordedDate));
    }
    if (REMISSION.has(status)) {
      add("Remission", day(condition.abatementDateTime) || day((condition.abatementPeriod || {}).start));
    }
  }
  const since = /In relapse since (\d{4}-\d{2}-\d{2})\./.exec(rationale || "");
  if (since) add("Relapse", since[1]);
  return [...events.values()].sort((a, b) => a.date.localeCompare(b.date));
}
