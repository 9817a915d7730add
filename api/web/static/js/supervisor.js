// Supervisors: the follow-up queues with their context. Breaches: the delay reviews the SLA timers
// opened (the case, the step that was late and by how much) and the open cases past their due
// date; low ratings: the follow-ups the rating opened (the score, the comment and how to reach
// the applicant). Each row opens the task, whose form takes the reason and the action. Links lead
// to the incidents (their own page: retry, cancel) and to reassigning a colleague's work.
import { api, session } from "./api.js";
import { facts, h, loadStyle, notice, table } from "./dom.js";
import { formatTime, localName, procedureName, t } from "./i18n.js";
import { fetchAll, progressArea } from "./exports.js";
import { handOver, showResults, taskItem } from "./reassign.js";
import { slaBadge } from "./clerk.js";

// The follow-up steps every procedure in bpmn/ names so: the delay review its SLA timer opens,
// and the rating's follow-up of a low score (the shared rating sub-process).
const DELAY_REVIEW = "review_delay";
const LOW_RATING = "follow_up_rating";
const HOUR = 3600 * 1000;

/** "3 days 4 hours" late (calendar time since the due date). */
export function lateBy(dueAt, now = new Date()) {
  const hours = Math.max(0, Math.floor((now - new Date(dueAt)) / HOUR));
  return hours >= 24 ? t("late_days", { days: Math.floor(hours / 24), hours: hours % 24 }) : t("late_hours", { hours });
}

/** What a follow-up task needs beside its form: for a delay review the step that was late, the
 * due date and how late; for a low rating the score, the comment and the applicant's contact.
 * Null for other tasks. (``task``: GET /api/tasks/{id}.) */
export async function followUpContext(task) {
  if (task.element_id === DELAY_REVIEW) {
    const detail = await api(`/api/cases/${task.case_id}`);
    return h("section", { "aria-labelledby": "context-heading", id: "follow-up-context" },
      h("h2", { id: "context-heading" }, t("context_delay")),
      facts([[t("queue_late_step"), lateStepsOf(detail)], [t("col_due"), formatTime(task.case.due_at)],
        [t("queue_late_by"), task.case.due_at ? lateBy(task.case.due_at) : "—"]]));
  }
  if (task.element_id === LOW_RATING) {
    const rating = await api(`/api/cases/${task.case_id}/rating`);
    return h("section", { "aria-labelledby": "context-heading", id: "follow-up-context" },
      h("h2", { id: "context-heading" }, t("context_rating")),
      facts([[t("queue_score"), String(rating.score ?? "—")], [t("queue_comment"), rating.comment || "—"],
        [t("queue_contact"), contactOf(task.case.applicant)]]));
  }
  return null;
}

const lateStepsOf = (detail) => detail.open_tasks.filter((item) => item.element_id !== DELAY_REVIEW)
  .map((item) => localName(item.name) || item.element_id).join("、") || "—";
/** The officer by name, with a link to reassign their work (supervisors). */
const officerCell = (officer) => (!officer ? t("no_officer") : !session.hasRole("supervisor") ? officer.name
  : [officer.name, " ", h("a", { href: `#/reassign?from=${encodeURIComponent(officer.username)}`,
    "aria-label": t("queue_reassign_from", { name: officer.name }) }, t("queue_reassign_short"))]);
const contactOf = (applicant) => [applicant?.name, applicant?.phone, applicant?.email].filter(Boolean).join(" · ") || t("queue_no_contact");

export async function queuesPage(main) {
  loadStyle("/app/static/backoffice.css");
  const [tasks, overdue, incidents] = await Promise.all([
    fetchAll("/api/tasks", null, null, 2000),
    fetchAll("/api/cases?overdue=true&status=running", null, null, 1000),
    api("/api/incidents?status=open&per_page=1"),
  ]);
  const delays = tasks.filter((task) => task.element_id === DELAY_REVIEW);
  const lows = tasks.filter((task) => task.element_id === LOW_RATING);
  const [delayCases, lowTasks] = await Promise.all([
    Promise.all(delays.map((task) => api(`/api/cases/${task.case_id}`))),
    Promise.all(lows.map((task) => Promise.all([api(`/api/tasks/${task.id}`), api(`/api/cases/${task.case_id}/rating`)]))),
  ]);
  const canHand = session.hasRole("supervisor"); // the API lets supervisors give anyone's task
  const chosen = new Map();
  const pick = (task, number) => {
    const box = h("input", { type: "checkbox", id: `pick-${task.id}`, onchange: () => {
      if (box.checked) chosen.set(task.id, [task, number]); else chosen.delete(task.id);
    } });
    return h("span", {}, box, h("label", { for: box.id, class: "visually-hidden" }, t("queue_pick", { number })));
  };
  const ticked = (cells, task, number) => (canHand ? [pick(task, number), ...cells] : cells);
  const tickColumn = (columns) => (canHand ? [t("moves_select"), ...columns] : columns);
  const open = (task, label) => h("a", { href: `#/task/${task.id}`, "aria-label": `${label} ${task.case_number}` }, label);

  main.append(h("h1", {}, t("queues_title")),
    h("nav", { "aria-label": t("queue_links"), class: "page-links" }, h("ul", {},
      h("li", {}, h("a", { href: "#/incidents", id: "incidents-link" }, t("queue_incidents_link", { n: incidents.total }))),
      session.hasRole("supervisor") ? h("li", {}, h("a", { href: "#/reassign", id: "reassign-link" }, t("queue_reassign_link"))) : null)),
    h("section", { "aria-labelledby": "breach-heading" }, h("h2", { id: "breach-heading" }, t("queue_breaches", { n: delays.length })),
      delays.length ? table(null, tickColumn([t("col_case"), t("col_procedure"), t("queue_late_step"), t("col_due"), t("queue_late_by"), t("col_assignee"), t("col_action")]),
        delays.map((task, index) => ticked([h("a", { href: `#/case/${task.case_id}` }, task.case_number), procedureName(task.procedure),
          lateStepsOf(delayCases[index]), formatTime(task.case_due_at), task.case_due_at ? lateBy(task.case_due_at) : "—",
          h("span", { "data-assignee": task.id }, task.assignee_name || task.assignee || t("queue_unclaimed")), open(task, t("queue_review"))],
        task, task.case_number)), { id: "breach-queue" })
        : h("p", {}, t("queue_no_breaches")),
      h("h3", {}, t("queue_overdue_cases", { n: overdue.length })),
      overdue.length ? table(null, [t("col_case"), t("col_procedure"), t("col_due"), t("queue_late_by"), t("col_sla"), t("col_officer")],
        overdue.map((item) => [h("a", { href: `#/case/${item.id}` }, item.number), procedureName(item.procedure),
          formatTime(item.due_at), item.due_at ? lateBy(item.due_at) : "—", slaBadge(item.sla_state), officerCell(item.officer)]),
        { id: "overdue-cases" })
        : h("p", {}, t("queue_no_overdue"))),
    h("section", { "aria-labelledby": "rating-heading" }, h("h2", { id: "rating-heading" }, t("queue_low_ratings", { n: lows.length })),
      lowTasks.length ? table(null, tickColumn([t("col_case"), t("col_procedure"), t("queue_score"), t("queue_comment"), t("queue_contact"), t("col_action")]),
        lowTasks.map(([task, rating]) => ticked([h("a", { href: `#/case/${task.case_id}` }, task.case.number), procedureName(task.procedure),
          h("strong", {}, String(rating.score ?? "—")), rating.comment || "—", contactOf(task.case.applicant),
          open(task, t("queue_follow_up"))], task, task.case.number)), { id: "rating-queue" })
        : h("p", {}, t("queue_no_low_ratings"))));
  if (canHand && (delays.length || lows.length)) main.append(await handOverForm(chosen, delays[0]?.lane || lows[0]?.lane));
}

/** Give the ticked follow-ups to a colleague of their lane, each on its own. */
async function handOverForm(chosen, lane) {
  const colleagues = await api(`/api/staff?group=${encodeURIComponent(lane)}`);
  const target = h("select", { id: "hand-to" }, h("option", { value: "" }, t("choose")),
    colleagues.map((person) => h("option", { value: person.username }, person.name)));
  const failure = h("div", { id: "hand-failure" });
  const progress = progressArea("hand-progress");
  const results = h("div", { id: "hand-results" });
  return h("section", { "aria-labelledby": "hand-heading" }, h("h2", { id: "hand-heading" }, t("queue_hand_heading")),
    h("form", { id: "hand-form", class: "actions", novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const problem = !chosen.size ? t("queue_pick_first") : !target.value ? `${t("reassign_to")}: ${t("err_required")}` : null;
      failure.replaceChildren(problem ? notice("bad", problem) : "");
      if (problem) return;
      const name = target.selectedOptions[0].textContent;
      const outcome = await handOver([...chosen.values()].map(([task, number]) => taskItem(task, number, target.value)), progress);
      for (const entry of outcome.filter((item) => item.ok)) { // the queue says who has it now
        const cell = document.querySelector(`[data-assignee="${CSS.escape(entry.key.slice("task:".length))}"]`);
        if (cell) cell.textContent = name;
      }
      showResults(results, outcome, name, "hand-results-table");
    } }, h("label", { for: "hand-to" }, t("reassign_to")), target,
    h("button", { type: "submit", id: "hand-button" }, t("queue_hand_submit"))), failure, progress.element, results);
}
