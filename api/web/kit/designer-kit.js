// The designer's browser kit: the bpmn-js modeller and the properties panel, bundled into one
// ES module by `npm run build` (esbuild; scripts/setup.sh runs it) as api/web/dist/designer-kit.js,
// which the app serves at /app/vendor/kit/designer-kit.js. The pages' own modules stay plain files;
// they take from here what the panel's providers are written with (preact's h, the entry
// components, useService), so that panel and providers share one copy of each library.
export { default as Modeler } from "bpmn-js/lib/Modeler";
export { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, useService } from "bpmn-js-properties-panel";
export {
  CheckboxEntry,
  Group,
  NumberFieldEntry,
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isCheckboxEntryEdited,
  isNumberFieldEntryEdited,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
export { h, Fragment } from "@bpmn-io/properties-panel/preact";
export { useEffect, useMemo, useState } from "@bpmn-io/properties-panel/preact/hooks";
export { getBusinessObject, is, isAny } from "bpmn-js/lib/util/ModelUtil";
