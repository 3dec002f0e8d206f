// The redirect URI: finish the SMART authorization, read the patient's record (the evidence
// and the treatment record) with the clinician's token, have oms-cds assess it (same origin),
// render. Nothing is stored by oms-cds; "Save to chart" writes to the EHR with the clinician's token.
import { courseEvents, isoToday, treatments } from "./course.js";
import { Names } from "./names.js";
import { planItems, renderPlan } from "./plan.js";
import { RecordError, inputBundle, readRecord } from "./record.js";
import { plotWidth, timelineSpec } from "./timeline.js";

const STATUS_TEXT = { met: "Met", "not-met": "Not met", unknown: "Unknown" };
const STATUS_ICON = { met: "✔", "not-met": "✖", unknown: "?" };
const RISK_TEXT = {
  certain: "OMS diagnosed",
  high: "High",
  moderate: "Moderate",
  low: "Low",
};
const RISK_SUMMARY = {
  certain: "OMS is recorded as diagnosed for this patient. The therapy checklist applies.",
  high: "Meets the OMS diagnostic criteria: treat as OMS and start the therapy checklist without delay.",
  moderate: "OMS cannot be ruled out: complete the diagnostic work-up below, then reassess.",
  low: "OMS is unlikely on the recorded data; reassess if new signs appear.",
};
const MISSING_TEXT = {
  met: "Nothing",
  "not-met": "Recorded absent; the signs of OMS fluctuate, so re-examine if the picture changes.",
  unknown: "No record for or against this criterion.",
};
// A negative tumour search does not rule a neuroblastoma out: OMS tumours are often small.
const NOT_MET_TEXT = {
  neuroblastoma: "No neuroblastoma found so far; tumours in OMS are often found only on a repeated search.",
};

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

const $ = (id) => document.getElementById(id);

class UserFacingError extends Error {}

function showError(message) {
  $("status").hidden = true;
  $("error").textContent = message;
  $("error").hidden = false;
  document.body.dataset.state = "error";
}

/** A message a clinician can act on, for a failed call to the EHR's FHIR server. */
function fhirErrorMessage(error) {
  const status = error && (error.status || error.statusCode);
  if (status === 401) {
    return "Your session with the EHR has expired. Open the app again from the EHR to sign in again.";
  }
  if (status === 403) {
    return "The EHR did not allow the app to read or write this patient's record with your sign-in.";
  }
  return "The EHR's FHIR server is not answering. It may be down: try again in a few minutes, " +
    "or tell the EHR support team.";
}

function ageFrom(birthDate) {
  if (!birthDate) return null;
  const born = new Date(birthDate);
  const now = new Date();
  let years = now.getFullYear() - born.getFullYear();
  const m = now.getMonth() - born.getMonth();
  if (m < 0 || (m === 0 && now.getDate() < born.getDate())) years -= 1;
  if (years >= 2) return `${years} years`;
  const months = (now.getFullYear() - born.getFullYear()) * 12 + m - (now.getDate() < born.getDate() ? 1 : 0);
  return `${Math.max(months, 0)} months`;
}

function patientName(patient) {
  const name = (patient.name || [])[0] || {};
  if (name.text) return name.text;
  return [...(name.given || []), name.family].filter(Boolean).join(" ") || "Unnamed patient";
}

function renderBanner(client, patient) {
  if (client.state.tokenResponse && client.state.tokenResponse.need_patient_banner === false) return;
  $("banner-name").textContent = patientName(patient);
  const details = [];
  const age = ageFrom(patient.birthDate);
  if (age) details.push(`Age ${age}`);
  if (patient.birthDate) details.push(`born ${patient.birthDate}`);
  details.push(`Sex ${patient.gender || "unknown"}`);
  $("banner-details").textContent = details.join(" · ");
  $("banner").hidden = false;
}

function codingDisplay(concept) {
  if (!concept) return "";
  if (concept.text) return concept.text;
  const coding = (concept.coding || [])[0] || {};
  return coding.display || coding.code || "";
}

function evidenceDate(resource) {
  return resource.effectiveDateTime || (resource.effectivePeriod || {}).start || resource.issued ||
    resource.onsetDateTime || (resource.onsetPeriod || {}).start || resource.recordedDate || null;
}

function evidenceStatus(resource) {
  if (resource.resourceType === "Condition") {
    return [codingDisplay(resource.clinicalStatus), codingDisplay(resource.verificationStatus)]
      .filter(Boolean).join(", ") || "status not recorded";
  }
  return resource.status || "status not recorded";
}

/** What the evidence says, in words with its code: the finding carried by the value when the
 * code is a generic question ("Clinical finding"), else the code. */
function evidenceWhat(resource, names) {
  if (resource.valueCodeableConcept) {
    return `${names.label(resource.valueCodeableConcept)}, recorded as ${names.describe(resource.code).words || "a finding"}`;
  }
  const value = evidenceValue(resource);
  const code = resource.resourceType === "DiagnosticReport" && !resource.code
    ? (resource.conclusionCode || [])[0] : resource.code;
  return names.label(code) + (value ? `: ${value}` : "");
}

function evidenceValue(resource) {
  if (resource.valueQuantity) return `${resource.valueQuantity.value} ${resource.valueQuantity.unit || ""}`.trim();
  if (typeof resource.valueBoolean === "boolean") return resource.valueBoolean ? "present" : "absent";
  if (resource.valueString) return resource.valueString;
  return "";
}

function criteriaOf(riskAssessment) {
  return (riskAssessment.extension || [])
    .filter((e) => e.url.endsWith("/oms-criterion-result"))
    .map((e) => {
      const part = (name) => (e.extension || []).filter((x) => x.url === name);
      const criterion = (part("criterion")[0] || {}).valueCoding || {};
      return {
        code: criterion.code,
        display: criterion.display || criterion.code,
        status: (part("status")[0] || {}).valueCode || "unknown",
        evidence: part("evidence").map((x) => x.valueReference.reference),
      };
    });
}

function statusCell(status) {
  const cell = document.createElement("td");
  cell.className = `status status-${status}`;
  const icon = document.createElement("span");
  icon.setAttribute("aria-hidden", "true");
  icon.className = "icon";
  icon.textContent = STATUS_ICON[status] || "?";
  cell.append(icon, ` ${STATUS_TEXT[status] || status}`);
  return cell;
}

function renderCriteria(criteria, byReference, plan, names) {
  const body = $("criteria").querySelector("tbody");
  body.replaceChildren();
  for (const criterion of criteria) {
    const row = document.createElement("tr");
    row.dataset.criterion = criterion.code;
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = criterion.display;
    const evidence = document.createElement("td");
    if (criterion.evidence.length === 0) {
      evidence.textContent = "Nothing recorded";
    } else {
      const list = document.createElement("ul");
      for (const reference of criterion.evidence) {
        const resource = byReference.get(reference);
        const item = document.createElement("li");
        if (!resource) {
          item.textContent = reference;
        } else {
          const when = evidenceDate(resource);
          item.textContent = `${evidenceWhat(resource, names)} · ${resource.resourceType}, ` +
            `${when ? when.slice(0, 10) : "undated"}, ${evidenceStatus(resource)}`;
        }
        list.append(item);
      }
      evidence.append(list);
    }
    const missing = document.createElement("td");
    const workup = plan.find((p) => criterion.status !== "met" && p.code.startsWith(`${criterion.code}-`));
    const said = (criterion.status === "not-met" && NOT_MET_TEXT[criterion.code])
      || MISSING_TEXT[criterion.status] || "";
    missing.textContent = workup ? `${said} Work-up: ${workup.title}.` : said;
    row.append(name, statusCell(criterion.status), evidence, missing);
    body.append(row);
  }
}

function findingsOf(criteria, byReference, names) {
  const points = [];
  let undated = 0;
  for (const criterion of criteria) {
    for (const reference of criterion.evidence) {
      const resource = byReference.get(reference);
      const when = resource && evidenceDate(resource);
      if (!when) { undated += 1; continue; }
      points.push({
        criterion: criterion.display,
        date: when,
        finding: criterion.status === "met" ? "Present (supports the criterion)" : "Recorded absent",
        what: evidenceWhat(resource, names),
        status: evidenceStatus(resource),
      });
    }
  }
  return { points, undated };
}

const UNREAD_WORDS = {
  DiagnosticReport: "diagnostic reports",
  MedicationRequest: "medication orders",
  MedicationAdministration: "medication administrations",
  MedicationStatement: "medication statements",
  Medication: "medication details",
  Procedure: "procedures",
  ServiceRequest: "orders for therapies and tests",
};

const EPISODE = { true: "Earlier episode", false: "This episode" };

/** The chart's key in words: only what the chart shows. */
function renderLegend(items, events) {
  const legend = $("timeline-legend");
  const kinds = new Set(events.map((e) => e.kind));
  const lines = [["Relapse", "– – –", "relapse"], ["Remission", "· · ·", "remission"]]
    .filter(([kind]) => kinds.has(kind));
  const parts = [];
  for (const [, key, words] of [...lines, [null, "——", "today"]]) {
    const span = document.createElement("span");
    span.className = "key";
    span.textContent = key;
    parts.push(span, ` ${words}, `);
  }
  parts[parts.length - 1] = " today; each line is labelled with its date.";
  const treatmentsKey = items.some((i) => i.start)
    ? " A treatment bar that reaches today is ongoing; ◆ given on one day; ▶ ordered, not yet given." : "";
  legend.replaceChildren("Lines: ", ...parts, treatmentsKey);
}

function renderTreatmentTable(items) {
  const table = $("treatments");
  const body = table.querySelector("tbody");
  body.replaceChildren();
  table.hidden = items.length === 0;
  const sorted = [...items].sort((a, b) => (a.start || "9999").localeCompare(b.start || "9999"));
  for (const item of sorted) {
    const row = document.createElement("tr");
    row.dataset.reference = item.reference;
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = item.name;
    const cells = [item.when, item.ordered ? "Ordered" : EPISODE[item.earlier],
      `${item.record} (${item.status})`].map((text) => {
      const cell = document.createElement("td");
      cell.textContent = text;
      return cell;
    });
    row.append(name, ...cells);
    body.append(row);
  }
}

async function renderTimeline({ criteria, byReference, names, items, events, carePlan, unread }) {
  const { points, undated } = findingsOf(criteria, byReference, names);
  const note = [];
  if (points.length === 0) note.push("No dated evidence for any criterion in the record.");
  if (undated) note.push(`${plural(undated, "piece of evidence has", "pieces of evidence have")} no date and ${undated === 1 ? "is" : "are"} listed in the table only.`);
  const undatedTreatments = items.filter((i) => !i.start).length;
  if (undatedTreatments) note.push(`${plural(undatedTreatments, "treatment record has", "treatment records have")} no date and ${undatedTreatments === 1 ? "is" : "are"} listed below only.`);
  $("timeline-note").textContent = note.join(" ");
  $("course-heading").textContent = items.length ? "The course: findings, treatments, relapses" : "Timeline of the evidence";
  renderTreatmentTable(items);
  renderLegend(items, events);
  const unclassified = ((carePlan && carePlan.note) || []).map((n) => n.text).filter(Boolean);
  if (unread.length) {
    const words = unread.map((type) => UNREAD_WORDS[type] || type).join(", ");
    unclassified.push(`The EHR did not let the app read the patient's ${words}: the plan and the timeline may miss what was given.`);
  }
  $("course-notes").replaceChildren(...unclassified.map((text) => Object.assign(document.createElement("p"), { textContent: text })));
  $("course-notes").hidden = unclassified.length === 0;
  if (points.length === 0 && items.every((i) => !i.start)) { $("timeline").replaceChildren(); return; }
  const today = isoToday();
  const draw = () => vegaEmbed("#timeline", timelineSpec({
    findings: points, items, events, today, width: plotWidth($("timeline")),
    criteria: criteria.map((c) => c.display),
  }), { actions: false, renderer: "svg" });
  await draw();
  let pending = null;
  let width = $("timeline").clientWidth;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      if ($("timeline").clientWidth !== width) { width = $("timeline").clientWidth; draw(); }
    }, 100);
  });
}

/** The episode in one line at the top: "In relapse since …", or "In remission since …". */
function renderEpisode(events, rationale, today) {
  const since = /In relapse since (\d{4}-\d{2}-\d{2})\./.exec(rationale || "");
  const days = (date) => Math.round((Date.parse(today) - Date.parse(date)) / 864e5);
  const remissions = events.filter((e) => e.kind === "Remission");
  const remission = remissions[remissions.length - 1];
  let text = "";
  if (since) {
    const before = remissions.filter((e) => e.date < since[1]).pop();
    text = `In relapse since ${since[1]} (${plural(days(since[1]), "day", "days")} ago).` +
      (before ? ` Previous remission from ${before.date}.` : "");
  } else if (remission && !events.some((e) => e.kind === "Relapse" && e.date > remission.date)) {
    text = `In remission since ${remission.date}.`;
  }
  $("risk-course").textContent = text;
  $("risk-course").hidden = !text;
}

function byTypeOf(bundle, type) {
  return (bundle.entry || []).map((e) => e.resource).filter((r) => r && r.resourceType === type);
}

async function postJson(url, body) {
  let answer;
  try {
    answer = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/fhir+json", accept: "application/fhir+json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new UserFacingError("The OMS decision-support service is not answering. Try again in a minute.");
  }
  const document_ = await answer.json().catch(() => null);
  if (!answer.ok) {
    const issue = ((document_ && document_.issue) || [])[0] || {};
    const detail = issue.diagnostics || (issue.details || {}).text || `status ${answer.status}`;
    throw new UserFacingError(`The OMS decision-support service could not assess this record: ${detail}`);
  }
  return document_;
}

function fhirUserReference(client) {
  const type = client.getUserType();
  const id = client.getUserId();
  return type && id ? `${type}/${id}` : null;
}

function setupSave(client, input) {
  const button = $("save");
  const status = $("save-status");
  let saving = false;
  button.addEventListener("click", async () => {
    if (saving) return; // a second press while saving writes nothing
    saving = true;
    button.disabled = true;
    status.textContent = "Saving to the chart…";
    try {
      const author = fhirUserReference(client);
      const transaction = await postJson(
        `../fhir/$oms-write-back${author ? `?author=${encodeURIComponent(author)}` : ""}`, input);
      let answer;
      try {
        answer = await client.request({
          url: client.state.serverUrl,
          method: "POST",
          body: JSON.stringify(transaction),
          headers: { "content-type": "application/fhir+json" },
        });
      } catch (e) {
        throw new UserFacingError(`Not saved. ${fhirErrorMessage(e)}`);
      }
      const created = (answer.entry || []).filter((e) => String((e.response || {}).status).startsWith("201")).length;
      status.textContent = created
        ? "✔ Saved to the chart: the assessment, its plan (draft) and a provenance record."
        : "✔ Already in the chart: this assessment was saved before, nothing new was written.";
      document.body.dataset.saved = created ? "created" : "existing";
      button.textContent = "Saved";
    } catch (e) {
      status.textContent = e instanceof UserFacingError ? e.message : "Not saved: an unexpected error occurred.";
      status.className = "error";
      document.body.dataset.saved = "error";
      button.disabled = false;
      saving = false;
    }
  });
}

async function main() {
  const params = new URLSearchParams(window.location.search);
  if (params.get("error")) {
    showError(params.get("error") === "access_denied"
      ? "Access to the patient's record was not granted, so no assessment can be shown. " +
        "Open the app again from the EHR and choose Allow to use it."
      : "The EHR refused to sign the app in. Open the app again from the EHR; if this repeats, tell the EHR support team.");
    return;
  }
  let client;
  try {
    client = await FHIR.oauth2.ready();
  } catch (e) {
    // fhirclient forgets the session after a 401, so this is also what a reload shows then.
    showError("There is no open session with the EHR: it has expired, or the app was not " +
      "opened by the EHR. Open the app again from the EHR.");
    return;
  }
  try {
    if (!client.patient.id) {
      throw new UserFacingError("The EHR did not say which patient to assess. Open the app from a patient's chart.");
    }
    let record;
    const namesLoaded = Names.load();
    try {
      record = await readRecord(client);
    } catch (e) {
      throw e instanceof RecordError ? new UserFacingError(fhirErrorMessage(e.cause)) : e;
    }
    renderBanner(client, record.patient);
    if (record.conditions.length + record.observations.length === 0) {
      throw new UserFacingError("This patient has no Conditions or Observations in the record, so the " +
        "OMS criteria cannot be assessed. Record the examination findings first.");
    }
    $("status").textContent = "Assessing…";
    const input = inputBundle(client, record);
    const result = await postJson("../fhir/$oms-assess", input);
    const riskAssessment = byTypeOf(result, "RiskAssessment")[0];
    const carePlan = byTypeOf(result, "CarePlan")[0] || null;
    const provenance = byTypeOf(result, "Provenance")[0] || {};
    const names = await namesLoaded;
    const byReference = new Map([...record.conditions, ...record.observations, ...record.others]
      .map((r) => [`${r.resourceType}/${r.id}`, r]));
    const prediction = (riskAssessment.prediction || [])[0] || {};
    const risk = (((prediction.qualitativeRisk || {}).coding || [])[0] || {}).code || "low";
    const criteria = criteriaOf(riskAssessment);
    const plan = planItems(carePlan);
    const met = criteria.filter((c) => c.status === "met").length;
    $("risk-level").textContent = `${RISK_TEXT[risk] || risk} (${met} of ${criteria.length} criteria met)`;
    $("risk").dataset.risk = risk;
    $("risk-summary").textContent = RISK_SUMMARY[risk] || "";
    $("risk-rationale").textContent = prediction.rationale || "";
    $("risk-preliminary").hidden = riskAssessment.status !== "preliminary";
    const today = isoToday();
    const items = treatments(carePlan, byReference, names, today);
    const events = courseEvents(record.conditions, prediction.rationale, names, names.diagnosis);
    renderEpisode(events, prediction.rationale, today);
    renderCriteria(criteria, byReference, plan, names);
    const byItem = new Map(items.map((i) => [i.reference, i]));
    renderPlan(carePlan, plan, (reference) => byItem.get(reference));
    const device = (provenance.contained || []).find((r) => r.resourceType === "Device") || {};
    const version = ((device.version || [])[0] || {}).value || "unknown";
    const computed = new Date(result.timestamp).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    $("computed").textContent = `Computed by oms-cds ${version} on ${computed} ` +
      `from ${plural(record.conditions.length, "Condition", "Conditions")}, ${plural(record.observations.length, "Observation", "Observations")} ` +
      `and ${plural(record.others.length, "other record", "other records")} (reports, medications, procedures, orders). ` +
      "oms-cds stores no patient data.";
    setupSave(client, input);
    $("status").hidden = true;
    $("assessment").hidden = false;
    await renderTimeline({ criteria, byReference, names, items, events, carePlan, unread: record.unread });
    document.body.dataset.state = "ready";
  } catch (e) {
    showError(e instanceof UserFacingError ? e.message
      : "An unexpected error stopped the assessment. Open the app again from the EHR.");
  }
}

main();
