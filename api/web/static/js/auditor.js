// Auditors (and supervisors): choose cases by procedure, status and period; export them (CSV of
// the list, XES or OCEL 2.0 for process mining, a report as CSV) with progress; verify the chosen
// cases (hash chain and replay, each run recorded) and read the signed daily anchors.
import { api } from "./api.js";
import { announce, h, loadStyle, notice, present, table } from "./dom.js";
import { formatTime, procedureName, t } from "./i18n.js";
import { downloadFile, fetchAll, progressArea, saveFile, toCsv } from "./exports.js";
import { slaBadge } from "./clerk.js";

const STATUSES = ["running", "completed", "cancelled"];
const LIST_LIMIT = 1000; // cases listed and exported as CSV at once (the mining exports' own limit)
const CSV_COLUMNS = ["number", "procedure", "version", "status", "channel", "received_at", "due_at", "closed_at", "sla_state"];

/** A report's title in the page's language (a report added later shows the server's title). */
function reportTitle(report) {
  const key = `report_${report.name.replace(/-/g, "_")}`;
  return t(key) === key ? report.title : t(key);
}

const dayStart = (day) => (day ? `${day}T00:00:00+08:00` : null);
const dayEnd = (day) => (day ? `${day}T23:59:59+08:00` : null);

export async function auditPage(main, params) {
  loadStyle("/app/static/backoffice.css");
  const [definitions, reports] = await Promise.all([api("/api/definitions"), api("/api/reports")]);
  const procedure = h("select", { id: "audit-procedure" }, h("option", { value: "" }, t("audit_any_procedure")),
    definitions.map((item) => h("option", { value: item.key, selected: item.key === params.get("procedure") }, procedureName(item.key))));
  const status = h("select", { id: "audit-status" }, h("option", { value: "" }, t("audit_any_status")),
    STATUSES.map((value) => h("option", { value, selected: value === params.get("status") }, t(`status_${value}`))));
  const from = h("input", { type: "date", id: "audit-from", value: params.get("from") || "" });
  const to = h("input", { type: "date", id: "audit-to", value: params.get("to") || "" });
  // Only open cases past their due date (the case search's "overdue"; the mining exports have no such filter).
  const overdue = h("input", { type: "checkbox", id: "audit-overdue", checked: params.get("overdue") === "true",
    onchange: () => miningButtons.forEach((button) => { button.disabled = overdue.checked; }) });
  const listing = h("div", { id: "audit-cases" });
  const progress = progressArea("export-progress");
  const verifyProgress = progressArea("verify-progress");
  const verifyResult = h("div", { id: "verify-selection-result" });
  const anchors = h("div", { id: "anchors" });
  const report = h("select", { id: "audit-report" }, reports.filter((item) => item.name !== "steps").map((item) =>
    h("option", { value: item.name }, reportTitle(item))));
  let cases = [];
  const chosen = new Set();
  const miningButtons = [
    h("button", { type: "button", class: "secondary", id: "export-xes", onclick: () => exportMining("xes") }, t("audit_export_xes")),
    h("button", { type: "button", class: "secondary", id: "export-ocel", onclick: () => exportMining("ocel") }, t("audit_export_ocel")),
  ];

  main.append(h("h1", {}, t("audit_title")),
    h("form", { class: "actions filters", id: "audit-filters", onsubmit: (event) => { event.preventDefault(); list(); } },
      h("label", { for: "audit-procedure" }, t("procedure")), procedure,
      h("label", { for: "audit-status" }, t("status")), status,
      h("label", { for: "audit-from" }, t("audit_received_from")), from,
      h("label", { for: "audit-to" }, t("audit_received_to")), to,
      h("span", { class: "field inline" }, overdue, h("label", { for: "audit-overdue" }, t("audit_overdue_only"))),
      h("button", { type: "submit", id: "audit-list-button" }, t("audit_list"))),
    h("section", { "aria-labelledby": "exports-heading" }, h("h2", { id: "exports-heading" }, t("audit_exports")),
      h("p", { class: "hint" }, t("audit_exports_hint")),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", id: "export-csv", onclick: exportCsv }, t("audit_export_csv")),
        ...miningButtons),
      h("form", { class: "actions", onsubmit: (event) => { event.preventDefault(); exportReport(); } },
        h("label", { for: "audit-report" }, t("audit_report")), report,
        h("button", { type: "submit", class: "secondary", id: "export-report" }, t("audit_export_report"))),
      progress.element),
    h("section", { "aria-labelledby": "audit-cases-heading" }, h("h2", { id: "audit-cases-heading" }, t("audit_cases")), listing),
    h("section", { "aria-labelledby": "verify-heading" }, h("h2", { id: "verify-heading" }, t("audit_verify_title")),
      h("div", { class: "actions" }, h("button", { type: "button", id: "verify-selection", onclick: verifySelection }, t("audit_verify_selected"))),
      verifyProgress.element, verifyResult),
    h("section", { "aria-labelledby": "anchors-heading" }, h("h2", { id: "anchors-heading" }, t("audit_anchors_title")),
      h("p", { class: "hint" }, t("audit_anchors_hint")),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", id: "check-anchors", onclick: checkAnchors }, t("audit_check_anchors"))),
      anchors));

  /** The filter as the API's query (the case list and the mining exports take the same names). */
  function filter() {
    const query = new URLSearchParams();
    if (procedure.value) query.set("procedure", procedure.value);
    if (status.value) query.set("status", status.value);
    if (from.value) query.set("received_from", dayStart(from.value));
    if (to.value) query.set("received_to", dayEnd(to.value));
    return query;
  }

  /** The list's query: the filter, and "overdue" when asked for. */
  function listQuery() {
    const query = filter();
    if (overdue.checked) query.set("overdue", "true");
    return query;
  }

  function fileStem() {
    return ["onestop", procedure.value || "all", status.value || null, overdue.checked ? "overdue" : null, from.value || null,
      to.value || null].filter(Boolean).join("-");
  }

  async function list() {
    listing.replaceChildren(t("loading"));
    cases = await fetchAll(`/api/cases?${listQuery()}`, null, null, LIST_LIMIT);
    chosen.clear();
    cases.forEach((item) => chosen.add(item.id));
    const all = h("input", { type: "checkbox", id: "choose-all", checked: true, onchange: () => {
      listing.querySelectorAll("input[data-case]").forEach((box) => { box.checked = all.checked; box.dispatchEvent(new Event("change")); });
    } });
    listing.replaceChildren(...present(
      h("p", { id: "audit-count" }, t("audit_count", { n: cases.length }), cases.length >= LIST_LIMIT ? ` ${t("audit_limited", { n: LIST_LIMIT })}` : ""),
      cases.length ? h("div", { class: "field inline" }, all, h("label", { for: "choose-all" }, t("audit_choose_all"))) : null,
      cases.length ? table(null, [t("moves_select"), t("col_case"), t("col_procedure"), t("col_status"), t("col_received"), t("col_sla"), t("col_action")],
        cases.map((item) => {
          const box = h("input", { type: "checkbox", id: `choose-${item.id}`, "data-case": item.id, checked: true,
            onchange: () => (box.checked ? chosen.add(item.id) : chosen.delete(item.id)) });
          return [h("span", {}, box, h("label", { for: box.id, class: "visually-hidden" }, t("audit_choose", { number: item.number }))),
            item.number, `${procedureName(item.procedure)} v${item.version}`, t(`status_${item.status}`), formatTime(item.received_at),
            slaBadge(item.sla_state), h("a", { href: `#/case/${item.id}`, "aria-label": `${t("view")} ${item.number}` }, t("view"))];
        }), { id: "audit-table" }) : null));
    main.dataset.listed = String(cases.length);
  }

  async function exportCsv() {
    const signal = progress.start(t("export_preparing"));
    try {
      const items = await fetchAll(`/api/cases?${listQuery()}`, progress, signal, LIST_LIMIT);
      const csv = toCsv(CSV_COLUMNS, items.map((item) => CSV_COLUMNS.map((column) => item[column])));
      const name = `${fileStem()}-cases.csv`;
      saveFile(new Blob(["\ufeff", csv], { type: "text/csv" }), name); // the BOM: spreadsheets read UTF-8
      progress.finish(t("export_done_rows", { name, n: items.length }));
    } catch (failure) {
      progress.fail(failure.name === "AbortError" ? t("export_cancelled") : `${t("error")}: ${failure.message}`);
    }
  }

  async function exportMining(kind) {
    const query = filter();
    query.set("limit", "10000");
    await downloadFile(`/api/mining/${kind}?${query}`, `${fileStem()}.${kind === "xes" ? "xes" : "ocel.json"}`, progress);
  }

  async function exportReport() {
    const query = new URLSearchParams({ format: "csv" });
    if (from.value) query.set("from", from.value);
    if (to.value) query.set("to", to.value);
    if (procedure.value) query.set("procedure", procedure.value);
    await downloadFile(`/api/reports/${report.value}?${query}`, `${fileStem()}-${report.value}.csv`, progress);
  }

  async function verifySelection() {
    const ids = cases.filter((item) => chosen.has(item.id));
    if (!ids.length) { verifyResult.replaceChildren(notice("bad", t("audit_choose_some"))); return; }
    const signal = verifyProgress.start(t("audit_verifying", { done: 0, total: ids.length }));
    const rows = [];
    let failed = 0;
    for (const [index, item] of ids.entries()) {
      if (signal.aborted) break;
      const run = await api("/api/audit/verifications", { method: "POST", json: { case_id: item.id } });
      if (!run.ok) failed += 1;
      rows.push([h("a", { href: `#/case/${item.id}` }, item.number),
        h("span", { class: `badge ${run.ok ? "ok" : "bad"}` }, run.ok ? t("audit_verified") : t("audit_not_verified")),
        run.ok ? t("audit_run", { id: run.id, at: formatTime(run.finished_at) })
          : run.failures.map((failure) => `${t("audit_first_divergent", { seq: failure.first_divergent_seq ?? "—" })}: ${failure.problems.join("; ")}`).join(" ")]);
      verifyProgress.step(index + 1, ids.length, t("audit_verifying", { done: index + 1, total: ids.length }));
    }
    verifyProgress.finish(t("audit_verify_done", { ok: rows.length - failed, total: rows.length }));
    verifyResult.replaceChildren(
      notice(failed ? "bad" : "ok", t("audit_verify_done", { ok: rows.length - failed, total: rows.length })),
      table(null, [t("col_case"), t("audit_result"), t("audit_detail")], rows, { id: "verify-table" }));
    announce(t("audit_verify_done", { ok: rows.length - failed, total: rows.length }));
    await showAnchors();
  }

  async function showAnchors(check = null) {
    const items = await api("/api/audit/anchors");
    anchors.replaceChildren(...present(
      check ? notice(check.ok ? "ok" : "bad", check.ok ? t("audit_anchors_ok", { n: check.anchors, heads: check.heads_checked })
        : t("audit_anchors_bad", { n: check.problems.length }),
      check.ok ? null : h("ul", {}, check.problems.map((problem) => h("li", {}, `${problem.day || ""} ${problem.message}`)))) : null,
      items.length ? table(null, [t("proof_day"), t("audit_anchor_cases"), t("proof_root"), t("proof_key"), t("audit_signature"), t("proof_timestamp")],
        items.map((anchor) => [anchor.day, String(anchor.cases), h("code", { title: anchor.digest }, `${anchor.digest.slice(0, 16)}…`),
          h("code", {}, anchor.signing_key_id || anchor.key_id || "—"), anchor.signature ? t("audit_signed") : t("audit_unsigned"),
          anchor.timestamp ? formatTime(anchor.timestamp.time) : t("proof_no_timestamp")]), { id: "anchors-table" })
        : h("p", {}, t("audit_no_anchors"))));
  }

  async function checkAnchors() {
    anchors.replaceChildren(t("loading"));
    await showAnchors(await api("/api/audit/anchors/verify"));
  }

  miningButtons.forEach((button) => { button.disabled = overdue.checked; });
  await list();
  await showAnchors();
}
