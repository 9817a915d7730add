// Moving running cases to a new version, step by step: choose the versions, see which cases can
// move and which cannot (the element that blocks each, and why), choose the cases and give the
// reason, move them, and read what happened to each.
import { api, ApiError } from "./api.js";
import { announce, h, notice, present, table } from "./dom.js";
import { t } from "./i18n.js";

/** Where a case waits: the element's id and name, as the findings and the rehearsal name it. */
const waitingText = (items) => (items || [])
  .map((item) => `${item.element_id}${item.name ? `「${item.name}」` : ""}`).join("、") || "—";

/** Draw the wizard for the procedure ``detail`` (GET /api/definitions/{key}) into ``section``. */
export function moveWizard(section, detail) {
  const startable = detail.versions.filter((version) => !version.draft);
  const heading = h("h2", { id: "moves-heading", tabindex: "-1" }, t("moves_title"));
  section.setAttribute("aria-labelledby", "moves-heading");
  if (startable.length < 2) {
    section.replaceChildren(heading, h("p", {}, t("moves_one_version")));
    return;
  }
  const option = (version, selected) => h("option", { value: version.version, selected }, `v${version.version}`);
  const latest = startable.at(-1).version;
  const from = h("select", { id: "move-from" }, startable.slice(0, -1).reverse().map((version, index) => option(version, index === 0)));
  const to = h("select", { id: "move-to" }, startable.slice(1).reverse().map((version, index) => option(version, index === 0)));
  const step = h("div", { id: "move-step" });
  section.replaceChildren(heading, h("p", { class: "hint" }, t("moves_intro")),
    h("form", { class: "actions", onsubmit: (event) => { event.preventDefault(); preview(); } },
      h("label", { for: "move-from" }, t("moves_from")), from, h("label", { for: "move-to" }, t("moves_to")), to,
      h("button", { type: "submit", class: "secondary", id: "move-preview-button" }, t("moves_preview"))),
    step);
  section.dataset.latest = String(latest);

  async function preview() {
    step.replaceChildren(t("loading"));
    let answer;
    try {
      answer = await api(`/api/definitions/${detail.key}/move-preview?from=${from.value}&to=${to.value}`);
    } catch (failure) {
      step.replaceChildren(notice("bad", failure instanceof ApiError ? failure.problem.detail || failure.message : failure.message));
      return;
    }
    const boxes = new Map();
    const rows = [
      ...answer.movable.map((item) => {
        const box = h("input", { type: "checkbox", id: `move-case-${item.case_id}`, checked: true, value: item.case_id });
        boxes.set(item.case_id, box);
        return [h("span", {}, box, h("label", { for: box.id, class: "visually-hidden" }, t("moves_choose", { number: item.number }))),
          item.number, waitingText(item.waiting_at), h("span", { class: "badge ok" }, t("moves_can_move")), "—"];
      }),
      ...answer.blocked.map((item) => ["—", item.number, waitingText(item.waiting_at), h("span", { class: "badge bad" }, t("moves_blocked")),
        h("ul", { class: "blockers" }, item.blocked_by.map((blocker) =>
          h("li", {}, h("code", {}, blocker.element_id), ` (${blocker.element_type}): ${blocker.reason}`)))]),
    ];
    if (!rows.length) {
      step.replaceChildren(notice("info", t("moves_none", { from: answer.from, to: answer.to })));
      return;
    }
    const reason = h("input", { id: "move-reason", required: true, maxlength: 500, size: 50 });
    const failure = h("div", { id: "move-failure" });
    step.replaceChildren(...present(
      h("p", { id: "move-summary" }, t("moves_summary", { movable: answer.movable.length, blocked: answer.blocked.length, from: answer.from, to: answer.to })),
      answer.truncated ? notice("info", t("moves_truncated")) : null,
      table(null, [t("moves_select"), t("col_case"), t("moves_waiting_at"), t("moves_can"), t("moves_blocked_by")], rows, { id: "move-preview-table" }),
      answer.movable.length ? h("form", { class: "actions", onsubmit: async (event) => {
        event.preventDefault();
        const chosen = [...boxes].filter(([, box]) => box.checked).map(([caseId]) => caseId);
        if (!chosen.length) { failure.replaceChildren(notice("bad", t("moves_choose_some"))); return; }
        try {
          const result = await api(`/api/definitions/${detail.key}/moves`, { method: "POST",
            json: { from_version: answer.from, to_version: answer.to, reason: reason.value, case_ids: chosen } });
          showResult(result, answer);
        } catch (error) {
          failure.replaceChildren(notice("bad", error instanceof ApiError ? error.problem.detail || error.message : error.message));
        }
      } },
      h("label", { for: "move-reason" }, t("moves_reason")), reason,
      h("button", { type: "submit", id: "move-button" }, t("moves_move"))) : null,
      failure));
  }

  function showResult(result, answer) {
    const numbers = new Map([...answer.movable, ...answer.blocked].map((item) => [item.case_id, item.number]));
    step.replaceChildren(
      notice(result.failed || result.blocked ? "info" : "ok", t("moves_done", { moved: result.moved, blocked: result.blocked, failed: result.failed, to: result.to_version })),
      table(null, [t("col_case"), t("moves_outcome"), t("moves_detail")], result.cases.map((item) => [
        h("a", { href: `#/case/${item.case_id}` }, numbers.get(item.case_id) || item.case_id),
        h("span", { class: `badge ${item.outcome === "moved" ? "ok" : "bad"}` }, t(`moves_outcome_${item.outcome}`)),
        item.blocked_by.length ? item.blocked_by.map((blocker) => `${blocker.element_id}: ${blocker.reason}`).join("; ") : item.reason || "—",
      ]), { id: "move-result-table" }));
    announce(t("moves_done", { moved: result.moved, blocked: result.blocked, failed: result.failed, to: result.to_version }));
  }
}
