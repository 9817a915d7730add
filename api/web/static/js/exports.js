// Exports from the pages: files fetched through the API with the signed-in token, with a progress
// bar (bytes, or pages of a list), a cancel button, and saved under a name that says what they hold.
import { api, ApiError, session } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

/** A progress area: a <progress>, what is happening, and a cancel button while it runs. */
export function progressArea(id) {
  const bar = h("progress", { id: `${id}-bar`, max: 1, "aria-labelledby": `${id}-text` });
  const text = h("span", { id: `${id}-text`, role: "status" });
  const cancel = h("button", { type: "button", class: "secondary", id: `${id}-cancel`, hidden: true }, t("cancel"));
  const element = h("div", { class: "export-progress", id, hidden: true }, bar, text, cancel);
  let controller = null;
  cancel.addEventListener("click", () => controller?.abort());
  return {
    element,
    start(label) {
      controller = new AbortController();
      element.hidden = false;
      cancel.hidden = false;
      bar.removeAttribute("value"); // indeterminate until the size is known
      text.textContent = label;
      return controller.signal;
    },
    step(done, total, label) {
      if (total > 0) { bar.max = total; bar.value = Math.min(done, total); }
      text.textContent = label;
    },
    finish(label) {
      cancel.hidden = true;
      bar.max = 1;
      bar.value = 1;
      text.textContent = label;
      element.dataset.done = "true";
    },
    fail(label) {
      cancel.hidden = true;
      bar.max = 1;
      bar.value = 0;
      text.textContent = label;
    },
  };
}

export function saveFile(blob, filename) {
  const link = h("a", { href: URL.createObjectURL(blob), download: filename, class: "visually-hidden" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

const sizeText = (bytes) => (bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** Fetch ``path`` as a file with progress (the server prepares it, then it is received). */
export async function downloadFile(path, filename, progress) {
  const signal = progress.start(t("export_preparing"));
  try {
    const response = await fetch(path, { headers: { Authorization: `Bearer ${session.token}` }, signal });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    const total = Number(response.headers.get("Content-Length")) || 0;
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      progress.step(received, total, total ? t("export_receiving", { done: sizeText(received), total: sizeText(total) })
        : t("export_received", { done: sizeText(received) }));
    }
    const blob = new Blob(chunks, { type: response.headers.get("Content-Type") || "application/octet-stream" });
    saveFile(blob, filename);
    progress.finish(t("export_done", { name: filename, size: sizeText(received) }));
    return blob;
  } catch (failure) {
    progress.fail(failure.name === "AbortError" ? t("export_cancelled") : `${t("error")}: ${failure.message}`);
    return null;
  }
}

/** Every item of a paged list (``next`` given as ``after``, or page numbers), with progress by page. */
export async function fetchAll(path, progress, signal, limit = 10_000) {
  const items = [];
  const separator = path.includes("?") ? "&" : "?";
  let cursor = null;
  for (let page = 1; items.length < limit; page += 1) {
    if (signal?.aborted) throw new DOMException("cancelled", "AbortError");
    const position = cursor ? `after=${encodeURIComponent(cursor)}` : `page=${page}`;
    const answer = await api(`${path}${separator}per_page=100&${position}`);
    items.push(...answer.items);
    const total = answer.total ?? items.length;
    progress?.step(items.length, total, t("export_listing", { done: items.length, total }));
    cursor = answer.next ?? null;
    const more = cursor ? true : answer.total !== undefined ? items.length < answer.total : false;
    if (!answer.items.length || !more) break;
  }
  return items;
}

/** A CSV text (RFC 4180) whose cells a spreadsheet will not run as formulas. */
export function toCsv(columns, rows) {
  const cell = (value) => {
    let text = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns, ...rows].map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}
