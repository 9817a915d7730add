// Clerks: the inbox of their groups, a task with its form, and the counter (start any procedure).
import { api, ApiError, session } from "./api.js";
import { announce, facts, h, notice, table } from "./dom.js";
import { fieldTitle, renderForm, validate } from "./forms.js";
import { formatTime, optionLabel, procedureName, t } from "./i18n.js";
import { followUpContext } from "./supervisor.js";
import { documentsSection } from "./documents.js";

const OFFICE_ZONE = "Asia/Taipei";
const dayOf = (moment) => new Date(moment).toLocaleDateString("en-CA", { timeZone: OFFICE_ZONE });

/** on_time / due_today / overdue for an open task, as the server computes it for cases. */
export function taskSla(task, now = new Date()) {
  if (!task.due_at) return "no_deadline";
  if (new Date(task.due_at) < now) return "overdue";
  if (dayOf(task.due_at) === dayOf(now)) return "due_today";
  return "on_time";
}

export function slaBadge(state) {
  return h("span", { class: `badge sla-${state}` }, t(`sla_${state}`));
}

export async function inboxPage(main) {
  const heading = h("h1", {}, t("inbox_title"));
  const body = h("div", {}, t("loading"));
  main.append(heading, h("div", { class: "actions" }, h("button", { type: "button", class: "secondary",
    onclick: () => load() }, t("refresh"))), body);
  async function load() {
    const page = await api("/api/tasks?per_page=100");
    // A task's own deadline if it has one, else its case's: the date the office is held to.
    const due = (task) => task.due_at || task.case_due_at;
    const items = page.items; // soonest due first across all pages: the server sorts by the same due date
    if (!items.length) { body.replaceChildren(h("p", {}, t("inbox_empty"))); return; }
    body.replaceChildren(table(null, [t("col_case"), t("col_procedure"), t("col_step"), t("col_lane"), t("col_assignee"), t("col_due"), t("col_sla"), t("col_action")],
      items.map((task) => [task.case_number, procedureName(task.procedure), task.name || task.element_id, task.lane || "—",
        task.assignee || "—", formatTime(due(task)), slaBadge(task.due_at ? taskSla(task) : task.case_sla_state || "no_deadline"),
        h("a", { href: `#/task/${task.id}`, "aria-label": `${t("open")} ${task.case_number} ${task.name || ""}` }, t("open"))]),
      { id: "inbox-table", "data-count": items.length }));
  }
  await load();
}

/** The case data's document lists (e.g. documents_presented, missing_documents), by key. */
function documentsOf(data) {
  return Object.entries(data || {}).filter(([key, value]) => /document/i.test(key) && Array.isArray(value));
}

/** The documents a clerk may attach scans of from the task page: those the case lists. */
function scanKinds(task) {
  if (!session.hasRole("clerk", "supervisor") || task.case.status !== "running") return [];
  const data = task.case_data || {};
  return [...new Set([...(data.documents_presented || []), ...(data.missing_documents || [])])];
}

function evidenceTable(evidence) {
  if (!evidence.length) return h("p", {}, t("no_evidence"));
  return table(null, [t("agency"), t("operation"), t("result"), t("at")], evidence.map((item) => [
    item.agency || "—", item.operation || item.element_id,
    h("pre", { class: "data", tabindex: "0", "aria-label": `${t("result")}: ${item.agency || item.element_id}` }, JSON.stringify(item.error ? { error: item.error } : item.result, null, 1)),
    formatTime(item.answered_at || item.recorded_at)]));
}

export async function taskPage(main, taskId) {
  const task = await api(`/api/tasks/${taskId}`);
  const me = session.user.username;
  const messages = h("div", { id: "task-messages" });
  main.append(h("h1", {}, t("task_title", { name: task.name || task.element_id })), messages);
  const summary = h("section", { "aria-labelledby": "summary-heading" }, h("h2", { id: "summary-heading" }, t("case_summary")),
    h("div", { class: "panel" }, facts([
      [t("case_number"), task.case.number], [t("procedure"), `${procedureName(task.procedure)} v${task.case.version}`],
      [t("status"), t(`status_${task.case.status}`)], [t("received_at"), formatTime(task.case.received_at)],
      [t("due_at"), formatTime(task.case.due_at)], [t("col_sla"), slaBadge(task.case.sla_state)],
      [t("applicant"), task.case.applicant ? [task.case.applicant.name, task.case.applicant.national_id].filter(Boolean).join(" ") : "—"],
      [t("col_step"), `${task.name || task.element_id} (${task.lane || "—"})`],
      [t("col_assignee"), task.assignee || "—"],
    ])));
  const documents = documentsOf(task.case_data);
  const context = await followUpContext(task); // a follow-up's score, comment, contact; a delay's step and lateness
  const side = h("div", {}, context, summary,
    h("section", { "aria-labelledby": "documents-heading" }, h("h2", { id: "documents-heading" }, t("documents")),
      documents.length ? facts(documents.map(([key, names]) => [key, names.length ? names.map(optionLabel).join(", ") : t("none")]))
        : h("p", {}, t("no_documents"))),
    await documentsSection(task.case_id, { attachKinds: scanKinds(task) }),
    h("section", { "aria-labelledby": "evidence-heading" }, h("h2", { id: "evidence-heading" }, t("evidence")), evidenceTable(task.evidence)));
  const formSection = h("section", { "aria-labelledby": "form-heading" }, h("h2", { id: "form-heading" },
    task.form_schema?.title || t("form")));
  main.append(h("div", { class: "columns" }, formSection, side));

  const open = task.status === "ready" || task.status === "claimed";
  const mine = task.status === "claimed" && task.assignee === me;
  const actions = h("div", { class: "actions" });
  if (task.status === "ready" && session.hasRole("clerk", "supervisor")) {
    actions.append(h("button", { type: "button", id: "claim-button", onclick: async () => {
      await act(`/api/tasks/${taskId}/claim`);
    } }, t("claim")));
  }
  if (mine) {
    actions.append(h("button", { type: "button", class: "secondary", onclick: () => act(`/api/tasks/${taskId}/unclaim`) }, t("unclaim")));
  }
  async function act(path) {
    try {
      await api(path, { method: "POST" });
      main.replaceChildren();
      await taskPage(main, taskId);
      // Keyboard users carry on where the work is: the form's first field (or the claim button).
      main.querySelector(".json-form input, .json-form select, .json-form textarea, #claim-button")?.focus();
    } catch (failure) { messages.replaceChildren(notice("bad", failure.message)); }
  }

  if (!open) {
    formSection.append(notice("info", t("status"), ": ", task.status), actions);
    return;
  }
  const schema = task.form_schema || { type: "object", properties: {} };
  const form = renderForm(schema, task.case_data, "task");
  const errorSummary = h("div", { id: "form-error-summary", tabindex: "-1" });
  const submit = h("button", { type: "submit", id: "complete-button", disabled: !mine }, t("complete"));
  const formElement = h("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const data = form.read();
    const errors = validate(schema, data);
    if (showErrors(errors)) return;
    try {
      const changed = await api(`/api/tasks/${taskId}/complete`, { method: "POST", json: { data } });
      const next = changed.open_tasks.filter((item) => item.lane && session.user.groups.includes(item.lane));
      main.replaceChildren(h("h1", {}, t("completed_task")), notice("ok", t("completed_task")),
        next.length ? h("p", {}, t("next_steps"), " ", next.map((item) => h("a", { href: `#/task/${item.id}` }, item.name || item.element_id))) : null,
        h("p", {}, h("a", { href: "#/inbox" }, t("back_to_inbox"))));
      announce(t("completed_task"));
      main.querySelector("h1").tabIndex = -1;
      main.querySelector("h1").focus();
    } catch (failure) {
      if (failure instanceof ApiError && failure.problem.errors) showErrors(failure.problem.errors);
      else messages.replaceChildren(notice("bad", failure.message));
    }
  } }, errorSummary, form.element, h("div", { class: "actions" }, submit));
  function showErrors(errors) {
    form.showErrors(errors);
    if (!errors.length) { errorSummary.replaceChildren(); return false; }
    errorSummary.replaceChildren(notice("bad", t("form_errors", { n: errors.length }),
      // Each names its field as the form labels it, and takes the clerk there.
      h("ul", {}, errors.map((error) => h("li", {}, h("a", { href: "#", onclick: (event) => {
        event.preventDefault();
        form.focusField(error.field);
      } }, `${fieldTitle(schema, error.field)}: ${error.message}`))))));
    errorSummary.focus();
    return true;
  }
  if (!mine) formSection.append(notice("info", t("claim_first")));
  formSection.append(actions, formElement);
}

export async function counterPage(main) {
  const definitions = await api("/api/definitions");
  const result = h("div", { id: "counter-result" });
  const field = (id, label, attrs = {}) => h("div", { class: "field" }, h("label", { for: id }, label), h("input", { id, ...attrs }));
  const procedure = h("select", { id: "counter-procedure", required: true, "aria-required": "true" },
    definitions.map((definition) => h("option", { value: definition.key }, `${definition.name || definition.key} (${definition.key})`)));
  const form = h("form", { class: "no-print", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const value = (id) => document.getElementById(id).value.trim();
    const applicant = Object.fromEntries([["name", value("counter-name")], ["national_id", value("counter-national-id").toUpperCase()],
      ["phone", value("counter-phone")], ["email", value("counter-email")]].filter(([, item]) => item));
    const nationalId = document.getElementById("counter-national-id");
    nationalId.removeAttribute("aria-invalid");
    if (applicant.national_id && !/^[A-Z][12890ABCD]\d{8}$/.test(applicant.national_id)) {
      nationalId.setAttribute("aria-invalid", "true");
      result.replaceChildren(notice("bad", `${t("national_id")}: ${t("err_pattern")}`));
      nationalId.focus();
      return;
    }
    try {
      const started = await api("/api/cases", { method: "POST", json: { procedure: procedure.value, channel: "counter",
        applicant: Object.keys(applicant).length ? applicant : null, data: {} },
        headers: { "Idempotency-Key": crypto.randomUUID() } });
      result.replaceChildren(receiptView(started));
      announce(t("receipt"));
      document.getElementById("receipt-heading").focus();
    } catch (failure) {
      result.replaceChildren(notice("bad", failure.message,
        failure.problem?.errors ? h("ul", {}, failure.problem.errors.map((item) => h("li", {}, `${item.field}: ${item.message}`))) : null));
    }
  } },
  h("div", { class: "field" }, h("label", { for: "counter-procedure" }, `${t("procedure")} (${t("required")})`), procedure),
  field("counter-name", t("applicant_name"), { autocomplete: "off" }),
  field("counter-national-id", t("national_id"), { autocomplete: "off", maxlength: 10 }),
  field("counter-phone", t("phone"), { type: "tel", autocomplete: "off" }),
  field("counter-email", t("email"), { type: "email", autocomplete: "off" }),
  h("div", { class: "actions" }, h("button", { type: "submit", id: "start-case" }, t("start_case"))));
  main.append(h("h1", { class: "no-print" }, t("counter_title")), form, result);
}

function receiptView(started) {
  const receipt = started.receipt;
  const mine = started.open_tasks.find((task) => task.lane && session.user.groups.includes(task.lane));
  const standard = receipt.standard_time ? `${receipt.standard_time.amount} ${t(`unit_${receipt.standard_time.unit}`)}` : "—";
  return h("div", {},
    h("section", { class: "receipt", "aria-labelledby": "receipt-heading" },
      h("h2", { id: "receipt-heading", tabindex: "-1" }, `${t("receipt")} — ${receipt.procedure_name || receipt.procedure}`),
      facts([[t("case_number"), h("span", { class: "code", id: "receipt-number" }, receipt.case_number)],
        [t("access_code"), h("span", { class: "code", id: "receipt-code" }, receipt.access_code)],
        [t("procedure"), receipt.procedure_name || receipt.procedure], [t("channel"), receipt.channel],
        [t("received_at"), formatTime(receipt.received_at)], [t("standard_time"), standard],
        [t("due_at"), formatTime(receipt.due_at)],
        [t("applicant"), receipt.received?.applicant ? [receipt.received.applicant.name, receipt.received.applicant.national_id].filter(Boolean).join(" ") : "—"]]),
      h("p", {}, t("status_intro"), " ", `${location.origin}/app/#/status`)),
    h("div", { class: "actions no-print" },
      h("button", { type: "button", onclick: () => window.print() }, t("print_receipt")),
      mine ? h("a", { class: "button secondary", id: "first-task", href: `#/task/${mine.id}` }, t("open_first_task")) : null));
}
