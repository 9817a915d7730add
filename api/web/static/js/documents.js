// Clerks: the files attached to a case (uploaded online, or scanned), opened through the API with
// the clerk's token (never a public link): images and PDFs shown on the page, or saved.
import { api, session } from "./api.js";
import { h, notice, table } from "./dom.js";
import { formatTime, optionLabel, t } from "./i18n.js";
import { documentSlots, fileSize } from "./online.js";

const MAX_BYTES = 10 * 1048576;

/** The file's bytes, fetched with the clerk's token (a plain link would carry none). */
async function fetchFile(caseId, document) {
  const response = await fetch(`/api/cases/${caseId}/documents/${document.id}`, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || `HTTP ${response.status}`);
  }
  return response.blob();
}

/** An image as a data: URL: the page's CSP allows data: images, not blob: ones. */
const dataUrl = (blob) => new Promise((resolve, reject) => {
  const reader = new FileReader();
  reader.onload = () => resolve(reader.result);
  reader.onerror = () => reject(reader.error);
  reader.readAsDataURL(blob);
});

/** The files of a case; ``attachKinds``: the documents a clerk may attach scans of here (none: no form). */
export async function documentsSection(caseId, { headingLevel = "h2", attachKinds = [] } = {}) {
  const section = h("section", { "aria-labelledby": "case-files-heading", id: "case-files" },
    h(headingLevel, { id: "case-files-heading" }, t("case_files")));
  const documents = await api(`/api/cases/${caseId}/documents`);
  const attach = attachKinds.length ? attachForm(caseId, attachKinds, async () => {
    section.replaceWith(await documentsSection(caseId, { headingLevel, attachKinds }));
    document.getElementById("case-files-heading")?.focus();
  }) : null;
  if (!documents.length) { section.append(h("p", {}, t("no_case_files")), ...(attach ? [attach] : [])); return section; }
  const preview = h("div", { id: "file-preview", "aria-live": "polite" });
  // Images are shown here; a PDF opens in a tab of its own (the browser's viewer), or is saved.
  async function show(document, download) {
    try {
      const blob = await fetchFile(caseId, document);
      if (download || document.media_type === "application/pdf") {
        const url = URL.createObjectURL(blob);
        if (download) h("a", { href: url, download: document.file_name }).click();
        else window.open(url, "_blank", "noopener");
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        return;
      }
      const label = `${optionLabel(document.kind)}: ${document.file_name}`;
      preview.replaceChildren(h("h3", {}, label), h("img", { src: await dataUrl(blob), alt: label, class: "file-image" }));
    } catch (failure) {
      preview.replaceChildren(notice("bad", `${document.file_name}: ${failure.message}`));
    }
  }
  const type = (document) => document.media_type.split("/")[1].toUpperCase();
  section.append(table(null, [t("document_kind"), t("file_name"), t("received_at"), t("sha256"), t("col_action")],
    documents.map((document) => [optionLabel(document.kind),
      [document.file_name, h("br"), h("span", { class: "hint" }, `${type(document)} · ${fileSize(document.size)}`)],
      [formatTime(document.attached_at), h("br"), h("span", { class: "hint" }, t(`occasion_${document.occasion}`))],
      h("code", { title: document.sha256 }, `${document.sha256.slice(0, 10)}…`),
      h("span", { class: "file-actions" },
        h("button", { type: "button", class: "secondary", "aria-label": `${t("open")} ${document.file_name}`, onclick: () => show(document, false) }, t("open")),
        h("button", { type: "button", class: "secondary", "aria-label": `${t("download")} ${document.file_name}`, onclick: () => show(document, true) }, t("download")))]),
    { id: "case-files-table", "data-count": documents.length }), preview, ...(attach ? [attach] : []));
  return section;
}

/** A scan made at the counter or on a home visit, attached to the case (POST /api/cases/{id}/documents). */
function attachForm(caseId, kinds, onAttached) {
  const slots = documentSlots(kinds, MAX_BYTES, "attach-doc");
  const message = h("div", { id: "attach-message", tabindex: "-1" });
  return h("details", { class: "attach" }, h("summary", {}, t("attach_scans")),
    h("form", { novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      if (!slots.count() || !slots.ok()) {
        message.replaceChildren(notice("bad", slots.count() ? t("apply_file_too_large", { size: fileSize(MAX_BYTES) }) : t("supplement_choose")));
        message.focus();
        return;
      }
      const body = new FormData();
      slots.appendTo(body);
      try {
        await api(`/api/cases/${caseId}/documents`, { method: "POST", form: body });
        await onAttached();
      } catch (failure) {
        message.replaceChildren(notice("bad", failure.message));
        message.focus();
      }
    } }, slots.element, message, h("div", { class: "actions" }, h("button", { type: "submit", id: "attach-files" }, t("attach_submit")))));
}
