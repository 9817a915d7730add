// Deploying from the designer: what the deploy would do is shown first (the verdict, every
// finding, the changes against the current version) and the designer confirms. Errors block the
// deploy; warnings must be acknowledged, one checkbox for all of them, naming how many.
import { api, ApiError } from "./api.js";
import { h, notice } from "./dom.js";
import { currentLanguage, t } from "./i18n.js";

const BLOCKING = new Set(["error", "fixable"]);
/** A finding's (or a rewrite's, an offer's) words in the current language. */
export function localized(item) {
  const messages = item.messages || item.title;
  return (messages && (messages[currentLanguage()] || messages.en)) || item.message || "";
}

const NOTES = new Set(["info", "note"]);

/** {errors, warnings, notes}: errors block a deploy, warnings need an acknowledgement. */
export function countFindings(items) {
  const counts = { errors: 0, warnings: 0, notes: 0 };
  for (const finding of items || []) {
    if (BLOCKING.has(finding.severity)) counts.errors += 1;
    else if (NOTES.has(finding.severity)) counts.notes += 1;
    else counts.warnings += 1;
  }
  return counts;
}

/** Show the preview of deploying ``form`` in a modal dialog; deploy if the designer confirms.
 * Resolves to the deploy answer, or null when cancelled or blocked. */
export async function confirmDeploy({ form, name, showFindings }) {
  const preview = await api("/api/designer/deploy-preview", { method: "POST", form });
  showFindings(preview.findings); // the same findings on the diagram
  const counts = countFindings(preview.findings);
  const acknowledge = h("input", { type: "checkbox", id: "acknowledge-warnings" });
  const confirm = h("button", { type: "submit", id: "confirm-deploy", disabled: counts.errors > 0 || counts.warnings > 0 }, t("deploy_confirm"));
  const cancel = h("button", { type: "button", class: "secondary", id: "cancel-deploy" }, t("cancel"));
  const failure = h("div", { id: "deploy-failure" });
  acknowledge.addEventListener("change", () => { confirm.disabled = counts.errors > 0 || !acknowledge.checked; });
  const ordered = [...preview.findings].sort((a, b) => Number(BLOCKING.has(b.severity)) - Number(BLOCKING.has(a.severity)));
  const target = preview.current_version ? t("deploy_next_version", { from: preview.current_version, to: preview.current_version + 1 })
    : t("deploy_first_version");
  const dialog = h("dialog", { id: "deploy-dialog", class: "dialog", "aria-labelledby": "deploy-dialog-title" },
    h("form", { method: "dialog" },
      h("h2", { id: "deploy-dialog-title" }, t("deploy_title", { name: preview.key || name })),
      h("p", {}, target, " · ", t("deploy_verdict", { verdict: preview.verdict })),
      counts.errors ? notice("bad", t("deploy_blocked", { n: counts.errors }))
        : counts.warnings ? notice("info", t("deploy_has_warnings", { n: counts.warnings })) : notice("ok", t("deploy_clean")),
      ordered.length ? h("section", { "aria-labelledby": "deploy-findings-heading" },
        h("h3", { id: "deploy-findings-heading" }, t("findings")),
        h("ul", { id: "deploy-findings" }, ordered.map((finding) => h("li", { class: `finding-${finding.severity}` },
          h("strong", {}, t(`severity_${finding.severity}`)), ` ${finding.element_id || finding.file || ""}: ${localized(finding)}`)))) : null,
      h("section", { "aria-labelledby": "deploy-diff-heading", id: "deploy-diff" },
        h("h3", { id: "deploy-diff-heading" }, preview.current_version ? t("deploy_changes", { version: preview.current_version }) : t("deploy_new_procedure")),
        preview.diff ? diffLists(preview.diff) : null),
      counts.warnings && !counts.errors ? h("div", { class: "field inline" }, acknowledge,
        h("label", { for: "acknowledge-warnings" }, t("deploy_acknowledge", { n: counts.warnings }))) : null,
      failure,
      h("div", { class: "actions" }, confirm, cancel)));
  document.body.append(dialog);
  dialog.showModal();
  (counts.errors ? cancel : counts.warnings ? acknowledge : confirm).focus();
  try {
    return await new Promise((resolve) => {
      cancel.addEventListener("click", () => resolve(null));
      dialog.addEventListener("cancel", () => resolve(null)); // Escape
      dialog.querySelector("form").addEventListener("submit", async (event) => {
        event.preventDefault();
        confirm.disabled = true;
        try {
          resolve(await api("/api/definitions", { method: "POST", form }));
        } catch (error) {
          failure.replaceChildren(notice("bad", error instanceof ApiError ? error.problem.detail || error.message : error.message));
          confirm.disabled = false;
        }
      });
    });
  } finally {
    dialog.close();
    dialog.remove();
  }
}
/** One aspect of a changed element as lines: what its inside lost (−) and gained (+); its type,
 * name or attributes from → to. */
function changeLines(aspect, change) {
  const line = (sign, text) => h("li", {}, h("span", { class: "visually-hidden" }, sign === "+" ? t("added") : t("removed")),
    h("code", { "aria-hidden": "true" }, sign), " ", h("code", {}, text));
  if (aspect === "content") return [...change.removed.map((text) => line("−", text)), ...change.added.map((text) => line("+", text))];
  if (aspect === "attributes") {
    const keys = [...new Set([...Object.keys(change.from || {}), ...Object.keys(change.to || {})])]
      .filter((key) => change.from?.[key] !== change.to?.[key]);
    return keys.map((key) => h("li", {}, h("code", {}, key), `: ${change.from?.[key] ?? "—"} → ${change.to?.[key] ?? "—"}`));
  }
  return [h("li", {}, `${t(`diff_${aspect}`)}: ${change.from ?? "—"} → ${change.to ?? "—"}`)];
}

/** Elements added, removed and changed, and files changed, as lists. */
export function diffLists(diff) {
  const list = (title, items, describe) => h("div", {}, h("h3", {}, `${title} (${items.length})`),
    items.length ? h("ul", {}, items.map((item) => h("li", {}, describe(item)))) : null);
  const element = (item) => `${item.id} ${item.name ? `「${item.name}」` : ""} ${item.type}`;
  return h("div", { class: "diff-lists" },
    list(`${t("elements")}: ${t("added")}`, diff.elements.added, element),
    list(`${t("elements")}: ${t("removed")}`, diff.elements.removed, element),
    list(`${t("elements")}: ${t("changed")}`, diff.elements.changed, (item) => [element(item),
      h("ul", { class: "diff-changes" }, Object.entries(item.changes).flatMap(([aspect, change]) => changeLines(aspect, change)))]),
    list(`${t("files")}: ${t("changed")}`, diff.files.changed, (name) => name));
}
