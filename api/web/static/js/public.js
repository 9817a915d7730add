// Applicants (no account): a case's status by number + access code, and the rating form.
import { api, ApiError } from "./api.js";
import { announce, facts, h, notice } from "./dom.js";
import { currentLanguage, formatTime, localName, optionLabel, procedureName, t } from "./i18n.js";
import { slaBadge } from "./clerk.js";
import { receivedDocuments, supplementSection } from "./online.js";

export async function statusPage(main, params) {
  const result = h("div", { id: "status-result" });
  const number = h("input", { id: "status-number", autocomplete: "off", required: true, "aria-required": "true", value: params.get("number") || "" });
  const code = h("input", { id: "status-code", autocomplete: "off", required: true, "aria-required": "true" });
  const form = h("form", { class: "panel", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    // Both are on the receipt; say which one is missing rather than ask the server.
    const fields = [[number, t("case_number")], [code, t("access_code")]];
    for (const [input] of fields) {
      if (input.value.trim()) input.removeAttribute("aria-invalid");
      else input.setAttribute("aria-invalid", "true");
    }
    const empty = fields.find(([input]) => !input.value.trim());
    if (empty) {
      result.replaceChildren(notice("bad", `${empty[1]}: ${t("err_required")}`));
      empty[0].focus();
      return;
    }
    await lookUp(number.value.trim(), code.value.trim(), result);
  } },
  h("p", {}, t("status_intro")),
  h("div", { class: "field" }, h("label", { for: "status-number" }, `${t("case_number")} (${t("required")})`), number),
  h("div", { class: "field" }, h("label", { for: "status-code" }, `${t("access_code")} (${t("required")})`), code),
  h("div", { class: "actions" }, h("button", { type: "submit", id: "look-up" }, t("look_up"))));
  main.append(h("h1", {}, t("status_title")), form, result);
}

async function lookUp(number, code, result, done = null) {
  let status;
  try {
    status = await api(`/api/public/cases/${encodeURIComponent(number)}?code=${encodeURIComponent(code)}`);
  } catch (failure) {
    result.replaceChildren(notice("bad", failure instanceof ApiError && failure.status === 404 ? t("not_found") : failure.message));
    return;
  }
  const list = (items) => (items.length ? h("ul", {}, items.map((item) => h("li", {}, localName(item)))) : t("none"));
  result.replaceChildren(...[
    h("section", { "aria-labelledby": "case-status-heading" },
      h("h2", { id: "case-status-heading", tabindex: "-1" }, `${status.number} — ${procedureName(status.procedure)}`),
      h("p", { class: "stage", id: "case-stage" }, t(`stage_${status.stage}`)),
      documentsNotice(status),
      facts([[t("status"), h("span", { id: "case-status" }, t(`status_${status.status}`))],
        [t("received_at"), formatTime(status.received_at)], [t("due_at"), formatTime(status.due_at)],
        [t("served_at"), status.served_at ? formatTime(status.served_at) : "—"],
        [t("col_sla"), slaBadge(status.sla_state)], [t("delayed"), status.delayed ? t("delayed") : t("not_delayed")],
        ...(status.close_reason ? [[t("public_close_reason"), status.close_reason]] : []),
        // No step open while it runs: it waits for the applicant (documents, a rating) or an agency.
        [t("steps_open"), !status.steps_open.length && status.status === "running" ? t(`stage_${status.stage}`) : list(status.steps_open)],
        [t("steps_done"), list(status.steps_done)],
        [t("officer"), h("span", { id: "case-officer" }, contact(status))]])),
    done ? notice("ok", done) : null,
    supplementSection(status, code, (message) => lookUp(number, code, result, message)),
    receivedDocuments(status.received_documents),
    ratingSection(status, code, result),
    status.rated ? surveySection(status, code) : null].filter(Boolean));
  result.querySelector("#case-status-heading").focus();
}

const local = (labels) => (currentLanguage() === "en" ? labels.en : labels.zh);

/** Who to ask: the officer by name and their number (else the office's). */
function contact(status) {
  const office = status.office;
  if (status.officer) return t("public_contact", { name: status.officer.name, phone: status.officer.phone || office.phone });
  return t("public_contact_office", { office: local(office.name), phone: office.phone });
}

/** What is still missing, by when, and where to bring it (or upload it, below): in plain words. */
function documentsNotice(status) {
  if (!status.awaiting_documents || !status.missing_documents.length) return null;
  const office = status.office;
  return h("div", { class: "notice info", id: "supplement-missing", role: "region", "aria-label": t("documents_missing") },
    h("p", {}, t("public_missing_intro")),
    h("ul", {}, status.missing_documents.map((code) => h("li", {}, optionLabel(code)))),
    status.supplement_deadline ? h("p", { id: "missing-deadline" }, t("public_deadline", { date: formatTime(status.supplement_deadline) })) : null,
    h("p", {}, t("public_where", { office: local(office.name), address: local(office.address), hours: local(office.hours) })),
    h("p", {}, t("public_upload")));
}

function ratingSection(status, code, result) {
  const section = h("section", { "aria-labelledby": "rating-heading" }, h("h2", { id: "rating-heading" }, t("rating_title")));
  if (status.rated) { section.append(h("p", {}, t("already_rated"))); return section; }
  if (!status.can_rate) { section.append(h("p", {}, t("rating_later"))); return section; }
  const message = h("div");
  const scores = [1, 2, 3, 4, 5].map((score) => h("label", { for: `score-${score}` },
    h("input", { type: "radio", name: "score", id: `score-${score}`, value: score, required: score === 1 }), ` ${score}`));
  const form = h("form", { id: "rating-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=score]:checked");
    if (!chosen) { message.replaceChildren(notice("bad", `${t("score")}: ${t("err_required")}`)); form.querySelector("#score-1").focus(); return; }
    const comment = form.querySelector("#rating-comment").value.trim();
    try {
      await api(`/api/public/cases/${encodeURIComponent(status.number)}/rating`, { method: "POST",
        json: { code, score: Number(chosen.value), ...(comment ? { comment } : {}) } });
      section.replaceChildren(h("h2", { id: "rating-heading" }, t("rating_title")), notice("ok", t("thanks_rating")));
      section.after(surveySection(status, code));  // then the short survey of the service type
      announce(t("thanks_rating"));
    } catch (failure) { message.replaceChildren(notice("bad", failure.message)); }
  } },
  h("fieldset", { class: "choices" }, h("legend", {}, `${t("score")} (${t("required")})`), scores),
  h("div", { class: "field" }, h("label", { for: "rating-comment" }, t("comment")), h("textarea", { id: "rating-comment", rows: 3, maxlength: 1000 })),
  message, h("div", { class: "actions" }, h("button", { type: "submit", id: "submit-rating" }, t("submit_rating"))));
  section.append(form);
  return section;
}

/** The short satisfaction survey of the case's service type (chosen by its channel), after the
 * rating: each question answered 1 to 5, once. */
function surveySection(status, code) {
  const section = h("section", { "aria-labelledby": "survey-heading", id: "survey" }, h("h2", { id: "survey-heading" }, t("survey_title")));
  const path = `/api/public/cases/${encodeURIComponent(status.number)}/survey`;
  api(`${path}?code=${encodeURIComponent(code)}`).then((survey) => {
    const open = survey.questions.filter((question) => !(question.key in survey.answered));
    if (!open.length) { section.append(h("p", {}, t("survey_done"))); return; }
    const message = h("div");
    const label = (question) => (currentLanguage() === "en" ? question.en : question.zh);
    const form = h("form", { id: "survey-form", novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const answers = {};
      for (const question of open) {
        const chosen = form.querySelector(`input[name="${question.key}"]:checked`);
        if (chosen) answers[question.key] = Number(chosen.value);
      }
      if (!Object.keys(answers).length) { message.replaceChildren(notice("bad", t("survey_choose"))); return; }
      try {
        await api(path, { method: "POST", json: { code, answers } });
        section.replaceChildren(h("h2", { id: "survey-heading" }, t("survey_title")), notice("ok", t("survey_thanks")));
        announce(t("survey_thanks"));
      } catch (failure) { message.replaceChildren(notice("bad", failure.message)); }
    } },
    open.map((question) => h("fieldset", { class: "choices" }, h("legend", {}, label(question)),
      [1, 2, 3, 4, 5].map((score) => h("label", { for: `${question.key}-${score}` },
        h("input", { type: "radio", name: question.key, id: `${question.key}-${score}`, value: score }), ` ${score}`)))),
    message, h("div", { class: "actions" }, h("button", { type: "submit", id: "submit-survey" }, t("survey_submit"))));
    section.append(h("p", {}, t("survey_intro")), form);
  }).catch((failure) => section.append(notice("bad", failure.message)));
  return section;
}

