export type * from "./document.js";
export { compileResourceModifiers } from "./compile.js";
export type { ResourceModifiers, ResourceModifierRule, ResourceModifierPatchType, ResourceModifierTarget } from "./compile.js";
export { parseResourceModifiers, resourceModifiersFromConfigMap } from "./parse.js";
export { applyResourceModifiers } from "./apply.js";
export type { ApplyResourceModifiersOptions, ApplyResourceModifiersResult, ResourceModifierFailure } from "./apply.js";
export { MAX_RESOURCE_MODIFIERS_BYTES, MAX_YAML_ALIASES } from "./yaml-text.js";
