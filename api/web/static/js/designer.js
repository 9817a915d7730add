// Designers: the bpmn-js modeller to open, import, edit, validate, fix, save and deploy a procedure;
// findings pinned to their elements; automatic fixes shown as a diff before they are accepted;
// its versions and their diff.
import { api, ApiError } from "./api.js";
import { announce, h, notice, table } from "./dom.js";
import { currentLanguage, formatTime, t } from "./i18n.js";
import { loadBpmn } from "./bpmn.js";

const SEVERITY_BADGE = { error: "bad", fixable: "fixable", warning: "sla-due_today", note: "info", info: "info" };
const BLOCKING = new Set(["error", "fixable"]);

/** A finding's (or a rewrite's, an offer's) words in the current language. */
function localized(item) {
  const messages = item.messages || item.title;
  return (messages && (messages[currentLanguage()] || messages.en)) || item.message || "";
}

export async function designerPage(main, params) {
  const definitions = await api("/api/definitions");
  const picker = h("select", { id: "designer-procedure" }, definitions.map((definition) =>
    h("option", { value: definition.key, selected: definition.key === params.get("key") }, `${definition.name || definition.key} (${definition.key})`)));
  const messages = h("div", { id: "designer-messages" });
  const findings = h("div", { id: "findings" });
  const offers = h("div", { id: "fix-offers" });
  const rehearsal = h("div", { id: "rehearsal" });
  const container = h("div", { class: "diagram tall", id: "modeler", role: "group", "aria-label": t("designer_title") });
  const versions = h("div", { id: "versions" });
  const importInput = h("input", { type: "file", id: "import-file", class: "visually-hidden", multiple: true,
    accept: ".bpmn,.dmn,.json,.zip", onchange: () => importFiles(importInput.files) });
  const buttons = {
    validate: h("button", { type: "button", id: "validate-button", disabled: true, onclick: () => validateOrDeploy(false) }, t("validate")),
    save: h("button", { type: "button", class: "secondary", id: "save-button", disabled: true, onclick: save }, t("save")),
    deploy: h("button", { type: "button", id: "deploy-button", disabled: true, onclick: () => validateOrDeploy(true) }, t("deploy")),
  };
  main.append(h("h1", {}, t("designer_title")),
    h("form", { class: "actions", onsubmit: (event) => { event.preventDefault(); open(picker.value); } },
      h("label", { for: "designer-procedure" }, t("procedure")), picker,
      h("button", { type: "submit", id: "open-button" }, t("open_procedure")),
      buttons.validate, buttons.save, buttons.deploy,
      h("button", { type: "button", class: "secondary", id: "import-button", onclick: () => importInput.click() }, t("import_file")),
      h("label", { for: "import-file", class: "visually-hidden" }, t("import_file")), importInput),
    h("p", { class: "hint" }, t("new_element")), messages, container,
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "findings-heading" }, h("h2", { id: "findings-heading" }, t("findings")), findings,
        h("h2", { id: "fixes-heading" }, t("fixes_offered")), offers,
        h("h2", { id: "rehearsal-heading" }, t("rehearsal_title")), rehearsal),
      h("section", { "aria-labelledby": "versions-heading" }, h("h2", { id: "versions-heading" }, t("versions")), versions)));

  const Modeler = await loadBpmn("modeler");
  const modeler = new Modeler({ container });
  let current = null; // {key, bpmnName, files: {name: text}}

  async function open(key) {
    const detail = await api(`/api/definitions/${key}`);
    const latest = detail.versions.at(-1);
    const files = {};
    for (const name of latest.files) {
      files[name] = await api(`/api/definitions/${key}/versions/${latest.version}/bpmn?file=${encodeURIComponent(name)}`, { text: true });
    }
    // The main process's file; the shared subprocesses it calls are in files of their own.
    const bpmnName = latest.main_file || latest.files.find((name) => name.endsWith(".bpmn"));
    current = { key, bpmnName, files };
    await modeler.importXML(files[bpmnName]);
    modeler.get("canvas").zoom("fit-viewport");
    Object.values(buttons).forEach((button) => { button.disabled = false; });
    [findings, offers, rehearsal, messages].forEach((section) => section.replaceChildren());
    renderVersions(detail);
    main.dataset.opened = key;
    if (latest.draft) {
      await validateOrDeploy(false); // a draft opens with its findings on the diagram
      messages.prepend(notice("info", t("opened_draft", { version: latest.version })));
    }
    const draft = localStorage.getItem(`onestop.draft.${key}`);
    if (draft && draft !== files[bpmnName]) {
      messages.append(notice("info", h("button", { type: "button", class: "secondary", id: "restore-draft", onclick: async () => {
        await modeler.importXML(draft);
        modeler.get("canvas").zoom("fit-viewport");
        messages.replaceChildren();
      } }, t("restore_draft"))));
    }
    announce(`${key} v${latest.version}`);
  }

  async function post(path, form) {
    try {
      return { status: 200, body: await api(path, { method: "POST", form }) };
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 422) return { status: 422, body: failure.problem };
      throw failure;
    }
  }

  async function currentForm() {
    const { xml } = await modeler.saveXML({ format: true });
    const form = new FormData();
    for (const [name, text] of Object.entries({ ...current.files, [current.bpmnName]: xml })) {
      form.append("files", new Blob([text], { type: name.endsWith(".json") ? "application/json" : "application/xml" }), name);
    }
    return form;
  }

  // A file from another modeller: stored as a draft whatever it holds, then opened to be fixed here.
  async function importFiles(fileList) {
    if (!fileList.length) return;
    const form = new FormData();
    for (const file of fileList) form.append("files", file, file.name);
    form.append("as_draft", "true");
    messages.replaceChildren(t("loading"));
    const answer = await post("/api/definitions", form);
    importInput.value = "";
    if (answer.status === 422) {
      showFindings(answer.body.findings || [], false);
      messages.replaceChildren(notice("bad", t("import_rejected")));
      return;
    }
    const key = answer.body.key;
    if (![...picker.options].some((option) => option.value === key)) picker.append(h("option", { value: key }, key));
    picker.value = key;
    await open(key);
    messages.prepend(notice("ok", t("imported", { version: answer.body.version })));
  }

  async function validateOrDeploy(deploy) {
    messages.replaceChildren(t("loading"));
    const answer = await post(deploy ? "/api/definitions" : "/api/definitions/validate", await currentForm());
    showFindings(answer.body.findings || []);
    showOffers(answer.body.offers || []);
    showRehearsal(answer.body.rehearsal);
    if (deploy && answer.status === 200) {
      renderVersions(await api(`/api/definitions/${current.key}`)); // before the message: the page is then complete
      messages.replaceChildren(notice(answer.body.draft ? "bad" : "ok", t("deployed", { version: answer.body.version, verdict: t(`verdict_${answer.body.verdict}`) })));
    } else if (answer.status === 422) {
      messages.replaceChildren(notice("bad", answer.body.detail || answer.body.title));
    } else {
      messages.replaceChildren(notice(answer.body.ok ? "ok" : "bad", `${t("validate")}: ${t(`verdict_${answer.body.verdict}`)}`));
    }
  }

  function elementLabel(finding) {
    if (finding.element_id) return finding.element_name ? `${finding.element_id}「${finding.element_name}」` : finding.element_id;
    return finding.file ? t("whole_file", { file: finding.file }) : t("whole_bundle");
  }

  function showFindings(items, onDiagram = true) {
    const overlays = modeler.get("overlays");
    const canvas = modeler.get("canvas");
    const registry = modeler.get("elementRegistry");
    overlays.remove({ type: "finding" });
    registry.getAll().forEach((element) => { canvas.removeMarker(element.id, "has-error"); canvas.removeMarker(element.id, "has-warning"); });
    const counts = {};
    for (const finding of onDiagram ? items : []) {
      if (!finding.element_id || !registry.get(finding.element_id) || finding.severity === "note" || finding.severity === "info") continue;
      counts[finding.element_id] ??= { blocking: 0, other: 0 };
      counts[finding.element_id][BLOCKING.has(finding.severity) ? "blocking" : "other"] += 1;
    }
    for (const [elementId, count] of Object.entries(counts)) {
      const severity = count.blocking ? "error" : "warning";
      canvas.addMarker(elementId, `has-${severity}`);
      overlays.add(elementId, "finding", { position: { top: -10, right: 10 },
        html: `<span class="finding-badge ${severity}" data-finding-for="${elementId}">${count.blocking + count.other}</span>` });
    }
    if (!items.length) { findings.replaceChildren(h("p", {}, t("no_findings"))); return; }
    const ordered = [...items].sort((a, b) => Number(BLOCKING.has(b.severity)) - Number(BLOCKING.has(a.severity)));
    findings.replaceChildren(table(null, [t("severity"), t("element"), t("message")],
      ordered.map((finding) => [h("span", { class: `badge ${SEVERITY_BADGE[finding.severity] || "info"}` }, t(`severity_${finding.severity}`)),
        finding.element_id && registry.get(finding.element_id)
          ? h("button", { type: "button", class: "linklike", onclick: () => {
            const element = registry.get(finding.element_id);
            canvas.scrollToElement(element);
            modeler.get("selection").select(element);
          } }, elementLabel(finding))
          : elementLabel(finding),
        localized(finding)]), { id: "findings-table" }));
  }

  // The automatic fixes, offered after all the findings; each is previewed as a diff first.
  function showOffers(items) {
    if (!items.length) { offers.replaceChildren(h("p", {}, t("no_fixes"))); return; }
    offers.replaceChildren(...items.map((offer) => {
      const choice = offer.choices.length
        ? h("select", { id: `fix-choice-${offer.fix}`, "aria-label": t(`fix_choice_${offer.fix}`) },
          offer.choices.map((item) => h("option", { value: item.value }, item.label)))
        : null;
      const preview = h("div", { class: "fix-preview", id: `fix-preview-${offer.fix}` });
      return h("div", { class: "panel fix-offer", "data-fix": offer.fix },
        h("p", {}, h("strong", {}, localized(offer)), ` — ${t("fix_elements", { n: offer.elements.length, ids: offer.elements.join(", ") })}`),
        h("div", { class: "actions" },
          choice ? h("label", { for: choice.id }, t(`fix_choice_${offer.fix}`)) : null, choice,
          h("button", { type: "button", class: "secondary", id: `fix-button-${offer.fix}`,
            onclick: () => previewFix(offer, choice?.value, preview) }, t("preview_fix"))),
        preview);
    }));
  }

  async function previewFix(offer, choice, preview) {
    const query = new URLSearchParams({ fix: offer.fix });
    if (choice && offer.fix === "assign-lane") query.set("lane", choice);
    if (choice && offer.fix === "make-executable") query.set("process", choice);
    preview.replaceChildren(t("loading"));
    const answer = await post(`/api/definitions/validate?${query}`, await currentForm());
    if (answer.status !== 200) { preview.replaceChildren(notice("bad", answer.body.detail || answer.body.title)); return; }
    const diffs = Object.entries(answer.body.diffs || {});
    preview.replaceChildren(
      h("ul", {}, (answer.body.fixes || []).map((rewrite) => h("li", {}, localized(rewrite)))),
      h("h3", {}, t("fix_diff")),
      ...diffs.map(([, text]) => h("pre", { class: "diff", tabindex: "0" }, text.split("\n").map((line) =>
        h("span", { class: line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : "" }, `${line}\n`)))),
      h("p", {}, t("fix_verdict", { verdict: t(`verdict_${answer.body.verdict}`) })),
      h("button", { type: "button", id: `accept-fix-${offer.fix}`, onclick: async () => {
        for (const [name, text] of Object.entries(answer.body.files || {})) current.files[name] = text;
        await modeler.importXML(current.files[current.bpmnName]);
        await validateOrDeploy(false);
        messages.append(notice("ok", t("fix_accepted")));
      } }, t("accept_fix")));
  }

  function showRehearsal(result) {
    if (!result) { rehearsal.replaceChildren(h("p", {}, t("rehearsal_none"))); return; }
    const who = (task) => (task.groups.length ? t("rehearsal_claim", { groups: task.groups.join("、") }) : t("rehearsal_nobody"));
    const name = (task) => `${task.element_id}${task.name ? `「${task.name}」` : ""}`;
    rehearsal.replaceChildren(
      notice(result.started && result.claimable ? "ok" : "bad",
        result.started ? t(result.completed ? "rehearsal_completed" : "rehearsal_started", { tasks: result.waiting.map(name).join("、") || "—" })
          : t("rehearsal_failed", { element: result.stopped?.element_id || "—" })),
      result.tasks.length ? table(null, [t("element"), t("col_lane"), t("rehearsal_who")],
        result.tasks.map((task) => [name(task), task.lane || "—", who(task)]), { id: "rehearsal-table" }) : null);
  }

  async function save() {
    const { xml } = await modeler.saveXML({ format: true });
    localStorage.setItem(`onestop.draft.${current.key}`, xml);
    const link = h("a", { href: URL.createObjectURL(new Blob([xml], { type: "application/xml" })), download: current.bpmnName });
    document.body.append(link);
    link.click();
    link.remove();
    messages.replaceChildren(notice("ok", t("saved")));
  }

  function renderVersions(detail) {
    const choices = (id, selected) => h("select", { id }, detail.versions.map((version) =>
      h("option", { value: version.version, selected: version.version === selected }, `v${version.version}`)));
    const from = choices("diff-from", detail.versions.at(-2)?.version ?? detail.versions.at(-1).version);
    const to = choices("diff-to", detail.versions.at(-1).version);
    const diffResult = h("div", { id: "diff-result" });
    versions.replaceChildren(
      table(null, [t("version"), t("deployed_at"), t("deployed_by"), t("findings")], detail.versions.slice().reverse().map((version) => [
        `v${version.version}${version.draft ? ` (${t("draft")})` : ""}`, formatTime(version.deployed_at), version.deployed_by || "—",
        String(version.findings.length)]), { id: "versions-table" }),
      h("form", { class: "actions", onsubmit: async (event) => {
        event.preventDefault();
        const diff = await api(`/api/definitions/${detail.key}/diff?from=${from.value}&to=${to.value}`);
        const list = (title, items, describe) => h("div", {}, h("h3", {}, `${title} (${items.length})`),
          items.length ? h("ul", {}, items.map((item) => h("li", {}, describe(item)))) : null);
        const element = (item) => `${item.id} ${item.name ? `「${item.name}」` : ""} ${item.type}`;
        diffResult.replaceChildren(
          list(`${t("elements")}: ${t("added")}`, diff.elements.added, element),
          list(`${t("elements")}: ${t("removed")}`, diff.elements.removed, element),
          list(`${t("elements")}: ${t("changed")}`, diff.elements.changed, (item) => `${element(item)}: ${Object.entries(item.changes)
            .map(([aspect, change]) => `${aspect} ${JSON.stringify(change.from ?? change.removed ?? "")} → ${JSON.stringify(change.to ?? change.added ?? "")}`).join("; ")}`),
          list(`${t("files")}: ${t("changed")}`, diff.files.changed, (name) => name));
      } },
      h("label", { for: "diff-from" }, t("diff_from")), from, h("label", { for: "diff-to" }, t("diff_to")), to,
      h("button", { type: "submit", class: "secondary", id: "diff-button" }, t("show_diff"))),
      diffResult);
  }

  if (params.get("key")) await open(params.get("key"));
}
