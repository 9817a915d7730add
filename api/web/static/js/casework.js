// The case as clerks and supervisors work it: who is responsible, where it stands, what is still
// missing (and the supplement brought to the counter), the agencies' answers in words, the
// diagram, notes and the case's activity; withdraw, cancel, reassign the officer.
//
// The page is a list of sections (CASE_SECTIONS): each is a function of the loaded case that
// returns an element (or nothing). A new section (the documents of a case, say) is one more
// function in the list.
import { api, ApiError, session } from "./api.js";
import { announce, facts, h, notice } from "./dom.js";
import {
  agencyName, answerField, answerValue, channelName, failureName, formatDate, formatTime, hasText, joined, laneName,
  localName, operationName, optionLabel, procedureName, t,
} from "./i18n.js";
import { markPath, showDiagram } from "./bpmn.js";
import { slaBadge } from "./clerk.js";
import { documentsSection } from "./documents.js";

const NATIONAL_ID = /\b([A-Z][12890ABCD]\d)(\d{4})(\d{3})\b/g;

/** National ID numbers in a text masked as the API masks them (A12****789). */
export function maskIds(text) {
  return String(text ?? "").replace(NATIONAL_ID, (_, head, _middle, tail) => `${head}****${tail}`);
}

export const isWorker = () => session.hasRole("clerk", "supervisor");

export async function casePage(main, caseId) {
  const [detail, activity] = await Promise.all([api(`/api/cases/${caseId}`), api(`/api/cases/${caseId}/activity`)]);
  const messages = h("div", { id: "case-messages" });
  const view = {
    caseId, detail, activity, messages,
    afterShown: [], // what a section does once it is on the page (a diagram measures its box)
    /** Draw the page again after a change; ``said`` is announced and shown on top. */
    async reload(said) {
      main.replaceChildren();
      await casePage(main, caseId);
      if (said) {
        const shown = main.querySelector("#case-messages");
        shown.replaceChildren(notice("ok", said));
        announce(said);
        shown.tabIndex = -1;
        shown.focus();
      }
    },
  };
  main.append(h("h1", {}, `${t("case_view_title", { number: detail.number })} · ${procedureName(detail.procedure)}`), messages);
  const columns = {};
  for (const [place, sections] of Object.entries(CASE_SECTIONS)) {
    columns[place] = h("div", { class: `case-${place}` });
    for (const section of sections) {
      const element = await section(view);
      if (element) columns[place].append(element);
    }
  }
  main.append(h("div", { class: "columns case-columns" }, columns.main, columns.side), columns.wide);
  for (const then of view.afterShown) await then();
}

function section(id, title, ...content) {
  return h("section", { "aria-labelledby": `${id}-heading`, id }, h("h2", { id: `${id}-heading` }, title), ...content);
}

// ------------------------------------------------------------------ summary and where it stands
function summarySection({ detail }) {
  const officer = detail.officer
    ? [detail.officer.name, detail.officer.phone ? ` · ${detail.officer.phone}` : ""].join("")
    : t("no_officer");
  const applicant = detail.applicant ? maskIds([detail.applicant.name, detail.applicant.national_id].filter(Boolean).join(" ")) : "—";
  const status = detail.status === "cancelled" && detail.close_kind ? t(`close_${detail.close_kind}`) : t(`status_${detail.status}`);
  return section("case-summary", t("case_summary"), h("div", { class: "panel" }, facts([
    [t("case_number"), h("span", { id: "case-number" }, detail.number)],
    [t("procedure"), procedureName(detail.procedure)],
    [t("status"), h("span", { id: "case-status" }, status)],
    [t("channel"), channelName(detail.channel)],
    [t("applicant"), applicant],
    [t("officer"), h("span", { id: "case-officer" }, officer)],
    [t("received_at"), formatTime(detail.received_at)],
    [t("due_at"), formatTime(detail.due_at)],
    [t("col_sla"), slaBadge(detail.sla_state)],
    // 跨區通辦: received at one office, worked at another (shown where they differ).
    ...(detail.received_office && detail.received_office !== detail.office
      ? [[t("received_office"), detail.received_office], [t("working_office"), h("span", { id: "case-office" }, detail.office)]]
      : []),
    ...(detail.close_reason ? [[t("closed_reason"), detail.close_reason]] : []),
  ])));
}

function stepsSection({ detail }) {
  if (detail.status !== "running") return null;
  const items = [
    ...detail.open_tasks.map((task) => h("li", {},
      `${localName(task.name) || task.element_id} · ${laneName(task.lane)}`,
      task.assignee ? ` · ${t("col_assignee")}: ${task.assignee_name || task.assignee}` : "",
      isWorker() && session.user.groups.includes(task.lane)
        ? [" ", h("a", { href: `#/task/${task.id}`, class: "open-task" }, t("open_task"))] : null)),
    ...(detail.waiting_services || []).map((service) => h("li", {}, t("waiting_agency", { name: localName(service.name) || operationName(service.operation) }))),
    ...(detail.awaited_messages || []).map((name) => ({ documents_supplied: "waiting_message_documents", rating_received: "waiting_message_rating" })[name])
      .filter(Boolean).map((key) => h("li", {}, t(key))),
  ];
  return section("case-steps", t("current_steps"), items.length ? h("ul", { id: "current-steps" }, items) : h("p", {}, t("no_current_steps")));
}

// ------------------------------------------------------------------ the one-time notice
export function documentList(codes) {
  return codes.length ? joined(codes.map(optionLabel)) : t("none");
}

function noticeSection(view) {
  const documents = view.detail.documents;
  if (!documents) return null;
  const body = h("div", { class: "panel", id: "notice-panel" });
  if (documents.missing.length) {
    body.append(facts([
      [t("documents_missing"), h("span", { id: "documents-missing" }, documentList(documents.missing))],
      [t("deadline"), h("span", { id: "documents-deadline" }, formatTime(documents.deadline))],
      [t("documents_presented"), documentList(documents.presented)],
      [t("notices_given"), String(documents.notices)], [t("rounds"), h("span", { id: "supplement-rounds" }, String(documents.rounds))],
    ]));
  } else {
    body.append(h("p", {}, t("all_documents_present")), facts([[t("documents_presented"), documentList(documents.presented)],
      [t("rounds"), h("span", { id: "supplement-rounds" }, String(documents.rounds))]]));
  }
  const parts = [body];
  if (documents.awaiting && isWorker() && view.detail.status === "running") parts.push(supplementForm(view, documents.missing));
  return section("case-notice", t("notice_title"), ...parts);
}

function supplementForm(view, missing) {
  const boxes = missing.map((code) => h("label", { for: `supplement-${code}` },
    h("input", { type: "checkbox", id: `supplement-${code}`, value: code }), ` ${optionLabel(code)}`));
  const note = h("textarea", { id: "supplement-note", rows: 2, maxlength: 2000 });
  return actionForm(view, { id: "supplement-form", title: t("record_supplement"), submit: t("record_supplement"),
    fields: [h("fieldset", { class: "choices" }, h("legend", {}, `${t("which_documents_came")} (${t("required")})`), boxes),
      h("div", { class: "field" }, h("label", { for: "supplement-note" }, t("supplement_note")), note)],
    async send() {
      const documents = boxes.map((label) => label.querySelector("input")).filter((box) => box.checked).map((box) => box.value);
      if (!documents.length) throw new Error(t("choose_documents"));
      await api(`/api/cases/${view.caseId}/supplements`, { method: "POST",
        json: { documents, channel: "counter", ...(note.value.trim() ? { note: note.value.trim() } : {}) } });
      return t("supplement_saved");
    } });
}

/** A small form for one action: sent once (the button waits for the answer), errors shown in place. */
function actionForm(view, { id, title, submit, fields, send }) {
  const error = h("div", { role: "alert" });
  const button = h("button", { type: "submit", id: `${id}-submit` }, submit);
  return h("form", { id, class: "action-form", "aria-label": title, novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    error.replaceChildren();
    try {
      const said = await send();
      await view.reload(said);
    } catch (failure) {
      button.disabled = false;
      const details = failure instanceof ApiError && failure.problem.errors ? failure.problem.errors.map((item) => item.message).join("; ") : "";
      error.replaceChildren(notice("bad", failure.message, details && details !== failure.message ? ` (${details})` : ""));
    }
  } }, h("h3", {}, title), ...fields, error, h("div", { class: "actions" }, button));
}

/** The case's files; a clerk of a running case attaches scans of the documents it lists (a
 * supplement brought to the counter, say) before recording it. */
function filesSection({ caseId, detail }) {
  const listed = detail.documents ? [...detail.documents.missing, ...detail.documents.presented] : [];
  const attachKinds = detail.status === "running" && isWorker() ? [...new Set(listed)] : [];
  return documentsSection(caseId, { attachKinds });
}

// ------------------------------------------------------------------ agencies' answers
export function answerList(item) {
  if (item.error) return h("span", { class: "badge bad" }, `${t("agency_failed")}: ${failureName(item.error.code)}`);
  const result = item.result && typeof item.result === "object" ? item.result : {};
  return h("dl", { class: "facts answer" }, Object.entries(result).map(([key, value]) => [h("dt", {}, answerField(key)), h("dd", {}, answerValue(value))]));
}

export function evidenceSection({ detail }) {
  if (!detail.evidence?.length) return null;
  return section("case-evidence", t("evidence"), h("ul", { class: "evidence" }, detail.evidence.map((item) => h("li", {},
    h("strong", {}, operationName(item.operation)), " · ", agencyName(item.agency_key, item.agency), " · ",
    formatTime(item.answered_at || item.recorded_at), answerList(item)))));
}

// ------------------------------------------------------------------ diagram, notes, activity
async function diagramSection(view) {
  const { detail } = view;
  const container = h("div", { class: "diagram", id: "case-diagram" });
  const xml = await api(`/api/definitions/${detail.procedure}/versions/${detail.version}/bpmn`, { text: true });
  view.afterShown.push(async () => {
    const viewer = await showDiagram(container, xml, `${t("diagram")}: ${procedureName(detail.procedure)}`);
    markPath(viewer, detail.completed_steps.map((step) => step.element_id), detail.current_elements || []);
  });
  return section("case-diagram-section", t("diagram"), container);
}

function notesSection(view) {
  const notes = view.activity.filter((entry) => entry.type === "note_added");
  const list = notes.length ? h("ul", { id: "notes-list", class: "notes" }, notes.map((entry) => h("li", {},
    h("small", {}, `${formatTime(entry.occurred_at)} · ${entry.actor_name || "—"}`), h("br"), entry.details.text)))
    : h("p", { id: "notes-list" }, t("no_notes"));
  const parts = [list];
  if (isWorker()) {
    const text = h("textarea", { id: "note-text", rows: 2, maxlength: 2000, required: true, "aria-required": "true" });
    parts.push(actionForm(view, { id: "note-form", title: t("add_note"), submit: t("add_note"),
      fields: [h("div", { class: "field" }, h("label", { for: "note-text" }, `${t("note_text")} (${t("required")})`), text)],
      async send() {
        if (!text.value.trim()) throw new Error(`${t("note_text")}: ${t("err_required")}`);
        await api(`/api/cases/${view.caseId}/notes`, { method: "POST", json: { text: text.value.trim() } });
        return t("note_saved");
      } }));
  }
  return section("case-notes", t("notes"), ...parts);
}

/** Who did it: a colleague by name, or the system's parts in words. */
export function actorName(entry) {
  return hasText(`actor_${entry.actor}`) ? t(`actor_${entry.actor}`) : entry.actor_name || entry.actor;
}

/** An event of the activity as a line a clerk reads. */
export function eventLabel(entry) {
  if (entry.type === "message_delivered" && ["documents_supplied", "rating_received"].includes(entry.details.name)) {
    return t(`event_${entry.details.name}`);
  }
  if (entry.type === "case_cancelled" && entry.details.withdrawn) return t("event_case_withdrawn");
  return t(`event_${entry.type}`);
}

function eventDetails(entry) {
  const details = entry.details || {};
  const parts = [];
  if (details.documents) parts.push(documentList(details.documents));
  if (entry.type === "document_attached") parts.push(`${optionLabel(details.kind)}: ${details.file_name}`, t(`occasion_${details.occasion}`));
  if (details.officer_name) parts.push(`${t("officer")}: ${details.officer_name}`);
  if (details.assignee_name && entry.type === "task_assigned") parts.push(`${t("assign_to")}: ${details.assignee_name}`);
  if (details.agency) parts.push(`${agencyName(details.agency)}${details.failed ? ` (${t("agency_failed")})` : ""}`);
  if (details.channel && entry.type === "case_started") parts.push(channelName(details.channel));
  for (const key of ["reason", "note", "text"]) if (details[key]) parts.push(details[key]);
  if (entry.type === "rating_recorded" && details.score) parts.push(t("rating_given", { score: details.score }));
  if (details.due_at) parts.push(`${t("due_at")}: ${formatDate(details.due_at)}`);
  return parts.join(" · ");
}

/** A rating is recorded (with its score) and, where the case waited for it, also delivered as a
 * message: the activity shows it once. */
const isRatingMessage = (entry) => entry.type === "message_delivered" && entry.details.name === "rating_received";

function activitySection({ activity }) {
  const shown = activity.filter((entry) => !isRatingMessage(entry)).reverse();
  return section("case-activity", t("activity"), h("ol", { class: "timeline", id: "activity-list", tabindex: "0", "aria-labelledby": "case-activity-heading" }, shown.map((entry) =>
    h("li", { "data-type": entry.type },
      h("strong", {}, eventLabel(entry)), entry.element_name ? ` · ${localName(entry.element_name)}` : "",
      entry.actor ? ` · ${t("by", { name: actorName(entry) })}` : "", h("br"),
      h("small", {}, formatTime(entry.occurred_at)), eventDetails(entry) ? [h("br"), eventDetails(entry)] : null))));
}

// ------------------------------------------------------------------ actions
async function actionsSection(view) {
  const { detail } = view;
  const parts = [];
  if (session.hasRole("supervisor", "auditor", "admin")) {
    parts.push(h("p", {}, h("a", { href: `#/case/${detail.id}/history`, id: "history-link" }, t("history_link"))));
  }
  if (detail.status === "running" && session.hasRole("supervisor")) parts.push(await officerForm(view));
  if (detail.status === "running" && isWorker()) {
    for (const [kind, path] of [["withdraw", "withdraw"], ["cancel", "cancel"]]) {
      const reason = h("textarea", { id: `${kind}-reason`, rows: 2, maxlength: 2000, required: true, "aria-required": "true" });
      const title = kind === "withdraw" ? t("withdraw") : t("cancel_case");
      parts.push(h("details", { class: "action-details" }, h("summary", {}, title), actionForm(view, {
        id: `${kind}-form`, title, submit: kind === "withdraw" ? t("confirm_withdraw") : t("confirm_cancel"),
        fields: [h("div", { class: "field" }, h("label", { for: `${kind}-reason` },
          `${kind === "withdraw" ? t("withdraw_reason") : t("cancel_reason")} (${t("required")})`), reason)],
        async send() {
          if (!reason.value.trim()) throw new Error(`${t("reason")}: ${t("err_required")}`);
          await api(`/api/cases/${detail.id}/${path}`, { method: "POST", json: { reason: reason.value.trim() } });
          return kind === "withdraw" ? t("case_closed_withdrawn") : t("case_closed_cancelled");
        } })));
    }
  }
  return parts.length ? section("case-actions", t("case_actions"), ...parts) : null;
}

async function officerForm(view) {
  const colleagues = await api("/api/staff?group=Clerk");
  const choice = h("select", { id: "officer-choice", required: true, "aria-required": "true" },
    h("option", { value: "" }, t("choose")),
    colleagues.filter((person) => person.username !== view.detail.officer?.username)
      .map((person) => h("option", { value: person.username }, person.name)));
  const reason = h("textarea", { id: "officer-reason", rows: 2, maxlength: 2000, required: true, "aria-required": "true" });
  return actionForm(view, { id: "officer-form", title: t("reassign_officer"), submit: t("save_change"),
    fields: [h("div", { class: "field" }, h("label", { for: "officer-choice" }, `${t("new_officer")} (${t("required")})`), choice),
      h("div", { class: "field" }, h("label", { for: "officer-reason" }, `${t("reason")} (${t("required")})`), reason)],
    async send() {
      if (!choice.value) throw new Error(`${t("new_officer")}: ${t("err_required")}`);
      if (!reason.value.trim()) throw new Error(`${t("reason")}: ${t("err_required")}`);
      await api(`/api/cases/${view.caseId}/officer`, { method: "PUT", json: { officer: choice.value, reason: reason.value.trim() } });
      return t("officer_changed");
    } });
}

/** The sections of the case page, by where they go: beside each other (main, side), then wide. */
export const CASE_SECTIONS = {
  main: [summarySection, stepsSection, noticeSection, filesSection, evidenceSection],
  side: [actionsSection, notesSection],
  wide: [diagramSection, activitySection],
};
