// Supervisors: hand a colleague's work to others (leave, sickness, an uneven load). Choose whose
// work, tick the cases they are responsible for (承辦人) and the tasks they hold, choose to whom,
// give the reason; each item is moved on its own (PUT /api/cases/{id}/officer, POST
// /api/tasks/{id}/assign), so one refused item never stops the others, and each says how it went.
import { api } from "./api.js";
import { announce, h, loadStyle, notice, table } from "./dom.js";
import { formatTime, laneName, localName, procedureName, t } from "./i18n.js";
import { fetchAll, progressArea } from "./exports.js";
import { slaBadge } from "./clerk.js";
import { whereItStands } from "./cases.js";

export async function reassignPage(main, params) {
  loadStyle("/app/static/backoffice.css");
  const staff = await api("/api/staff");
  const stepName = (task) => localName(task.name) || task.element_id;
  const nameOf = (username) => staff.find((person) => person.username === username)?.name || username;
  const from = params.get("from") || "";
  const person = h("select", { id: "reassign-from", name: "from" }, h("option", { value: "" }, t("choose")),
    staff.map((item) => h("option", { value: item.username, selected: item.username === from }, item.name)));
  main.append(h("h1", {}, t("reassign_title")), h("p", {}, t("reassign_intro")),
    h("form", { class: "filters", onsubmit: (event) => {
      event.preventDefault();
      location.hash = person.value ? `#/reassign?from=${encodeURIComponent(person.value)}` : "#/reassign";
    } }, h("div", { class: "field" }, h("label", { for: "reassign-from" }, t("reassign_from")), person),
    h("button", { type: "submit" }, t("reassign_list"))));
  if (!from) return;

  const [cases, tasks] = await Promise.all([
    fetchAll(`/api/cases?officer=${encodeURIComponent(from)}&status=running&sort=due_at`, null, null, 1000),
    fetchAll(`/api/tasks?assignee=${encodeURIComponent(from)}`, null, null, 1000),
  ]);
  const chosen = new Set();
  const submit = h("button", { type: "submit", id: "reassign-button" });
  const count = () => { submit.textContent = t("reassign_submit", { n: chosen.size }); submit.disabled = !chosen.size; };
  const box = (key, label) => {
    chosen.add(key);
    const input = h("input", { type: "checkbox", id: `pick-${key}`, checked: true, "data-pick": key, onchange: () => {
      if (input.checked) chosen.add(key); else chosen.delete(key);
      count();
    } });
    return h("span", {}, input, h("label", { for: input.id, class: "visually-hidden" }, label));
  };
  const all = (id, scope) => h("div", { class: "field inline" },
    h("input", { type: "checkbox", id, checked: true, onchange: (event) => {
      main.querySelectorAll(`input[data-pick^="${scope}:"]:not(:disabled)`).forEach((input) => {
        input.checked = event.target.checked;
        input.dispatchEvent(new Event("change"));
      });
    } }), h("label", { for: id }, t("audit_choose_all")));

  const caseSection = h("section", { "aria-labelledby": "reassign-cases-heading" },
    h("h2", { id: "reassign-cases-heading" }, t("reassign_cases", { name: nameOf(from), n: cases.length })),
    cases.length ? [all("pick-all-cases", "case"), table(null,
      [t("moves_select"), t("col_case"), t("col_procedure"), t("col_current"), t("col_due"), t("col_sla")],
      cases.map((item) => [box(`case:${item.id}`, t("reassign_pick_case", { number: item.number })),
        h("a", { href: `#/case/${item.id}` }, item.number), procedureName(item.procedure), whereItStands(item),
        item.due_at ? formatTime(item.due_at) : "—", slaBadge(item.sla_state)]), { id: "reassign-cases" })]
      : h("p", {}, t("reassign_no_cases")));
  const taskSection = h("section", { "aria-labelledby": "reassign-tasks-heading" },
    h("h2", { id: "reassign-tasks-heading" }, t("reassign_tasks", { name: nameOf(from), n: tasks.length })),
    tasks.length ? [all("pick-all-tasks", "task"), table(null,
      [t("moves_select"), t("col_step"), t("col_case"), t("col_lane"), t("col_due")],
      tasks.map((item) => [box(`task:${item.id}`, t("reassign_pick_task", { task: stepName(item), number: item.case_number })),
        h("a", { href: `#/task/${item.id}` }, stepName(item)), item.case_number, laneName(item.lane),
        item.case_due_at ? formatTime(item.case_due_at) : "—"]), { id: "reassign-tasks" })]
      : h("p", {}, t("reassign_no_tasks")));
  main.append(caseSection, taskSection);
  if (!cases.length && !tasks.length) return;

  const target = h("select", { id: "reassign-to", required: true, "aria-required": "true" }, h("option", { value: "" }, t("choose")),
    staff.filter((item) => item.username !== from).map((item) => h("option", { value: item.username }, item.name)));
  const reason = h("textarea", { id: "reassign-reason", rows: 2, maxlength: 2000, required: true, "aria-required": "true" });
  const failure = h("div", { id: "reassign-failure" });
  const progress = progressArea("reassign-progress");
  const results = h("div", { id: "reassign-results" });
  count();
  main.append(h("section", { "aria-labelledby": "reassign-to-heading" }, h("h2", { id: "reassign-to-heading" }, t("reassign_to_heading")),
    h("form", { id: "reassign-form", novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const missing = [[target, t("reassign_to")], [reason, t("reason")]].filter(([field]) => !field.value.trim());
      for (const [field] of [[target], [reason]]) field.removeAttribute("aria-invalid");
      if (missing.length) {
        missing.forEach(([field]) => field.setAttribute("aria-invalid", "true"));
        failure.replaceChildren(notice("bad", missing.map(([, label]) => `${label}: ${t("err_required")}`).join("；")));
        missing[0][0].focus();
        return;
      }
      failure.replaceChildren();
      submit.disabled = true;
      const to = target.value;
      const why = reason.value.trim();
      const outcome = await handOver([...chosen].map((key) => {
        const [kind, id] = key.split(/:(.*)/s);
        const item = (kind === "task" ? tasks : cases).find((entry) => entry.id === id);
        if (kind === "task") return taskItem(item, item.case_number, to);
        return { key, label: item.number, send: () => api(`/api/cases/${id}/officer`, { method: "PUT", json: { officer: to, reason: why } }) };
      }), progress);
      for (const entry of outcome.filter((item) => item.ok)) { // moved: no longer this person's to move
        const input = main.querySelector(`input[data-pick="${CSS.escape(entry.key)}"]`);
        input.checked = false;
        input.disabled = true;
        input.closest("tr").classList.add("moved");
        chosen.delete(entry.key);
      }
      count();
      showResults(results, outcome, nameOf(target.value));
    } },
    h("div", { class: "field" }, h("label", { for: "reassign-to" }, `${t("reassign_to")} (${t("required")})`), target),
    h("div", { class: "field" }, h("label", { for: "reassign-reason" }, `${t("reason")} (${t("required")})`), reason),
    h("p", { class: "hint" }, t("reassign_task_hint")),
    submit, failure), progress.element, results));
}

/** Send each item in turn (``item.send()``); every answer is kept, good or bad. */
export async function handOver(items, progress) {
  const signal = progress.start(t("reassign_running", { done: 0, total: items.length }));
  const outcome = [];
  for (const [index, item] of items.entries()) {
    if (signal.aborted) break;
    try {
      await item.send();
      outcome.push({ key: item.key, label: item.label, ok: true });
    } catch (failure) {
      outcome.push({ key: item.key, label: item.label, ok: false, message: failure.message });
    }
    progress.step(index + 1, items.length, t("reassign_running", { done: index + 1, total: items.length }));
  }
  progress.finish(t("reassign_done", { moved: outcome.filter((entry) => entry.ok).length, total: items.length }));
  return outcome;
}

/** What happened to each item, under a summary (``id``: the table's). */
export function showResults(results, outcome, name, id = "reassign-results-table") {
  const moved = outcome.filter((entry) => entry.ok).length;
  const summary = t("reassign_done_to", { moved, total: outcome.length, name });
  results.replaceChildren(notice(moved === outcome.length ? "ok" : "bad", summary),
    table(null, [t("reassign_item"), t("audit_result"), t("audit_detail")], outcome.map((entry) => [entry.label,
      h("span", { class: `badge ${entry.ok ? "ok" : "bad"}` }, entry.ok ? t("reassign_moved") : t("reassign_refused")),
      entry.ok ? t("reassign_now_with", { name }) : entry.message]), { id }));
  announce(summary);
}

/** A task as a hand-over item: to ``to``, a colleague of its lane. */
export const taskItem = (task, number, to) => ({ key: `task:${task.id}`, label: `${localName(task.name) || task.element_id}（${number}）`,
  send: () => api(`/api/tasks/${task.id}/assign`, { method: "POST", json: { assignee: to } }) });
