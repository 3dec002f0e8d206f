// Reading the patient's record from the EHR with the clinician's token: the evidence
// (Patient, Conditions, Observations, DiagnosticReports) and the treatment record the
// checklist follows (medication records, the Medications they reference, procedures, orders).

/** Searched by patient. Only Conditions and Observations are required to assess. */
const REQUIRED = ["Condition", "Observation"];
const OPTIONAL = ["DiagnosticReport", "MedicationRequest", "MedicationAdministration",
  "MedicationStatement", "Procedure", "ServiceRequest"];
const MEDICATION_TYPES = new Set(["MedicationRequest", "MedicationAdministration", "MedicationStatement"]);

export class RecordError extends Error {
  constructor(cause) {
    super("reading the record failed");
    this.cause = cause;
  }
}

/** The Medication ids a medication record references on this server (not contained ones). */
function referencedMedications(records, serverUrl) {
  const ids = new Set();
  for (const record of records) {
    if (!MEDICATION_TYPES.has(record.resourceType)) continue;
    let reference = String(((record.medicationReference || {}).reference) || "");
    if (reference.startsWith(`${serverUrl}/`)) reference = reference.slice(serverUrl.length + 1);
    const match = /^Medication\/([A-Za-z0-9\-.]{1,64})$/.exec(reference);
    if (match) ids.add(match[1]);
  }
  return [...ids];
}

/**
 * {patient, conditions, observations, others, unread}: `others` every other resource read,
 * `unread` the types the EHR would not give (not granted, not supported): the assessment
 * still runs, and the page says what it could not see. A 401 anywhere is an expired session.
 */
export async function readRecord(client) {
  const patientId = client.patient.id;
  const options = { pageLimit: 0, flat: true };
  const search = (type) => client.request(`${type}?patient=${encodeURIComponent(patientId)}&_count=200`, options)
    .then((found) => found.filter((r) => r && r.resourceType === type));
  let patient, conditions, observations, optional;
  try {
    [patient, conditions, observations, optional] = await Promise.all([
      client.patient.read(),
      ...REQUIRED.map(search),
      Promise.all(OPTIONAL.map((type) => search(type).then(
        (resources) => ({ type, resources }), (error) => ({ type, error })))),
    ]);
  } catch (e) {
    throw new RecordError(e);
  }
  const expired = optional.find((o) => o.error && (o.error.status || o.error.statusCode) === 401);
  if (expired) throw new RecordError(expired.error);
  const others = optional.flatMap((o) => o.resources || []);
  const unread = optional.filter((o) => o.error).map((o) => o.type);
  const serverUrl = client.state.serverUrl.replace(/\/$/, "");
  const medications = await Promise.all(referencedMedications(others, serverUrl).map(
    (id) => client.request(`Medication/${encodeURIComponent(id)}`).catch(() => null)));
  if (medications.includes(null)) unread.push("Medication");
  others.push(...medications.filter((m) => m && m.resourceType === "Medication"));
  return { patient, conditions, observations, others, unread };
}

export function inputBundle(client, record) {
  const base = client.state.serverUrl.replace(/\/$/, "");
  const resources = [record.patient, ...record.conditions, ...record.observations, ...record.others];
  return {
    resourceType: "Bundle",
    type: "collection",
    entry: resources.map((r) => ({ fullUrl: `${base}/${r.resourceType}/${r.id}`, resource: r })),
  };
}
