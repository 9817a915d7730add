// Clerks: the inbox of their groups (or of their own cases), a task with its form, and the counter
// (start any procedure). Forms keep what was typed: one idempotency key per form, a draft saved on
// the task as the clerk types, the form cleared once the case is received.
import { api, ApiError, session } from "./api.js";
import { announce, facts, h, notice, present, table } from "./dom.js";
import { fieldTitle, localErrors, renderForm, validate } from "./forms.js";
import { agencyName, channelName, formatTime, laneName, localName, operationName, procedureName, t } from "./i18n.js";
import { followUpContext } from "./supervisor.js";
import { documentsSection } from "./documents.js";

const OFFICE_ZONE = "Asia/Taipei";
const dayOf = (moment) => new Date(moment).toLocaleDateString("en-CA", { timeZone: OFFICE_ZONE });
const DRAFT_DELAY_MS = 1500; // a pause in typing this long saves the draft

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

const stepName = (task) => localName(task.name) || task.element_id;

export async function inboxPage(main, params) {
  const mine = params?.get("mine") === "1";
  const body = h("div", {}, t("loading"));
  const tabs = h("nav", { class: "tabs", "aria-label": t("inbox_title") },
    h("a", { href: "#/inbox", "aria-current": mine ? null : "page", id: "inbox-all" }, t("inbox_all")),
    h("a", { href: "#/inbox?mine=1", "aria-current": mine ? "page" : null, id: "inbox-mine" }, t("inbox_mine")));
  main.append(h("h1", {}, mine ? t("inbox_mine") : t("inbox_title")), tabs,
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => load() }, t("refresh"))), body);
  async function load() {
    const page = await api(`/api/tasks?per_page=100${mine ? "&officer=me" : ""}`);
    // A task's own deadline if it has one, else its case's: the date the office is held to.
    const due = (task) => task.due_at || task.case_due_at;
    const items = page.items; // soonest due first across all pages: the server sorts by the same due date
    if (!items.length) { body.replaceChildren(h("p", {}, t("inbox_empty"))); return; }
    body.replaceChildren(table(null, [t("col_case"), t("col_procedure"), t("col_step"), t("col_lane"), t("col_assignee"), t("col_due"), t("col_sla"), t("col_action")],
      items.map((task) => [h("a", { href: `#/case/${task.case_id}` }, task.case_number), procedureName(task.procedure),
        stepName(task), laneName(task.lane), task.assignee_name || task.assignee || "—", formatTime(due(task)),
        slaBadge(task.due_at ? taskSla(task) : task.case_sla_state || "no_deadline"),
        h("a", { href: `#/task/${task.id}`, "aria-label": `${t("open")} ${task.case_number} ${stepName(task)}` }, t("open"))]),
      { id: "inbox-table", "data-count": items.length }));
  }
  await load();
}

/** The documents a clerk may attach scans of from the task page: those the case lists. */
function scanKinds(task) {
  if (!session.hasRole("clerk", "supervisor") || task.case.status !== "running") return [];
  const data = task.case_data || {};
  return [...new Set([...(data.documents_presented || []), ...(data.missing_documents || [])])];
}

// ------------------------------------------------------------------ a task
/** The one-time notice as the task shows it: each missing document by name, and the deadline. */
async function noticeFacts(task) {
  const documents = task.documents;
  if (!documents) return null;
  const { documentList } = await import("./casework.js");
  if (!documents.missing.length) {
    return h("div", { class: "panel" }, h("p", {}, t("all_documents_present")),
      facts([[t("documents_presented"), documentList(documents.presented)]]));
  }
  return h("div", { class: "panel notice-facts", id: "task-notice" },
    h("p", {}, t("missing_for_notice")),
    h("ul", { id: "task-missing" }, documents.missing.map((code) => h("li", {}, documentList([code])))),
    h("p", { id: "task-deadline" }, t("notice_deadline", { date: formatTime(documents.deadline) })),
    facts([[t("documents_presented"), documentList(documents.presented)], [t("rounds"), String(documents.rounds)]]));
}

export async function taskPage(main, taskId) {
  let task = await api(`/api/tasks/${taskId}`);
  const me = session.user.username;
  // The form of the one who works the task holds the case's data as it is: national ID numbers in
  // full (the read is recorded for the auditors); everyone else sees them masked.
  if (["ready", "claimed"].includes(task.status) && session.user.groups.includes(task.lane) && session.hasRole("clerk", "supervisor")) {
    task = await api(`/api/tasks/${taskId}?unmask=true`);
  }
  const messages = h("div", { id: "task-messages" });
  main.append(h("h1", {}, t("task_title", { name: stepName(task) })), messages);
  const { answerList } = await import("./casework.js");
  const summary = h("section", { "aria-labelledby": "summary-heading" }, h("h2", { id: "summary-heading" }, t("case_summary")),
    h("div", { class: "panel" }, facts([
      [t("case_number"), h("a", { href: `#/case/${task.case_id}`, id: "task-case-link" }, task.case.number)],
      [t("procedure"), procedureName(task.procedure)],
      [t("status"), t(`status_${task.case.status}`)], [t("received_at"), formatTime(task.case.received_at)],
      [t("due_at"), formatTime(task.case.due_at)], [t("col_sla"), slaBadge(task.case.sla_state)],
      [t("applicant"), task.case.applicant ? [task.case.applicant.name, task.case.applicant.national_id].filter(Boolean).join(" ") || "—" : "—"],
      [t("officer"), task.case.officer ? task.case.officer.name : t("no_officer")],
      [t("col_step"), `${stepName(task)} · ${laneName(task.lane)}`],
      [t("col_assignee"), task.assignee_name || task.assignee || "—"],
    ])));
  const evidence = task.evidence.length ? h("ul", { class: "evidence" }, task.evidence.map((item) => h("li", {},
    h("strong", {}, operationName(item.operation)), " · ", agencyName(item.agency_key, item.agency), " · ",
    formatTime(item.answered_at || item.recorded_at), answerList(item)))) : h("p", {}, t("no_evidence"));
  const noticePanel = await noticeFacts(task);
  const context = await followUpContext(task); // a follow-up's score, comment, contact; a delay's step and lateness
  const side = h("div", {}, context, summary,
    noticePanel ? h("section", { "aria-labelledby": "documents-heading" }, h("h2", { id: "documents-heading" }, t("notice_title")),
      noticePanel) : null,
    await documentsSection(task.case_id, { attachKinds: scanKinds(task) }),
    h("section", { "aria-labelledby": "evidence-heading" }, h("h2", { id: "evidence-heading" }, t("evidence")), evidence));
  const formSection = h("section", { "aria-labelledby": "form-heading" }, h("h2", { id: "form-heading" },
    localName(task.form_schema?.title) || t("form")));
  main.append(h("div", { class: "columns" }, formSection, side));

  const open = task.status === "ready" || task.status === "claimed";
  const mine = task.status === "claimed" && task.assignee === me;
  const actions = h("div", { class: "actions" });
  const canWork = session.hasRole("clerk", "supervisor") && session.user.groups.includes(task.lane);
  if (task.status === "ready" && canWork) {
    actions.append(h("button", { type: "button", id: "claim-button", onclick: () => act(`/api/tasks/${taskId}/claim`) }, t("claim")));
  }
  if (mine) {
    actions.append(h("button", { type: "button", class: "secondary", onclick: () => act(`/api/tasks/${taskId}/unclaim`) }, t("unclaim")));
  }
  async function act(path, json) {
    try {
      await drafts?.flush(); // what was typed is kept before the task changes hands
      await api(path, { method: "POST", json });
      main.replaceChildren();
      await taskPage(main, taskId);
      // Keyboard users carry on where the work is: the form's first field (or the claim button).
      main.querySelector(".json-form input, .json-form select, .json-form textarea, #claim-button")?.focus();
    } catch (failure) { messages.replaceChildren(notice("bad", failure.message)); }
  }

  if (!open) {
    formSection.append(notice("info", t("status"), ": ", t(`task_status_${task.status}`)), actions);
    return;
  }
  if (canWork && (task.status === "ready" || mine || session.hasRole("supervisor"))) {
    formSection.append(await assignForm(task, act));
  }
  const schema = task.form_schema || { type: "object", properties: {} };
  // What the clerk typed before (the draft kept on the task) over what the case knows already.
  const form = renderForm(schema, { ...task.case_data, ...(task.draft || {}) }, "task");
  const errorSummary = h("div", { id: "form-error-summary", tabindex: "-1" });
  const submit = h("button", { type: "submit", id: "complete-button", disabled: !mine }, t("complete"));
  const draftState = h("span", { id: "draft-state", class: "draft-state", role: "status" });
  const drafts = mine ? draftKeeper(taskId, form, draftState, task) : null;
  // Nobody types into a form before claiming it: two clerks never fill in the same task.
  const fields = h("fieldset", { class: "form-fields", disabled: !mine }, h("legend", { class: "visually-hidden" }, t("form")), form.element);
  const formElement = h("form", { novalidate: true, oninput: () => drafts?.changed(), onchange: () => drafts?.changed(),
    onsubmit: async (event) => {
      event.preventDefault();
      if (submit.disabled) return;
      const data = form.read();
      if (showErrors(validate(schema, data))) return;
      submit.disabled = true; // one click, one completion
      submit.textContent = t("submitting");
      try {
        await drafts?.flush();
        const changed = await api(`/api/tasks/${taskId}/complete`, { method: "POST", json: { data } });
        drafts?.stop();
        const next = changed.open_tasks.filter((item) => item.lane && session.user.groups.includes(item.lane));
        main.replaceChildren(...present(h("h1", {}, t("completed_task")), notice("ok", t("completed_task")),
          next.length ? h("p", {}, t("next_steps"), " ", next.map((item) => h("a", { href: `#/task/${item.id}` }, stepName(item)))) : null,
          h("p", {}, h("a", { href: `#/case/${task.case_id}` }, t("task_case_link"))),
          h("p", {}, h("a", { href: "#/inbox" }, t("back_to_inbox")))));
        announce(t("completed_task"));
        main.querySelector("h1").tabIndex = -1;
        main.querySelector("h1").focus();
      } catch (failure) {
        submit.disabled = false;
        submit.textContent = t("complete");
        if (failure instanceof ApiError && failure.problem.errors) showErrors(localErrors(failure.problem.errors));
        else messages.replaceChildren(notice("bad", failure.message));
      }
    } }, errorSummary, fields, h("div", { class: "actions" }, submit,
    mine ? h("button", { type: "button", class: "secondary", id: "save-draft", onclick: () => drafts.flush() }, t("draft_save")) : null,
    draftState));
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
  // Someone else holds it: say who, rather than ask this clerk to claim what they cannot.
  if (!mine) formSection.append(notice("info", task.status === "claimed" ? t("task_held_by", { name: task.assignee_name || task.assignee }) : t("claim_to_type")));
  formSection.append(actions, formElement);
  if (mine && task.draft) {
    messages.replaceChildren(notice("info", t("draft_restored", { time: formatTime(task.draft_saved_at), name: task.draft_saved_by_name || task.draft_saved_by })));
    draftState.textContent = t("draft_saved_at", { time: formatTime(task.draft_saved_at) });
  }
}

/** Saves what the clerk types as the task's draft: after a pause in typing, on "save draft",
 * and before leaving the page; says whether the form is saved. */
function draftKeeper(taskId, form, state, task) {
  let timer = null;
  let dirty = false;
  let saving = Promise.resolve();
  let stopped = false;
  const say = (text) => { state.textContent = text; };
  async function flush() {
    clearTimeout(timer);
    if (!dirty || stopped) return saving;
    dirty = false;
    say(t("draft_saving"));
    saving = saving.then(() => api(`/api/tasks/${taskId}/draft`, { method: "PUT", json: { data: form.read() } }))
      .then((saved) => { if (!dirty) say(t("draft_saved_at", { time: formatTime(saved.saved_at) })); })
      .catch((failure) => { dirty = true; say(t("draft_failed", { message: failure.message })); });
    return saving;
  }
  const leave = () => { if (dirty) flush(); };
  window.addEventListener("hashchange", leave, { once: true });
  window.addEventListener("beforeunload", leave);
  return {
    changed() {
      if (stopped) return;
      dirty = true;
      say(t("draft_unsaved"));
      clearTimeout(timer);
      timer = setTimeout(flush, DRAFT_DELAY_MS);
    },
    flush,
    stop() { stopped = true; clearTimeout(timer); window.removeEventListener("beforeunload", leave); },
    task,
  };
}

/** Give the task to a named colleague of its lane. */
async function assignForm(task, act) {
  const colleagues = (await api(`/api/staff?group=${encodeURIComponent(task.lane)}`))
    .filter((person) => person.username !== task.assignee);
  const choice = h("select", { id: "assign-choice" }, h("option", { value: "" }, t("choose")),
    colleagues.map((person) => h("option", { value: person.username }, person.name)));
  return h("details", { class: "assign" }, h("summary", {}, t("assign_task")),
    h("form", { id: "assign-form", novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      if (!choice.value) { choice.setAttribute("aria-invalid", "true"); choice.focus(); return; }
      const name = choice.selectedOptions[0]?.textContent || choice.value;
      await act(`/api/tasks/${task.id}/assign`, { assignee: choice.value });
      document.getElementById("task-messages")?.replaceChildren(notice("ok", t("assigned", { name })));
      announce(t("assigned", { name }));
    } }, h("div", { class: "field" }, h("label", { for: "assign-choice" }, t("assign_to")), choice),
    h("button", { type: "submit", class: "secondary" }, t("assign"))));
}

// ------------------------------------------------------------------ the counter
const MOBILE = /^09\d{8}$/;
const COUNTER_CHANNELS = ["counter", "home_visit"]; // online applications come through #/apply

export async function counterPage(main) {
  const definitions = await api("/api/definitions");
  const result = h("div", { id: "counter-result" });
  const status = h("div", { id: "counter-status", role: "status" });
  const field = (id, label, attrs = {}) => h("div", { class: "field" }, h("label", { for: id }, label), h("input", { id, ...attrs }));
  const procedure = h("select", { id: "counter-procedure", required: true, "aria-required": "true" },
    definitions.map((definition) => h("option", { value: definition.key }, procedureName(definition.key))));
  // Received here at the counter, or by a clerk visiting the applicant at home (到府服務): the
  // applicant at home keeps no printed receipt, so it is sent by SMS or email instead.
  const channel = h("select", { id: "counter-channel", "aria-describedby": "counter-channel-hint" },
    COUNTER_CHANNELS.map((code) => h("option", { value: code }, channelName(code))));
  const channelHint = h("span", { class: "hint", id: "counter-channel-hint" });
  const showChannelHint = () => channelHint.replaceChildren(channel.value === "counter" ? t("channel_hint_counter") : t("channel_hint_remote"));
  channel.addEventListener("change", showChannelHint);
  showChannelHint();
  // One key per filled-in form: a second click (or a retry after a lost answer) is the same
  // request, and the server answers with the case the first one started.
  let idempotencyKey = crypto.randomUUID();
  const button = h("button", { type: "submit", id: "start-case" }, t("start_case"));
  const form = h("form", { class: "no-print", novalidate: true, oninput: () => status.replaceChildren(), onsubmit: async (event) => {
    event.preventDefault();
    if (button.disabled) return;
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
    const phone = document.getElementById("counter-phone");
    phone.removeAttribute("aria-invalid");
    if (channel.value !== "counter" && !applicant.phone && !applicant.email) {
      phone.setAttribute("aria-invalid", "true");
      result.replaceChildren(notice("bad", t("remote_needs_contact")));
      phone.focus();
      return;
    }
    // What the counter took down fills in the reception form (the same names in every procedure).
    const data = Object.fromEntries([["applicant_name", applicant.name], ["national_id", applicant.national_id],
      ["applicant_phone", MOBILE.test(applicant.phone || "") ? applicant.phone : undefined], ["applicant_email", applicant.email]]
      .filter(([, item]) => item));
    button.disabled = true;
    button.textContent = t("submitting");
    try {
      const started = await api("/api/cases", { method: "POST", json: { procedure: procedure.value, channel: channel.value,
        applicant: Object.keys(applicant).length ? applicant : null, data },
        headers: { "Idempotency-Key": idempotencyKey } });
      result.replaceChildren(receiptView(started));
      // Received: the form is cleared for the next applicant, with a key of its own.
      form.reset();
      showChannelHint();
      idempotencyKey = crypto.randomUUID();
      status.replaceChildren(notice("ok", t("counter_saved")));
      announce(t("receipt"));
      document.getElementById("receipt-heading").focus();
    } catch (failure) {
      result.replaceChildren(notice("bad", failure.message,
        failure.problem?.errors ? h("ul", {}, failure.problem.errors.map((item) => h("li", {}, `${item.field}: ${item.message}`))) : null));
    } finally {
      button.disabled = false;
      button.textContent = t("start_case");
    }
  } },
  h("div", { class: "field" }, h("label", { for: "counter-procedure" }, `${t("procedure")} (${t("required")})`), procedure),
  h("div", { class: "field" }, h("label", { for: "counter-channel" }, t("channel")), channel, channelHint),
  field("counter-name", t("applicant_name"), { autocomplete: "off" }),
  field("counter-national-id", t("national_id"), { autocomplete: "off", maxlength: 10 }),
  field("counter-phone", t("phone"), { type: "tel", autocomplete: "off" }),
  field("counter-email", t("email"), { type: "email", autocomplete: "off" }),
  h("div", { class: "actions" }, button), status);
  main.append(h("h1", { class: "no-print" }, t("counter_title")), form, result);
}

/** Where the receipt of a remote channel went (the outbox sends it by SMS and by email). */
function sentTo(receipt) {
  const applicant = receipt.received?.applicant || {};
  return [applicant.phone, applicant.email].filter(Boolean).join(" · ") || "—";
}

function receiptView(started) {
  const receipt = started.receipt;
  const mine = started.open_tasks.find((task) => task.lane && session.user.groups.includes(task.lane));
  const standard = receipt.standard_time ? `${receipt.standard_time.amount} ${t(`unit_${receipt.standard_time.unit}`)}` : "—";
  const office = receipt.office;
  const officer = receipt.officer
    ? `${receipt.officer.name} · ${t("officer_phone")} ${receipt.officer.phone || office?.phone || "—"}` : t("no_officer");
  const local = (labels) => (labels ? (document.documentElement.lang === "en" ? labels.en : labels.zh) : "—");
  return h("div", {},
    h("section", { class: "receipt", "aria-labelledby": "receipt-heading" },
      h("h2", { id: "receipt-heading", tabindex: "-1" }, `${t("receipt")} — ${procedureName(receipt.procedure)}`),
      facts([[t("case_number"), h("span", { class: "code", id: "receipt-number" }, receipt.case_number)],
        [t("access_code"), h("span", { class: "code", id: "receipt-code" }, receipt.access_code)],
        [t("procedure"), procedureName(receipt.procedure)], [t("channel"), channelName(receipt.channel)],
        [t("received_at"), formatTime(receipt.received_at)], [t("standard_time"), standard],
        [t("due_at"), formatTime(receipt.due_at)],
        [t("applicant"), receipt.received?.applicant ? [receipt.received.applicant.name, receipt.received.applicant.national_id].filter(Boolean).join(" ") || "—" : "—"],
        [t("receipt_officer"), h("span", { id: "receipt-officer" }, officer)],
        [t("receipt_office"), office ? `${local(office.name)} · ${office.phone} · ${local(office.address)}` : "—"]]),
      h("p", {}, t("status_intro"), " ", `${location.origin}/app/#/status`),
      receipt.channel === "counter" ? null : h("p", { id: "receipt-sent" }, t("receipt_sent_to", { to: sentTo(receipt) }))),
    h("div", { class: "actions no-print" },
      h("button", { type: "button", onclick: () => window.print() }, t("print_receipt")),
      mine ? h("a", { class: "button secondary", id: "first-task", href: `#/task/${mine.id}` }, t("open_first_task")) : null,
      h("a", { class: "button secondary", href: `#/case/${started.case_id}` }, t("task_case_link"))));
}
