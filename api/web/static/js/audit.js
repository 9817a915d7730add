// Supervisors and auditors: a case's history on its diagram, with time travel and verification.
import { api, session } from "./api.js";
import { facts, h, notice, table } from "./dom.js";
import { formatTime, localName, procedureName, t } from "./i18n.js";
import { markPath, showDiagram } from "./bpmn.js";
import { slaBadge } from "./clerk.js";
import { actorName } from "./casework.js";

/** A value of the case data as a cell shows it: "—" for none (never the word null). */
const shown = (value) => (value === null || value === undefined ? "—" : JSON.stringify(value));

/** Where the case stood after event ``seq``: its open tasks, or else the element the next event concerns. */
function currentElements(state, entries, seq) {
  if (state.completed) return [];
  if (state.current_elements?.length) return state.current_elements;
  const ready = state.ready_tasks.map((task) => task.element_id || task.task_spec || task.name).filter(Boolean);
  if (ready.length) return ready;
  const next = entries.find((entry) => entry.seq > seq && entry.element_id);
  return next ? [next.element_id] : [];
}

export async function casePage(main, caseId, { unmask = false } = {}) {
  // National ID numbers are masked unless asked for in full (each such read is recorded for the auditors).
  const full = unmask ? "unmask=true" : "";
  const [detail, timeline] = await Promise.all([api(`/api/cases/${caseId}?${full}`), api(`/api/cases/${caseId}/timeline?${full}`)]);
  const entries = timeline.entries;
  const total = entries.length ? entries.at(-1).seq : 0;
  const verifyResult = h("div", { id: "verify-result" });
  main.append(h("h1", {}, t("case_title", { number: detail.number })),
    h("p", {}, h("a", { href: `#/case/${caseId}` }, t("task_case_link"))),
    h("div", { class: "panel" }, facts([[t("procedure"), `${procedureName(detail.procedure)} · ${t("version")} ${detail.version}`],
      [t("status"), t(`status_${detail.status}`)], [t("received_at"), formatTime(detail.received_at)],
      [t("due_at"), formatTime(detail.due_at)], [t("served_at"), detail.served_at ? formatTime(detail.served_at) : "—"],
      [t("col_sla"), slaBadge(detail.sla_state)]]),
    h("div", { class: "actions" }, h("button", { type: "button", id: "verify-button", onclick: verify }, t("verify")),
      session.hasRole("supervisor", "auditor") ? h("button", { type: "button", class: "secondary", id: "unmask-button",
        "aria-pressed": String(unmask), onclick: () => { main.replaceChildren(); casePage(main, caseId, { unmask: !unmask }); } },
      t(unmask ? "mask_ids" : "unmask_ids")) : null, verifyResult)));

  const slider = h("input", { type: "range", id: "history-slider", class: "slider", min: 1, max: Math.max(total, 1), step: 1, value: total });
  const position = h("output", { id: "history-position", for: "history-slider" });
  const diagram = h("div", { class: "diagram", id: "case-diagram" });
  const list = h("ol", { class: "timeline", id: "timeline", "aria-label": t("timeline") }, entries.map((entry) =>
    h("li", { "data-seq": entry.seq },
      h("button", { type: "button", class: "linklike", onclick: () => go(entry.seq) }, `#${entry.seq} ${t(`event_${entry.type}`)}`),
      " ", localName(entry.element_name) || "", h("br"),
      h("small", {}, `${formatTime(entry.occurred_at)} · ${t("actor")}: ${entry.actor ? actorName(entry) : "—"}`),
      entry.redacted?.length ? [h("br"), h("small", { class: "redacted" }, t("redacted_keys", { keys: entry.redacted.join(", ") }))] : "")));
  const stepData = h("pre", { class: "data", id: "step-data", tabindex: "0", role: "region", "aria-label": t("data_at_step") });
  const stepReady = h("div", { id: "step-ready" });
  const stepChanges = h("div", { id: "step-changes" });
  main.append(
    timeline.anonymised ? notice("info", t("anonymised_notice")) : "",
    h("section", { "aria-labelledby": "history-heading" }, h("h2", { id: "history-heading" }, t("timeline")),
      h("div", { class: "field wide" }, h("label", { for: "history-slider" }, t("history_step")), slider, position)),
    h("div", { class: "columns wide-first" },
      h("section", { "aria-labelledby": "diagram-heading" }, h("h2", { id: "diagram-heading" }, t("diagram")), diagram),
      h("section", { "aria-labelledby": "timeline-heading" }, h("h2", { id: "timeline-heading" }, t("timeline")), list)),
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "data-heading" }, h("h2", { id: "data-heading" }, t("data_at_step")), stepChanges, stepData),
      h("section", { "aria-labelledby": "ready-heading" }, h("h2", { id: "ready-heading" }, t("ready_at_step")), stepReady)));

  main.append(await proofSection(caseId, detail.number));

  const xml = await api(`/api/definitions/${detail.procedure}/versions/${detail.version}/bpmn`, { text: true });
  const viewer = await showDiagram(diagram, xml, `${t("diagram")}: ${detail.procedure} v${detail.version}`);

  let pending = 0;
  async function go(seq) {
    slider.value = seq;
    const ticket = ++pending;
    // An anonymised case cannot be replayed: every step shows the case as it ended.
    const state = await api(timeline.anonymised ? `/api/cases/${caseId}/state?${full}` : `/api/cases/${caseId}/state?at=${seq}&${full}`);
    if (ticket !== pending) return; // a later step was asked for meanwhile
    const entry = entries.find((item) => item.seq === seq);
    const label = `${t("step_of", { seq, total })}: ${entry ? t(`event_${entry.type}`) : ""} ${localName(entry?.element_name)}`;
    position.textContent = label;
    slider.setAttribute("aria-valuetext", label);
    for (const item of list.children) {
      const itemSeq = Number(item.dataset.seq);
      item.toggleAttribute("aria-current", itemSeq === seq);
      if (itemSeq === seq) item.setAttribute("aria-current", "step");
      item.classList.toggle("future", itemSeq > seq);
    }
    list.querySelector(`[data-seq="${seq}"]`)?.scrollIntoView({ block: "nearest" });
    stepData.textContent = JSON.stringify(state.data, null, 2);
    stepChanges.replaceChildren(entry?.changes?.length ? table(null, [t("col_field"), t("col_before"), t("col_after")],
      entry.changes.map((change) => [change.path, shown(change.before), shown(change.after)])) : "");
    stepReady.replaceChildren(state.ready_tasks.length ? h("ul", {}, state.ready_tasks.map((task) =>
      h("li", {}, localName(task.name) || task.element_id))) : h("p", {}, state.completed ? t("status_completed") : t("none")));
    markPath(viewer, state.completed_steps.map((step) => step.element_id), currentElements(state, entries, seq));
    main.dataset.seq = String(seq);
  }
  slider.addEventListener("input", () => go(Number(slider.value)));

  async function verify() {
    verifyResult.replaceChildren(t("loading"));
    const result = await api(`/api/cases/${caseId}/verify`);
    verifyResult.replaceChildren(result.ok ? notice("ok", t(result.replayed === false ? "verify_ok_chain" : "verify_ok", { events: result.events }))
      : notice("bad", t("verify_bad"), h("ul", {}, result.problems.map((problem) => h("li", {}, problem)))));
  }
  if (total) await go(total);
}

/** A link that saves ``document`` as a JSON file (the proof checks offline, docs/integrity.md). */
function downloadLink(id, label, filename, document) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(document, null, 2)], { type: "application/json" }));
  return h("a", { id, class: "button", href: url, download: filename }, label);
}

/** The case's signed days: for each, the head in the day's Merkle tree, the audit path and the
 * signed root; with the proof file and the office's public keys to download. */
async function proofSection(caseId, number) {
  const [proof, keys] = await Promise.all([api(`/api/cases/${caseId}/proof`), api("/api/audit/keys")]);
  const rows = proof.proofs.map((item) => {
    const root = item.signed_root;
    return [root.day, `#${item.head.seq}`, t("proof_leaf", { index: item.leaf_index + 1, cases: root.cases }),
      t("proof_path", { nodes: item.path.length }), h("code", { title: root.root }, `${root.root.slice(0, 16)}…`),
      h("code", {}, root.key_id), root.timestamp ? formatTime(root.timestamp.time) : t("proof_no_timestamp")];
  });
  const lastSigned = proof.proofs.at(-1)?.head.seq ?? 0;
  const unsigned = proof.events.filter((event) => event.seq > lastSigned).length;
  return h("section", { "aria-labelledby": "proof-heading", id: "proof" },
    h("h2", { id: "proof-heading" }, t("proof_title")),
    h("p", {}, t("proof_intro")),
    rows.length ? table(null, [t("proof_day"), t("proof_head"), t("proof_leaf_col"), t("proof_path_col"),
      t("proof_root"), t("proof_key"), t("proof_timestamp")], rows, { id: "proof-table" })
      : h("p", {}, t("proof_none")),
    unsigned ? h("p", {}, t("proof_unsigned", { n: unsigned })) : null,
    h("div", { class: "actions" },
      downloadLink("proof-download", t("proof_download"), `case-${number}-proof.json`, proof),
      downloadLink("keys-download", t("proof_keys"), "public-keys.json", keys)),
    h("p", {}, t("proof_command"), " ", h("code", {}, `python -m verifier case case-${number}-proof.json --keys public-keys.json --witnessed roots-YYYY-MM.json --text`)));
}
