// Designers: the bpmn-js modeller to open, edit, validate, save and deploy a procedure; its versions and their diff.
import { api, ApiError } from "./api.js";
import { announce, h, notice, table } from "./dom.js";
import { formatTime, t } from "./i18n.js";
import { loadBpmn } from "./bpmn.js";

export async function designerPage(main, params) {
  const definitions = await api("/api/definitions");
  const picker = h("select", { id: "designer-procedure" }, definitions.map((definition) =>
    h("option", { value: definition.key, selected: definition.key === params.get("key") }, `${definition.name || definition.key} (${definition.key})`)));
  const messages = h("div", { id: "designer-messages" });
  const findings = h("div", { id: "findings" });
  const container = h("div", { class: "diagram tall", id: "modeler", role: "group", "aria-label": t("designer_title") });
  const versions = h("div", { id: "versions" });
  const buttons = {
    validate: h("button", { type: "button", id: "validate-button", disabled: true, onclick: () => validateOrDeploy(false) }, t("validate")),
    save: h("button", { type: "button", class: "secondary", id: "save-button", disabled: true, onclick: save }, t("save")),
    deploy: h("button", { type: "button", id: "deploy-button", disabled: true, onclick: () => validateOrDeploy(true) }, t("deploy")),
  };
  main.append(h("h1", {}, t("designer_title")),
    h("form", { class: "actions", onsubmit: (event) => { event.preventDefault(); open(picker.value); } },
      h("label", { for: "designer-procedure" }, t("procedure")), picker,
      h("button", { type: "submit", id: "open-button" }, t("open_procedure")),
      buttons.validate, buttons.save, buttons.deploy),
    h("p", { class: "hint" }, t("new_element")), messages, container,
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "findings-heading" }, h("h2", { id: "findings-heading" }, t("findings")), findings),
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
    findings.replaceChildren();
    messages.replaceChildren();
    renderVersions(detail);
    const draft = localStorage.getItem(`onestop.draft.${key}`);
    if (draft && draft !== files[bpmnName]) {
      messages.replaceChildren(notice("info", h("button", { type: "button", class: "secondary", id: "restore-draft", onclick: async () => {
        await modeler.importXML(draft);
        modeler.get("canvas").zoom("fit-viewport");
        messages.replaceChildren();
      } }, t("restore_draft"))));
    }
    main.dataset.opened = key;
    announce(`${key} v${latest.version}`);
  }

  async function upload(path) {
    const { xml } = await modeler.saveXML({ format: true });
    const form = new FormData();
    for (const [name, text] of Object.entries({ ...current.files, [current.bpmnName]: xml })) {
      form.append("files", new Blob([text], { type: name.endsWith(".json") ? "application/json" : "application/xml" }), name);
    }
    try {
      return { status: 200, body: await api(path, { method: "POST", form }) };
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 422) return { status: 422, body: failure.problem };
      throw failure;
    }
  }

  async function validateOrDeploy(deploy) {
    messages.replaceChildren(t("loading"));
    const answer = await upload(deploy ? "/api/definitions" : "/api/definitions/validate");
    showFindings(answer.body.findings || []);
    if (deploy && answer.status === 200) {
      renderVersions(await api(`/api/definitions/${current.key}`)); // before the message: the page is then complete
      messages.replaceChildren(notice(answer.body.draft ? "bad" : "ok", t("deployed", { version: answer.body.version, verdict: answer.body.verdict })));
    } else if (answer.status === 422) {
      messages.replaceChildren(notice("bad", answer.body.detail || answer.body.title));
    } else {
      messages.replaceChildren(notice(answer.body.ok ? "ok" : "bad", `${t("validate")}: ${answer.body.verdict}`));
    }
  }

  function showFindings(items) {
    const overlays = modeler.get("overlays");
    const canvas = modeler.get("canvas");
    const registry = modeler.get("elementRegistry");
    overlays.remove({ type: "finding" });
    registry.getAll().forEach((element) => { canvas.removeMarker(element.id, "has-error"); canvas.removeMarker(element.id, "has-warning"); });
    const counts = {};
    for (const finding of items) {
      if (!finding.element_id || !registry.get(finding.element_id)) continue;
      counts[finding.element_id] ??= { error: 0, warning: 0 };
      counts[finding.element_id][finding.severity === "error" ? "error" : "warning"] += 1;
    }
    for (const [elementId, count] of Object.entries(counts)) {
      const severity = count.error ? "error" : "warning";
      canvas.addMarker(elementId, `has-${severity}`);
      overlays.add(elementId, "finding", { position: { top: -10, right: 10 },
        html: `<span class="finding-badge ${severity}" data-finding-for="${elementId}">${count.error + count.warning}</span>` });
    }
    if (!items.length) { findings.replaceChildren(h("p", {}, t("no_findings"))); return; }
    findings.replaceChildren(table(null, [t("severity"), t("element"), t("message")],
      items.map((finding) => [h("span", { class: `badge ${finding.severity === "error" ? "bad" : "sla-due_today"}` }, t(`severity_${finding.severity}`)),
        finding.element_id && registry.get(finding.element_id)
          ? h("button", { type: "button", class: "linklike", onclick: () => {
            const element = registry.get(finding.element_id);
            canvas.scrollToElement(element);
            modeler.get("selection").select(element);
          } }, finding.element_id)
          : finding.element_id || finding.file || "—",
        finding.message]), { id: "findings-table" }));
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
