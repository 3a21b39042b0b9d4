export type { JsonPatchOperation } from "./json-patch.js";
export { applyJsonPatch } from "./json-patch.js";
export { applyMergePatch } from "./merge-patch.js";
export { parseJsonPointer, formatJsonPointer, escapeJsonPointerToken } from "./json-pointer.js";
