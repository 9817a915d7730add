// Supervisors and admins: cases held by an incident (their automatic work failed), to retry
// (after a fix, or with corrected variables and a reason) or to cancel.
import { api, ApiError } from "./api.js";
import { announce, h, notice, table } from "./dom.js";
import { formatTime, procedureName, t } from "./i18n.js";

const KINDS = ["procedure_error", "resource_limit", "step_limit", "internal_error", "interrupted"];

export async function incidentsPage(main, params) {
  const status = params.get("status") ?? "open";
  const kind = params.get("kind") || "";
  const procedure = params.get("procedure") || "";
  const query = new URLSearchParams({ per_page: "100" });
  if (status) query.set("status", status);
  if (kind) query.set("kind", kind);
  if (procedure) query.set("procedure", procedure);
  const page = await api(`/api/incidents?${query}`);
  const outcome = h("div", { id: "incident-outcome" });
  main.append(h("h1", {}, t("incidents_title")), h("p", {}, t("incidents_intro")), filters(status, kind, procedure), outcome);
  if (!page.items.length) {
    main.append(notice("good", t("incidents_none")));
    return;
  }
  main.append(table(t("incidents_count", { n: page.total }),
    [t("col_case"), t("col_procedure"), t("incident_step"), t("incident_kind"), t("incident_message"),
      t("incident_attempts"), t("incident_last_failure"), t("col_status"),
      // Resolved incidents show who resolved them why, not actions.
      status === "resolved" ? t("incident_reason") : t("col_action")],
    page.items.map((item) => [
      h("a", { href: `#/case/${item.case_id}` }, item.case_number),
      `${procedureName(item.procedure)} v${item.version}`,
      item.element_name ? `${item.element_name} (${item.element_id})` : (item.element_id || "—"),
      t(`incident_kind_${item.kind}`),
      h("span", { class: "incident-message" }, item.message),
      String(item.attempts),
      formatTime(item.updated_at),
      item.status === "open" ? t("incident_open") : t(`incident_resolution_${item.resolution}`),
      item.status === "open" ? actions(item, outcome) : (item.resolution_reason || "—"),
    ]), { id: "incidents-table" }));
}

function filters(status, kind, procedure) {
  const statusSelect = h("select", { id: "filter-status" },
    [["open", t("incident_open")], ["resolved", t("incident_resolved")], ["", t("incident_all")]].map(([value, label]) =>
      h("option", { value, selected: value === status }, label)));
  const kindSelect = h("select", { id: "filter-kind" }, h("option", { value: "" }, t("incident_all")),
    KINDS.map((value) => h("option", { value, selected: value === kind }, t(`incident_kind_${value}`))));
  const procedureInput = h("input", { id: "filter-procedure", value: procedure, placeholder: "household_transcript" });
  return h("form", { class: "panel filters", "aria-label": t("incident_filters"), onsubmit: (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams({ status: statusSelect.value });
    if (kindSelect.value) chosen.set("kind", kindSelect.value);
    if (procedureInput.value.trim()) chosen.set("procedure", procedureInput.value.trim());
    location.hash = `#/incidents?${chosen}`;
  } },
  h("div", { class: "field" }, h("label", { for: "filter-status" }, t("col_status")), statusSelect),
  h("div", { class: "field" }, h("label", { for: "filter-kind" }, t("incident_kind")), kindSelect),
  h("div", { class: "field" }, h("label", { for: "filter-procedure" }, t("incident_procedure_key")), procedureInput),
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("incident_filter"))));
}

function actions(item, outcome) {
  const id = item.id;
  const reason = h("input", { id: `reason-${id}`, required: true });
  const variables = h("textarea", { id: `variables-${id}`, rows: 2, placeholder: '{"n": 2}' });
  const act = async (path, body, done) => {
    try {
      await api(`/api/incidents/${id}/${path}`, { method: "POST", json: body });
      outcome.replaceChildren(notice("good", done));
      announce(done);
      setTimeout(() => window.dispatchEvent(new HashChangeEvent("hashchange")), 800);
    } catch (failure) {
      const detail = failure instanceof ApiError ? failure.message : String(failure);
      outcome.replaceChildren(notice("bad", t("incident_failed_again", { case: item.case_number }), " ", detail));
      outcome.querySelector(".notice")?.focus?.();
    }
  };
  const retry = () => {
    let data = null;
    if (variables.value.trim()) {
      try { data = JSON.parse(variables.value); } catch {
        outcome.replaceChildren(notice("bad", t("incident_bad_json")));
        variables.focus();
        return;
      }
    }
    act("retry", { reason: reason.value.trim() || null, data }, t("incident_retried", { case: item.case_number }));
  };
  const cancel = () => {
    if (!reason.value.trim()) {
      outcome.replaceChildren(notice("bad", t("incident_reason_needed")));
      reason.focus();
      return;
    }
    act("cancel", { reason: reason.value.trim() }, t("incident_cancelled", { case: item.case_number }));
  };
  return h("div", { class: "incident-actions" },
    h("div", { class: "field" }, h("label", { for: `reason-${id}` }, t("incident_reason")), reason),
    h("div", { class: "field" }, h("label", { for: `variables-${id}` }, t("incident_variables")), variables),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "retry", onclick: retry, "aria-label": `${t("incident_retry")} ${item.case_number}` }, t("incident_retry")),
      h("button", { type: "button", class: "secondary cancel", onclick: cancel, "aria-label": `${t("incident_cancel")} ${item.case_number}` }, t("incident_cancel"))));
}
