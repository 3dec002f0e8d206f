// The redirect URI: finish the SMART authorization, read the patient's Conditions and
// Observations with the clinician's token, have oms-cds assess them (same origin), render.
// Nothing is stored by oms-cds; "Save to chart" writes to the EHR with the clinician's token.
"use strict";

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

function evidenceValue(resource) {
  if (resource.valueCodeableConcept) return codingDisplay(resource.valueCodeableConcept);
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

function planItems(carePlan) {
  return ((carePlan && carePlan.activity) || []).map((activity) => {
    const detail = activity.detail || {};
    const coding = ((detail.code || {}).coding || [])[0] || {};
    return { code: coding.code || "", title: coding.display || coding.code || "Activity", description: detail.description || "" };
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

function renderCriteria(criteria, byReference, plan) {
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
          const value = evidenceValue(resource);
          const what = codingDisplay(resource.code) + (value ? `: ${value}` : "");
          const when = evidenceDate(resource);
          item.textContent = `${what} (${resource.resourceType}; ${when ? when.slice(0, 10) : "undated"}; ${evidenceStatus(resource)})`;
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

async function renderTimeline(criteria, byReference) {
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
        what: codingDisplay(resource.code),
        status: evidenceStatus(resource),
      });
    }
  }
  const note = [];
  if (points.length === 0) note.push("No dated evidence for any criterion in the record.");
  if (undated) note.push(`${plural(undated, "piece of evidence has", "pieces of evidence have")} no date and ${undated === 1 ? "is" : "are"} listed in the table only.`);
  $("timeline-note").textContent = note.join(" ");
  if (points.length === 0) { $("timeline").replaceChildren(); return; }
  const times = points.map((p) => Date.parse(p.date)).filter((t) => !Number.isNaN(t));
  const spanDays = (Math.max(...times) - Math.min(...times)) / 864e5;
  const xAxis = spanDays > 90
    ? { format: "%b %Y", labelAngle: 0, tickCount: { interval: "month", step: 1 } }
    : { format: "%d %b %Y", labelAngle: 0, tickCount: 5 };
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: `Timeline of ${plural(points.length, "dated piece", "dated pieces")} of evidence per OMS criterion`,
    width: "container",
    height: { step: 44 },
    data: { values: points },
    mark: { type: "point", filled: true, size: 160, strokeWidth: 2, tooltip: true },
    encoding: {
      x: { field: "date", type: "temporal", title: "Date recorded", scale: { padding: 18 }, axis: xAxis },
      y: { field: "criterion", type: "nominal", title: null, sort: criteria.map((c) => c.display),
           scale: { domain: criteria.map((c) => c.display) }, axis: { labelLimit: 260, labelFontSize: 13 } },
      shape: { field: "finding", type: "nominal", title: "Finding",
               scale: { domain: ["Present (supports the criterion)", "Recorded absent"], range: ["circle", "cross"] } },
      color: { field: "finding", type: "nominal", title: "Finding",
               scale: { domain: ["Present (supports the criterion)", "Recorded absent"], range: ["#1f5fa8", "#a33b00"] } },
      tooltip: [
        { field: "criterion", title: "Criterion" },
        { field: "what", title: "Finding" },
        { field: "date", type: "temporal", title: "Date", format: "%d %b %Y" },
        { field: "status", title: "Status" },
      ],
    },
    config: { font: "system-ui, sans-serif", axis: { labelFontSize: 12, titleFontSize: 13 }, legend: { orient: "bottom", labelFontSize: 12, labelLimit: 400 } },
  };
  await vegaEmbed("#timeline", spec, { actions: false, renderer: "svg" });
}

function renderPlan(carePlan, plan) {
  const list = $("plan");
  list.replaceChildren();
  if (!carePlan) {
    $("plan-intro").textContent = "No plan is proposed at low risk. Reassess if new signs appear.";
    return;
  }
  $("plan-intro").textContent = `${carePlan.title} (${plural(plan.length, "item", "items")}), proposed as a draft plan.`;
  plan.forEach((item, n) => {
    const li = document.createElement("li");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = `plan-item-${n}`;
    const label = document.createElement("label");
    label.htmlFor = box.id;
    const title = document.createElement("strong");
    title.textContent = item.title;
    label.append(title, `: ${item.description}`);
    li.append(box, label);
    list.append(li);
  });
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

async function readRecord(client) {
  const patientId = client.patient.id;
  if (!patientId) throw new UserFacingError("The EHR did not say which patient to assess. Open the app from a patient's chart.");
  const options = { pageLimit: 0, flat: true };
  try {
    const [patient, conditions, observations] = await Promise.all([
      client.patient.read(),
      client.request(`Condition?patient=${encodeURIComponent(patientId)}&_count=200`, options),
      client.request(`Observation?patient=${encodeURIComponent(patientId)}&_count=200`, options),
    ]);
    return { patient, conditions, observations };
  } catch (e) {
    throw new UserFacingError(fhirErrorMessage(e));
  }
}

function inputBundle(client, record) {
  const base = client.state.serverUrl.replace(/\/$/, "");
  const resources = [record.patient, ...record.conditions, ...record.observations];
  return {
    resourceType: "Bundle",
    type: "collection",
    entry: resources.map((r) => ({ fullUrl: `${base}/${r.resourceType}/${r.id}`, resource: r })),
  };
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
    const record = await readRecord(client);
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
    const byReference = new Map([...record.conditions, ...record.observations].map((r) => [`${r.resourceType}/${r.id}`, r]));
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
    renderCriteria(criteria, byReference, plan);
    renderPlan(carePlan, plan);
    const device = (provenance.contained || []).find((r) => r.resourceType === "Device") || {};
    const version = ((device.version || [])[0] || {}).value || "unknown";
    const computed = new Date(result.timestamp).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    $("computed").textContent = `Computed by oms-cds ${version} on ${computed} ` +
      `from ${plural(record.conditions.length, "Condition", "Conditions")} and ${plural(record.observations.length, "Observation", "Observations")}. ` +
      "oms-cds stores no patient data.";
    setupSave(client, input);
    $("status").hidden = true;
    $("assessment").hidden = false;
    await renderTimeline(criteria, byReference);
    document.body.dataset.state = "ready";
  } catch (e) {
    showError(e instanceof UserFacingError ? e.message
      : "An unexpected error stopped the assessment. Open the app again from the EHR.");
  }
}

main();
