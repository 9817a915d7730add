// bpmn-js from node_modules (its UMD bundles; each sets window.BpmnJS, so each is captured once loaded).
import { h, loadStyle } from "./dom.js";
import { t } from "./i18n.js";

const BUNDLES = {
  viewer: "/app/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js",
  modeler: "/app/vendor/bpmn-js/bpmn-modeler.production.min.js",
};
const classes = {};

export function loadBpmn(kind) {
  loadStyle("/app/vendor/bpmn-js/assets/diagram-js.css");
  loadStyle("/app/vendor/bpmn-js/assets/bpmn-js.css");
  loadStyle("/app/vendor/bpmn-js/assets/bpmn-font/css/bpmn.css");
  classes[kind] ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = BUNDLES[kind];
    script.onload = () => resolve(window.BpmnJS);
    script.onerror = () => reject(new Error(`cannot load ${BUNDLES[kind]}`));
    document.head.append(script);
  });
  return classes[kind];
}

/** A read-only, navigable diagram in ``container`` (labelled for screen readers). */
export async function showDiagram(container, xml, label) {
  const Viewer = await loadBpmn("viewer");
  container.setAttribute("role", "group"); // not "img": the canvas inside takes keyboard focus
  container.setAttribute("aria-label", label);
  const viewer = new Viewer({ container });
  await viewer.importXML(xml);
  const canvas = viewer.get("canvas");
  fitFrame(canvas, container);
  // Fitted to the width, a long procedure is drawn small: buttons zoom (as the mouse wheel and
  // dragging do) for those who use the keyboard or do not know the wheel.
  const zoomBy = (factor) => canvas.zoom(canvas.zoom() * factor);
  container.append(h("div", { class: "zoom-controls" },
    h("button", { type: "button", onclick: () => zoomBy(1.25), "aria-label": t("zoom_in") }, "+"),
    h("button", { type: "button", onclick: () => zoomBy(0.8), "aria-label": t("zoom_out") }, "−"),
    h("button", { type: "button", onclick: () => fitFrame(canvas, container), "aria-label": t("zoom_fit") }, t("zoom_fit_short"))));
  return viewer;
}

/** Give the frame the diagram's proportions (within ``min``..``max`` pixels high) and fit the
 * diagram to it: a long, flat procedure is no longer drawn small in a tall empty frame.
 * ``reserveLeft``: pixels the modeller's palette covers, kept free of the diagram. */
export function fitFrame(canvas, container, { min = 260, max = 620, padding = 20, reserveLeft = 0 } = {}) {
  const inner = canvas.viewbox().inner;
  const width = container.clientWidth;
  if (!(inner.width > 0 && width > 0)) { canvas.zoom("fit-viewport", "auto"); return; }
  const usable = width - reserveLeft - 2 * padding;
  const wanted = (inner.height / inner.width) * usable + 2 * padding;
  container.style.height = `${Math.round(Math.min(max, Math.max(min, wanted)))}px`;
  canvas.resized();
  const height = container.clientHeight;
  const scale = Math.min(usable / inner.width, (height - 2 * padding) / inner.height, 1.2);
  const left = reserveLeft + padding + (usable - inner.width * scale) / 2;
  const top = (height - inner.height * scale) / 2;
  canvas.viewbox({ x: inner.x - left / scale, y: inner.y - top / scale, width: width / scale, height: height / scale });
}

export function elementsOf(viewer) {
  return viewer.get("elementRegistry").getAll().filter((element) => element.type !== "label");
}

/** Mark the elements (and the sequence flows between them) a case went through, and where it is. */
export function markPath(viewer, takenIds, currentIds) {
  const canvas = viewer.get("canvas");
  const taken = new Set(takenIds);
  const current = new Set(currentIds);
  for (const element of elementsOf(viewer)) {
    canvas.removeMarker(element.id, "path-taken");
    canvas.removeMarker(element.id, "current-step");
    if (current.has(element.id)) canvas.addMarker(element.id, "current-step");
    else if (taken.has(element.id)) canvas.addMarker(element.id, "path-taken");
    if (element.type === "bpmn:SequenceFlow" && taken.has(element.source?.id)
        && (taken.has(element.target?.id) || current.has(element.target?.id))) {
      canvas.addMarker(element.id, "path-taken");
    }
  }
}

export function badge(className, text, title) {
  return h("span", { class: className, title }, text);
}
