// Task forms from their JSON Schema: the controls, and the same checks the server makes
// (jsonschema, draft 2020-12, with format checks) for the keywords the procedures use.
import { h } from "./dom.js";
import { localName, optionLabel, t } from "./i18n.js";

const EMAIL = /@/; // jsonschema's own email check: an "@" somewhere
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function typeOk(type, value) {
  switch (type) {
    case "string": return typeof value === "string";
    case "integer": return typeof value === "number" && Number.isInteger(value);
    case "number": return typeof value === "number" && Number.isFinite(value);
    case "boolean": return typeof value === "boolean";
    case "object": return value !== null && typeof value === "object" && !Array.isArray(value);
    case "array": return Array.isArray(value);
    case "null": return value === null;
    default: return true;
  }
}

// A national ID or resident certificate number and its check digit (workflows/identifiers.py).
const NATIONAL_ID = /^[A-Z][12890ABCD]\d{8}$/;
const LETTER_CODES = { A: 10, B: 11, C: 12, D: 13, E: 14, F: 15, G: 16, H: 17, I: 34, J: 18, K: 19, L: 20, M: 21,
  N: 22, O: 35, P: 23, Q: 24, R: 25, S: 26, T: 27, U: 28, V: 29, W: 32, X: 30, Y: 31, Z: 33 };
const ID_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 1, 1];

function validNationalId(text) {
  if (!NATIONAL_ID.test(text)) return false;
  const area = LETTER_CODES[text[0]];
  // Old-format resident numbers have a letter in second place: its code's last digit counts.
  const second = /[A-Z]/.test(text[1]) ? LETTER_CODES[text[1]] % 10 : Number(text[1]);
  const digits = [second, ...[...text.slice(2)].map(Number)];
  const total = Math.floor(area / 10) + 9 * (area % 10) + digits.reduce((sum, digit, i) => sum + ID_WEIGHTS[i] * digit, 0);
  return total % 10 === 0;
}

function validDate(text) {
  if (!DATE.test(text)) return false;
  const [year, month, day] = text.split("-").map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Errors of ``value`` against ``schema``: [{field: "a/b", message}], fields as the server names them. */
export function validate(schema, value, path = []) {
  const errors = [];
  const field = path.join("/") || "(form)";
  const add = (key, vars) => errors.push({ field, message: t(key, vars), keyword: key });
  const types = schema.type === undefined ? [] : [].concat(schema.type);
  if (types.length && !types.some((type) => typeOk(type, value))) {
    add("err_type", { type: types.map((type) => t(`type_${type}`)).join(", ") });
    return errors;
  }
  if (schema.enum && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) add("err_enum");
  if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) add("err_enum");
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) add("err_min", { n: schema.minimum });
    if (schema.maximum !== undefined && value > schema.maximum) add("err_max", { n: schema.maximum });
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) add("err_min", { n: schema.exclusiveMinimum });
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) add("err_max", { n: schema.exclusiveMaximum });
  }
  if (typeof value === "string") {
    const length = [...value].length; // code points, as Python counts
    if (schema.minLength !== undefined && length < schema.minLength) add("err_minlength", { n: schema.minLength });
    if (schema.maxLength !== undefined && length > schema.maxLength) add("err_maxlength", { n: schema.maxLength });
    // A wrong national ID gets the format's message alone, as from the server.
    const wrongId = schema.format === "tw-national-id" && !validNationalId(value);
    if (schema.pattern !== undefined && !wrongId && !new RegExp(schema.pattern, "u").test(value)) add("err_pattern");
    if (wrongId) add("err_format_national_id");
    if (schema.format === "date" && !validDate(value)) add("err_format_date");
    if (schema.format === "email" && !EMAIL.test(value)) add("err_format_email");
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) add("err_minitems", { n: schema.minItems });
    if (schema.maxItems !== undefined && value.length > schema.maxItems) add("err_maxitems", { n: schema.maxItems });
    if (schema.uniqueItems && new Set(value.map((item) => JSON.stringify(item))).size !== value.length) add("err_unique");
    if (schema.items) value.forEach((item, index) => errors.push(...validate(schema.items, item, [...path, index])));
  }
  if (typeOk("object", value)) {
    const properties = schema.properties || {};
    for (const name of schema.required || []) {
      if (!(name in value)) errors.push({ field: [...path, name].join("/"), message: t("err_required"), keyword: "err_required" });
    }
    for (const [name, item] of Object.entries(value)) {
      if (name in properties) errors.push(...validate(properties[name], item, [...path, name]));
      else if (schema.additionalProperties === false) errors.push({ field: [...path, name].join("/"), message: t("err_additional"), keyword: "err_additional" });
    }
  }
  // allOf and if/then/else: fields required for one choice only (the answer when the outcome is "answered").
  for (const part of schema.allOf || []) errors.push(...validate(part, value, path));
  if (schema.if) {
    const branch = validate(schema.if, value, path).length === 0 ? schema.then : schema.else;
    if (branch) errors.push(...validate(branch, value, path));
  }
  return errors;
}

function controlId(prefix, path) { return `${prefix}-${path.join("-")}`; }

/** Render the controls of an object schema; returns {element, read(), showErrors(errors)}. */
export function renderForm(schema, values = {}, prefix = "f") {
  const readers = [];
  const errorSlots = new Map();

  function fieldFor(name, property, path, required, value) {
    const id = controlId(prefix, path);
    const label = localName(property.title || name) + (required ? ` (${t("required")})` : "");
    const errorId = `${id}-error`;
    const errorSlot = h("span", { class: "error", id: errorId });
    errorSlots.set(path.join("/"), { slot: errorSlot, id });
    if (property.type === "object") {
      const fieldset = h("fieldset", { id }, h("legend", {}, label));
      for (const [childName, child] of orderedProperties(property)) {
        fieldset.append(fieldFor(childName, child, [...path, childName], (property.required || []).includes(childName), value?.[childName]));
      }
      fieldset.append(errorSlot);
      return fieldset;
    }
    if (property.type === "array" && property.items?.enum) {
      const boxes = property.items.enum.map((option, index) => {
        const box = h("input", { type: "checkbox", id: `${id}-${index}`, value: option, checked: (value || []).includes(option) });
        return [box, h("label", { for: `${id}-${index}` }, box, optionLabel(option))];
      });
      readers.push([path, () => boxes.filter(([box]) => box.checked).map(([box]) => box.value), true]);
      return h("fieldset", { id, class: "choices" }, h("legend", {}, label), boxes.map(([, labelled]) => labelled), h("div", {}, errorSlot));
    }
    let control;
    if (property.enum) {
      control = h("select", { id, name: id, "aria-describedby": errorId },
        h("option", { value: "" }, t("choose")),
        property.enum.map((option) => h("option", { value: JSON.stringify(option), selected: value === option }, optionLabel(option))));
      readers.push([path, () => (control.value === "" ? undefined : JSON.parse(control.value))]);
    } else if (property.type === "boolean") {
      control = h("input", { id, type: "checkbox", checked: !!value, "aria-describedby": errorId });
      readers.push([path, () => control.checked]);
      return h("div", { class: "field inline" }, control, h("label", { for: id }, label), errorSlot);
    } else if (property.type === "integer" || property.type === "number") {
      control = h("input", { id, type: "text", inputmode: "numeric", value: value ?? "", "aria-describedby": errorId });
      readers.push([path, () => {
        const text = control.value.trim();
        if (text === "") return undefined;
        return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text; // a non-number stays text: the type check names it
      }]);
    } else {
      const type = property.format === "date" ? "date" : property.format === "email" ? "email" : "text";
      const long = !property.format && (property.maxLength || 0) > 200;
      control = long ? h("textarea", { id, rows: 3, "aria-describedby": errorId }, value ?? "")
        : h("input", { id, type, value: value ?? "", "aria-describedby": errorId,
          autocomplete: "off", spellcheck: "false", novalidate: true });
      readers.push([path, () => (control.value === "" ? undefined : control.value)]);
    }
    if (required) control.setAttribute("aria-required", "true");
    return h("div", { class: "field" }, h("label", { for: id }, label), control, errorSlot);
  }

  const element = h("div", { class: "json-form" });
  for (const [name, property] of orderedProperties(schema)) {
    element.append(fieldFor(name, property, [name], (schema.required || []).includes(name), values?.[name]));
  }

  function read() {
    const data = {};
    for (const [path, reader, keepEmpty] of readers) {
      const value = reader();
      if (value === undefined || (keepEmpty && value.length === 0 && !isRequired(schema, path))) continue;
      let target = data;
      for (const part of path.slice(0, -1)) target = target[part] ??= {};
      target[path.at(-1)] = value;
    }
    return data;
  }

  function showErrors(errors) {
    for (const { slot, id } of errorSlots.values()) {
      slot.textContent = "";
      document.getElementById(id)?.removeAttribute("aria-invalid");
    }
    for (const error of errors) {
      const target = errorSlots.get(error.field);
      if (!target) continue;
      target.slot.textContent = error.message;
      document.getElementById(target.id)?.setAttribute("aria-invalid", "true");
    }
  }

  return { element, read, showErrors, focusField: (field) => document.getElementById(errorSlots.get(field)?.id)?.focus() };
}

/** The title a form shows for a field as errors name it ("a/b"), else the field's name. */
export function fieldTitle(schema, field) {
  let node = schema;
  for (const part of field.split("/")) node = node?.properties?.[part] ?? node?.items;
  return localName(node?.title) || field;
}

const SERVER_KEYWORDS = { required: "err_required", enum: "err_enum", const: "err_enum", minimum: "err_min",
  exclusiveMinimum: "err_min", maximum: "err_max", exclusiveMaximum: "err_max", minLength: "err_minlength",
  maxLength: "err_maxlength", pattern: "err_pattern", type: "err_pattern", uniqueItems: "err_unique",
  additionalProperties: "err_additional", minItems: "err_minitems", maxItems: "err_maxitems" };
const SERVER_FORMATS = { date: "err_format_date", email: "err_format_email", "tw-national-id": "err_format_national_id" };

/** The server's form errors as the page says them: in the chosen language, each on the field it
 * concerns (a missing field is named by the server's ``property``). */
export function localErrors(errors) {
  return errors.map((error) => {
    const field = error.keyword === "required" && error.property
      ? (error.field === "(form)" ? error.property : `${error.field}/${error.property}`) : error.field;
    const key = error.keyword === "format" ? SERVER_FORMATS[error.format] : SERVER_KEYWORDS[error.keyword];
    return { field, message: key ? t(key, { n: error.limit }) : error.message };
  });
}

function isRequired(schema, path) {
  let node = schema;
  for (const part of path.slice(0, -1)) node = node.properties?.[part] || {};
  return (node.required || []).includes(path.at(-1));
}

/** Required fields first, in the order the schema lists them as required; then the others. */
function orderedProperties(schema) {
  const properties = schema.properties || {};
  const required = (schema.required || []).filter((name) => name in properties);
  const others = Object.keys(properties).filter((name) => !required.includes(name));
  return [...required, ...others].map((name) => [name, properties[name]]);
}
