// Supervisors: the follow-up queues with their context. Breaches: the delay reviews the SLA timers
// opened (the case, the step that was late and by how much) and the open cases past their due
// date; low ratings: the follow-ups the rating opened (the score, the comment and how to reach
// the applicant). Each row opens the task, whose form takes the reason and the action.
import { api } from "./api.js";
import { h, loadStyle, table } from "./dom.js";
import { formatTime, procedureName, t } from "./i18n.js";
import { fetchAll } from "./exports.js";
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

export async function queuesPage(main) {
  loadStyle("/app/static/backoffice.css");
  const [tasks, overdue] = await Promise.all([
    fetchAll("/api/tasks", null, null, 2000),
    fetchAll("/api/cases?overdue=true&status=running", null, null, 1000),
  ]);
  const delays = tasks.filter((task) => task.element_id === DELAY_REVIEW);
  const lows = tasks.filter((task) => task.element_id === LOW_RATING);
  const [delayCases, lowTasks] = await Promise.all([
    Promise.all(delays.map((task) => api(`/api/cases/${task.case_id}`))),
    Promise.all(lows.map((task) => api(`/api/tasks/${task.id}`))),
  ]);
  const open = (task, label) => h("a", { href: `#/task/${task.id}`, "aria-label": `${label} ${task.case_number}` }, label);
  const lateSteps = (detail) => detail.open_tasks.filter((task) => task.element_id !== DELAY_REVIEW)
    .map((task) => task.name || task.element_id).join("、") || "—";

  main.append(h("h1", {}, t("queues_title")),
    h("section", { "aria-labelledby": "breach-heading" }, h("h2", { id: "breach-heading" }, t("queue_breaches", { n: delays.length })),
      delays.length ? table(null, [t("col_case"), t("col_procedure"), t("queue_late_step"), t("col_due"), t("queue_late_by"), t("col_assignee"), t("col_action")],
        delays.map((task, index) => [h("a", { href: `#/case/${task.case_id}` }, task.case_number), procedureName(task.procedure),
          lateSteps(delayCases[index]), formatTime(task.case_due_at), task.case_due_at ? lateBy(task.case_due_at) : "—",
          task.assignee || t("queue_unclaimed"), open(task, t("queue_review"))]), { id: "breach-queue" })
        : h("p", {}, t("queue_no_breaches")),
      h("h3", {}, t("queue_overdue_cases", { n: overdue.length })),
      overdue.length ? table(null, [t("col_case"), t("col_procedure"), t("col_due"), t("queue_late_by"), t("col_sla")],
        overdue.map((item) => [h("a", { href: `#/case/${item.id}` }, item.number), procedureName(item.procedure),
          formatTime(item.due_at), item.due_at ? lateBy(item.due_at) : "—", slaBadge(item.sla_state)]), { id: "overdue-cases" })
        : h("p", {}, t("queue_no_overdue"))),
    h("section", { "aria-labelledby": "rating-heading" }, h("h2", { id: "rating-heading" }, t("queue_low_ratings", { n: lows.length })),
      lowTasks.length ? table(null, [t("col_case"), t("col_procedure"), t("queue_score"), t("queue_comment"), t("queue_contact"), t("col_action")],
        lowTasks.map((task) => {
          const rating = task.case_data.rating || {};
          const applicant = task.case.applicant || {};
          const contact = [applicant.name, applicant.phone, applicant.email].filter(Boolean).join(" · ") || t("queue_no_contact");
          return [h("a", { href: `#/case/${task.case_id}` }, task.case.number), procedureName(task.procedure),
            h("strong", {}, String(task.case_data.rating_score ?? rating.score ?? "—")), rating.comment || "—", contact,
            open(task, t("queue_follow_up"))];
        }), { id: "rating-queue" })
        : h("p", {}, t("queue_no_low_ratings"))));
}
