export * from "./kube-names.js";
export * from "./label-selector.js";
export * from "./resource-type.js";
export * from "./selection.js";
export * from "./backup-parameters.js";
export * from "./restore-criteria.js";
export {
  labelSelectorStringSchema,
  namespacedNameSchema,
  namespaceNameSchema,
  objectNameSchema,
  resourceTypeStringSchema,
  type NamespacedName,
} from "./selection-schema.js";
export type { Fault } from "./faults.js";
