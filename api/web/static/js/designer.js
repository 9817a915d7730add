// Designers: the bpmn-js modeller with the properties panel to open, import, edit, save and deploy
// a procedure; the findings checked live as the diagram changes, pinned to their elements;
// automatic fixes shown as a diff before they are accepted; the deploy confirmed after its
// findings and changes are shown; the versions, their diff, and moving running cases to a new version.
import { api, ApiError } from "./api.js";
import { announce, h, loadStyle, notice, present, table } from "./dom.js";
import { formatTime, t } from "./i18n.js";
import { renderForm } from "./forms.js";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, Modeler } from "/app/vendor/kit/designer-kit.js";
import { findingsStore, onestopPanelModule, translateModule } from "./designer-panel.js";
import { fitFrame } from "./bpmn.js";
import { confirmDeploy, countFindings, diffLists, localized } from "./designer-deploy.js";
import { moveWizard } from "./designer-moves.js";

const LIVE_CHECK_DELAY_MS = 700; // after the last edit: a check per pause, not per keystroke
const SEVERITY_BADGE = { error: "bad", fixable: "fixable", warning: "sla-due_today", note: "info", info: "info" };
const BLOCKING = new Set(["error", "fixable"]);

export async function designerPage(main, params) {
  loadStyle("/app/vendor/bpmn-js/assets/diagram-js.css");
  loadStyle("/app/vendor/bpmn-js/assets/bpmn-js.css");
  loadStyle("/app/vendor/bpmn-js/assets/bpmn-font/css/bpmn.css");
  loadStyle("/app/vendor/properties-panel/properties-panel.css");
  loadStyle("/app/static/backoffice.css");
  const [definitions, extensions] = await Promise.all([api("/api/definitions"), api("/api/designer/extensions")]);
  const picker = h("select", { id: "designer-procedure" }, definitions.map((definition) =>
    h("option", { value: definition.key, selected: definition.key === params.get("key") }, `${definition.name || definition.key} (${definition.key})`)));
  const messages = h("div", { id: "designer-messages" });
  const liveStatus = h("p", { id: "live-check", class: "hint", role: "status" });
  const findings = h("div", { id: "findings" });
  const offers = h("div", { id: "fix-offers" });
  const rehearsal = h("div", { id: "rehearsal" });
  const importInput = h("input", { type: "file", id: "import-file", class: "visually-hidden", multiple: true,
    accept: ".bpmn,.dmn,.json,.zip", onchange: () => importFiles(importInput.files) });
  const container = h("div", { class: "diagram tall", id: "modeler", role: "group", "aria-label": t("designer_title") });
  const panel = h("aside", { class: "properties", id: "properties-panel", "aria-label": t("panel_title") });
  const preview = h("section", { id: "form-preview", "aria-labelledby": "form-preview-heading", hidden: true });
  const versions = h("div", { id: "versions" });
  const moves = h("section", { id: "moves" }); // named by its heading once the wizard is drawn
  const buttons = {
    validate: h("button", { type: "button", id: "validate-button", disabled: true, onclick: () => check(true) }, t("validate")),
    save: h("button", { type: "button", class: "secondary", id: "save-button", disabled: true, onclick: save }, t("save")),
    deploy: h("button", { type: "button", id: "deploy-button", disabled: true, onclick: deploy }, t("deploy")),
  };
  main.append(h("h1", {}, t("designer_title")),
    h("form", { class: "actions", onsubmit: (event) => { event.preventDefault(); open(picker.value); } },
      h("label", { for: "designer-procedure" }, t("procedure")), picker,
      h("button", { type: "submit", id: "open-button" }, t("open_procedure")),
      buttons.validate, buttons.save, buttons.deploy,
      h("button", { type: "button", class: "secondary", id: "import-button", onclick: () => importInput.click() }, t("import_file")),
      h("label", { for: "import-file", class: "visually-hidden" }, t("import_file")), importInput),
    h("p", { class: "hint" }, t("new_element")), messages, liveStatus,
    h("div", { class: "modeler-with-panel" }, container, panel), preview,
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "findings-heading" }, h("h2", { id: "findings-heading" }, t("findings")), findings,
        h("h2", { id: "fixes-heading" }, t("fixes_offered")), offers,
        h("h2", { id: "rehearsal-heading" }, t("rehearsal_title")), rehearsal),
      h("section", { "aria-labelledby": "versions-heading" }, h("h2", { id: "versions-heading" }, t("versions")), versions)),
    moves);

  let current = null; // {key, bpmnName, files: {name: text}}
  const store = findingsStore();
  const context = {
    extensions,
    findings: store,
    describe: (finding) => localized(finding),
    formFiles: () => Object.keys(current?.files || {}).filter((name) => name.endsWith(".json")).sort(),
    previewForm: (name) => showFormPreview(name),
  };
  const modeler = new Modeler({
    container,
    propertiesPanel: { parent: panel },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, onestopPanelModule(context), translateModule()],
  });

  // Live check: every change of the diagram is checked by the server once the designer pauses.
  let liveTimer = null;
  let checkTicket = 0;
  modeler.on("commandStack.changed", () => {
    if (!current) return;
    clearTimeout(liveTimer);
    liveStatus.textContent = t("live_check_pending");
    liveTimer = setTimeout(() => check(false), LIVE_CHECK_DELAY_MS);
  });

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
    [findings, offers, rehearsal, messages].forEach((section) => section.replaceChildren());
    await importDiagram(files[bpmnName]);
    Object.values(buttons).forEach((button) => { button.disabled = false; });
    preview.hidden = true;
    renderVersions(detail);
    moveWizard(moves, detail);
    // A draft opens with its findings on the diagram (the live check has put them there).
    if (latest.draft) messages.prepend(notice("info", t("opened_draft", { version: latest.version })));
    const draft = localStorage.getItem(`onestop.draft.${key}`);
    if (draft && draft !== files[bpmnName]) {
      messages.append(notice("info", h("button", { type: "button", class: "secondary", id: "restore-draft", onclick: async () => {
        await importDiagram(draft);
        messages.replaceChildren();
      } }, t("restore_draft"))));
    }
    main.dataset.opened = key;
    announce(`${key} v${latest.version}`);
  }

  async function importDiagram(xml, announced = false) {
    await modeler.importXML(xml);
    fitFrame(modeler.get("canvas"), container, { min: 440, max: 620, reserveLeft: 110 });
    panel.style.height = container.style.height; // the panel scrolls beside the drawing, as tall as it
    await check(announced);
  }

  async function post(path, form) {
    try {
      return { status: 200, body: await api(path, { method: "POST", form }) };
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 422) return { status: 422, body: failure.problem };
      throw failure;
    }
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

  async function currentForm() {
    const { xml } = await modeler.saveXML({ format: true });
    const form = new FormData();
    for (const [name, text] of Object.entries({ ...current.files, [current.bpmnName]: xml })) {
      form.append("files", new Blob([text], { type: name.endsWith(".json") ? "application/json" : "application/xml" }), name);
    }
    return form;
  }

  /** Check the diagram as it is now; ``announced``: the designer asked (the verdict is said). */
  async function check(announced) {
    const ticket = ++checkTicket;
    liveStatus.textContent = t("live_check_running");
    const answer = await post("/api/definitions/validate", await currentForm());
    if (ticket !== checkTicket) return; // a later change was checked meanwhile
    const items = answer.body.findings || [];
    showFindings(items);
    showOffers(answer.body.offers || []);
    showRehearsal(answer.body.rehearsal);
    const counts = countFindings(items);
    liveStatus.textContent = t("live_check_done", { errors: counts.errors, warnings: counts.warnings });
    main.dataset.checked = String(ticket);
    if (!announced) return;
    if (answer.status === 422) messages.replaceChildren(notice("bad", answer.body.detail || answer.body.title));
    else messages.replaceChildren(notice(answer.body.ok ? "ok" : "bad", `${t("validate")}: ${t(`verdict_${answer.body.verdict}`)}`));
  }

  /** The shape a finding belongs on: its element, the event whose definition it names, or the
   * pool that draws the process it is about. */
  function shapeOf(elementId) {
    const registry = modeler.get("elementRegistry");
    if (!elementId) return null;
    return registry.get(elementId) || registry.find((element) => element.type !== "label"
      && ((element.businessObject?.eventDefinitions || []).some((definition) => definition.id === elementId)
        || (element.type === "bpmn:Participant" && element.businessObject.processRef?.id === elementId))) || null;
  }

  function elementLabel(finding) {
    if (finding.element_id) return finding.element_name ? `${finding.element_id}「${finding.element_name}」` : finding.element_id;
    return finding.file ? t("whole_file", { file: finding.file }) : t("whole_bundle");
  }

  function showFindings(items, onDiagram = true) {
    const placed = items.map((finding) => ({ ...finding, shape: onDiagram ? shapeOf(finding.element_id) : null }));
    store.set(placed.map((finding) => ({ ...finding, element_id: finding.shape?.id || finding.element_id })));
    const overlays = modeler.get("overlays");
    const canvas = modeler.get("canvas");
    const registry = modeler.get("elementRegistry");
    overlays.remove({ type: "finding" });
    registry.getAll().forEach((element) => { canvas.removeMarker(element.id, "has-error"); canvas.removeMarker(element.id, "has-warning"); });
    const counts = {};
    for (const finding of placed) {
      if (!finding.shape || finding.severity === "note" || finding.severity === "info") continue;
      counts[finding.shape.id] ??= { blocking: 0, other: 0 };
      counts[finding.shape.id][BLOCKING.has(finding.severity) ? "blocking" : "other"] += 1;
    }
    for (const [elementId, count] of Object.entries(counts)) {
      const severity = count.blocking ? "error" : "warning";
      canvas.addMarker(elementId, `has-${severity}`);
      overlays.add(elementId, "finding", { position: { top: -10, right: 10 },
        html: `<span class="finding-badge ${severity}" data-finding-for="${elementId}">${count.blocking + count.other}</span>` });
    }
    if (!placed.length) { findings.replaceChildren(h("p", {}, t("no_findings"))); return; }
    const ordered = [...placed].sort((a, b) => Number(BLOCKING.has(b.severity)) - Number(BLOCKING.has(a.severity)));
    findings.replaceChildren(table(null, [t("severity"), t("element"), t("message")],
      ordered.map((finding) => [h("span", { class: `badge ${SEVERITY_BADGE[finding.severity] || "info"}` }, t(`severity_${finding.severity}`)),
        finding.shape
          ? h("button", { type: "button", class: "linklike", onclick: () => {
            canvas.scrollToElement(finding.shape);
            modeler.get("selection").select(finding.shape);
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
        await importDiagram(current.files[current.bpmnName], true);
        messages.append(notice("ok", t("fix_accepted")));
      } }, t("accept_fix")));
  }

  function showRehearsal(result) {
    if (!result) { rehearsal.replaceChildren(h("p", {}, t("rehearsal_none"))); return; }
    const who = (task) => (task.groups.length ? t("rehearsal_claim", { groups: task.groups.join("、") }) : t("rehearsal_nobody"));
    const name = (task) => `${task.element_id}${task.name ? `「${task.name}」` : ""}`;
    rehearsal.replaceChildren(...present(
      notice(result.started && result.claimable ? "ok" : "bad",
        result.started ? t(result.completed ? "rehearsal_completed" : "rehearsal_started", { tasks: result.waiting.map(name).join("、") || "—" })
          : t("rehearsal_failed", { element: result.stopped?.element_id || "—" })),
      result.tasks.length ? table(null, [t("element"), t("col_lane"), t("rehearsal_who")],
        result.tasks.map((task) => [name(task), task.lane || "—", who(task)]), { id: "rehearsal-table" }) : null));
  }

  function showFormPreview(name) {
    let schema;
    try {
      schema = JSON.parse(current.files[name]);
    } catch (failure) {
      preview.replaceChildren(notice("bad", t("form_preview_unreadable", { name, reason: failure.message })));
      preview.hidden = false;
      return;
    }
    const form = renderForm(schema, {}, "preview");
    preview.replaceChildren(
      h("h2", { id: "form-preview-heading", tabindex: "-1" }, t("form_preview_title", { name })),
      h("p", { class: "hint" }, t("form_preview_hint")),
      h("div", { class: "panel" }, h("h3", {}, schema.title || name), form.element),
      h("button", { type: "button", class: "secondary", onclick: () => { preview.hidden = true; } }, t("close")));
    preview.hidden = false;
    preview.querySelector("h2").focus();
  }

  async function deploy() {
    const deployed = await confirmDeploy({ form: await currentForm(), name: current.key, showFindings });
    if (!deployed) return;
    const detail = await api(`/api/definitions/${current.key}`);
    renderVersions(detail); // before the message: the page is then complete
    moveWizard(moves, detail);
    messages.replaceChildren(notice(deployed.draft ? "bad" : "ok", t("deployed", { version: deployed.version, verdict: t(`verdict_${deployed.verdict}`) }),
      deployed.created && !deployed.draft && detail.versions.length > 1
        ? h("a", { href: "#moves", class: "button secondary", id: "go-to-moves", onclick: (event) => {
          event.preventDefault();
          moves.querySelector("h2").focus();
        } }, t("moves_go", { version: deployed.version })) : null));
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
        findingsSummary(version.findings)]), { id: "versions-table" }),
      h("form", { class: "actions", onsubmit: async (event) => {
        event.preventDefault();
        const diff = await api(`/api/definitions/${detail.key}/diff?from=${from.value}&to=${to.value}`);
        diffResult.replaceChildren(diffLists(diff));
      } },
      h("label", { for: "diff-from" }, t("diff_from")), from, h("label", { for: "diff-to" }, t("diff_to")), to,
      h("button", { type: "submit", class: "secondary", id: "diff-button" }, t("show_diff"))),
      diffResult);
  }

  if (params.get("key")) await open(params.get("key"));
}

/** "2 warnings" (with each finding in a tooltip list), as validate counts them. */
function findingsSummary(items) {
  const counts = countFindings(items);
  if (!items.length) return t("none");
  const parts = [counts.errors ? t("count_errors", { n: counts.errors }) : null, counts.warnings ? t("count_warnings", { n: counts.warnings }) : null,
    counts.notes ? t("count_notes", { n: counts.notes }) : null].filter(Boolean);
  return h("details", {}, h("summary", {}, parts.join("、")),
    h("ul", {}, items.map((finding) => h("li", {}, `${t(`severity_${finding.severity}`)} ${finding.element_id || ""}: ${localized(finding)}`))));
}
