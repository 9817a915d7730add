// The improvement loop (服務評價回饋至業務流程改善): the period's findings, ranked, each with its
// cases and its element on the diagram.
import { api } from "./api.js";
import { h, notice, table } from "./dom.js";
import { failureName, joined, localName, operationName, optionLabel, procedureName, t } from "./i18n.js";
import { showDiagram } from "./bpmn.js";
import { effectSection, whatIfSection } from "./improvement-runs.js";

/** The office's month so far: the first of this month to today (office time). */
export function thisMonth() {
  const today = new Date().toLocaleDateString("en-CA", { timeZone: "Asia/Taipei" });
  return { first: `${today.slice(0, 8)}01`, last: today };
}

const number = (value, digits = 1) => (value === null || value === undefined ? "—" : Number(value).toFixed(digits).replace(/\.0+$/, ""));
const percent = (value) => (value === null || value === undefined ? "—" : `${Math.round(value * 1000) / 10}%`);

/** What the candidate is about, in words: the step, the document, the agency check, the procedure. */
function subjectOf(candidate) {
  if (candidate.kind === "missing_document") return optionLabel(candidate.subject);
  if (candidate.kind === "agency_fallback") return `${operationName(candidate.subject)} — ${localName(candidate.element_name || candidate.element_id)}`;
  if (candidate.kind === "low_rating") return procedureName(candidate.procedure);
  return localName(candidate.element_name || candidate.element_id);
}

/** The candidate's figures, in a sentence of the page's language. */
function figuresOf(candidate) {
  switch (candidate.kind) {
    case "step_wait":
      return t("finding_step_figures", { hours: number(candidate.hours_beyond_standard), median: number(candidate.open_hours_median),
        p90: number(candidate.open_hours_p90), instances: candidate.instances });
    case "missing_document":
      return t("finding_document_figures", { rounds: candidate.notice_rounds, open: candidate.not_brought || 0 });
    case "agency_fallback":
      return t("finding_agency_figures", { failures: candidate.failures, checks: candidate.checks, share: percent(candidate.failure_share),
        errors: joined(Object.entries(candidate.errors || {}).map(([code, count]) => `${failureName(code)} ${count}`)) });
    default: {
      const categories = Object.entries(candidate.complaint_categories || {});
      return t("finding_rating_figures", { mean: number(candidate.mean, 2), low: candidate.low_ratings, ratings: candidate.ratings,
        complaints: categories.length ? joined(categories.map(([code, count]) => `${optionLabel(code)} ${count}`)) : t("finding_no_complaints") });
    }
  }
}

function casesCell(candidate) {
  const search = `#/cases?${new URLSearchParams(candidate.case_search)}`;
  const first = candidate.case_list.slice(0, 5);
  return h("div", { class: "finding-cases" },
    h("a", { href: search, "data-finding-search": String(candidate.rank) }, t("finding_cases_link", { n: candidate.cases })),
    h("ul", { class: "inline-list" }, first.map((item) => h("li", {}, h("a", { href: `#/case/${item.id}` }, item.number || item.id)))),
    candidate.case_list.length > first.length ? h("span", {}, t("finding_more_cases", { n: candidate.cases - first.length })) : null);
}

export async function improvementPage(main, params) {
  const definitions = await api("/api/definitions");
  const month = thisMonth();
  const first = h("input", { type: "date", id: "findings-from", value: params?.get("from") || month.first });
  const last = h("input", { type: "date", id: "findings-to", value: params?.get("to") || month.last });
  const procedure = h("select", { id: "findings-procedure" }, h("option", { value: "" }, t("all_procedures")),
    definitions.map((definition) => h("option", { value: definition.key, selected: params?.get("procedure") === definition.key },
      procedureName(definition.key))));
  const kind = h("select", { id: "findings-kind" }, h("option", { value: "" }, t("finding_all_kinds")),
    ["step_wait", "missing_document", "agency_fallback", "low_rating"].map((key) =>
      h("option", { value: key, selected: params?.get("kind") === key }, t(`finding_kind_${key}`))));
  const list = h("div", { id: "findings-list", "aria-live": "polite" });
  const diagram = h("section", { id: "finding-diagram", "aria-labelledby": "finding-diagram-heading", hidden: true });
  const whatIf = whatIfSection(definitions, { first: first.value, last: last.value });
  const effect = effectSection(definitions);
  main.append(h("h1", {}, t("improvement_title")), h("p", { class: "hint" }, t("improvement_intro")),
    h("section", { "aria-labelledby": "findings-heading" }, h("h2", { id: "findings-heading" }, t("findings_title")),
      h("form", { class: "actions", onsubmit: (event) => { event.preventDefault(); load(); } },
        h("label", { for: "findings-from" }, t("period_from")), first,
        h("label", { for: "findings-to" }, t("period_to")), last,
        h("label", { for: "findings-procedure" }, t("procedure")), procedure,
        h("label", { for: "findings-kind" }, t("finding_kind")), kind,
        h("button", { type: "submit", id: "findings-show" }, t("show"))),
      list),
    diagram, whatIf.section, effect.section);

  async function load() {
    const query = new URLSearchParams({ from: first.value, to: last.value });
    if (procedure.value) query.set("procedure", procedure.value);
    if (kind.value) query.set("kind", kind.value);
    // The filters stay in the address: a reload or the language switch shows the same findings.
    history.replaceState(null, "", `#/improvement?${query}`);
    let result;
    try {
      result = await api(`/api/improvement/findings?${query}`);
    } catch (failure) {
      list.replaceChildren(notice("bad", failure.message));
      return;
    }
    if (!result.candidates.length) {
      list.replaceChildren(h("p", {}, t("findings_none", { n: result.cases_received })));
      return;
    }
    list.replaceChildren(h("p", {}, t("findings_summary", { n: result.cases_received, candidates: result.candidates.length })),
      table(t("findings_caption"), [t("finding_rank"), t("finding_kind"), t("procedure"), t("finding_subject"), t("finding_figures"),
        t("finding_cases"), t("finding_diagram")],
      result.candidates.map((candidate) => [String(candidate.rank), t(`finding_kind_${candidate.kind}`), procedureName(candidate.procedure),
        subjectOf(candidate), figuresOf(candidate), casesCell(candidate),
        candidate.element_id && candidate.version ? h("button", { type: "button", class: "secondary", "data-finding-element": candidate.element_id,
          onclick: () => showElement(candidate) }, t("finding_show_element")) : "—"]),
      { id: "findings-table" }));
  }

  async function showElement(candidate) {
    const frame = h("div", { class: "diagram", id: "finding-diagram-frame" });
    diagram.hidden = false;
    diagram.replaceChildren(h("h2", { id: "finding-diagram-heading", tabindex: "-1" },
      t("finding_diagram_heading", { procedure: procedureName(candidate.procedure), version: candidate.version, element: subjectOf(candidate) })), frame);
    const file = candidate.diagram_file ? `?${new URLSearchParams({ file: candidate.diagram_file })}` : "";
    const xml = await api(`/api/definitions/${candidate.procedure}/versions/${candidate.version}/bpmn${file}`, { text: true });
    const viewer = await showDiagram(frame, xml, `${procedureName(candidate.procedure)} v${candidate.version}`);
    const registry = viewer.get("elementRegistry");
    if (registry.get(candidate.element_id)) {
      viewer.get("canvas").addMarker(candidate.element_id, "current-step");
      viewer.get("overlays").add(candidate.element_id, "finding", { position: { top: -14, left: -6 },
        html: h("span", { class: "heat-badge heat-4", "data-finding-badge": candidate.element_id }, `#${candidate.rank}`) });
    } else {
      diagram.append(notice("info", t("finding_element_elsewhere")));
    }
    diagram.dataset.element = candidate.element_id;
    diagram.querySelector("h2").focus();
  }

  await Promise.all([load(), whatIf.load(), effect.load()]);
}
