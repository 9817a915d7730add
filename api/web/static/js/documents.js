// Clerks: the files attached to a case (uploaded online, or scanned), opened through the API with
// the clerk's token (never a public link): images and PDFs shown on the page, or saved.
import { api, session } from "./api.js";
import { h, notice, table } from "./dom.js";
import { formatTime, optionLabel, t } from "./i18n.js";
import { fileSize } from "./online.js";

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

export async function documentsSection(caseId, { headingLevel = "h2" } = {}) {
  const section = h("section", { "aria-labelledby": "case-files-heading", id: "case-files" },
    h(headingLevel, { id: "case-files-heading" }, t("case_files")));
  const documents = await api(`/api/cases/${caseId}/documents`);
  if (!documents.length) { section.append(h("p", {}, t("no_case_files"))); return section; }
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
    { id: "case-files-table", "data-count": documents.length }), preview);
  return section;
}
