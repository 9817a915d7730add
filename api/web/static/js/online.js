// Applicants without an account: verify by a one-time code (SMS or email), apply online with the
// counter's form and the documents, get the receipt; upload missing documents from the status page.
import { api, ApiError } from "./api.js";
import { announce, facts, h, notice, table } from "./dom.js";
import { fieldTitle, renderForm, validate } from "./forms.js";
import { currentLanguage, formatTime, optionLabel, procedureName, t } from "./i18n.js";

const APPLICANT_KEY = "onestop.applicant";
const ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png";

/** The verified applicant kept for this tab: {token, national_id, channel, destination, expires_at}. */
const applicant = {
  get() {
    const saved = JSON.parse(sessionStorage.getItem(APPLICANT_KEY) || "null");
    return saved && new Date(saved.expires_at) > new Date() ? saved : null;
  },
  save(value) { sessionStorage.setItem(APPLICANT_KEY, JSON.stringify(value)); },
  clear() { sessionStorage.removeItem(APPLICANT_KEY); },
};

export const fileSize = (bytes) => (bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`);

/** An error about one file in the reader's language (the server says why with a code). */
const fileError = (item) => (item.code ? t(`file_err_${item.code}`, { file: item.file }) : `${item.file}: ${item.message}`);

/** A problem's message with the fields or files it names, as a list a person can read. */
function problemNotice(failure) {
  const errors = failure instanceof ApiError ? failure.problem.errors || [] : [];
  const files = errors.filter((item) => item.file);
  if (files.length && files.length === errors.length) {
    return notice("bad", t("files_refused", { n: files.length }), h("ul", {}, files.map((item) => h("li", {}, fileError(item)))));
  }
  return notice("bad", failure.message, errors.length
    ? h("ul", {}, errors.map((item) => h("li", {}, item.file ? fileError(item) : `${item.field}: ${item.message}`)))
    : null);
}

// ---------------------------------------------------------------------- #/apply
export async function applyPage(main, params) {
  main.append(h("h1", {}, t("apply_title")));
  const verified = applicant.get();
  if (!verified) {
    main.append(h("p", {}, t("apply_intro")), verifyForms(() => {
      const next = params.get("next");
      location.hash = next ? `#/apply/${next}` : "#/apply?verified=1";
    }));
    return;
  }
  main.append(whoSection(verified));
  const offered = await api("/api/online/procedures", { token: verified.token });
  main.append(h("section", { "aria-labelledby": "offered-heading" },
    h("h2", { id: "offered-heading" }, t("apply_choose")),
    offered.length ? h("ul", { class: "offer-list", id: "offered" }, offered.map((item) => h("li", {},
      h("a", { href: `#/apply/${item.procedure}`, class: "button" }, procedureName(item.procedure)),
      " ", h("span", { class: "hint" }, t("apply_standard_time", { time: `${item.standard_time.amount} ${t(`unit_${item.standard_time.unit}`)}` })))))
      : h("p", {}, t("apply_none_offered"))));
}

function whoSection(verified) {
  return h("div", { class: "panel", id: "verified-as" },
    t("apply_verified_as", { id: verified.national_id, destination: verified.destination }), " ",
    h("button", { type: "button", class: "secondary", id: "end-session", onclick: async () => {
      try { await api("/api/online/session", { method: "DELETE", token: verified.token }); } catch { /* ends anyway */ }
      applicant.clear();
      location.hash = "#/apply";
    } }, t("apply_end_session")));
}

/** Step 1: ID and phone or email -> a code; step 2: the code -> the applicant's token. */
function verifyForms(onVerified) {
  const box = h("div", { id: "verify" });
  const message = h("div", { id: "verify-message" });
  const nationalId = h("input", { id: "verify-national-id", autocomplete: "off", maxlength: 10, required: true, "aria-required": "true", spellcheck: "false" });
  const bySms = h("input", { type: "radio", name: "verify-channel", id: "verify-by-sms", value: "sms", checked: true });
  const byEmail = h("input", { type: "radio", name: "verify-channel", id: "verify-by-email", value: "email" });
  const destinationLabel = h("label", { for: "verify-destination" }, `${t("apply_phone")} (${t("required")})`);
  const destination = h("input", { id: "verify-destination", type: "tel", autocomplete: "tel", required: true, "aria-required": "true" });
  const channel = () => (byEmail.checked ? "email" : "sms");
  const relabel = () => {
    destinationLabel.textContent = `${t(channel() === "sms" ? "apply_phone" : "email")} (${t("required")})`;
    destination.type = channel() === "sms" ? "tel" : "email";
    destination.autocomplete = channel() === "sms" ? "tel" : "email";
  };
  bySms.addEventListener("change", relabel);
  byEmail.addEventListener("change", relabel);
  const sendForm = h("form", { class: "panel", novalidate: true, "aria-labelledby": "verify-heading", onsubmit: async (event) => {
    event.preventDefault();
    for (const input of [nationalId, destination]) input.removeAttribute("aria-invalid");
    const id = nationalId.value.trim().toUpperCase();
    if (!/^[A-Z][12890ABCD]\d{8}$/.test(id)) return invalid(nationalId, `${t("national_id")}: ${t("err_pattern")}`);
    if (!destination.value.trim()) return invalid(destination, `${destinationLabel.textContent}: ${t("err_required")}`);
    try {
      const sent = await api("/api/online/codes", { method: "POST", json: { national_id: id, channel: channel(), destination: destination.value.trim() } });
      box.replaceChildren(codeForm(sent, onVerified));
      box.querySelector("#verify-code").focus();
    } catch (failure) {
      const field = failure.problem?.errors?.[0]?.field;
      if (failure.status === 429) message.replaceChildren(notice("bad", t("apply_too_many", { minutes: Math.ceil(Number(failure.problem.context?.retry_after || 900) / 60) }), " ", failure.message));
      else message.replaceChildren(problemNotice(failure));
      (field === "destination" ? destination : nationalId).setAttribute("aria-invalid", "true");
    }
  } },
  h("h2", { id: "verify-heading" }, t("apply_verify_title")),
  h("div", { class: "field" }, h("label", { for: "verify-national-id" }, `${t("national_id")} (${t("required")})`), nationalId),
  h("fieldset", { class: "choices" }, h("legend", {}, t("apply_send_by")),
    h("label", { for: "verify-by-sms" }, bySms, optionLabel("sms")), h("label", { for: "verify-by-email" }, byEmail, optionLabel("email"))),
  h("div", { class: "field" }, destinationLabel, destination),
  message,
  h("div", { class: "actions" }, h("button", { type: "submit", id: "send-code" }, t("apply_send_code"))));
  function invalid(input, text) {
    input.setAttribute("aria-invalid", "true");
    message.replaceChildren(notice("bad", text));
    input.focus();
  }
  box.append(sendForm);
  return box;
}

function codeForm(sent, onVerified) {
  const message = h("div", { id: "code-message" });
  const code = h("input", { id: "verify-code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, required: true, "aria-required": "true" });
  return h("form", { class: "panel", novalidate: true, "aria-labelledby": "code-heading", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const session = await api(`/api/online/codes/${sent.challenge_id}`, { method: "POST", json: { code: code.value.trim() } });
      applicant.save(session);
      announce(t("apply_verified"));
      onVerified();
    } catch (failure) {
      code.setAttribute("aria-invalid", "true");
      message.replaceChildren(notice("bad", failure.status === 409 ? `${failure.message} — ${t("apply_ask_again")}` : failure.message));
      code.focus();
    }
  } },
  h("h2", { id: "code-heading" }, t("apply_code_title")),
  h("p", { id: "code-sent" }, t("apply_code_sent", { destination: sent.destination, until: formatTime(sent.expires_at) })),
  h("div", { class: "field" }, h("label", { for: "verify-code" }, `${t("apply_code")} (${t("required")})`), code),
  message,
  h("div", { class: "actions" }, h("button", { type: "submit", id: "check-code" }, t("apply_check_code")),
    h("a", { href: "#/apply", onclick: () => setTimeout(() => location.reload(), 0) }, t("apply_ask_again"))));
}

// ---------------------------------------------------------------------- #/apply/{procedure}
export async function applicationPage(main, procedure) {
  const verified = applicant.get();
  if (!verified) { location.hash = `#/apply?next=${encodeURIComponent(procedure)}`; return; }
  const offered = (await api("/api/online/procedures", { token: verified.token })).find((item) => item.procedure === procedure);
  main.append(h("h1", {}, t("apply_form_title", { name: procedureName(procedure) })), whoSection(verified));
  if (!offered) { main.append(notice("bad", t("apply_not_offered"))); return; }
  // The applicant fills the counter's form, less what the office fills: the verified ID and contact,
  // the prefilled values, and the list of documents (which the uploads make).
  const hidden = new Set([...offered.office_fields, ...Object.keys(offered.prefill), offered.documents_field].filter(Boolean));
  const schema = { ...offered.form_schema,
    properties: Object.fromEntries(Object.entries(offered.form_schema.properties || {}).filter(([name]) => !hidden.has(name))),
    required: (offered.form_schema.required || []).filter((name) => !hidden.has(name)) };
  const form = renderForm(schema, {}, "apply");
  const uploads = documentSlots(offered.document_kinds, offered.max_file_bytes, "apply-doc");
  const errorSummary = h("div", { id: "apply-errors", tabindex: "-1" });
  const result = h("div", { id: "apply-result" });
  const submit = h("button", { type: "submit", id: "submit-application" }, t("apply_submit"));
  const idempotencyKey = crypto.randomUUID(); // one per filled form: a double click is one application
  const element = h("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const data = form.read();
    const errors = validate(schema, data);
    form.showErrors(errors);
    if (errors.length || !uploads.ok()) {
      errorSummary.replaceChildren(notice("bad", t("form_errors", { n: errors.length + uploads.problems() }),
        h("ul", {}, errors.map((error) => h("li", {}, h("a", { href: "#", onclick: (clicked) => { clicked.preventDefault(); form.focusField(error.field); } },
          `${fieldTitle(schema, error.field)}: ${error.message}`))))));
      errorSummary.focus();
      return;
    }
    const body = new FormData();
    body.append("procedure", procedure);
    body.append("data", JSON.stringify(data));
    uploads.appendTo(body);
    submit.disabled = true;
    try {
      const answer = await api("/api/online/applications", { method: "POST", form: body, token: verified.token, headers: { "Idempotency-Key": idempotencyKey } });
      main.replaceChildren(h("h1", {}, t("apply_done_title")), applicationReceipt(answer));
      announce(t("apply_done_title"));
      main.querySelector("h1").tabIndex = -1;
      main.querySelector("h1").focus();
    } catch (failure) {
      submit.disabled = false;
      if (failure.status === 401) { applicant.clear(); errorSummary.replaceChildren(notice("bad", failure.message, " ", h("a", { href: `#/apply?next=${procedure}` }, t("apply_verify_again")))); }
      else errorSummary.replaceChildren(problemNotice(failure));
      errorSummary.focus();
    }
  } },
  errorSummary,
  h("section", { "aria-labelledby": "apply-form-heading" }, h("h2", { id: "apply-form-heading" }, t("apply_form_section")), form.element),
  offered.document_kinds.length ? h("section", { "aria-labelledby": "apply-docs-heading" },
    h("h2", { id: "apply-docs-heading" }, t("apply_documents_section")),
    h("p", { class: "hint" }, t("apply_documents_hint", { size: fileSize(offered.max_file_bytes) })), uploads.element) : null,
  h("div", { class: "actions" }, submit));
  main.append(element, result);
}

/** A file input per document kind; checks what the browser can (size), the server checks the content. */
export function documentSlots(kinds, maxBytes, prefix) {
  const slots = kinds.map((kind) => {
    const id = `${prefix}-${kind}`;
    const list = h("ul", { class: "file-list", id: `${id}-files`, "aria-live": "polite" });
    const input = h("input", { type: "file", id, multiple: true, accept: ACCEPT, "aria-describedby": `${id}-files` });
    const describe = () => list.replaceChildren(...[...input.files].map((file) => h("li", { class: file.size > maxBytes ? "error" : null },
      `${file.name} (${fileSize(file.size)})`, file.size > maxBytes ? ` — ${t("apply_file_too_large", { size: fileSize(maxBytes) })}` : "")));
    input.addEventListener("change", describe);
    return { kind, input, element: h("div", { class: "field" }, h("label", { for: id }, optionLabel(kind)), input, list) };
  });
  const files = () => slots.flatMap((slot) => [...slot.input.files].map((file) => [slot, file]));
  return {
    element: h("div", { class: "document-slots" }, slots.map((slot) => slot.element)),
    problems: () => files().filter(([, file]) => file.size > maxBytes).length,
    ok: () => files().every(([, file]) => file.size <= maxBytes),
    count: () => files().length,
    appendTo: (body) => files().forEach(([slot, file]) => body.append(`documents.${slot.kind}`, file, file.name)),
  };
}

function documentList(documents, caption) {
  return table(caption, [t("document_kind"), t("file_name"), t("file_size"), t("sha256")],
    documents.map((item) => [optionLabel(item.kind), item.file_name, fileSize(item.size),
      h("code", { title: item.sha256 }, `${item.sha256.slice(0, 12)}…`)]), { class: "documents" });
}

function applicationReceipt(answer) {
  const receipt = answer.receipt;
  const office = receipt.office;
  const local = (labels) => (currentLanguage() === "en" ? labels.en : labels.zh);
  const standard = receipt.standard_time ? `${receipt.standard_time.amount} ${t(`unit_${receipt.standard_time.unit}`)}` : "—";
  return h("div", {},
    notice("ok", t("apply_receipt_sent", { to: answer.receipt_sent_to.join(", ") })),
    h("section", { class: "receipt", "aria-labelledby": "receipt-heading" },
      h("h2", { id: "receipt-heading" }, `${t("receipt")} — ${procedureName(receipt.procedure)}`),
      facts([[t("case_number"), h("span", { class: "code", id: "receipt-number" }, answer.number)],
        [t("access_code"), h("span", { class: "code", id: "receipt-code" }, answer.access_code)],
        [t("channel"), optionLabel(receipt.channel)], [t("received_at"), formatTime(receipt.received_at)],
        [t("standard_time"), standard], [t("due_at"), formatTime(receipt.due_at)],
        // Whom to call until a clerk takes the case (the status page names the officer then).
        ...(office ? [[t("receipt_office"), h("span", { id: "receipt-office" }, `${local(office.name)} · ${office.phone} · ${local(office.address)}`)]] : [])]),
      answer.documents.length ? documentList(answer.documents, t("apply_documents_received")) : null),
    h("div", { class: "actions no-print" },
      h("button", { type: "button", onclick: () => window.print() }, t("print_receipt")),
      h("a", { class: "button secondary", id: "to-status", href: `#/status?number=${encodeURIComponent(answer.number)}` }, t("apply_follow"))));
}

// ---------------------------------------------------------------------- the status page's supplement
/** What the one-time notice asks for, and the upload of it (the status page shows it when the case waits). */
export function supplementSection(status, code, onUploaded) {
  const section = h("section", { "aria-labelledby": "supplement-heading", id: "supplement" },
    h("h2", { id: "supplement-heading" }, t("supplement_title")));
  if (!status.awaiting_documents) return null;
  const missing = status.missing_documents; // what is missing, by when and where: said above the section
  const uploads = documentSlots(missing, 10 * 1048576, "supplement-doc");
  const message = h("div", { id: "supplement-message", tabindex: "-1" });
  const submit = h("button", { type: "submit", id: "submit-supplement" }, t("supplement_submit"));
  section.append(h("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    if (!uploads.count()) { message.replaceChildren(notice("bad", t("supplement_choose"))); message.focus(); return; }
    if (!uploads.ok()) { message.replaceChildren(notice("bad", t("apply_file_too_large", { size: fileSize(10 * 1048576) }))); message.focus(); return; }
    const body = new FormData();
    body.append("code", code);
    uploads.appendTo(body);
    submit.disabled = true;
    try {
      const answer = await api(`/api/online/cases/${encodeURIComponent(status.number)}/documents`, { method: "POST", form: body, token: null });
      announce(t("supplement_done", { n: answer.documents.length }));
      await onUploaded(t("supplement_done", { n: answer.documents.length }));
    } catch (failure) {
      submit.disabled = false;
      message.replaceChildren(problemNotice(failure));
      message.focus();
    }
  } }, uploads.element, message, h("div", { class: "actions" }, submit)));
  return section;
}

/** The files the office has received for the case (the status page). */
export function receivedDocuments(documents) {
  if (!documents?.length) return null;
  return h("section", { "aria-labelledby": "received-documents-heading" },
    h("h2", { id: "received-documents-heading" }, t("apply_documents_received")),
    table(null, [t("document_kind"), t("file_name"), t("file_size"), t("received_at")],
      documents.map((item) => [optionLabel(item.kind), item.file_name, fileSize(item.size), formatTime(item.attached_at)]),
      { id: "received-documents" }));
}
