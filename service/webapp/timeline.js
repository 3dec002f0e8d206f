// One timeline of the course: the findings of each criterion (top), the treatments as bars
// (bottom; an ongoing one runs to today), relapses, remissions and today as vertical lines.
// Readable without colour: every bar and line carries words, findings differ by shape, and
// relapse (dashed) and remission (dotted) lines differ by pattern.

const PRESENT = "Present (supports the criterion)";
const ABSENT = "Recorded absent";
const DAY = 864e5;
const LABEL_WIDTH = 260; // the y axis labels, beside the plot
const CHAR = 6.6; // px per character of a 12px label, to keep labels apart

function time(date) {
  return Date.parse(`${date}T00:00:00Z`);
}

/** The greedy level (0, 1, …) of each label so that labels on one level do not overlap. */
function stagger(items, scale, textOf) {
  const ends = [];
  for (const item of items) {
    const x = scale(item.x);
    const width = textOf(item).length * CHAR + 8;
    const left = item.align === "right" ? x - width : x;
    let level = ends.findIndex((end) => end < left);
    if (level < 0) level = ends.length;
    ends[level] = left + width;
    item.level = level;
  }
}

/** Month ticks far enough apart for their labels ("Apr 2025" needs ~70 px) at this width. */
function xAxis(spanDays, width) {
  const fit = Math.max(Math.floor(width / 80), 2);
  if (spanDays <= 90) return { format: "%d %b %Y", labelAngle: 0, tickCount: Math.min(fit, 5) };
  const months = spanDays / 30.4;
  const step = [1, 2, 3, 6, 12, 24].find((n) => months / n <= fit) || 48;
  return { format: "%b %Y", labelAngle: 0, labelOverlap: true, tickCount: { interval: "month", step } };
}

/**
 * The Vega-Lite spec. `findings`: [{criterion, date, finding (present/absent), what, status}];
 * `items`: treatments (course.js); `events`: [{kind, date}]; `criteria`: row order.
 */
export function timelineSpec({ findings, items, events, criteria, today, width }) {
  const dated = items.filter((i) => i.start);
  const dates = [...findings.map((f) => f.date.slice(0, 10)), ...dated.map((i) => i.start),
    ...dated.map((i) => i.end).filter(Boolean), ...events.map((e) => e.date), today];
  const first = Math.min(...dates.map(time));
  const last = Math.max(...dates.map(time));
  const pad = Math.max((last - first) * 0.03, 7 * DAY);
  const domain = [first - pad, last + pad];
  const scale = (date) => ((time(date) - domain[0]) / (domain[1] - domain[0])) * width;
  const x = { type: "temporal", scale: { domain }, title: null, axis: xAxis((last - first) / DAY, width) };
  const xBare = { ...x, axis: { ...x.axis, labels: false, ticks: false, domain: false } };

  const lines = [
    ...events.map((e) => ({ ...e, label: `${e.kind} ${e.date}` })),
    { kind: "Today", date: today, label: `Today ${today}` },
  ].map((e) => ({ ...e, x: e.date, align: scale(e.date) > width * 0.75 ? "right" : "left" }));
  stagger(lines, scale, (e) => e.label);
  const lineLevels = Math.max(...lines.map((e) => e.level)) + 1;
  const dash = { field: "kind", type: "nominal", legend: null,
    scale: { domain: ["Relapse", "Remission", "Today"], range: [[8, 4], [2, 3], [1, 0]] } };
  const rule = { data: { values: lines }, mark: { type: "rule", strokeWidth: 2, color: "#333" },
    encoding: { x: { field: "date", ...x }, strokeDash: dash } };
  // Each label twice: a white halo under the words, so a line crossing them does not hide them.
  const texts = (values, encoding, mark = {}, xScale = x) => ["left", "right"].flatMap((align) =>
    [{ stroke: "#ffffff", strokeWidth: 4, strokeJoin: "round" }, {}].map((halo) => ({
      data: { values },
      transform: [{ filter: `datum.align === '${align}'` }],
      mark: { type: "text", align, dx: align === "left" ? 4 : -4, fontSize: 12, color: "#1b1b1b", ...mark, ...halo },
      encoding: { x: { field: "x", ...xScale }, text: { field: "label" }, ...encoding },
    })));

  const eventsView = {
    width,
    height: lineLevels * 17,
    layer: [
      { ...rule, encoding: { ...rule.encoding, x: { field: "date", ...xBare } } },
      ...texts(lines, { y: { field: "level", type: "ordinal", axis: null,
                             scale: { domain: [...Array(lineLevels).keys()] } } }, { fontWeight: "bold" }, xBare),
    ],
  };

  const findingsView = {
    title: { text: "Findings per criterion", anchor: "start", fontSize: 14 },
    width,
    height: { step: 40 },
    layer: [
      rule,
      { data: { values: findings },
        mark: { type: "point", filled: true, size: 160, strokeWidth: 2, tooltip: true },
        encoding: {
          x: { field: "date", ...x },
          y: { field: "criterion", type: "nominal", title: null, sort: criteria,
               scale: { domain: criteria }, axis: { labelLimit: LABEL_WIDTH, labelFontSize: 13 } },
          shape: { field: "finding", type: "nominal", title: "Finding",
                   scale: { domain: [PRESENT, ABSENT], range: ["circle", "cross"] } },
          color: { field: "finding", type: "nominal", title: "Finding",
                   scale: { domain: [PRESENT, ABSENT], range: ["#1f5fa8", "#a33b00"] } },
          tooltip: [
            { field: "criterion", title: "Criterion" },
            { field: "what", title: "Finding" },
            { field: "date", type: "temporal", title: "Date", format: "%Y-%m-%d" },
            { field: "status", title: "Status" },
          ],
        } },
    ],
  };

  const bars = dated.map((i) => {
    const end = i.ongoing ? today : (i.end || i.start);
    const right = scale(i.start) > width * 0.6;
    return {
      row: i.name, start: i.start, end, single: end === i.start && !i.ongoing, ordered: i.ordered,
      label: i.when, x: right ? end : i.start, align: right ? "right" : "left",
      kind: i.ordered ? "Ordered" : i.earlier ? "Earlier episode" : "This episode",
      record: `${i.record} (${i.status})`, slot: "mark",
    };
  });
  const views = [eventsView, findingsView];
  if (bars.length) {
    for (const row of new Set(bars.map((b) => b.row))) {
      stagger(bars.filter((b) => b.row === row), scale, (b) => b.label);
    }
    const levels = Math.max(...bars.map((b) => b.level)) + 1;
    const slots = [...[...Array(levels).keys()].reverse().map((n) => `label-${n}`), "mark"];
    const labels = bars.map((b) => ({ ...b, slot: `label-${b.level}` }));
    const rows = [...new Set([...bars].sort((a, b) => a.start.localeCompare(b.start)).map((b) => b.row))];
    const y = { field: "row", type: "nominal", title: null, sort: rows, scale: { domain: rows },
                axis: { labelLimit: LABEL_WIDTH, labelFontSize: 13 } };
    const yOffset = { field: "slot", type: "nominal", scale: { domain: slots, paddingInner: 0.2 } };
    const tooltip = [
      { field: "row", title: "Treatment" }, { field: "label", title: "Given" },
      { field: "kind", title: "Episode" }, { field: "record", title: "Record" },
    ];
    views.push({
      title: { text: "Treatments (bar: from start to end; ◆ one day; ▶ ordered)", anchor: "start", fontSize: 14 },
      width,
      height: rows.length * (18 * (levels + 1) + 12),
      layer: [
        rule,
        { data: { values: bars }, transform: [{ filter: "!datum.single && !datum.ordered" }],
          mark: { type: "bar", stroke: "#1b1b1b", strokeWidth: 1, tooltip: true },
          encoding: { x: { field: "start", ...x }, x2: { field: "end" }, y, yOffset,
            fill: { field: "kind", type: "nominal", legend: null,
                    scale: { domain: ["This episode", "Earlier episode"], range: ["#1f5fa8", "#9fb6cf"] } },
            tooltip } },
        { data: { values: bars }, transform: [{ filter: "datum.single || datum.ordered" }],
          mark: { type: "point", filled: true, size: 150, stroke: "#1b1b1b", strokeWidth: 1, tooltip: true },
          encoding: { x: { field: "start", ...x }, y, yOffset,
            shape: { field: "ordered", type: "nominal", legend: null,
                     scale: { domain: [false, true], range: ["diamond", "triangle-right"] } },
            fill: { value: "#1f5fa8" }, tooltip } },
        ...texts(labels, { y, yOffset }),
      ],
    });
  }
  return {
    vconcat: views,
    spacing: 6,
    resolve: { scale: { x: "shared", y: "independent", color: "independent", shape: "independent",
                        strokeDash: "shared" } },
    ...common(findings.length, bars.length),
  };
}

function common(findingCount, treatmentCount) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: `Timeline of ${findingCount} dated findings per OMS criterion and ${treatmentCount} treatment records, ` +
      "with relapses, remissions and today marked",
    config: { font: "system-ui, sans-serif", axis: { labelFontSize: 12, titleFontSize: 13 },
              legend: { orient: "bottom", labelFontSize: 12, labelLimit: 400 }, view: { stroke: "#c8c8c8" } },
  };
}

/** The plot width for the container: the chart is redrawn at this width on resize. */
export function plotWidth(container) {
  return Math.max(container.clientWidth - LABEL_WIDTH - 30, 240);
}
