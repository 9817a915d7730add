// The properties panel's onestop groups: what the engine reads from a diagram, set without
// editing XML. Lanes and the groups that work them, user task forms (with a preview), timers
// (with the office calendar's functions), SLA marks, service-task operators and their retry, the
// applicant notice, scripts (with the server's findings for the element, live), required steps.
//
// The SpiffWorkflow extensions (<spiffworkflow:properties>, <spiffworkflow:serviceTaskOperator>,
// <spiffworkflow:preScript>...) are kept as bpmn-moddle's generic elements, not through a moddle
// descriptor: SpiffWorkflow reads any element of its namespace, and a descriptor would drop
// those it does not list. Each change replaces the element's extension values with new generic
// elements in one command, so undo and redo work as for any other edit.
import {
  CheckboxEntry, Group, NumberFieldEntry, SelectEntry, TextAreaEntry, TextFieldEntry,
  getBusinessObject, h, is, isAny, isCheckboxEntryEdited, isNumberFieldEntryEdited, isSelectEntryEdited,
  isTextAreaEntryEdited, isTextFieldEntryEdited, useEffect, useService, useState,
} from "/app/vendor/kit/designer-kit.js";
import { currentLanguage, t } from "./i18n.js";
import { PANEL_LIBRARY_ZH } from "./i18n-backoffice.js";

export const SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core";
const PROPERTY = {
  form: "formJsonSchemaFilename", notice: "notifyApplicant", slaPause: "slaPause", slaTimer: "slaTimer",
  slaExtension: "slaExtension", required: "requiredStep", exempt: "withoutRequiredSteps",
};
const TIMER_TYPES = ["timeDate", "timeDuration", "timeCycle"];
const TASKS_WITH_FORMS = ["bpmn:UserTask", "bpmn:ManualTask"];
const WAITING = ["bpmn:UserTask", "bpmn:ManualTask", "bpmn:ReceiveTask", "bpmn:IntermediateCatchEvent"];

// ------------------------------------------------------------ generic SpiffWorkflow elements
function localName(element) {
  return element?.$descriptor?.ns?.uri === SPIFF_NS ? element.$descriptor.ns.localName : null;
}

function spiffPrefix(bo) {
  let root = bo;
  while (root.$parent) root = root.$parent;
  const declared = Object.entries(root.$attrs || {}).find(([name, uri]) => uri === SPIFF_NS && name.startsWith("xmlns:"));
  return declared ? declared[0].slice(6) : "spiffworkflow";
}

function extensionValues(bo) { return bo.extensionElements?.values || []; }
function extension(bo, name) { return extensionValues(bo).find((value) => localName(value) === name); }

function children(element, name) { return (element?.$children || []).filter((child) => localName(child) === name); }

/** A copy of a generic element with ``attrs`` changed (undefined removes) and ``extra`` ($children, $body). */
function rebuilt(moddle, bo, name, source, attrs = {}, extra = {}) {
  const own = {};
  for (const [key, value] of Object.entries(source || {})) if (!key.startsWith("$")) own[key] = value;
  for (const [key, value] of Object.entries(attrs)) { if (value === undefined || value === "") delete own[key]; else own[key] = value; }
  const element = moddle.createAny(`${spiffPrefix(bo)}:${name}`, SPIFF_NS, own);
  const kept = { $children: source?.$children, $body: source?.$body, ...extra };
  if (kept.$children?.length) element.$children = kept.$children;
  if (kept.$body !== undefined && kept.$body !== "") element.$body = kept.$body;
  return element;
}

/** Replace (or remove, with null) the extension ``name`` of the element, in one undoable command. */
function putExtension(injector, element, name, replacement) {
  const bo = getBusinessObject(element);
  const values = extensionValues(bo);
  const index = values.findIndex((value) => localName(value) === name);
  const next = values.filter((_, at) => at !== index);
  if (replacement) next.splice(index < 0 ? next.length : index, 0, replacement);
  const commandStack = injector.get("commandStack");
  if (bo.extensionElements) {
    commandStack.execute("element.updateModdleProperties", { element, moddleElement: bo.extensionElements, properties: { values: next } });
    next.forEach((value) => { value.$parent = bo.extensionElements; });
    return;
  }
  const extensionElements = injector.get("bpmnFactory").create("bpmn:ExtensionElements", { values: next });
  extensionElements.$parent = bo;
  next.forEach((value) => { value.$parent = extensionElements; });
  commandStack.execute("element.updateModdleProperties", { element, moddleElement: bo, properties: { extensionElements } });
}

export function getProperty(element, name) {
  const property = children(extension(getBusinessObject(element), "properties"), "property").find((item) => item.name === name);
  return property?.value;
}

function setProperty(injector, element, name, value) {
  const bo = getBusinessObject(element);
  const moddle = injector.get("moddle");
  const current = extension(bo, "properties");
  const others = (current?.$children || []).filter((child) => !(localName(child) === "property" && child.name === name));
  const list = value === undefined || value === "" ? others
    : [...others, moddle.createAny(`${spiffPrefix(bo)}:property`, SPIFF_NS, { name, value: String(value) })];
  putExtension(injector, element, "properties", list.length ? rebuilt(moddle, bo, "properties", current, {}, { $children: list }) : null);
}

function scriptText(element, name) { return extension(getBusinessObject(element), name)?.$body || ""; }

function setScriptText(injector, element, name, text) {
  const bo = getBusinessObject(element);
  putExtension(injector, element, name, text ? rebuilt(injector.get("moddle"), bo, name, extension(bo, name), {}, { $body: text }) : null);
}

// ------------------------------------------------------------ entries
function propertyCheckbox(id, property, label, description) {
  function Entry({ element }) {
    const injector = useService("injector");
    return CheckboxEntry({ element, id, label: t(label), description: description ? t(description) : undefined,
      getValue: () => getProperty(element, property) === "true",
      setValue: (checked) => setProperty(injector, element, property, checked ? "true" : undefined) });
  }
  return { id, component: Entry, isEdited: isCheckboxEntryEdited };
}

function propertySelect(id, property, label, options, description) {
  function Entry({ element }) {
    const injector = useService("injector");
    const context = useService("onestopContext");
    return SelectEntry({ element, id, label: t(label), description: description ? t(description) : undefined,
      getValue: () => getProperty(element, property) || "",
      setValue: (value) => setProperty(injector, element, property, value || undefined),
      getOptions: () => {
        const values = options(context);
        const current = getProperty(element, property);
        if (current && !values.includes(current)) values.push(current);
        return [{ value: "", label: t("panel_none") }, ...values.map((value) => ({ value, label: value }))];
      } });
  }
  return { id, component: Entry, isEdited: isSelectEntryEdited };
}

function ExtensionEntry({ element }) {
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  return TextFieldEntry({ element, id: "onestop-sla-extension", label: t("panel_sla_extension"), debounce,
    description: t("panel_sla_extension_hint"),
    getValue: () => getProperty(element, PROPERTY.slaExtension) || "",
    setValue: (value) => setProperty(injector, element, PROPERTY.slaExtension, value?.trim() || undefined),
    validate: (value) => (!value || (Number.isFinite(Number(value)) && Number(value) > 0) ? null : t("panel_positive_number")) });
}

function FormPreviewEntry({ element }) {
  const context = useService("onestopContext");
  const form = getProperty(element, PROPERTY.form);
  return h("div", { class: "bio-properties-panel-entry" },
    h("button", { type: "button", class: "secondary", id: "form-preview-button", disabled: !form,
      onClick: () => context.previewForm(form) }, t("panel_preview_form")));
}

function LaneGroupEntry({ element }) {
  const modeling = useService("modeling");
  const context = useService("onestopContext");
  return SelectEntry({ element, id: "onestop-lane-group", label: t("panel_lane_group"), description: t("panel_lane_group_hint"),
    getValue: () => getBusinessObject(element).name || "",
    setValue: (value) => modeling.updateProperties(element, { name: value || undefined }),
    getOptions: () => {
      const groups = [...context.extensions.groups];
      const current = getBusinessObject(element).name;
      if (current && !groups.includes(current)) groups.push(current);
      return [{ value: "", label: t("panel_none") }, ...groups.map((group) => ({ value: group, label: group }))];
    } });
}

// Timers: the kind (date, duration, cycle) and the expression; the office calendar's functions offered.
function timerDefinition(element) {
  return (getBusinessObject(element).eventDefinitions || []).find((definition) => is(definition, "bpmn:TimerEventDefinition"));
}
function timerType(definition) { return TIMER_TYPES.find((type) => definition?.[type]) || ""; }
function timerExpression(definition) { const type = timerType(definition); return type ? definition[type].body || "" : ""; }

function setTimer(injector, element, type, body) {
  const definition = timerDefinition(element);
  const properties = Object.fromEntries(TIMER_TYPES.map((name) => [name, undefined]));
  if (type) {
    const expression = injector.get("bpmnFactory").create("bpmn:FormalExpression", { body: body || undefined });
    expression.$parent = definition;
    properties[type] = expression;
  }
  injector.get("commandStack").execute("element.updateModdleProperties", { element, moddleElement: definition, properties });
}

const CALL = /^\s*([A-Za-z_]\w*)\(\s*(\d+(?:\.\d+)?)\s*\)\s*$/;

function TimerTypeEntry({ element }) {
  const injector = useService("injector");
  const definition = timerDefinition(element);
  return SelectEntry({ element, id: "onestop-timer-type", label: t("panel_timer_type"),
    getValue: () => timerType(definition),
    setValue: (type) => setTimer(injector, element, type, timerExpression(definition)),
    getOptions: () => [{ value: "", label: t("panel_none") }, ...TIMER_TYPES.map((type) => ({ value: type, label: t(`panel_${type}`) }))] });
}

function TimerExpressionEntry({ element }) {
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const definition = timerDefinition(element);
  return TextFieldEntry({ element, id: "onestop-timer-expression", label: t("panel_timer_expression"), debounce,
    description: t("panel_timer_expression_hint"),
    getValue: () => timerExpression(definition),
    setValue: (value) => setTimer(injector, element, timerType(definition) || "timeDate", value) });
}

function TimerFunctionEntry({ element }) {
  const injector = useService("injector");
  const context = useService("onestopContext");
  const definition = timerDefinition(element);
  const functions = context.extensions.script_functions.filter((item) => item.for_timers);
  const current = () => {
    const expression = timerExpression(definition).trim();
    if (expression === "sla_due_at") return "sla_due_at";
    const call = CALL.exec(expression);
    return call && functions.some((item) => item.name === call[1]) ? call[1] : "";
  };
  return SelectEntry({ element, id: "onestop-timer-function", label: t("panel_timer_function"), description: t("panel_timer_function_hint"),
    getValue: current,
    setValue: (name) => {
      if (!name) return;
      const amount = CALL.exec(timerExpression(definition))?.[2] || "1";
      setTimer(injector, element, "timeDate", name === "sla_due_at" ? "sla_due_at" : `${name}(${amount})`);
    },
    getOptions: () => [{ value: "", label: t("panel_timer_custom") }, { value: "sla_due_at", label: t("panel_sla_due_at") },
      ...functions.map((item) => ({ value: item.name, label: `${item.name}(n) — ${item.summary}` }))] });
}

function TimerAmountEntry({ element }) {
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const definition = timerDefinition(element);
  const call = CALL.exec(timerExpression(definition));
  return NumberFieldEntry({ element, id: "onestop-timer-amount", label: t("panel_timer_amount"), debounce, min: 0, step: "any",
    getValue: () => (call ? Number(call[2]) : undefined),
    setValue: (value) => { if (call && value !== undefined && value !== "") setTimer(injector, element, "timeDate", `${call[1]}(${value})`); } });
}

// Service tasks: the operator, its result variable, the retry of agency calls.
function operatorOf(element) { return extension(getBusinessObject(element), "serviceTaskOperator"); }

function setOperator(injector, element, attrs, retry) {
  const bo = getBusinessObject(element);
  const moddle = injector.get("moddle");
  const current = operatorOf(element);
  let list = current?.$children || [];
  if (retry) {
    const previous = children(current, "retry")[0];
    const next = rebuilt(moddle, bo, "retry", previous, retry);
    const hasValues = Object.keys(next).some((key) => !key.startsWith("$"));
    list = [...list.filter((child) => localName(child) !== "retry"), ...(hasValues ? [next] : [])];
  }
  putExtension(injector, element, "serviceTaskOperator", rebuilt(moddle, bo, "serviceTaskOperator", current, attrs, { $children: list }));
}

function OperatorEntry({ element }) {
  const injector = useService("injector");
  const context = useService("onestopContext");
  return SelectEntry({ element, id: "onestop-operator", label: t("panel_operator"),
    getValue: () => operatorOf(element)?.id || "",
    setValue: (value) => setOperator(injector, element, { id: value || undefined }),
    getOptions: () => {
      const options = context.extensions.operators.map((item) => ({ value: item.name,
        label: `${item.name}${item.asynchronous ? ` (${t("panel_asynchronous")})` : ""}${item.description ? ` — ${item.description}` : ""}` }));
      const current = operatorOf(element)?.id;
      if (current && !options.some((option) => option.value === current)) options.push({ value: current, label: `${current} (${t("panel_unknown")})` });
      return [{ value: "", label: t("panel_none") }, ...options];
    } });
}

function ResultVariableEntry({ element }) {
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  return TextFieldEntry({ element, id: "onestop-result-variable", label: t("panel_result_variable"), debounce,
    getValue: () => operatorOf(element)?.resultVariable || "",
    setValue: (value) => setOperator(injector, element, { resultVariable: value?.trim() || undefined }) });
}

function retryEntry(id, attribute, label, description) {
  function Entry({ element }) {
    const injector = useService("injector");
    const debounce = useService("debounceInput");
    return TextFieldEntry({ element, id, label: t(label), description: t(description), debounce,
      getValue: () => children(operatorOf(element), "retry")[0]?.[attribute] || "",
      setValue: (value) => setOperator(injector, element, {}, { [attribute]: value?.trim() || undefined }),
      validate: (value) => (!value || /^\d+(\.\d+)?$/.test(value.trim()) ? null : t("panel_positive_number")) });
  }
  return { id, component: Entry, isEdited: isTextFieldEntryEdited };
}

function ParametersEntry({ element }) {
  const parameters = children(children(operatorOf(element), "parameters")[0], "parameter");
  if (!parameters.length) return null;
  return h("div", { class: "bio-properties-panel-entry onestop-parameters" },
    h("p", { class: "bio-properties-panel-label" }, t("panel_parameters")),
    h("ul", {}, parameters.map((parameter) => h("li", {}, h("code", {}, `${parameter.id} = ${parameter.value}`)))));
}

// Scripts: the script task's text, and the pre- and post-scripts of any task; with the element's findings.
function ScriptEntry({ element }) {
  const modeling = useService("modeling");
  const debounce = useService("debounceInput");
  return TextAreaEntry({ element, id: "onestop-script", label: t("panel_script"), debounce, monospace: true, rows: 5,
    description: t("panel_script_hint"),
    getValue: () => getBusinessObject(element).script || "",
    setValue: (value) => modeling.updateProperties(element, { script: value || undefined }) });
}

function extensionScriptEntry(id, name, label) {
  function Entry({ element }) {
    const injector = useService("injector");
    const debounce = useService("debounceInput");
    return TextAreaEntry({ element, id, label: t(label), debounce, monospace: true, rows: 3,
      getValue: () => scriptText(element, name),
      setValue: (value) => setScriptText(injector, element, name, value) });
  }
  return { id, component: Entry, isEdited: isTextAreaEntryEdited };
}

/** The server's findings on the element, as the last check left them (re-drawn when a check ends). */
function FindingsEntry({ element }) {
  const context = useService("onestopContext");
  const [, redraw] = useState(0);
  useEffect(() => context.findings.subscribe(() => redraw((n) => n + 1)), [context]);
  const items = context.findings.of(element.id);
  return h("div", { class: "bio-properties-panel-entry onestop-findings", "data-findings-for": element.id },
    items.length
      ? h("ul", {}, items.map((finding) => h("li", { class: `finding-${finding.severity}` },
        h("strong", {}, `${t(`severity_${finding.severity}`)}: `), context.describe(finding))))
      : h("p", {}, context.findings.checked ? t("panel_no_findings") : t("panel_not_checked")));
}

// ------------------------------------------------------------ the groups
function group(id, label, entries) {
  const present = entries.filter(Boolean);
  return present.length ? { id, label: t(label), component: Group, entries: present } : null;
}

function groupsFor(element) {
  const bo = getBusinessObject(element);
  const timer = timerDefinition(element);
  const activity = is(element, "bpmn:Activity");
  return [
    is(element, "bpmn:Lane") ? group("onestop-lane", "panel_group_lane", [{ id: "onestop-lane-group", component: LaneGroupEntry, isEdited: isSelectEntryEdited }]) : null,
    isAny(element, TASKS_WITH_FORMS) ? group("onestop-form", "panel_group_form", [
      propertySelect("onestop-form-file", PROPERTY.form, "panel_form_file", (context) => context.formFiles(), "panel_form_file_hint"),
      { id: "onestop-form-preview", component: FormPreviewEntry },
      propertySelect("onestop-notice", PROPERTY.notice, "panel_notice", (context) => [...context.extensions.notice_kinds], "panel_notice_hint"),
    ]) : null,
    timer ? group("onestop-timer", "panel_group_timer", [
      { id: "onestop-timer-type", component: TimerTypeEntry, isEdited: isSelectEntryEdited },
      { id: "onestop-timer-function", component: TimerFunctionEntry, isEdited: isSelectEntryEdited },
      CALL.test(timerExpression(timer)) ? { id: "onestop-timer-amount", component: TimerAmountEntry, isEdited: isNumberFieldEntryEdited } : null,
      { id: "onestop-timer-expression", component: TimerExpressionEntry, isEdited: isTextFieldEntryEdited },
      propertyCheckbox("onestop-sla-timer", PROPERTY.slaTimer, "panel_sla_timer", "panel_sla_timer_hint"),
    ]) : null,
    isAny(element, WAITING) || activity ? group("onestop-sla", "panel_group_sla", [
      isAny(element, WAITING) ? propertyCheckbox("onestop-sla-pause", PROPERTY.slaPause, "panel_sla_pause", "panel_sla_pause_hint") : null,
      activity ? { id: "onestop-sla-extension", component: ExtensionEntry, isEdited: isTextFieldEntryEdited } : null,
    ]) : null,
    is(element, "bpmn:ServiceTask") ? group("onestop-service", "panel_group_service", [
      { id: "onestop-operator", component: OperatorEntry, isEdited: isSelectEntryEdited },
      { id: "onestop-parameters", component: ParametersEntry },
      { id: "onestop-result-variable", component: ResultVariableEntry, isEdited: isTextFieldEntryEdited },
      retryEntry("onestop-retries", "retries", "panel_retries", "panel_retries_hint"),
      retryEntry("onestop-backoff", "backoff_base", "panel_backoff", "panel_backoff_hint"),
    ]) : null,
    activity || is(element, "bpmn:EndEvent") ? group("onestop-required", "panel_group_required", [
      activity ? propertyCheckbox("onestop-required-step", PROPERTY.required, "panel_required_step", "panel_required_step_hint") : null,
      is(element, "bpmn:EndEvent") ? propertyCheckbox("onestop-without-required", PROPERTY.exempt, "panel_without_required", "panel_without_required_hint") : null,
    ]) : null,
    activity ? group("onestop-scripts", "panel_group_scripts", [
      is(element, "bpmn:ScriptTask") ? { id: "onestop-script", component: ScriptEntry, isEdited: isTextAreaEntryEdited } : null,
      extensionScriptEntry("onestop-pre-script", "preScript", "panel_pre_script"),
      extensionScriptEntry("onestop-post-script", "postScript", "panel_post_script"),
    ]) : null,
    bo.id ? group("onestop-findings", "panel_group_findings", [{ id: "onestop-findings-list", component: FindingsEntry }]) : null,
  ].filter(Boolean);
}

class OnestopPropertiesProvider {
  constructor(propertiesPanel) { propertiesPanel.registerProvider(400, this); }
  getGroups(element) {
    return (groups) => {
      // The library's timer group is replaced by ours (the calendar's functions, the SLA mark).
      const kept = groups.filter((item) => item.id !== "timer");
      const general = kept.findIndex((item) => item.id === "general");
      kept.splice(general + 1, 0, ...groupsFor(element));
      return kept;
    };
  }
}
OnestopPropertiesProvider.$inject = ["propertiesPanel"];

/** The didi module: the provider, and the page's context (extensions, files, findings, preview). */
export function onestopPanelModule(context) {
  return {
    __init__: ["onestopPropertiesProvider"],
    onestopPropertiesProvider: ["type", OnestopPropertiesProvider],
    onestopContext: ["value", context],
  };
}

/** The findings of the last check, by element; the panel's findings entries listen to it. */
export function findingsStore() {
  const listeners = new Set();
  let byElement = new Map();
  return {
    checked: false,
    subscribe(listener) { listeners.add(listener); return () => listeners.delete(listener); },
    of(elementId) { return byElement.get(elementId) || []; },
    set(findings) {
      byElement = new Map();
      for (const finding of findings) {
        if (finding.element_id) byElement.set(finding.element_id, [...(byElement.get(finding.element_id) || []), finding]);
      }
      this.checked = true;
      listeners.forEach((listener) => listener());
    },
  };
}

/** The panel's own words (group and entry labels of the library) in the page's language. */
export function translateModule() {
  const translate = (template, replacements = {}) => {
    const text = (currentLanguage() === "zh-TW" && PANEL_LIBRARY_ZH[template]) || template;
    return text.replace(/{([^}]+)}/g, (_, name) => replacements[name] ?? `{${name}}`);
  };
  return { translate: ["value", translate] };
}
