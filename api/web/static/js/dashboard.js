// Supervisors and auditors: SLA compliance, backlog and ratings as charts (each with its table),
// and the per-element bottleneck figures as a heat map on the procedure's diagram.
import { api, session } from "./api.js";
import { h, loadScript, notice, table } from "./dom.js";
import { currentLanguage, optionLabel, procedureName, t } from "./i18n.js";
import { elementsOf, showDiagram } from "./bpmn.js";

const COLORS = ["#0b4f8a", "#a4161a", "#1d6b32", "#7a4f00"];
// Dark enough for white text at every step (contrast >= 4.5:1).
// Heat levels, low to high: their colours are app.css's .heat-0 ... .heat-4 (no inline style: the CSP).
const HEAT = [0, 1, 2, 3, 4];

function sum(rows, key) { return rows.reduce((total, row) => total + (row[key] || 0), 0); }

function byProcedure(rows) {
  const groups = new Map();
  for (const row of rows) groups.set(row.procedure, [...(groups.get(row.procedure) || []), row]);
  return groups;
}

/** A bar chart with its data table. ``keys`` are the procedures the labels name; ``drill(key,
 * dataset index)`` gives the cases behind a bar (a #/audit link with the case search's filters):
 * a click on a bar opens them, and each number of the table is that link. */
function chartFigure(id, title, keys, datasets, options = {}, drill = null) {
  const labels = keys.map((key) => procedureName(key));
  const canvas = h("canvas", { id: `${id}-canvas`, role: "img", "aria-label": `${title}: ${labels.map((label, index) =>
    `${label} ${datasets.map((set) => `${set.label} ${set.data[index] ?? "—"}`).join(", ")}`).join("; ")}` });
  const figure = h("figure", { class: "panel", id, "aria-labelledby": `${id}-title` },
    h("figcaption", { id: `${id}-title` }, h("strong", {}, title)));
  if (!labels.length) { figure.append(h("p", {}, t("no_data"))); return figure; }
  const cell = (key, set, index) => {
    const text = String(set.data[index] ?? "—");
    return drill ? h("a", { href: drill(key, datasets.indexOf(set)), "data-drill": `${id}:${key}:${datasets.indexOf(set)}`,
      "aria-label": `${procedureName(key)} ${set.label} ${text}: ${t("drill_cases")}` }, text) : text;
  };
  figure.append(h("div", { class: "chart-box" }, canvas),
    h("details", { open: !!drill }, h("summary", {}, `${title}${drill ? ` — ${t("drill_hint")}` : ""}`),
      table(null, ["", ...datasets.map((set) => set.label)],
        keys.map((key, index) => [procedureName(key), ...datasets.map((set) => cell(key, set, index))]))));
  requestAnimationFrame(() => {
    const chart = new window.Chart(canvas, { type: "bar", data: { labels, datasets: datasets.map((set, index) =>
      ({ backgroundColor: COLORS[index % COLORS.length], ...set })) },
    options: { animation: false, responsive: true, maintainAspectRatio: false, ...options,
      onClick: drill ? (event) => {
        const [bar] = chart.getElementsAtEventForMode(event, "nearest", { intersect: true }, false);
        if (bar) location.hash = drill(keys[bar.index], bar.datasetIndex);
      } : undefined,
      onHover: drill ? (event, bars) => { event.native.target.style.cursor = bars.length ? "pointer" : "default"; } : undefined } });
  });
  return figure;
}

const SHARE_UNITS = new Set(["share"]);

function shown(value, unit) {
  if (value === null || value === undefined) return "—";
  return SHARE_UNITS.has(unit) ? `${(value * 100).toFixed(1)}%` : String(value);
}

function ragBadge(status) {
  return status ? h("span", { class: `badge rag-${status}` }, t(`rag_${status}`)) : "—";
}

/** The month's review (平時查核): each indicator against the office's target, red/amber/green,
 * and the change from the month before; the annual review (年度查核) as CSV or PDF. */
function reviewSection() {
  const month = h("input", { type: "month", id: "review-month" });
  const body = h("div", { id: "review-table" });
  const message = h("div");
  const section = h("section", { "aria-labelledby": "review-heading" }, h("h2", { id: "review-heading" }, t("review_title")),
    h("form", { class: "actions", onsubmit: (event) => { event.preventDefault(); load(); } },
      h("label", { for: "review-month" }, t("review_month")), month,
      h("button", { type: "submit", class: "secondary", id: "review-show" }, t("show")),
      h("button", { type: "button", class: "secondary", id: "annual-csv", onclick: () => download("csv") }, t("annual_csv")),
      h("button", { type: "button", class: "secondary", id: "annual-pdf", onclick: () => download("pdf") }, t("annual_pdf"))),
    message, body);

  async function load() {
    const review = await api(`/api/reports/review${month.value ? `?month=${month.value}` : ""}`);
    if (!month.value) month.value = review.month; // the month shown, not an empty field
    const name = (row) => (currentLanguage() === "en" ? row.name_en : row.name_zh);
    body.replaceChildren(table(t("review_caption", { month: review.month }),
      [t("review_indicator"), t("review_value"), t("review_target"), t("review_status"), t("review_previous"), t("review_change")],
      review.indicators.map((row) => [name(row), shown(row.value, row.unit), shown(row.target, row.unit), ragBadge(row.status),
        shown(row.previous, row.unit), row.change === null ? "—" : shown(row.change, row.unit)]), { id: "review-indicators" }),
      ...reviewDetails(review));
  }

  async function download(format) {
    const year = (month.value || new Date().toISOString()).slice(0, 4);
    try {
      const response = await fetch(`/api/reports/annual?year=${year}&format=${format}`, { headers: { Authorization: `Bearer ${session.token}` } });
      if (!response.ok) throw new Error((await response.json().catch(() => ({}))).detail || `HTTP ${response.status}`);
      const link = h("a", { href: URL.createObjectURL(await response.blob()), download: `annual-review-${year}.${format}` });
      document.body.append(link); link.click(); link.remove();
    } catch (failure) { message.replaceChildren(notice("bad", failure.message)); }
  }
  return { section, load };
}

/** The figures behind the month's indicators, each a table under its own heading: complaints by
 * category and source, the counter by counter and by hour of the day, the surveys by service type
 * against the month before. */
function reviewDetails(review) {
  const figures = review.figures;
  const before = new Map((review.previous_figures?.surveys_by_type || []).map((row) => [row.survey, row.satisfied]));
  const section = (id, title, columns, rows) => h("details", { class: "review-detail", id, open: true },
    h("summary", {}, title), rows.length ? table(null, columns, rows) : h("p", {}, t("no_data")));
  const hour = (value) => `${String(value).padStart(2, "0")}:00–${String(value + 1).padStart(2, "0")}:00`;
  const counterRows = (rows, key, label) => rows.map((row) => [label(row[key]), String(row.tickets), String(row.no_shows),
    shown(row.waiting_minutes), shown(row.service_minutes)]);
  const counterColumns = (first) => [first, t("tickets"), t("no_shows"), t("waiting_minutes"), t("service_minutes")];
  return [
    section("review-complaints", t("complaints_by_category"),
      [t("complaint_category"), t("complaint_source"), t("received_count"), t("answered_count"), t("answered_on_time"), t("answer_days")],
      (figures.complaints_by_category || []).map((row) => [row.category === "unclassified" ? t("unclassified") : optionLabel(row.category),
        optionLabel(row.source), String(row.received),
        String(row.answered), String(row.answered_on_time), shown(row.answer_median_working_days)])),
    section("review-counters", t("counter_by_counter"), counterColumns(t("counter_number")),
      counterRows(figures.counter_by_counter || [], "counter", (value) => t("counter_n", { n: value }))),
    section("review-hours", t("counter_by_hour"), counterColumns(t("hour_of_day")),
      counterRows(figures.counter_by_hour || [], "hour", hour)),
    section("review-surveys", t("surveys_by_type"), [t("survey_type"), t("respondents"), t("satisfied_share"), t("review_previous")],
      (figures.surveys_by_type || []).map((row) => [t(`survey_${row.survey}`), String(row.respondents), shown(row.satisfied, "share"),
        shown(before.get(row.survey), "share")])),
  ];
}

/** The office's month so far: the first of this month to today (office time). */
function thisMonth() {
  const today = new Date().toLocaleDateString("en-CA", { timeZone: "Asia/Taipei" });
  return { first: `${today.slice(0, 8)}01`, last: today };
}

export async function dashboardPage(main, params) {
  await loadScript("/app/vendor/chart.js/chart.umd.min.js");
  const definitions = await api("/api/definitions");
  const month = thisMonth();
  const first = h("input", { type: "date", id: "period-first", value: params?.get("from") || month.first });
  const last = h("input", { type: "date", id: "period-last", value: params?.get("to") || month.last });
  const charts = h("div", { class: "grid-3", id: "charts" });
  const heatProcedure = h("select", { id: "heat-procedure" }, definitions.map((definition) =>
    h("option", { value: definition.key }, `${definition.name || definition.key} (${definition.key})`)));
  const measure = h("select", { id: "heat-measure" }, ["waiting_median", "working_median", "breach_rate"].map((key) =>
    h("option", { value: key }, t(key))));
  const heat = h("div", { id: "heatmap" });
  const review = reviewSection();
  main.append(h("h1", {}, t("dashboard_title")),
    h("form", { class: "actions", onsubmit: (event) => { event.preventDefault(); loadCharts(); if (definitions.length) loadHeat(); } },
      h("label", { for: "period-first" }, t("period_from")), first,
      h("label", { for: "period-last" }, t("period_to")), last,
      h("button", { type: "submit", class: "secondary" }, t("show"))),
    charts,
    review.section,
    h("section", { "aria-labelledby": "heat-heading" }, h("h2", { id: "heat-heading" }, t("heatmap")),
      h("form", { class: "actions", onsubmit: (event) => { event.preventDefault(); loadHeat(); } },
        h("label", { for: "heat-procedure" }, t("procedure")), heatProcedure,
        h("label", { for: "heat-measure" }, t("heat_measure")), measure,
        h("button", { type: "submit", id: "heat-button" }, t("show"))), heat));

  function period() {
    const query = new URLSearchParams();
    if (first.value) query.set("from", first.value);
    if (last.value) query.set("to", last.value);
    return query;
  }

  async function loadCharts() {
    const [sla, backlog, ratings] = await Promise.all(["sla", "backlog", "ratings"].map((name) => api(`/api/reports/${name}?${period()}`)));
    const slaGroups = byProcedure(sla.rows);
    const slaLabels = [...slaGroups.keys()];
    const compliance = slaLabels.map((key) => {
      const rows = slaGroups.get(key);
      const judged = sum(rows, "on_time") + sum(rows, "late");
      return judged ? Math.round((1000 * sum(rows, "on_time")) / judged) / 10 : null;
    });
    const ratingGroups = byProcedure(ratings.rows);
    const ratingLabels = [...ratingGroups.keys()];
    const means = ratingLabels.map((key) => {
      const rows = ratingGroups.get(key);
      const count = sum(rows, "ratings");
      return count ? Math.round((100 * rows.reduce((total, row) => total + row.mean * row.ratings, 0)) / count) / 100 : null;
    });
    // Each figure opens the cases behind it: the audit page's list, with the case search's filters.
    const cases = (filters) => `#/audit?${new URLSearchParams({ ...filters, from: first.value, to: last.value })}`;
    const axis = (title, extra = {}) => ({ ...extra, title: { display: true, text: title } });
    charts.replaceChildren(
      chartFigure("chart-sla", t("sla_chart"), slaLabels, [{ label: t("compliance"), data: compliance }],
        { scales: { x: axis(t("procedure")), y: axis(t("compliance_axis"), { min: 0, max: 100 }) } },
        (key) => cases({ procedure: key, status: "completed" })),
      chartFigure("chart-backlog", t("backlog_chart"), backlog.rows.map((row) => row.procedure),
        [{ label: t("open_cases"), data: backlog.rows.map((row) => row.open) }, { label: t("overdue"), data: backlog.rows.map((row) => row.overdue) }],
        { scales: { x: axis(t("procedure")), y: axis(t("cases_axis"), { beginAtZero: true, ticks: { precision: 0 } }) } },
        (key, set) => `#/audit?${new URLSearchParams({ procedure: key, status: "running", ...(set === 1 ? { overdue: "true" } : {}) })}`),
      chartFigure("chart-ratings", t("ratings_chart"), ratingLabels, [{ label: t("mean"), data: means }],
        { scales: { x: axis(t("procedure")), y: axis(t("mean_axis"), { min: 0, max: 5 }) } },
        (key) => cases({ procedure: key, status: "completed" })));
  }

  async function loadHeat() {
    const key = heatProcedure.value;
    const [report, detail] = await Promise.all([api(`/api/reports/steps?procedure=${key}&${period()}`), api(`/api/definitions/${key}`)]);
    const versions = report.rows.map((row) => row.version);
    const version = versions.length ? Math.max(...versions) : detail.versions.at(-1).version;
    const rows = report.rows.filter((row) => row.version === version);
    const diagram = h("div", { class: "diagram", id: "heat-diagram" });
    const values = rows.map((row) => row[measure.value]).filter((value) => value !== null && value !== undefined);
    const top = Math.max(...values, 0);
    const legend = h("p", { class: "legend" }, `${t(measure.value)} (v${version}):`, ` ${t("low")}`,
      HEAT.map((level) => h("span", { class: `swatch heat-${level}` })), `${t("high")} (${top})`);
    heat.replaceChildren(legend, diagram, rows.length ? h("details", {}, h("summary", {}, t("heatmap")),
      table(null, [t("element"), t(measure.value), "instances"], rows.map((row) => [row.element_name || row.element_id,
        String(row[measure.value] ?? "—"), String(row.instances)]))) : h("p", {}, t("no_data")));
    const xml = await api(`/api/definitions/${key}/versions/${version}/bpmn`, { text: true });
    const viewer = await showDiagram(diagram, xml, `${t("heatmap")}: ${key} v${version}`);
    const overlays = viewer.get("overlays");
    const known = new Set(elementsOf(viewer).map((element) => element.id));
    for (const row of rows) {
      const value = row[measure.value];
      if (value === null || value === undefined || !known.has(row.element_id)) continue;
      const level = top > 0 ? Math.min(HEAT.length - 1, Math.floor((value / top) * (HEAT.length - 1))) : 0;
      const text = measure.value === "breach_rate" ? `${Math.round(value * 100)}%` : `${value}h`;
      // The badge opens the procedure's cases of the period (the case search has no filter by step).
      const badge = h("a", { class: `heat-badge heat-${level}`, "data-heat-for": row.element_id,
        href: `#/audit?${new URLSearchParams({ procedure: key, from: first.value, to: last.value })}`,
        "aria-label": `${row.element_name || row.element_id}: ${t(measure.value)} ${text}; ${t("drill_cases")}` }, text);
      overlays.add(row.element_id, "heat", { position: { bottom: 12, left: -6 }, html: badge });
    }
    heat.dataset.version = String(version);
  }

  await loadCharts();
  await review.load();
  if (definitions.length) await loadHeat();
}
