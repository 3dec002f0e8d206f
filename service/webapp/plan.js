// The CarePlan as a checklist that follows the course: each item's status in words (an icon
// only repeats it), what was given (the service's progress text) and the records behind it.

export const PLAN_STATUS = {
  "in-progress": { text: "In progress", icon: "▶" },
  completed: { text: "Completed", icon: "✔" },
  scheduled: { text: "Scheduled", icon: "◷" },
  "on-hold": { text: "On hold", icon: "‖" },
  "not-started": { text: "Not started", icon: "○" },
};
const SUMMARY_ORDER = ["in-progress", "completed", "on-hold", "scheduled", "not-started"];

export function planItems(carePlan) {
  return ((carePlan && carePlan.activity) || []).map((activity) => {
    const detail = activity.detail || {};
    const coding = ((detail.code || {}).coding || [])[0] || {};
    return {
      code: coding.code || "",
      title: coding.display || coding.code || "Activity",
      description: detail.description || "",
      status: detail.status || "not-started",
      progress: ((activity.progress || [])[0] || {}).text || "",
      references: (activity.outcomeReference || []).map((r) => r.reference),
    };
  });
}

function therapy(carePlan) {
  return (carePlan.instantiatesCanonical || []).some((url) => url.includes("/PlanDefinition/oms-therapy-checklist"));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** "2 in progress, 1 completed, 1 scheduled, 11 not started" */
function summary(plan) {
  const counts = {};
  for (const item of plan) counts[item.status] = (counts[item.status] || 0) + 1;
  return SUMMARY_ORDER.filter((s) => counts[s])
    .map((s) => `${counts[s]} ${(PLAN_STATUS[s] || { text: s }).text.toLowerCase()}`).join(", ");
}

/** `recordOf(reference)`: a treatment of course.js (name, words, record, status) or undefined. */
export function renderPlan(carePlan, plan, recordOf) {
  const list = document.getElementById("plan");
  const intro = document.getElementById("plan-intro");
  list.replaceChildren();
  if (!carePlan) {
    intro.textContent = "No plan is proposed at low risk. Reassess if new signs appear.";
    return;
  }
  const tracked = plan.some((item) => item.status !== "not-started" || item.progress);
  intro.textContent = `${carePlan.title} (${plan.length} ${plan.length === 1 ? "item" : "items"}), proposed as a draft plan.` +
    (tracked ? ` In the current episode: ${summary(plan)}.`
      : therapy(carePlan) ? " The record shows none of its treatments given or ordered yet." : "");
  for (const item of plan) {
    const li = element("li");
    li.dataset.code = item.code;
    li.dataset.status = item.status;
    const words = PLAN_STATUS[item.status] || { text: item.status, icon: "?" };
    const status = element("span", `plan-status plan-status-${item.status}`);
    const icon = element("span", "icon", words.icon);
    icon.setAttribute("aria-hidden", "true");
    status.append(icon, ` ${words.text}`);
    const body = element("div", "plan-body");
    const title = element("strong", "", item.title);
    body.append(title, `: ${item.description}`);
    if (item.progress) {
      const earlier = item.code === "review-drug-responses";
      const given = element("p", "given");
      given.append(element("span", "given-label", earlier ? "Given in earlier episodes: " : "Given: "), item.progress);
      body.append(given);
    }
    const records = item.references.map(recordOf).filter(Boolean);
    if (records.length) {
      const ul = element("ul", "records");
      ul.setAttribute("aria-label", `Records behind "${item.title}"`);
      for (const record of records) {
        ul.append(element("li", "", `${record.record}: ${record.words} (record status ${record.status})`));
      }
      body.append(ul);
    }
    li.append(status, body);
    list.append(li);
  }
}
